import { parseMeminfo } from '../procfs/meminfo.js';

/** The host's memory now, as /api/v1/status gives it (`data.host`); null when unknown. */
export interface HostJson {
  memTotalBytes: number | null;
  memAvailableBytes: number | null;
  swapTotalBytes: number | null;
  swapFreeBytes: number | null;
  /** Share of the last 10 s some task (some) or all tasks (full) stalled on memory, in percent (PSI). */
  pressureSomeAvg10: number | null;
  pressureFullAvg10: number | null;
}

/** avg10 of one PSI line (`some avg10=1.23 ...`); null when absent. */
function avg10(text: string | undefined, kind: 'some' | 'full'): number | null {
  if (text === undefined) return null;
  const m = new RegExp(`^${kind}\\s+avg10=(\\d+(?:\\.\\d+)?)`, 'm').exec(text);
  return m === null ? null : Number(m[1]);
}

/**
 * Pure: /proc/meminfo and /proc/pressure/memory texts (undefined when unreadable: no PSI on this kernel)
 * to the host's memory. The console shows it next to the kills: a kill with plenty available was a
 * cgroup's limit, not the machine's.
 */
export function hostJson(meminfo: string | undefined, pressure: string | undefined): HostJson {
  const m = meminfo === undefined ? new Map<string, number>() : parseMeminfo(meminfo);
  const get = (k: string): number | null => m.get(k) ?? null;
  return {
    memTotalBytes: get('MemTotal'),
    memAvailableBytes: get('MemAvailable'),
    swapTotalBytes: get('SwapTotal'),
    swapFreeBytes: get('SwapFree'),
    pressureSomeAvg10: avg10(pressure, 'some'),
    pressureFullAvg10: avg10(pressure, 'full'),
  };
}
