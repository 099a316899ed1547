import { Gauge } from 'prom-client';
import { escapeLabelValue, familyHeader } from '../exposition.js';
import type { ProcessSample } from '../procfs/processes.js';
import type { CollectorDefinition } from './types.js';

interface Family {
  name: string;
  help: string;
  value: (p: ProcessSample) => number | undefined;
}

const FAMILIES: readonly Family[] = [
  { name: 'oom_process_resident_memory_bytes', help: 'Resident set size of the process (VmRSS).', value: (p) => p.rssBytes },
  { name: 'oom_process_swap_bytes', help: 'Swapped-out anonymous memory of the process (VmSwap).', value: (p) => p.swapBytes },
  { name: 'oom_process_score', help: 'The OOM killer badness of the process (/proc/PID/oom_score): the highest is killed first.', value: (p) => p.oomScore },
  { name: 'oom_process_score_adj', help: 'The process oom_score_adj, -1000 (never kill) to 1000.', value: (p) => p.oomScoreAdj },
];

/**
 * Per-process RSS, swap and OOM badness: who the OOM killer takes next. The four families are
 * rendered from this scrape's snapshot only, so a process that exited has no series any more.
 */
export const processCollector: CollectorDefinition = {
  name: 'process',
  defaultEnabled: true,
  help: 'Per-process RSS, swap, oom_score and oom_score_adj from /proc/PID.',
  create({ registry }) {
    const registers = [registry];
    const visible = new Gauge({ name: 'oom_processes_visible', help: 'User-space processes seen in /proc (kernel threads and zombies excluded).', registers });
    const exported = new Gauge({ name: 'oom_processes_exported', help: 'Processes exported after --process.* filters.', registers });

    // pid → its escaped label set, valid while comm and cgroup stay the same.
    let labelCache = new Map<number, { comm: string; cgroup: string; labels: string }>();
    let rendered = '';

    return {
      collect(scrape) {
        const sel = scrape.processes();
        visible.set(sel.visible);
        exported.set(sel.exported.length);

        const next = new Map<number, { comm: string; cgroup: string; labels: string }>();
        const labels: string[] = new Array<string>(sel.exported.length);
        sel.exported.forEach((p, i) => {
          let entry = labelCache.get(p.pid);
          if (entry === undefined || entry.comm !== p.comm || entry.cgroup !== p.cgroup) {
            entry = { comm: p.comm, cgroup: p.cgroup, labels: `{pid="${p.pid}",comm="${escapeLabelValue(p.comm)}",cgroup="${escapeLabelValue(p.cgroup)}"} ` };
          }
          next.set(p.pid, entry);
          labels[i] = entry.labels;
        });
        labelCache = next;

        const parts: string[] = [];
        for (const f of FAMILIES) {
          parts.push(familyHeader(f.name, f.help, 'gauge'));
          sel.exported.forEach((p, i) => {
            const v = f.value(p);
            if (v !== undefined) parts.push(f.name + labels[i] + v + '\n');
          });
        }
        rendered = parts.join('');
      },
      render: () => rendered,
    };
  },
};
