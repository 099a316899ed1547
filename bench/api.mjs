// The JSON API: /api/v1/kills with 100 kept kills, and /api/v1/processes at 2,000 processes (warm: a
// snapshot under a second old is reused; cold: each request waits for a collection of its own).
//
// node bench/api.mjs [--api-procs 2000] [--api-requests 200] [--api-cold 10]   (npm run bench runs it)
// @ts-check
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { get, startExporter, startIdleProcesses, stopExporter } from './scrape.mjs';

/** @param {string} name @param {number} def */
function flag(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  return i !== -1 && process.argv[i + 1] !== undefined ? Number(process.argv[i + 1]) : def;
}

/** @param {number[]} ms */
function summary(ms) {
  const s = [...ms].sort((a, b) => a - b);
  const at = (/** @type {number} */ p) => (s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN).toFixed(2);
  return `p50 ${at(0.5)} ms, p99 ${at(0.99)} ms`;
}

/** @param {number} i */
const kill = (i) =>
  [
    `Nov 30 12:00:00 host kernel: [  ${100 + i}.000000] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/bench/c${i},task_memcg=/bench/c${i},task=bench-${i},pid=${10000 + i},uid=0`,
    `Nov 30 12:00:00 host kernel: [  ${100 + i}.000100] Memory cgroup out of memory: Killed process ${10000 + i} (bench-${i}) total-vm:1000kB, anon-rss:900kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:40kB oom_score_adj:0`,
  ].join('\n');

export default async function main() {
  const procs = flag('api-procs', 2000);
  const requests = flag('api-requests', 200);
  const cold = flag('api-cold', 10);
  const dir = mkdtempSync(join(tmpdir(), 'oom-bench-api-'));
  const log = join(dir, 'kern.log');
  writeFileSync(log, '');
  const idle = await startIdleProcesses(procs);
  const exp = await startExporter(['--kernel-log.source=file', `--kernel-log.file=${log}`]);
  try {
    appendFileSync(log, Array.from({ length: 100 }, (_, i) => kill(i)).join('\n') + '\n');
    // The follower drains every 500 ms; a scrape drains at once.
    await get(exp.port);
    const kills = [];
    for (let i = 0; i < requests; i++) kills.push((await get(exp.port, '/api/v1/kills')).ms);
    const first = await get(exp.port, '/api/v1/kills');
    console.log(`api: /api/v1/kills, 100 kept kills (${(first.bytes / 1024).toFixed(0)} KiB): ${summary(kills)} over ${requests} requests`);
    const warm = [];
    for (let i = 0; i < requests; i++) warm.push((await get(exp.port, '/api/v1/processes?limit=20')).ms);
    console.log(`api: /api/v1/processes?limit=20 at ${procs} processes, snapshot reused (< 1 s old): ${summary(warm)} over ${requests} requests`);
    const fresh = [];
    for (let i = 0; i < cold; i++) {
      await new Promise((r) => setTimeout(r, 1100));
      fresh.push((await get(exp.port, '/api/v1/processes?limit=20')).ms);
    }
    console.log(`api: /api/v1/processes?limit=20 at ${procs} processes, a collection each: ${summary(fresh)} over ${cold} requests`);
  } finally {
    await stopExporter(exp);
    await idle.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
