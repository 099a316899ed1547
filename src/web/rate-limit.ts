/**
 * The web config's rate_limit: a token bucket like Go's rate.Limiter, as exporter-toolkit uses it. It
 * holds up to `burst` tokens, gains one every `intervalMs`, and each request takes one or is refused.
 */
export interface RateLimiter {
  take(): boolean;
}

export function createRateLimiter({ intervalMs, burst }: { intervalMs: number; burst: number }, now: () => number = () => performance.now()): RateLimiter {
  let tokens = burst;
  let last = now();
  return {
    take() {
      const t = now();
      tokens = Math.min(burst, tokens + (t - last) / intervalMs);
      last = t;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}
