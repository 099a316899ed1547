// systeminformation's memory module on its own. Importing the package root loads every module it
// has (CPU, network, USB, Wi-Fi, …): 11.6 MB of RSS measured here, against 2.9 MB for this one.
declare module 'systeminformation/lib/memory.js' {
  import type { Systeminformation } from 'systeminformation';
  export function mem(): Promise<Systeminformation.MemData>;
}

// The Docker module alone, loaded only when --collector.docker is on.
declare module 'systeminformation/lib/docker.js' {
  import type { Systeminformation } from 'systeminformation';
  export function dockerContainers(all?: boolean): Promise<Systeminformation.DockerContainerData[]>;
}
