// The Docker module alone, loaded only when --collector.docker is on.
declare module 'systeminformation/lib/docker.js' {
  import type { Systeminformation } from 'systeminformation';
  export function dockerContainers(all?: boolean): Promise<Systeminformation.DockerContainerData[]>;
}
