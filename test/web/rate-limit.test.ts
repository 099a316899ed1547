import { describe, expect, it } from 'vitest';
import { createRateLimiter } from '../../src/web/rate-limit.js';

describe('createRateLimiter', () => {
  it('allows a burst, then one request per interval, as Go rate.Limiter', () => {
    let now = 0;
    const l = createRateLimiter({ intervalMs: 1000, burst: 2 }, () => now);
    expect([l.take(), l.take(), l.take()]).toEqual([true, true, false]);
    now = 999;
    expect(l.take()).toBe(false);
    now = 1000;
    expect(l.take()).toBe(true);
    expect(l.take()).toBe(false);
    // Tokens never pile up past the burst.
    now = 100_000;
    expect([l.take(), l.take(), l.take()]).toEqual([true, true, false]);
  });

  it('refuses everything with a burst of 0', () => {
    const l = createRateLimiter({ intervalMs: 1, burst: 0 }, () => 0);
    expect(l.take()).toBe(false);
  });
});
