import { existsSync } from 'node:fs';
import type { ContainerNames } from '../cgroup/docker.js';
import { parseCgroupPath, type CgroupInfo } from '../cgroup/info.js';
import { NO_KUBE_NAME, type KubeName, type KubeNames } from '../cgroup/kubelet-logs.js';
import { createCgroupMemoryReader, type CgroupMemory, type CgroupMemoryReader } from '../cgroup/memory.js';
import { discoverCgroupMounts, memoryHierarchy, type CgroupPaths } from '../cgroup/mounts.js';
import { counter, gauge, type Family } from '../exposition/metrics.js';
import { NEVER_PAUSE, type Pause } from '../procfs/processes.js';
import type { Collector, CollectorInfo } from './collector.js';

export const cgroupInfo: CollectorInfo = {
  name: 'cgroup',
  defaultEnabled: true,
  help: 'Memory usage, limits, swap, OOM kills and pressure of the memory cgroups of exported processes and of kills seen, and their container, pod and systemd unit.',
};

export interface CgroupSample {
  cgroup: string;
  /** null: the cgroup's files could not be read (removed, or not visible from here). */
  memory: CgroupMemory | null;
}

/**
 * Reads each distinct cgroup once, however many processes share it: per-cgroup cost scales with the
 * number of cgroups, not processes. Empty paths (processes whose cgroup is unknown) are left out.
 */
export async function sampleCgroups(cgroups: Iterable<string>, reader: CgroupMemoryReader | undefined, pause: Pause = NEVER_PAUSE): Promise<CgroupSample[]> {
  const seen = new Set<string>();
  const out: CgroupSample[] = [];
  for (const cgroup of cgroups) {
    if (cgroup === '' || seen.has(cgroup)) continue;
    // A Kubernetes node has hundreds of cgroups at ~60 µs each: give the event loop back when due.
    if (pause.due()) await pause.wait();
    seen.add(cgroup);
    out.push({ cgroup, memory: reader === undefined ? null : reader.read(cgroup) });
  }
  return out;
}

/**
 * Why the cgroup collector would find no memory cgroup hierarchy (said at start: otherwise it serves no
 * oom_cgroup_* series without a word), or null when it finds one.
 */
export function cgroupProblem(paths: CgroupPaths): string | null {
  // mountinfo names mounts in the exporter's own namespace; moved under --path.sysfs they may not exist.
  const h = memoryHierarchy(discoverCgroupMounts(paths));
  if (h !== undefined && existsSync(h.mount.path)) return null;
  const where = paths.cgroupfs !== undefined ? `--path.cgroupfs ${paths.cgroupfs}` : `--path.sysfs ${paths.sysfs} (${paths.sysfs}/fs/cgroup)`;
  return `no memory cgroup hierarchy (cgroup v2, or v1's memory controller) under ${where}: no oom_cgroup_* series until one is mounted there`;
}

/** '/a/b' → '/a'; null for a top-level cgroup or the root (the root has no limit). */
function parentOf(cgroup: string): string | null {
  const cut = cgroup.lastIndexOf('/');
  return cut <= 0 ? null : cgroup.slice(0, cut);
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

const L = ['cgroup'] as const;
/** The numeric families, in the order they are written, and which field of a cgroup's memory each shows. */
const VALUES: readonly { family: Family<'cgroup'>; value: (m: CgroupMemory) => number | undefined }[] = [
  { family: gauge('oom_cgroup_memory_usage_bytes', 'Memory charged to the cgroup (v2 memory.current, v1 memory.usage_in_bytes).', L), value: (m) => m.usageBytes },
  {
    family: gauge(
      'oom_cgroup_memory_working_set_bytes',
      'Usage minus inactive page cache, never below 0 (as kubelet and cAdvisor compute the working set): what reclaim cannot easily give back, so what to compare with the limit.',
      L,
    ),
    value: (m) => m.workingSetBytes,
  },
  {
    family: gauge('oom_cgroup_memory_anon_bytes', 'Anonymous memory of the cgroup and its descendants (v2 memory.stat anon, v1 total_rss).', L),
    value: (m) => m.anonBytes,
  },
  {
    family: gauge('oom_cgroup_memory_file_bytes', 'Page cache of the cgroup and its descendants, shmem included (v2 memory.stat file, v1 total_cache).', L),
    value: (m) => m.fileBytes,
  },
  {
    family: gauge(
      'oom_cgroup_memory_inactive_file_bytes',
      'Page cache on the inactive list, the first the kernel reclaims before any OOM kill (v2 memory.stat inactive_file, v1 total_inactive_file).',
      L,
    ),
    value: (m) => m.inactiveFileBytes,
  },
  {
    family: gauge(
      'oom_cgroup_memory_shmem_bytes',
      'tmpfs, shared memory and shared anonymous mappings, counted in file but only reclaimable to swap (v2 memory.stat shmem, v1 total_shmem).',
      L,
    ),
    value: (m) => m.shmemBytes,
  },
  {
    family: gauge(
      'oom_cgroup_memory_kernel_bytes',
      'Kernel memory charged to the cgroup: slab, stacks, page tables (v2 memory.stat kernel, or slab+kernel_stack+pagetables+percpu before 5.18; v1 memory.kmem.usage_in_bytes).',
      L,
    ),
    value: (m) => m.kernelBytes,
  },
  {
    family: gauge('oom_cgroup_memory_sock_bytes', 'Network socket buffers charged to the cgroup (v2 memory.stat sock; cgroup v2 only).', L),
    value: (m) => m.sockBytes,
  },
  {
    family: gauge('oom_cgroup_memory_limit_bytes', 'Memory limit of the cgroup (v2 memory.max, v1 memory.limit_in_bytes); no series when unlimited.', L),
    value: (m) => m.limitBytes,
  },
  {
    family: gauge('oom_cgroup_swap_usage_bytes', 'Swap used by the cgroup (v2 memory.swap.current, v1 memsw usage minus memory usage).', L),
    value: (m) => m.swapUsageBytes,
  },
  {
    family: gauge('oom_cgroup_swap_limit_bytes', 'Swap limit of the cgroup (v2 memory.swap.max, v1 memsw limit minus memory limit); no series when unlimited.', L),
    value: (m) => m.swapLimitBytes,
  },
  {
    family: counter(
      'oom_cgroup_oom_kills_total',
      'Processes the OOM killer killed in this cgroup: v2 memory.events oom_kill, which counts descendants too; v1 memory.oom_control oom_kill, this cgroup only.',
      L,
    ),
    value: (m) => m.oomKills,
  },
  {
    family: counter(
      'oom_cgroup_memory_pressure_waiting_seconds_total',
      'Time at least one task of the cgroup was stalled waiting for memory (v2 memory.pressure some).',
      L,
    ),
    value: (m) => m.pressureWaitingSeconds,
  },
  {
    family: counter(
      'oom_cgroup_memory_pressure_stalled_seconds_total',
      'Time all non-idle tasks of the cgroup were stalled waiting for memory at once (v2 memory.pressure full).',
      L,
    ),
    value: (m) => m.pressureStalledSeconds,
  },
];

/** Every numeric family has the one label `cgroup`, so any of them renders the label set for all. */
const LABELS: Family<'cgroup'> = VALUES[0]!.family;

const INFO_HELP =
  'Always 1: the container, Kubernetes pod and systemd unit a cgroup belongs to, as its path tells, and the namespace, pod and container names the kubelet\'s log tree gives ("" when unknown).';
const INFO_LABELS = ['cgroup', 'container_id', 'pod_uid', 'systemd_unit', 'runtime', 'namespace', 'pod', 'container'] as const;
const INFO = gauge('oom_cgroup_info', INFO_HELP, INFO_LABELS);
// With --collector.docker the info carries Docker's container name too.
const INFO_DOCKER = gauge('oom_cgroup_info', INFO_HELP, [...INFO_LABELS, 'container_name']);

export interface CgroupCollectorDeps {
  paths: CgroupPaths;
  /** Every cgroup named in a kill seen, so a killed container's cgroup shows after its processes are gone. */
  killCgroups: () => Iterable<string>;
  /** Docker's container names (--collector.docker), looked up by the composition root; null without it. */
  containers: ContainerNames | null;
  /** Kubernetes names: looked up only for a cgroup not named yet (cgroup/kubelet-logs.ts). */
  kubeNames?: KubeNames;
}

/**
 * Memory cgroups of the exported processes and of the kills seen: usage against limit, swap, OOM kills,
 * pressure, and who owns each cgroup. The `cgroup` label is the path as the kernel prints it, so these
 * series join oom_process_* and oom_kill_events_total on it. Counters pass on the kernel's own counts;
 * a cgroup that is removed and made again starts from 0, a counter reset.
 */
export function createCgroupCollector(deps: CgroupCollectorDeps): Collector {
  const findReader = memoryReaderFinder(deps.paths);
  // A path's owner never changes: parsed once, and forgotten when no scrape asks for the path any more.
  // So is its `{cgroup="…"} ` label set, written for every numeric family: escaped and encoded once.
  const known = new Map<string, { owner: CgroupInfo; kube: KubeName; labels: Buffer; seen: number }>();
  let generation = 0;

  return {
    async collect(scrape, out) {
      const wanted: string[] = [];
      for (const p of (await scrape.processes()).exported) wanted.push(p.cgroup);
      for (const c of deps.killCgroups()) wanted.push(c);
      const reader = findReader();
      const direct = await sampleCgroups(wanted, reader, scrape.pause);
      // A limit set on an ancestor (a systemd slice's MemoryMax, a pod's limit over its containers) is
      // the one a child without its own runs into: limited ancestors are exported too, so the alerts
      // and panels on limits see them. Unlimited ones are left out (no series to add).
      const seen = new Set(direct.map((d) => d.cgroup));
      const ancestors: string[] = [];
      for (const { cgroup } of direct) {
        for (let c = parentOf(cgroup); c !== null && !seen.has(c); c = parentOf(c)) {
          seen.add(c);
          ancestors.push(c);
        }
      }
      const limited = (await sampleCgroups(ancestors, reader, scrape.pause)).filter((a) => a.memory?.limitBytes !== undefined);
      const samples = limited.length === 0 ? direct : [...direct, ...limited];

      const gen = ++generation;
      const entries = samples.map(({ cgroup }) => {
        let cached = known.get(cgroup);
        if (cached === undefined) {
          const owner = parseCgroupPath(cgroup);
          cached = { owner, kube: NO_KUBE_NAME, labels: Buffer.from(LABELS.render({ cgroup })), seen: gen };
          known.set(cgroup, cached);
        }
        // Names come once the kubelet's tree has them (a pod directory, then each container's link, may lag
        // the cgroup); asked again while the pod or, for a container, its name is missing (the look-up
        // itself reads at most every few seconds, and stops asking for an ID after a minute); once whole they stay.
        const partial = cached.kube.pod === '' || (cached.owner.container_id !== '' && cached.kube.container === '');
        if (partial && deps.kubeNames !== undefined) cached.kube = deps.kubeNames.lookup(cached.owner);
        cached.seen = gen;
        return cached;
      });

      for (const { family, value } of VALUES) {
        out.family(family);
        for (let i = 0; i < samples.length; i++) {
          const memory = samples[i]!.memory;
          const v = memory === null ? undefined : value(memory);
          if (v !== undefined) out.sampleWith(family, entries[i]!.labels, v);
        }
      }

      // A killed container's cgroup is usually gone by the next scrape; its owner still matters, and
      // comes from the path alone.
      const names = deps.containers?.names();
      out.family(names === undefined ? INFO : INFO_DOCKER);
      for (let i = 0; i < samples.length; i++) {
        const { cgroup } = samples[i]!;
        const { owner, kube } = entries[i]!;
        if (names === undefined) out.sample(INFO, { cgroup, ...owner, ...kube }, 1);
        else out.sample(INFO_DOCKER, { cgroup, ...owner, ...kube, container_name: names.get(owner.container_id) ?? '' }, 1);
      }
      for (const [path, c] of known) if (c.seen !== gen) known.delete(path);
    },
  };
}
