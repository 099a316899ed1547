// @ts-check
// The refresh of the known-process table between scrapes (ProcessScanner.refresh, every 500 ms in the
// exporter): what it costs at N real idle processes (default 2,000 and 10,000).
//  - in this process, on the built scanner: CPU per refresh, half a second apart, by how it found new PIDs
//    (probing those the kernel allocated since the last pass, or listing /proc: every LIST_EVERY refreshes),
//    the first refresh (every PID new: status + cgroup each), a refresh after 200 new processes, a full scan
//    for scale, and the longest time a refresh held the event loop (5 ms slices);
//  - the real exporter, idle (no scrape) for --refresh-seconds: its CPU per second with a kernel-log source
//    (the refresh runs) and with --kernel-log.source=none (it does not). A file source on an empty file, so
//    the follower's own polling is the same trivial cost whatever the machine.
//
// node bench/refresh.mjs [--refresh-procs 2000,10000] [--refresh-seconds 20]   (npm run bench runs it)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createProcessScanner, LIST_EVERY, NEVER_PAUSE } from '../dist/procfs/processes.js';
import { cpuMs, startExporter, startIdleProcesses, stopExporter } from './scrape.mjs';

/** @param {string} name */
function sflag(name) {
  const i = process.argv.indexOf(`--${name}`);
  if (i !== -1 && process.argv[i + 1] !== undefined) return process.argv[i + 1];
  const eq = process.argv.find((a) => a.startsWith(`--${name}=`));
  return eq ? eq.slice(name.length + 3) : undefined;
}

/** CPU time of this process (user + system), ms. */
const selfCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/**
 * A 5 ms slicer, as the exporter's, that also records the longest stretch between two yields (end()
 * closes the last one).
 * @returns {{ due(): boolean, wait(): Promise<void>, longestMs: number, end(): number }}
 */
function measuredSlices(sliceMs = 5) {
  let start = performance.now();
  const p = {
    longestMs: 0,
    due: () => performance.now() - start >= sliceMs,
    wait: () =>
      /** @type {Promise<void>} */ (
        new Promise((resolve) => {
          p.longestMs = Math.max(p.longestMs, performance.now() - start);
          setImmediate(() => {
            start = performance.now();
            resolve(undefined);
          });
        })
      ),
    end: () => (p.longestMs = Math.max(p.longestMs, performance.now() - start)),
  };
  return p;
}

async function inProcess() {
  const scanner = createProcessScanner({ procfs: '/proc', wantCmdline: false });
  let t = selfCpuMs();
  const first = await scanner.refresh(NEVER_PAUSE);
  const firstCpu = selfCpuMs() - t;
  // Half a second apart, as in the exporter (caches are colder than in a tight loop, and it shows), for
  // two LIST_EVERY cycles: CPU by how the refresh found new PIDs, probing or listing.
  /** @type {Record<string, number[]>} */
  const cpu = { probe: [], list: [] };
  let longestMs = 0;
  for (let i = 0; i < 2 * LIST_EVERY + 2; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const pause = measuredSlices();
    t = selfCpuMs();
    const r = await scanner.refresh(pause);
    const used = selfCpuMs() - t;
    if (typeof r === 'object') cpu[r.mode]?.push(used);
    longestMs = Math.max(longestMs, pause.end());
  }
  const mean = (/** @type {number[]} */ xs) => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length);
  // 200 processes born since the last refresh: each costs its status and cgroup, once.
  const fresh = await startIdleProcesses(200);
  let newCpu;
  try {
    t = selfCpuMs();
    await scanner.refresh(NEVER_PAUSE);
    newCpu = selfCpuMs() - t;
  } finally {
    await fresh.stop();
  }
  t = selfCpuMs();
  await scanner.scan(NEVER_PAUSE);
  const scanCpu = selfCpuMs() - t;
  return {
    listed: typeof first === 'object' ? first.pids : NaN,
    firstCpu,
    probeCpu: mean(cpu.probe ?? []),
    probes: cpu.probe?.length ?? 0,
    listCpu: mean(cpu.list ?? []),
    lists: cpu.list?.length ?? 0,
    longestMs,
    newCpu,
    scanCpu,
  };
}

/**
 * @param {string[]} args
 * @param {number} seconds
 */
async function idleCpuPerSecond(args, seconds) {
  const exp = await startExporter(args);
  try {
    await new Promise((r) => setTimeout(r, 2000)); // past start-up (the first refresh, JIT)
    const before = cpuMs(exp.child.pid);
    await new Promise((r) => setTimeout(r, seconds * 1000));
    return (cpuMs(exp.child.pid) - before) / seconds;
  } finally {
    await stopExporter(exp);
  }
}

export default async function benchRefresh() {
  const counts = (sflag('refresh-procs') ?? '2000,10000').split(',').map(Number);
  const seconds = Number(sflag('refresh-seconds') ?? 20);
  const dir = mkdtempSync(join(tmpdir(), 'oombench-refresh-'));
  const log = join(dir, 'kern.log');
  writeFileSync(log, '');
  try {
    for (const procs of counts) {
      const idle = await startIdleProcesses(procs);
      try {
        const r = await inProcess();
        const withRefresh = await idleCpuPerSecond(['--kernel-log.source=file', `--kernel-log.file=${log}`], seconds);
        const without = await idleCpuPerSecond(['--kernel-log.source=none'], seconds);
        console.log(
          `refresh: ${procs} processes (${r.listed} PIDs listed): CPU per refresh ${r.probeCpu.toFixed(2)} ms probing the PIDs allocated since ` +
            `(${r.probes} refreshes), ${r.listCpu.toFixed(2)} ms listing /proc (${r.lists}); longest hold of the event loop ${r.longestMs.toFixed(1)} ms; ` +
            `${r.firstCpu.toFixed(0)} ms the first (every PID new), ` +
            `${r.newCpu.toFixed(1)} ms after 200 new processes; a scan: ${r.scanCpu.toFixed(0)} ms. ` +
            `Idle exporter: ${withRefresh.toFixed(1)} ms CPU/s with the refresh every 500 ms, ${without.toFixed(1)} ms CPU/s without ` +
            `(${((withRefresh - without) / 10).toFixed(2)}% of a core)`,
        );
      } finally {
        await idle.stop();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await benchRefresh();
