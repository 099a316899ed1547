import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readBootClock } from '../../src/procfs/boot.js';

let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});
function procfs(stat: string, uptime?: string): string {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oom-boot-'));
  fs.writeFileSync(path.join(dir, 'stat'), stat);
  if (uptime !== undefined) fs.writeFileSync(path.join(dir, 'uptime'), uptime);
  return dir;
}

describe('readBootClock', () => {
  it('takes the boot time to the millisecond from the monotonic clock when btime agrees', () => {
    // btime is truncated: the boot was at 1796044547.716, btime says 1796044547.
    const clock = readBootClock(procfs('cpu  1 2 3\nbtime 1796044547\n'), 1_796_062_985_155.666, 18_437.4393);
    expect(clock?.bootTimeSeconds).toBeCloseTo(1_796_044_547.7163, 3);
    expect(clock?.uptimeSeconds).toBe(18_437.4393);
  });

  it('keeps btime and the procfs uptime when they are another boot than ours (a copied procfs)', () => {
    const clock = readBootClock(procfs('btime 1790000000\n', '200.50 300.00\n'), 1_796_062_985_000, 18_437);
    expect(clock).toEqual({ bootTimeSeconds: 1_790_000_000, uptimeSeconds: 200.5 });
  });

  it('is null without a btime line or a stat file', () => {
    expect(readBootClock(procfs('cpu 1 2 3\n'))).toBeNull();
    expect(readBootClock('/nonexistent-procfs')).toBeNull();
  });

  it('on the real /proc agrees with btime and /proc/uptime to within their rounding', () => {
    const clock = readBootClock('/proc')!;
    const btime = Number(/^btime (\d+)$/m.exec(fs.readFileSync('/proc/stat', 'utf8'))![1]);
    expect(clock.bootTimeSeconds - btime).toBeGreaterThanOrEqual(-0.02);
    expect(clock.bootTimeSeconds - btime).toBeLessThan(1.02);
    const uptime = Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    expect(Math.abs(clock.uptimeSeconds - uptime)).toBeLessThan(1);
  });
});
