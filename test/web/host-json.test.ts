import { describe, expect, it } from 'vitest';
import { hostJson } from '../../src/web/host-json.js';

describe('hostJson', () => {
  it('reads memory, swap and PSI avg10', () => {
    const h = hostJson(
      'MemTotal: 1000 kB\nMemAvailable: 250 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n',
      'some avg10=3.50 avg60=1.00 avg300=0.10 total=1\nfull avg10=1.25 avg60=0 avg300=0 total=1\n',
    );
    expect(h).toEqual({ memTotalBytes: 1024000, memAvailableBytes: 256000, swapTotalBytes: 0, swapFreeBytes: 0, pressureSomeAvg10: 3.5, pressureFullAvg10: 1.25 });
  });

  it('is null for what is unreadable or absent (no PSI, an old kernel without MemAvailable)', () => {
    expect(hostJson('MemTotal: 1000 kB\n', undefined)).toEqual({
      memTotalBytes: 1024000,
      memAvailableBytes: null,
      swapTotalBytes: null,
      swapFreeBytes: null,
      pressureSomeAvg10: null,
      pressureFullAvg10: null,
    });
    expect(hostJson(undefined, 'garbage')).toMatchObject({ memTotalBytes: null, pressureSomeAvg10: null });
  });
});
