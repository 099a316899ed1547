// @ts-check
// The peak RSS of a process, without touching its code: preloaded with
//   OOM_MAXRSS_FILE=/tmp/rss.json node --import ./bench/maxrss-probe.mjs dist/cli.js kills ...
// it writes {"maxRssBytes": N, "cpuSeconds": S} (getrusage: ru_maxrss, the kernel's high-water mark of
// the whole process, and user + system CPU time) to OOM_MAXRSS_FILE when the process exits normally. A process killed by a signal or by V8 aborting
// writes nothing, which the caller reports as such. Without OOM_MAXRSS_FILE it does nothing.
import { writeFileSync } from 'node:fs';

const file = process.env.OOM_MAXRSS_FILE;
if (file) {
  process.on('exit', () => {
    const u = process.resourceUsage();
    writeFileSync(file, JSON.stringify({ maxRssBytes: u.maxRSS * 1024, cpuSeconds: (u.userCPUTime + u.systemCPUTime) / 1e6 }) + '\n');
  });
}
