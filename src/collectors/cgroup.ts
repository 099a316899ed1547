import { Counter, Gauge } from 'prom-client';
import type { Config } from '../config.js';
import { createContainerNames, type ContainerNames, type ContainerRecord } from '../cgroup/docker.js';
import { parseCgroupPath } from '../cgroup/info.js';
import { createCgroupMemoryReader, type CgroupMemory, type CgroupMemoryReader } from '../cgroup/memory.js';
import { discoverCgroupMounts, memoryHierarchy, type CgroupPaths } from '../cgroup/mounts.js';
import { setPresent } from './counter.js';
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
const INFO_LABELS_DOCKER = [...INFO_LABELS, 'container_name'] as const;

/**
 * The docker collector's name source, for the cgroup collector of the same collection. Keyed by the
 * collection's config object, the one thing both collectors of a collection are given alike.
 */
const containerNamesOf = new WeakMap<Config, ContainerNames>();

/**
 * Off by default: Docker's container names as oom_cgroup_info's container_name. Reads the Docker socket
 * (DOCKER_SOCKET, default /var/run/docker.sock) at most once a minute in the background.
 * `list` is injectable for tests; the exporter uses systeminformation's dockerContainers().
 */
export function makeDockerCollector(list: () => Promise<readonly ContainerRecord[]>): CollectorDefinition {
  return {
    name: 'docker',
    defaultEnabled: false,
    help: "Docker container names as oom_cgroup_info's container_name (Docker socket, looked up at most once a minute in the background).",
    create({ registry, config, log }) {
      const source = createContainerNames({
        list,
        onError: (err) => log.debug('docker container list failed', { err: (err as Error).message }),
      });
      containerNamesOf.set(config, source);
      // Started now, so the first scrape likely has names already.
      source.refreshIfDue();
      const listed = new Gauge({ name: 'oom_docker_containers', help: 'Containers (any state) the last look-up of Docker container names listed; 0 when Docker is absent.', registers: [registry] });
      return {
        collect() {
          source.refreshIfDue();
          const n = source.listed();
          // Before the first look-up has answered there is no count to give: no series, not 0.
          setPresent(registry, listed, n !== undefined);
          if (n !== undefined) listed.set(n);
        },
      };
    },
  };
}

// all=true: an OOM-killed container has usually exited, and its name is what the operator wants.
// systeminformation answers [] when the socket is absent or refuses.
// Imported on first use: only --collector.docker pays for the module.
export const dockerCollector = makeDockerCollector(async () => (await import('systeminformation/lib/docker.js')).dockerContainers(true));

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
    const oomKills = new Counter({ name: 'oom_cgroup_oom_kills_total', help: 'Processes the OOM killer killed in this cgroup: v2 memory.events oom_kill, which counts descendants too; v1 memory.oom_control oom_kill, this cgroup only.', labelNames, registers });
    const waiting = new Counter({ name: 'oom_cgroup_memory_pressure_waiting_seconds_total', help: 'Time at least one task of the cgroup was stalled waiting for memory (v2 memory.pressure some).', labelNames, registers });
    const stalled = new Counter({ name: 'oom_cgroup_memory_pressure_stalled_seconds_total', help: 'Time all non-idle tasks of the cgroup were stalled waiting for memory at once (v2 memory.pressure full).', labelNames, registers });
    // With --collector.docker the info carries Docker's container name too (a label set is fixed at creation).
    const withNames = config.collectors.get('docker') === true;
    const info = new Gauge({
      name: 'oom_cgroup_info',
      help: 'Always 1: the container, Kubernetes pod and systemd unit a cgroup belongs to, as its path tells ("" when it does not).',
      labelNames: withNames ? INFO_LABELS_DOCKER : INFO_LABELS,
      registers,
    });

    const findReader = memoryReaderFinder({ procfs: config.procfs, sysfs: config.sysfs, cgroupfs: config.cgroupfs });
    const all = [usage, limit, swapUsage, swapLimit, oomKills, waiting, stalled, info];
    const owners = new Map<string, { owner: ReturnType<typeof parseCgroupPath>; seen: number }>();
    let generation = 0;

    return {
      collect(scrape) {
        const wanted: string[] = [];
        for (const p of scrape.processes().exported) wanted.push(p.cgroup);
        for (const c of kills.cgroups()) wanted.push(c);
        const samples = sampleCgroups(wanted, findReader());

        // Reset first, so cgroups that no process holds any more disappear. The counters mirror the
        // kernel's own counts; a cgroup that is removed and made again starts from 0, a counter reset.
        const names = withNames ? containerNamesOf.get(config)?.names() : undefined;
        for (const m of all) m.reset();
        const gen = ++generation;
        for (const { cgroup, memory } of samples) {
          const labels = { cgroup };
          // A killed container's cgroup is usually gone by the next scrape; its owner still matters,
          // and comes from the path alone. A path's owner never changes: parse it once.
          let cached = owners.get(cgroup);
          if (cached === undefined) {
            cached = { owner: parseCgroupPath(cgroup), seen: gen };
            owners.set(cgroup, cached);
          }
          cached.seen = gen;
          const owner = cached.owner;
          if (withNames) info.set({ cgroup, ...owner, container_name: names?.get(owner.container_id) ?? '' }, 1);
          else info.set({ cgroup, ...owner }, 1);
          if (memory === null) continue;
          if (memory.usageBytes !== undefined) usage.set(labels, memory.usageBytes);
          if (memory.limitBytes !== undefined) limit.set(labels, memory.limitBytes);
          if (memory.swapUsageBytes !== undefined) swapUsage.set(labels, memory.swapUsageBytes);
          if (memory.swapLimitBytes !== undefined) swapLimit.set(labels, memory.swapLimitBytes);
          if (memory.oomKills !== undefined) oomKills.inc(labels, memory.oomKills);
          if (memory.pressureWaitingSeconds !== undefined) waiting.inc(labels, memory.pressureWaitingSeconds);
          if (memory.pressureStalledSeconds !== undefined) stalled.inc(labels, memory.pressureStalledSeconds);
        }
        for (const [path, c] of owners) if (c.seen !== gen) owners.delete(path);
      },
    };
  },
};
