import type { ContainerNames } from '../cgroup/docker.js';
import type { KubeNames } from '../cgroup/kubelet-logs.js';
import type { CgroupPaths } from '../cgroup/mounts.js';
import type { KillStore } from '../kills/store.js';
import { cgroupInfo, createCgroupCollector } from './cgroup.js';
import type { Collector, CollectorInfo } from './collector.js';
import { createDockerCollector, dockerInfo } from './docker.js';
import { createKernelLogCollector, kernelLogInfo, type KernelLogHealth } from './kernellog.js';
import { createMemoryCollector, memoryInfo } from './memory.js';
import { createPressureCollector, pressureInfo } from './pressure.js';
import { createProcessCollector, processInfo } from './process.js';
import { createVmstatCollector, vmstatInfo } from './vmstat.js';

/** The services collectors read from; each collector is handed only the part it needs. */
export interface CollectorServices {
  paths: CgroupPaths;
  kills: KillStore;
  /** null with --kernel-log.source=none. */
  kernelLog: KernelLogHealth | null;
  /** null without --collector.docker. */
  containers: ContainerNames | null;
  /** Kubernetes names from the kubelet's log tree (--path.varlog). */
  kubeNames: KubeNames;
}

interface Registration {
  info: CollectorInfo;
  create(s: CollectorServices): Collector;
}

/**
 * Every collector, in the order their families appear: the one list. A new collector is its module
 * and one line here; --collector.NAME / --no-collector.NAME and --help come from it.
 */
const REGISTRY: readonly Registration[] = [
  { info: processInfo, create: () => createProcessCollector() },
  { info: memoryInfo, create: (s) => createMemoryCollector({ procfs: s.paths.procfs }) },
  { info: vmstatInfo, create: (s) => createVmstatCollector({ procfs: s.paths.procfs }) },
  { info: pressureInfo, create: (s) => createPressureCollector({ procfs: s.paths.procfs }) },
  { info: kernelLogInfo, create: (s) => createKernelLogCollector({ kills: s.kills, health: s.kernelLog }) },
  { info: cgroupInfo, create: (s) => createCgroupCollector({ paths: s.paths, killCgroups: () => s.kills.cgroups(), containers: s.containers, kubeNames: s.kubeNames }) },
  {
    info: dockerInfo,
    create: (s) => {
      if (s.containers === null) throw new Error('the docker collector needs the container name service');
      return createDockerCollector({ containers: s.containers });
    },
  },
];

export const COLLECTORS: readonly CollectorInfo[] = REGISTRY.map((r) => r.info);

export interface NamedCollector {
  name: string;
  collector: Collector;
}

/** The enabled collectors, in list order. */
export function createCollectors(enabled: ReadonlyMap<string, boolean>, services: CollectorServices): NamedCollector[] {
  return REGISTRY.filter((r) => enabled.get(r.info.name) === true).map((r) => ({ name: r.info.name, collector: r.create(services) }));
}
