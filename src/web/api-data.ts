import type { ContainerNames } from '../cgroup/docker.js';
import type { KubeNames } from '../cgroup/kubelet-logs.js';
import { createCgroupMemoryReader, type CgroupMemoryReader } from '../cgroup/memory.js';
import { discoverCgroupMounts, memoryHierarchy, type CgroupPaths } from '../cgroup/mounts.js';
import type { Collection } from '../collection.js';
import type { KernelLog } from '../kernellog/follower.js';
import { readText } from '../procfs/read.js';
import { killJson, processesJson } from './api-json.js';
import { hostJson } from './host-json.js';

/** Where the JSON API's (and the console's) data comes from. */
export interface ApiSources {
  collection: Collection;
  version: string;
  /** The follower; null when no kernel log is followed (no kills then). */
  kernelLog: KernelLog | null;
  cgroupPaths: CgroupPaths;
  /** Docker names (--collector.docker); null without. */
  containers: ContainerNames | null;
  /** Kubernetes names (--path.varlog); absent: none. */
  kubeNames?: KubeNames;
}

/** A snapshot of processes younger than this is reused rather than collected again. */
const SNAPSHOT_MAX_AGE_MS = 1000;

export interface ApiData {
  /** The kept kills, newest first, as /api/v1/kills gives them. */
  kills(): Record<string, unknown>[];
  kill(id: number): Record<string, unknown> | undefined;
  /** The body of /api/v1/processes; rejects when reading the processes failed. */
  processes(query: { limit: number; cgroup: string | null }): Promise<Record<string, unknown>>;
  /** The body of /api/v1/status. */
  status(): Record<string, unknown>;
}

/**
 * The bodies of the JSON API, shared by its routes and by the page at `/`, whose first view (no
 * JavaScript) is rendered from the very values the API then updates it with.
 */
export function createApiData(opts: ApiSources): ApiData {
  const { collection, kernelLog, containers } = opts;
  const kube = opts.kubeNames ?? null;
  const names = (): ReadonlyMap<string, string> | null => containers?.names() ?? null;
  let reader: CgroupMemoryReader | undefined;
  const readMemory = (cgroup: string) => {
    if (reader === undefined) {
      const h = memoryHierarchy(discoverCgroupMounts(opts.cgroupPaths));
      if (h !== undefined) reader = createCgroupMemoryReader(h);
    }
    return reader?.read(cgroup) ?? null;
  };
  return {
    kills() {
      const recent = kernelLog?.recentKills() ?? [];
      const out: Record<string, unknown>[] = [];
      for (let i = recent.length - 1; i >= 0; i--) out.push(killJson(recent[i]!, names(), kube));
      return out;
    },
    kill(id) {
      const entry = kernelLog?.recentKills().find((k) => k.id === id);
      return entry === undefined ? undefined : killJson(entry, names(), kube);
    },
    async processes(query) {
      const snapshot = await collection.processSnapshot(SNAPSHOT_MAX_AGE_MS);
      return processesJson(snapshot.processes, snapshot.takenAtMs, query, readMemory);
    },
    status() {
      const procfs = opts.cgroupPaths.procfs;
      return {
        version: opts.version,
        kernelLog: {
          source: kernelLog?.source ?? 'none',
          up: kernelLog?.up() ?? false,
          recordsRead: kernelLog?.recordsTotal() ?? 0,
          recordsLost: kernelLog?.lostTotal() ?? 0,
        },
        collectors: collection.results().map((r) => ({
          name: r.name,
          ok: r.ok,
          durationSeconds: r.seconds,
          lastSuccess: r.lastSuccessSeconds === null ? null : new Date(r.lastSuccessSeconds * 1000).toISOString(),
        })),
        host: hostJson(readText(`${procfs}/meminfo`).text, readText(`${procfs}/pressure/memory`).text),
      };
    },
  };
}
