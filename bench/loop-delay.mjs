// @ts-check
// Event-loop delay inside the exporter while clients scrape it back to back, at N real idle processes
// (default 10,000, 4 clients, half asking for gzip, 15 s). The exporter is started as
//   node --import bench/loop-delay-probe.mjs dist/cli.js ...   (no V8 flags; --import is not one)
// and the probe (perf_hooks.monitorEventLoopDelay, resolutions 10 and 1 ms) reports the window between
// two SIGUSR2: opened after a warm-up, closed once every client has had its last answer.
//
// node bench/loop-delay.mjs [--loop-procs 10000] [--loop-clients 4] [--loop-seconds 15]
//   (npm run bench runs it; node bench/run.mjs --only loopdelay runs it alone)
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loneScrapes, percentile, scrapeBackToBack } from './load.mjs';
import { startExporter, startIdleProcesses, stopExporter } from './scrape.mjs';

const PROBE = new URL('./loop-delay-probe.mjs', import.meta.url).href;

/**
 * @typedef {{ resolution: number, count: number, min: number, mean: number, p50: number, p90: number, p99: number, max: number }} Percentiles
 * @typedef {{ seq: number, pid: number, windowMs: number, histograms: Percentiles[] }} ProbeReport
 */

/**
 * Asks the probe for its figures (SIGUSR2) and waits for report number `seq`. The exporter handles
 * the signal when its event loop is next free.
 * @param {import('node:child_process').ChildProcess} child
 * @param {string} file
 * @param {number} seq
 * @returns {Promise<ProbeReport>}
 */
async function probeReport(child, file, seq) {
  child.kill('SIGUSR2');
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (existsSync(file)) {
      /** @type {ProbeReport} */
      const r = JSON.parse(readFileSync(file, 'utf8'));
      if (r.seq === seq) return r;
    }
    if (child.exitCode !== null || child.signalCode !== null) throw new Error('the exporter exited before the probe reported');
    if (Date.now() > deadline) throw new Error(`the loop-delay probe did not write report ${seq} within 30 s (is it loaded?)`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * @param {{ procs?: number, clients?: number, gzipClients?: number, seconds?: number, timeoutMs?: number }} [o]
 */
export async function benchLoopDelay({ procs = 10_000, clients = 4, gzipClients = Math.floor(clients / 2), seconds = 15, timeoutMs = 10_000 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'oombench-eld-'));
  const file = join(dir, 'loop-delay.json');
  const idle = await startIdleProcesses(procs);
  /** @type {{ child: import('node:child_process').ChildProcess, port: number } | undefined} */
  let exp;
  try {
    exp = await startExporter(['--kernel-log.source=none'], { nodeFlags: [], nodeArgs: ['--import', PROBE], env: { OOM_LOOP_DELAY_FILE: file } });
    const pid = /** @type {number} */ (exp.child.pid);
    await loneScrapes({ port: exp.port, pid, scrapes: 2, gzip: false }); // warm-up: JIT, first-time cgroup reads
    const lone = await loneScrapes({ port: exp.port, pid, scrapes: 3, gzip: false }); // a lone scrape, for scale
    const idleReport = await probeReport(exp.child, file, 1); // opens the window (and shows the warm-up's)
    const run = await scrapeBackToBack({ port: exp.port, clients, gzipClients, seconds, timeoutMs });
    const report = await probeReport(exp.child, file, 2);
    const byRes = (/** @type {number} */ res) => report.histograms.find((h) => h.resolution === res);
    return {
      procs,
      visible: readdirSync('/proc').filter((d) => /^\d+$/.test(d)).length,
      clients,
      gzipClients,
      seconds,
      served: run.served,
      failed: run.errors + run.timeouts + run.bad,
      whys: run.whys,
      p50Ms: percentile(run.latencies, 50),
      loneMs: lone.medianMs,
      windowMs: report.windowMs,
      warmupMax10: idleReport.histograms.find((h) => h.resolution === 10)?.max ?? NaN,
      res10: byRes(10),
      res1: byRes(1),
    };
  } finally {
    if (exp !== undefined) await stopExporter(exp);
    await idle.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** @param {number | undefined} x @param {number} [digits] */
const f = (x, digits = 1) => (x !== undefined && Number.isFinite(x) ? x.toFixed(digits) : 'n/a');

/** @param {Awaited<ReturnType<typeof benchLoopDelay>>} r */
export function formatLoopDelay(r) {
  return (
    `loopdelay: ${r.procs} processes (${r.visible} PIDs), ${r.clients} clients (${r.gzipClients} gzip) back to back for ${r.seconds} s, ` +
    `started as node --import bench/loop-delay-probe.mjs dist/cli.js (no V8 flags): ${r.served} scrapes, ${r.failed} failed${r.whys.length > 0 ? ` [${r.whys.join('; ')}]` : ''}, ` +
    `p50 ${f(r.p50Ms, 0)} ms (lone ${f(r.loneMs, 0)} ms); event-loop delay in the exporter over ${f(r.windowMs / 1000)} s: ` +
    `p99 ${f(r.res10?.p99)} ms, max ${f(r.res10?.max)} ms, p50 ${f(r.res10?.p50)} ms (monitorEventLoopDelay resolution 10 ms, ${r.res10?.count ?? 0} samples; ` +
    `at 1 ms: p99 ${f(r.res1?.p99)} ms, max ${f(r.res1?.max)} ms, p50 ${f(r.res1?.p50)} ms, ${r.res1?.count ?? 0} samples) ` +
    `(goal p99 <= 20 ms: ${r.res10 !== undefined && r.res10.p99 <= 20 ? 'met' : 'missed'})`
  );
}

/**
 * @param {string} name
 * @param {number} def
 */
function flag(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  if (i !== -1 && process.argv[i + 1] !== undefined) return Number(process.argv[i + 1]);
  const eq = process.argv.find((a) => a.startsWith(`--${name}=`));
  return eq ? Number(eq.split('=')[1]) : def;
}

export default async function loopDelay() {
  const r = await benchLoopDelay({ procs: flag('loop-procs', 10_000), clients: flag('loop-clients', 4), seconds: flag('loop-seconds', 15) });
  console.log(formatLoopDelay(r));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await loopDelay();
