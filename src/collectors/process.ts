import { Gauge } from 'prom-client';
import type { CollectorDefinition } from './types.js';

const LABELS = ['pid', 'comm', 'cgroup'] as const;

/** Per-process RSS, swap and OOM badness: who the OOM killer takes next. */
export const processCollector: CollectorDefinition = {
  name: 'process',
  defaultEnabled: true,
  help: 'Per-process RSS, swap, oom_score and oom_score_adj from /proc/PID.',
  create({ registry }) {
    const registers = [registry];
    const rss = new Gauge({ name: 'oom_process_resident_memory_bytes', help: 'Resident set size of the process (VmRSS).', labelNames: LABELS, registers });
    const swap = new Gauge({ name: 'oom_process_swap_bytes', help: 'Swapped-out anonymous memory of the process (VmSwap).', labelNames: LABELS, registers });
    const score = new Gauge({ name: 'oom_process_score', help: 'The OOM killer badness of the process (/proc/PID/oom_score): the highest is killed first.', labelNames: LABELS, registers });
    const adj = new Gauge({ name: 'oom_process_score_adj', help: 'The process oom_score_adj, -1000 (never kill) to 1000.', labelNames: LABELS, registers });
    const visible = new Gauge({ name: 'oom_processes_visible', help: 'User-space processes seen in /proc (kernel threads and zombies excluded).', registers });
    const exported = new Gauge({ name: 'oom_processes_exported', help: 'Processes exported after --process.* filters.', registers });
    return {
      collect(scrape) {
        const sel = scrape.processes();
        // Reset first, so series of processes that exited since the last scrape disappear.
        rss.reset();
        swap.reset();
        score.reset();
        adj.reset();
        for (const p of sel.exported) {
          const labels = { pid: String(p.pid), comm: p.comm, cgroup: p.cgroup };
          if (p.rssBytes !== undefined) rss.set(labels, p.rssBytes);
          if (p.swapBytes !== undefined) swap.set(labels, p.swapBytes);
          if (p.oomScore !== undefined) score.set(labels, p.oomScore);
          if (p.oomScoreAdj !== undefined) adj.set(labels, p.oomScoreAdj);
        }
        visible.set(sel.visible);
        exported.set(sel.exported.length);
      },
    };
  },
};
