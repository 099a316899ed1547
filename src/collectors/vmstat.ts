import { counter } from '../exposition/metrics.js';
import { FileReader } from '../procfs/read.js';
import { parseVmstatValue } from '../procfs/vmstat.js';
import type { Collector, CollectorInfo } from './collector.js';

export const vmstatInfo: CollectorInfo = { name: 'vmstat', defaultEnabled: true, help: "The kernel's OOM kill count from /proc/vmstat (Linux 4.13+)." };

const KILLS = counter('oom_kills_total', 'OOM kills since boot, counted by the kernel (/proc/vmstat oom_kill).');

/**
 * The kernel's own count of OOM kills since boot: the ground truth the log-derived counts are checked
 * against. The kernel counts; we only pass its value on, so its resets (a reboot) are counter resets.
 */
export function createVmstatCollector(deps: { procfs: string }): Collector {
  const files = new FileReader(8192);
  const path = `${deps.procfs}/vmstat`;
  return {
    collect(_scrape, out) {
      const res = files.text(path);
      if (res.text === undefined) throw new Error(`cannot read ${path} (${res.failure})`);
      // Before 4.13 the kernel has no such counter: no series, rather than a misleading 0.
      out.single(KILLS, parseVmstatValue(res.text, 'oom_kill'));
    },
  };
}
