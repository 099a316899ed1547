import { Counter } from 'prom-client';
import { parseVmstatValue } from '../procfs/vmstat.js';
import { readText } from '../procfs/read.js';
import { mirrorCounter, setPresent } from './counter.js';
import type { CollectorDefinition } from './types.js';

/** The kernel's own count of OOM kills since boot: the ground truth the log-derived counts are checked against. */
export const vmstatCollector: CollectorDefinition = {
  name: 'vmstat',
  defaultEnabled: true,
  help: "The kernel's OOM kill count from /proc/vmstat (Linux 4.13+).",
  create({ registry, config }) {
    const kills = new Counter({ name: 'oom_kills_total', help: 'OOM kills since boot, counted by the kernel (/proc/vmstat oom_kill).', registers: [registry] });
    const path = `${config.procfs}/vmstat`;
    return {
      collect() {
        const res = readText(path);
        if (res.text === undefined) throw new Error(`cannot read ${path} (${res.failure})`);
        const value = parseVmstatValue(res.text, 'oom_kill');
        // Before 4.13 the kernel has no such counter: no series, rather than a misleading 0.
        setPresent(registry, kills, value !== undefined);
        if (value !== undefined) mirrorCounter(kills, value);
      },
    };
  },
};
