import { gauge } from '../exposition/metrics.js';
import type { ProcessSample } from '../procfs/processes.js';
import type { Collector, CollectorInfo } from './collector.js';
import { SELECTION_FLAGS } from './selection.js';

export const processInfo: CollectorInfo = {
  name: 'process',
  defaultEnabled: true,
  help: 'Per-process RSS, swap, oom_score and oom_score_adj from /proc/PID.',
  flags: SELECTION_FLAGS,
};

const LABELS = ['pid', 'comm', 'cgroup'] as const;

const FAMILIES: readonly { family: ReturnType<typeof gauge<(typeof LABELS)[number]>>; value: (p: ProcessSample) => number | undefined }[] = [
  { family: gauge('oom_process_resident_memory_bytes', 'Resident set size of the process (VmRSS).', LABELS), value: (p) => p.rssBytes },
  { family: gauge('oom_process_swap_bytes', 'Swapped-out anonymous memory of the process (VmSwap).', LABELS), value: (p) => p.swapBytes },
  { family: gauge('oom_process_score', 'The OOM killer badness of the process (/proc/PID/oom_score): the highest is killed first.', LABELS), value: (p) => p.oomScore },
  { family: gauge('oom_process_score_adj', 'The process oom_score_adj, -1000 (never kill) to 1000.', LABELS), value: (p) => p.oomScoreAdj },
];
const VISIBLE = gauge('oom_processes_visible', 'User-space processes seen in /proc (kernel threads and zombies excluded).');
const EXPORTED = gauge('oom_processes_exported', 'Processes exported after --process.* filters.');

interface LabelEntry {
  seen: number;
  comm: string;
  cgroup: string;
  /** `{pid="…",comm="…",cgroup="…"} ` escaped and encoded once, for every family and scrape. */
  labels: Buffer;
}

/**
 * Per-process RSS, swap and OOM badness: who the OOM killer takes next. Rendered from this scrape's
 * pass only, so a process that exited has no series any more. These are the exporter's only
 * high-cardinality families: each process's labels are escaped and encoded once and reused across the
 * four families and across scrapes (escaping every label of every line each scrape was a third of a
 * scrape at 10,000 processes), and the event loop gets a turn between families.
 */
export function createProcessCollector(): Collector {
  // Updated in place: stale PIDs are dropped after each render.
  const labelCache = new Map<number, LabelEntry>();
  let generation = 0;
  const first = FAMILIES[0]?.family;

  return {
    async collect(scrape, out) {
      const sel = await scrape.processes();
      const gen = ++generation;
      const labels: Buffer[] = new Array<Buffer>(sel.exported.length);
      sel.exported.forEach((p, i) => {
        let entry = labelCache.get(p.pid);
        if (entry === undefined || entry.comm !== p.comm || entry.cgroup !== p.cgroup) {
          // The four families have the same label names: one rendering serves them all.
          const text = first?.render({ pid: String(p.pid), comm: p.comm, cgroup: p.cgroup }) ?? '';
          entry = { seen: gen, comm: p.comm, cgroup: p.cgroup, labels: Buffer.from(text) };
          labelCache.set(p.pid, entry);
        }
        entry.seen = gen;
        labels[i] = entry.labels;
      });
      for (const [pid, e] of labelCache) if (e.seen !== gen) labelCache.delete(pid);

      const { pause } = scrape;
      for (const { family, value } of FAMILIES) {
        out.family(family);
        for (let i = 0; i < sel.exported.length; i++) {
          // 10,000 samples of a family take a few ms: look at the clock every 256.
          if ((i & 255) === 0 && pause.due()) await pause.wait();
          const v = value(sel.exported[i] as ProcessSample);
          if (v !== undefined) out.sampleWith(family, labels[i] as Buffer, v);
        }
      }
      out.single(VISIBLE, sel.visible);
      out.single(EXPORTED, sel.exported.length);
    },
  };
}
