import { realOomKillWithReport } from '../helpers/oom.js';

export interface RealOomKill {
  pid: number;
  comm: string;
  /** The memory cgroup as the kernel prints it (task_memcg=), relative to the v1 memory hierarchy. */
  cgroup: string;
}

/**
 * Makes the kernel OOM-kill a process named `comm` in a fresh 64 MiB cgroup v1 memory cgroup, with the
 * kernel's whole report (tried again past its rate limit), and removes the cgroup afterwards
 * (test/helpers/oom.ts does the work).
 */
export async function realOomKill(comm = 'oom (test) 1'): Promise<RealOomKill> {
  const kill = await realOomKillWithReport(comm);
  await kill.cgroup.remove();
  return { pid: kill.pid, comm, cgroup: kill.cgroup.path };
}
