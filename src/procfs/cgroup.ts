/**
 * /proc/PID/cgroup → the process's memory cgroup path, as the kernel prints it in task_memcg=.
 *
 * Lines are "hierarchy-ID:controller-list:path". On cgroup v1 and hybrid machines the memory
 * controller's own line ("4:memory:/docker/abc") is where memory is accounted and limited, so it wins
 * over the v2 line ("0::/…"), which on a hybrid machine has no memory controller. On a pure v2
 * machine the "0::" line is the only one. No line at all (kernel without cgroups): empty string.
 */
export function parseMemoryCgroup(text: string): string {
  let v2: string | undefined;
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    // Without two colons it is no cgroup line (without any, first is -1 and the search finds none either).
    const second = line.indexOf(':', first + 1);
    if (second === -1) continue;
    const controllers = line.slice(first + 1, second);
    // The path may itself contain ':' (it is a directory name), so it is everything after the 2nd colon.
    const path = line.slice(second + 1);
    if (controllers === '') {
      if (line.slice(0, first) === '0') v2 = path;
      continue;
    }
    if (controllers.split(',').includes('memory')) return path;
  }
  return v2 ?? '';
}
