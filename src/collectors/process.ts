import { Gauge } from 'prom-client';
import { escapeLabelValue, familyHeader } from '../exposition.js';
import type { ProcessSample } from '../procfs/processes.js';
import type { CollectorDefinition } from './types.js';

interface Family {
  header: Buffer;
  value: (p: ProcessSample) => number | undefined;
}

function family(name: string, help: string, value: Family['value']): Family & { name: string } {
  return { name, header: Buffer.from(familyHeader(name, help, 'gauge')), value };
}

const FAMILIES = [
  family('oom_process_resident_memory_bytes', 'Resident set size of the process (VmRSS).', (p) => p.rssBytes),
  family('oom_process_swap_bytes', 'Swapped-out anonymous memory of the process (VmSwap).', (p) => p.swapBytes),
  family('oom_process_score', 'The OOM killer badness of the process (/proc/PID/oom_score): the highest is killed first.', (p) => p.oomScore),
  family('oom_process_score_adj', 'The process oom_score_adj, -1000 (never kill) to 1000.', (p) => p.oomScoreAdj),
];

interface LabelEntry {
  seen: number;
  comm: string;
  cgroup: string;
  /** `{pid="…",comm="…",cgroup="…"} ` escaped and encoded once, for every family and scrape. */
  labels: Buffer;
}

/**
 * Per-process RSS, swap and OOM badness: who the OOM killer takes next. The four families are
 * rendered from this scrape's snapshot only, so a process that exited has no series any more.
 * They are the exporter's only high-cardinality output, so they are rendered by hand (see
 * exposition.ts for why); everything else goes through prom-client.
 */
export const processCollector: CollectorDefinition = {
  name: 'process',
  defaultEnabled: true,
  help: 'Per-process RSS, swap, oom_score and oom_score_adj from /proc/PID.',
  create({ registry }) {
    const registers = [registry];
    const visible = new Gauge({ name: 'oom_processes_visible', help: 'User-space processes seen in /proc (kernel threads and zombies excluded).', registers });
    const exported = new Gauge({ name: 'oom_processes_exported', help: 'Processes exported after --process.* filters.', registers });

    // Updated in place (see procfs/processes.ts): stale PIDs are dropped after each render.
    const labelCache = new Map<number, LabelEntry>();
    let generation = 0;
    const names = FAMILIES.map((f) => Buffer.from(f.name));

    return {
      collect(scrape) {
        const sel = scrape.processes();
        visible.set(sel.visible);
        exported.set(sel.exported.length);

        const gen = ++generation;
        const labels: Buffer[] = new Array<Buffer>(sel.exported.length);
        sel.exported.forEach((p, i) => {
          let entry = labelCache.get(p.pid);
          if (entry === undefined || entry.comm !== p.comm || entry.cgroup !== p.cgroup) {
            const text = `{pid="${p.pid}",comm="${escapeLabelValue(p.comm)}",cgroup="${escapeLabelValue(p.cgroup)}"} `;
            entry = { seen: gen, comm: p.comm, cgroup: p.cgroup, labels: Buffer.from(text) };
            labelCache.set(p.pid, entry);
          }
          entry.seen = gen;
          labels[i] = entry.labels;
        });
        for (const [pid, e] of labelCache) if (e.seen !== gen) labelCache.delete(pid);

        const out = scrape.out;
        FAMILIES.forEach((f, fi) => {
          out.bytes(f.header);
          const name = names[fi] as Buffer;
          sel.exported.forEach((p, i) => {
            const v = f.value(p);
            if (v === undefined) return;
            out.bytes(name);
            out.bytes(labels[i] as Buffer);
            out.value(v);
          });
        });
      },
    };
  },
};
