import type { ContainerNames } from '../cgroup/docker.js';
import { gauge } from '../exposition/metrics.js';
import type { Collector, CollectorInfo } from './collector.js';

export const dockerInfo: CollectorInfo = {
  name: 'docker',
  defaultEnabled: false,
  help: "Docker container names as oom_cgroup_info's container_name (Docker socket, looked up at most once a minute in the background).",
};

const LISTED = gauge('oom_docker_containers', 'Containers (any state) the last look-up of Docker container names listed; 0 when Docker is absent.');

/**
 * How many containers the last look-up of Docker names listed. The look-up itself (the Docker socket,
 * at most once a minute, never awaited by a scrape) is a service the composition root starts.
 */
export function createDockerCollector(deps: { containers: ContainerNames }): Collector {
  return {
    collect(_scrape, out) {
      // Before the first look-up has answered there is no count to give: no series, not 0.
      out.single(LISTED, deps.containers.listed());
    },
  };
}
