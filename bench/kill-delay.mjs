// Kill delay: from a real OOM kill to its appearance in the exporter's in-memory list of recent kills,
// with no scrape to hurry it (the follower's own 500 ms drain). The kernel stamps the kill record with
// its monotonic clock; Node's hrtime reads the same clock, so the difference is the delay.
// Needs root and a cgroup v1 memory controller at /sys/fs/cgroup/memory (this kind of machine has one).
//
// node bench/kill-delay.mjs [--kills N]        (npm run bench runs it)
// @ts-check
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { startKernelLog } from '../dist/kernellog/follower.js';

const MEMCG = '/sys/fs/cgroup/memory';
const VICTIM = `
import ctypes, os, sys
open(sys.argv[1] + '/cgroup.procs', 'w').write(str(os.getpid()))
ctypes.CDLL(None).prctl(15, b'oom-bench', 0, 0, 0)
x = b'\\x01' * (400 << 20)
`;

/** @param {number} i */
async function killOnce(i) {
  const dir = `${MEMCG}/oombench-delay-${process.pid}-${i}`;
  mkdirSync(dir);
  try {
    writeFileSync(`${dir}/memory.limit_in_bytes`, String(64 << 20));
    if (existsSync(`${dir}/memory.memsw.limit_in_bytes`)) writeFileSync(`${dir}/memory.memsw.limit_in_bytes`, String(64 << 20));
    const child = spawn('python3', ['-c', VICTIM, dir], { stdio: 'ignore' });
    await once(child, 'exit');
    return `/oombench-delay-${process.pid}-${i}`;
  } finally {
    for (let t = 0; t < 100; t++) {
      try {
        rmdirSync(dir);
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }
}

export default async function killDelay() {
  if (process.getuid?.() !== 0 || !existsSync(MEMCG)) {
    console.log('kill-delay: skipped (needs root and a cgroup v1 memory controller)');
    return;
  }
  const i = process.argv.indexOf('--kills');
  const n = i !== -1 ? Number(process.argv[i + 1]) : 5;
  /** @type {number[]} */
  const delays = [];
  /** @type {Map<string, (delaySeconds: number) => void>} */
  const waiting = new Map();
  const follower = await startKernelLog({
    source: 'kmsg',
    /** @param {{ memcg: string | null, uptimeSeconds: number | null }} kill */
    onKill(kill) {
      const seenAt = Number(process.hrtime.bigint()) / 1e9;
      const resolve = kill.memcg === null ? undefined : waiting.get(kill.memcg);
      if (resolve && kill.uptimeSeconds !== null) resolve(seenAt - kill.uptimeSeconds);
    },
  });
  try {
    for (let k = 0; k < n; k++) {
      const cgroup = `/oombench-delay-${process.pid}-${k}`;
      /** @type {Promise<number>} */
      const seen = new Promise((resolve) => waiting.set(cgroup, resolve));
      await killOnce(k);
      // A live timer, too: the follower's own timer is unref'd and would let the process exit mid-wait.
      /** @type {NodeJS.Timeout | undefined} */
      let timer;
      /** @type {Promise<never>} */
      const timeout = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`kill ${k} not seen within 10 s`)), 10_000)));
      try {
        delays.push(await Promise.race([seen, timeout]));
      } finally {
        clearTimeout(timer);
      }
    }
  } finally {
    await follower.stop();
  }
  delays.sort((a, b) => a - b);
  const ms = (/** @type {number | undefined} */ s) => ((s ?? NaN) * 1000).toFixed(0);
  console.log(
    `kill-delay: ${n} real OOM kills, from the kernel's record to the in-memory list: median ${ms(delays[Math.floor(n / 2)])} ms, max ${ms(delays[n - 1])} ms (goal < 1000 ms)`,
  );
  if ((delays[n - 1] ?? 0) >= 1) process.exitCode = 1;
}

if (import.meta.url === `file://${process.argv[1]}`) await killDelay();
