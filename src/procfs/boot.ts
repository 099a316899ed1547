import fs from 'node:fs';
import nodePath from 'node:path';

/**
 * This boot's clock, to put a wall-clock time on the kernel's uptime stamps (/dev/kmsg, dmesg), as
 * `dmesg -T` does: boot time plus the stamp, early by any time spent suspended.
 */
export interface BootClock {
  /** When this boot began, seconds since the epoch, to the millisecond where it can be known. */
  bootTimeSeconds: number;
  /** Seconds since boot now: a stamp beyond it cannot be this boot's, and keeps its uptime form. */
  uptimeSeconds: number;
}

/** How far btime and the monotonic clock may disagree and still be the same boot (btime is truncated). */
const SAME_BOOT_SECONDS = 2;

/**
 * The boot clock of the kernel behind `procfs`, or null when its stat cannot be read.
 *
 * /proc/stat's btime is whole seconds, so a kill stamped 0.3 s after a process was last seen could come
 * out before it. Node's hrtime reads CLOCK_MONOTONIC, the clock btime is taken against, and now minus it
 * is the boot time to the millisecond. (printk stamps with local_clock(), which follows it to within a
 * few ms: 6.8 ms behind on this project's VM; the follower bounds a kill's time by its victim's last sighting.) It is used when it agrees with btime (the
 * procfs is this kernel's, the usual case, also as /host/proc in a container); otherwise (a copied or
 * fixture procfs) btime and that procfs's uptime are its truth.
 */
export function readBootClock(procfs: string, nowMs: number = Date.now(), monotonicSeconds: number = Number(process.hrtime.bigint()) / 1e9): BootClock | null {
  let btime: number;
  try {
    const m = /^btime (\d+)$/m.exec(fs.readFileSync(nodePath.join(procfs, 'stat'), 'utf8'));
    if (m === null) return null;
    btime = Number(m[1]);
  } catch {
    return null;
  }
  const precise = nowMs / 1000 - monotonicSeconds;
  if (Math.abs(precise - btime) < SAME_BOOT_SECONDS) return { bootTimeSeconds: precise, uptimeSeconds: monotonicSeconds };
  let uptime: number;
  try {
    uptime = Number(fs.readFileSync(nodePath.join(procfs, 'uptime'), 'utf8').split(' ')[0]);
  } catch {
    uptime = Number.NaN;
  }
  return { bootTimeSeconds: btime, uptimeSeconds: Number.isFinite(uptime) ? uptime : nowMs / 1000 - btime };
}
