import { Counter, Gauge } from 'prom-client';
import { parseCgroupPath } from '../cgroup/info.js';
import { createCgroupMemoryReader, type CgroupMemory, type CgroupMemoryReader } from '../cgroup/memory.js';
import { discoverCgroupMounts, memoryHierarchy, type CgroupPaths } from '../cgroup/mounts.js';
import type { CollectorDefinition } from './types.js';

export interface CgroupSample {
  cgroup: string;
  /** null: the cgroup's files could not be read (removed, or not visible from here). */
  memory: CgroupMemory | null;
}

/**
 * Reads each distinct cgroup once, however many processes share it: per-cgroup cost scales with the
 * number of cgroups, not processes. Empty paths (processes whose cgroup is unknown) are left out.
 */
export function sampleCgroups(cgroups: Iterable<string>, reader: CgroupMemoryReader | undefined): CgroupSample[] {
  const seen = new Set<string>();
  const out: CgroupSample[] = [];
  for (const cgroup of cgroups) {
    if (cgroup === '' || seen.has(cgroup)) continue;
    seen.add(cgroup);
    out.push({ cgroup, memory: reader === undefined ? null : reader.read(cgroup) });
  }
  return out;
}

/** Finds the memory hierarchy, again on later scrapes while there is none (cgroupfs mounted after start). */
function memoryReaderFinder(paths: CgroupPaths): () => CgroupMemoryReader | undefined {
  let reader: CgroupMemoryReader | undefined;
  return () => {
    if (reader === undefined) {
      const h = memoryHierarchy(discoverCgroupMounts(paths));
      if (h !== undefined) reader = createCgroupMemoryReader(h);
    }
    return reader;
  };
}

const INFO_LABELS = ['cgroup', 'container_id', 'pod_uid', 'systemd_unit', 'runtime'] as const;

/**
 * Memory cgroups of the exported processes and of the kills seen: usage against limit, swap, OOM kills,
 * pressure, and who owns each cgroup. The `cgroup` label is the path as the kernel prints it, so these
 * series join oom_process_* and oom_kill_events_total on it.
 */
export const cgroupCollector: CollectorDefinition = {
  name: 'cgroup',
  defaultEnabled: true,
  help: 'Memory usage, limits, swap, OOM kills and pressure of the memory cgroups of exported processes and of kills seen, and their container, pod and systemd unit.',
  create({ registry, config, kills }) {
    const registers = [registry];
    const labelNames = ['cgroup'] as const;
    const usage = new Gauge({ name: 'oom_cgroup_memory_usage_bytes', help: 'Memory charged to the cgroup (v2 memory.current, v1 memory.usage_in_bytes).', labelNames, registers });
    const limit = new Gauge({ name: 'oom_cgroup_memory_limit_bytes', help: 'Memory limit of the cgroup (v2 memory.max, v1 memory.limit_in_bytes); no series when unlimited.', labelNames, registers });
    const swapUsage = new Gauge({ name: 'oom_cgroup_swap_usage_bytes', help: 'Swap used by the cgroup (v2 memory.swap.current, v1 memsw usage minus memory usage).', labelNames, registers });
    const swapLimit = new Gauge({ name: 'oom_cgroup_swap_limit_bytes', help: 'Swap limit of the cgroup (v2 memory.swap.max, v1 memsw limit minus memory limit); no series when unlimited.', labelNames, registers });
    const oomKills = new Counter({ name: 'oom_cgroup_oom_kills_total', help: 'Processes the OOM killer killed in this cgroup (v2 memory.events oom_kill, including descendants; v1 memory.oom_control oom_kill).', labelNames, registers });
    const waiting = new Counter({ name: 'oom_cgroup_memory_pressure_waiting_seconds_total', help: 'Time at least one task of the cgroup was stalled waiting for memory (v2 memory.pressure some).', labelNames, registers });
    const stalled = new Counter({ name: 'oom_cgroup_memory_pressure_stalled_seconds_total', help: 'Time all non-idle tasks of the cgroup were stalled waiting for memory at once (v2 memory.pressure full).', labelNames, registers });
    const info = new Gauge({ name: 'oom_cgroup_info', help: 'Always 1: the container, Kubernetes pod and systemd unit a cgroup belongs to, as its path tells ("" when it does not).', labelNames: INFO_LABELS, registers });

    const findReader = memoryReaderFinder({ procfs: config.procfs, sysfs: config.sysfs, cgroupfs: config.cgroupfs });
    const all = [usage, limit, swapUsage, swapLimit, oomKills, waiting, stalled, info];

    return {
      collect(scrape) {
        const wanted: string[] = [];
        for (const p of scrape.processes().exported) wanted.push(p.cgroup);
        for (const c of kills.cgroups()) wanted.push(c);
        const samples = sampleCgroups(wanted, findReader());

        // Reset first, so cgroups that no process holds any more disappear. The counters mirror the
        // kernel's own counts; a cgroup that is removed and made again starts from 0, a counter reset.
        for (const m of all) m.reset();
        for (const { cgroup, memory } of samples) {
          const labels = { cgroup };
          // A killed container's cgroup is usually gone by the next scrape; its owner still matters,
          // and comes from the path alone.
          info.set({ cgroup, ...parseCgroupPath(cgroup) }, 1);
          if (memory === null) continue;
          if (memory.usageBytes !== undefined) usage.set(labels, memory.usageBytes);
          if (memory.limitBytes !== undefined) limit.set(labels, memory.limitBytes);
          if (memory.swapUsageBytes !== undefined) swapUsage.set(labels, memory.swapUsageBytes);
          if (memory.swapLimitBytes !== undefined) swapLimit.set(labels, memory.swapLimitBytes);
          if (memory.oomKills !== undefined) oomKills.inc(labels, memory.oomKills);
          if (memory.pressureWaitingSeconds !== undefined) waiting.inc(labels, memory.pressureWaitingSeconds);
          if (memory.pressureStalledSeconds !== undefined) stalled.inc(labels, memory.pressureStalledSeconds);
        }
      },
    };
  },
};
