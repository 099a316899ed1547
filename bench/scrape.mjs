// @ts-check
// Scrape benchmark: N real idle processes, the real exporter, and a raw baseline measured in the same run.
// Prints median/p95 latency (request to last byte, no gzip), exporter CPU ms per scrape, exporter RSS,
// and the baseline: open+read+close of status, oom_score, oom_score_adj for every PID into one buffer.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

// OOM_BENCH_CLI=/path/to/dist/cli.js measures another build (e.g. a "before" tree built elsewhere).
const CLI = process.env.OOM_BENCH_CLI || fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const CLK_TCK = 100; // USER_HZ on every Linux architecture that matters here

/**
 * @param {number[]} sorted
 * @param {number} p
 */
function pctl(sorted, p) {
  return /** @type {number} */ (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]);
}
/** @param {number[]} xs */
const median = (xs) =>
  pctl(
    [...xs].sort((a, b) => a - b),
    50,
  );
/** @param {number[]} xs */
const p95 = (xs) =>
  pctl(
    [...xs].sort((a, b) => a - b),
    95,
  );

const MEMCG_V1 = '/sys/fs/cgroup/memory';

/** Cleanups of idle-process sets still alive, run synchronously on SIGINT/SIGTERM. */
/** @type {Set<{ sync(): void }>} */
const liveCleanups = new Set();
/** Exporters still running, killed on SIGINT/SIGTERM too (a signal to our PID alone would orphan them). */
/** @type {Set<import('node:child_process').ChildProcess>} */
const liveExporters = new Set();
let signalHandlersInstalled = false;
function installSignalCleanup() {
  if (signalHandlersInstalled) return;
  signalHandlersInstalled = true;
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.once(sig, () => {
      for (const child of liveExporters) child.kill('SIGKILL');
      for (const cleanup of liveCleanups) cleanup.sync();
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
}

/** @param {number} ms */
const sleepSync = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** @param {string} dir */
function procsIn(dir) {
  try {
    const t = readFileSync(`${dir}/cgroup.procs`, 'utf8');
    return t === '' ? 0 : t.split('\n').filter(Boolean).length;
  } catch {
    return 0; // gone or never made
  }
}

/**
 * Empties and removes the cgroups we made (by name): waits until each cgroup.procs is empty (killed
 * tasks leave it once they have exited), then rmdir. Sync, so it also runs from a signal handler.
 * @param {string[]} dirs
 */
function removeCgroupsSync(dirs) {
  const deadline = Date.now() + 15_000;
  for (const dir of dirs) {
    for (;;) {
      if (!existsSync(dir)) break;
      if (procsIn(dir) === 0) {
        try {
          rmdirSync(dir);
          break;
        } catch (e) {
          const err = /** @type {NodeJS.ErrnoException} */ (e);
          if (err.code === 'ENOENT') break;
          if (err.code !== 'EBUSY' || Date.now() > deadline) {
            console.error(`bench: could not remove ${dir}: ${err.message}`);
            break;
          }
        }
      } else if (Date.now() > deadline) {
        console.error(`bench: ${dir} still holds ${procsIn(dir)} processes; left in place`);
        break;
      }
      sleepSync(20);
    }
  }
}

/**
 * Starts n idle `sleep` processes from one bash. With cgroups K > 0 they are spread round-robin over K
 * fresh cgroup v1 memory cgroups /sys/fs/cgroup/memory/oombench-<our pid>-<i> (1 GiB limit each, so
 * every one has a limit series): each subshell writes its own $BASHPID into its cgroup before exec'ing
 * sleep, so no per-process work happens here. stop() kills them and removes the cgroups; it is async
 * only in that callers may await it (it also runs on SIGINT/SIGTERM).
 * @param {number} n
 * @param {{ cgroups?: number, limitBytes?: number }} [options]
 */
export async function startIdleProcesses(n, { cgroups = 0, limitBytes = 1024 ** 3 } = {}) {
  /** @type {string[]} */
  const dirs = [];
  const prefix = `${MEMCG_V1}/oombench-${process.pid}`;
  /** @type {import('node:child_process').ChildProcessByStdio<null, import('node:stream').Readable, null> | undefined} */
  let child;
  const cleanup = {
    sync() {
      liveCleanups.delete(cleanup);
      if (child !== undefined) {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        } catch {}
      }
      if (dirs.length > 0) removeCgroupsSync(dirs);
    },
  };
  liveCleanups.add(cleanup);
  installSignalCleanup();
  try {
    for (let i = 0; i < cgroups; i++) {
      const dir = `${prefix}-${i}`;
      mkdirSync(dir);
      dirs.push(dir);
      writeFileSync(`${dir}/memory.limit_in_bytes`, String(limitBytes));
    }
    // One shell forks n sleepers and waits: cheap to start, one process group to kill. In a cgroup,
    // a sleeper that cannot join its cgroup does not start (&&), so the count check below catches it.
    const body = cgroups > 0 ? `( echo $BASHPID > "$1-$((i % $2))/cgroup.procs" && exec sleep 100000 ) &` : 'sleep 100000 &';
    const shell = spawn('bash', ['-c', `for ((i=0;i<${n};i++)); do ${body} done; echo ready; wait`, 'bash', prefix, String(cgroups)], {
      detached: true,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child = shell;
    await new Promise((resolve, reject) => {
      shell.stdout.once('data', resolve);
      shell.once('error', reject);
    });
    // Wait until the kernel lists them all (in their cgroups, when asked for).
    const deadline = Date.now() + 60_000;
    for (;;) {
      const count = cgroups > 0 ? dirs.reduce((sum, d) => sum + procsIn(d), 0) : readdirSync('/proc').filter((d) => /^\d+$/.test(d)).length;
      if (count >= n) break;
      if (Date.now() > deadline) throw new Error(`only ${count} of ${n} idle processes started${cgroups > 0 ? ' in their cgroups' : ''}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    cleanup.sync();
    throw err;
  }
  return {
    /** The cgroup paths as the kernel prints them (relative to the v1 memory mount). */
    cgroupPaths: dirs.map((d) => d.slice(MEMCG_V1.length)),
    async stop() {
      cleanup.sync();
    },
  };
}

// Every shipped launch path is plain `node dist/cli.js`: the exporter sets its V8 settings itself
// (src/v8-settings.ts). OOM_BENCH_NODE_FLAGS adds command-line flags, to compare.
export const NODE_FLAGS = (process.env.OOM_BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);

/**
 * @typedef {{ child: import('node:child_process').ChildProcessByStdio<null, null, import('node:stream').Readable>, port: number }} Exporter
 */

/**
 * Starts the built exporter on 127.0.0.1, a free port, JSON logs. `nodeFlags` replaces the shipped V8
 * flags ([] starts it as plain `node dist/cli.js`); `nodeArgs` go before the script too (e.g. --import);
 * `env` is added to ours.
 * @param {string[]} args
 * @param {{ nodeFlags?: string[], nodeArgs?: string[], env?: Record<string, string> | undefined }} [options]
 * @returns {Promise<Exporter>}
 */
export function startExporter(args, { nodeFlags = NODE_FLAGS, nodeArgs = [], env = undefined } = {}) {
  const child = spawn(process.execPath, [...nodeFlags, ...nodeArgs, CLI, '--web.listen-address=127.0.0.1:0', '--log.format=json', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: env === undefined ? process.env : { ...process.env, ...env },
  });
  liveExporters.add(child);
  installSignalCleanup();
  child.once('exit', () => liveExporters.delete(child));
  let err = '';
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (c) => {
      err += c;
      const m = /"msg":"listening","address":"[^"]*:(\d+)"/.exec(err);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.once('exit', (code) => reject(new Error(`exporter exited ${code}: ${err}`)));
  });
}

/**
 * One timed scrape (request to last byte, no gzip). With `capture` (series names, e.g.
 * 'oom_scrape_collector_duration_seconds{collector="cgroup"}') the body is kept and those series' values
 * are read from it after the clock has stopped, as `values[name]` (NaN when absent).
 * @param {number} port
 * @param {string} [path]
 * @param {{ capture?: string[] }} [options]
 * @returns {Promise<{ ms: number, bytes: number, status: number | undefined, values: Record<string, number> | undefined }>}
 */
export function get(port, path = '/metrics', { capture } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    http
      .get({ host: '127.0.0.1', port, path, headers: { 'accept-encoding': 'identity' } }, (res) => {
        let bytes = 0;
        /** @type {Buffer[]} */
        const chunks = [];
        res.on('data', (/** @type {Buffer} */ c) => {
          bytes += c.length;
          if (capture) chunks.push(c);
        });
        res.on('end', () => {
          const ms = Number(process.hrtime.bigint() - t0) / 1e6;
          const values = capture ? seriesValues(Buffer.concat(chunks), capture) : undefined;
          resolve({ ms, bytes, status: res.statusCode, values });
        });
      })
      .on('error', reject);
  });
}

/**
 * @param {Buffer} body
 * @param {string[]} names
 */
function seriesValues(body, names) {
  /** @type {Record<string, number>} */
  const values = {};
  for (const name of names) {
    const at = body.indexOf('\n' + name + ' ');
    if (at === -1) {
      values[name] = NaN;
      continue;
    }
    const start = at + name.length + 2;
    const end = body.indexOf('\n', start);
    values[name] = Number(body.toString('latin1', start, end === -1 ? body.length : end));
  }
  return values;
}

/**
 * SIGTERM, then SIGKILL if the exporter has not exited within `graceMs`; resolves once it has exited.
 * @param {{ child: import('node:child_process').ChildProcess }} exp
 */
export async function stopExporter(exp, graceMs = 5000) {
  const { child } = exp;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  const late = new Promise((resolve) => (timer = setTimeout(resolve, graceMs, 'late')));
  if ((await Promise.race([exited, late])) === 'late') {
    child.kill('SIGKILL');
    await exited;
  }
  clearTimeout(timer);
}

/** @param {number | undefined} pid (a child's, which is undefined only if it failed to start) */
export function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK; // utime + stime
}

/** @param {number | undefined} pid (a child's, which is undefined only if it failed to start) */
export function rssMB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Peak RSS since the process started (VmHWM), MB. */
/** @param {number | undefined} pid (a child's, which is undefined only if it failed to start) */
export function hwmMB(pid) {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

const buf = Buffer.allocUnsafe(64 * 1024);
/** @param {string} path */
function readRaw(path) {
  let fd;
  try {
    fd = openSync(path, 'r');
  } catch {
    return;
  }
  try {
    while (readSync(fd, buf, 0, buf.length, null) > 0);
  } catch {
  } finally {
    closeSync(fd);
  }
}

/** The raw floor: the three files every exported process needs, read as cheaply as Node can. */
export function baselineMs() {
  const t0 = process.hrtime.bigint();
  for (const d of readdirSync('/proc')) {
    const c = d.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    readRaw(`/proc/${d}/status`);
    readRaw(`/proc/${d}/oom_score`);
    readRaw(`/proc/${d}/oom_score_adj`);
  }
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** @param {{ procs: number, scrapes: number, extraArgs?: string[] }} options */
export async function benchScrape({ procs, scrapes, extraArgs = [] }) {
  const idle = await startIdleProcesses(procs);
  const exp = await startExporter(['--kernel-log.source=none', ...extraArgs]);
  try {
    for (let i = 0; i < 5; i++) await get(exp.port); // warm-up: JIT, first-time cgroup reads
    /** @type {number[]} */
    const lat = [];
    /** @type {number[]} */
    const base = [];
    const cpu0 = cpuMs(exp.child.pid);
    let series = 0;
    for (let i = 0; i < scrapes; i++) {
      const r = await get(exp.port);
      if (r.status !== 200) throw new Error(`scrape answered ${r.status}`);
      lat.push(r.ms);
      base.push(baselineMs());
      series = r.bytes;
    }
    const cpuPerScrape = (cpuMs(exp.child.pid) - cpu0) / scrapes;
    const visible = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).length;
    return {
      procs: visible,
      scrapes,
      medianMs: median(lat),
      p95Ms: p95(lat),
      baselineMedianMs: median(base),
      ratio: median(lat) / median(base),
      cpuMsPerScrape: cpuPerScrape,
      rssMB: rssMB(exp.child.pid),
      bodyBytes: series,
    };
  } finally {
    exp.child.kill('SIGTERM');
    await idle.stop();
  }
}

/**
 * RSS every 10% of `scrapes` back-to-back scrapes. `nodeFlags` as startExporter: [] starts the exporter
 * as plain `node dist/cli.js`, without the shipped V8 flags. Also the peak (VmHWM) and the PIDs visible.
 * @param {{ procs: number, scrapes: number, nodeFlags?: string[] }} options
 */
export async function benchRssFlat({ procs, scrapes, nodeFlags = NODE_FLAGS }) {
  const idle = await startIdleProcesses(procs);
  const exp = await startExporter(['--kernel-log.source=none'], { nodeFlags });
  try {
    const samples = [];
    for (let i = 1; i <= scrapes; i++) {
      const r = await get(exp.port);
      if (r.status !== 200) throw new Error(`scrape answered ${r.status}`);
      if (i % Math.max(1, Math.floor(scrapes / 10)) === 0) samples.push(Math.round(rssMB(exp.child.pid)));
    }
    const visible = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).length;
    return { procs, visible, scrapes, nodeFlags, rssMBEvery10Percent: samples, peakMB: hwmMB(exp.child.pid) };
  } finally {
    await stopExporter(exp);
    await idle.stop();
  }
}

export function machine() {
  const c = cpus();
  return `${c.length} x ${c[0]?.model ?? 'cpu'}, ${Math.round(Number(readFileSync('/proc/meminfo', 'utf8').match(/MemTotal:\s+(\d+)/)?.[1]) / 1024 / 1024)} GiB, Linux ${readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()}, Node ${process.version}`;
}

/**
 * One /metrics body as text (no gzip), for checking what a scrape exported.
 * @param {number} port
 * @returns {Promise<string>}
 */
export function getText(port, path = '/metrics') {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, headers: { 'accept-encoding': 'identity' } }, (res) => {
        /** @type {Buffer[]} */
        const chunks = [];
        res.on('data', (/** @type {Buffer} */ c) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      })
      .on('error', reject);
  });
}

/**
 * Series of `metric` whose cgroup label is one of `cgroups` (exact match), and how many distinct cgroups they name.
 * @param {string} text
 * @param {string} metric
 * @param {string[]} cgroups
 */
function seriesInCgroups(text, metric, cgroups) {
  const wanted = new Set(cgroups);
  /** @type {Set<string>} */
  const seen = new Set();
  /** @type {number[]} */
  const values = [];
  let series = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(metric + '{')) continue;
    const m = /[{,]cgroup="((?:[^"\\]|\\.)*)"/.exec(line);
    const cgroup = m?.[1];
    if (cgroup !== undefined && wanted.has(cgroup)) {
      series++;
      seen.add(cgroup);
      values.push(Number(line.slice(line.lastIndexOf(' ') + 1)));
    }
  }
  return { series, cgroups: seen.size, values };
}

/**
 * Issue 4's figure: the scrape ratio (median scrape / median baseline, as benchScrape) with and without
 * the cgroup collector, on the same `procs` idle processes spread over `cgroups` v1 memory cgroups.
 * Both exporters run at once and are scraped alternately (order swapped every round), with a baseline
 * after each scrape, so machine noise hits both alike; both ratios share the one baseline median.
 * Also checks that the collector really exported the cgroups: a benchmark of a collector that read
 * nothing would be worthless.
 */
export async function benchCgroupRatio({ procs = 2000, cgroups = 50, scrapes = 30 } = {}) {
  const limitBytes = 1024 ** 3;
  const idle = await startIdleProcesses(procs, { cgroups, limitBytes });
  const exporters = [];
  try {
    const off = await startExporter(['--kernel-log.source=none', '--no-collector.cgroup']);
    exporters.push(off);
    const on = await startExporter(['--kernel-log.source=none']);
    exporters.push(on);
    for (let i = 0; i < 5; i++) {
      await get(off.port);
      await get(on.port);
    }
    /** @type {{ off: number[], on: number[] }} */
    const lat = { off: [], on: [] };
    /** @type {number[]} */
    const base = [];
    const CG = 'oom_scrape_collector_duration_seconds{collector="cgroup"}';
    /** @type {number[]} */
    const cgroupMs = [];
    // Per round, on − off: the two scrapes of a round are back to back, so slow spells mostly cancel.
    /** @type {number[]} */
    const paired = [];
    const cpu0 = { off: cpuMs(off.child.pid), on: cpuMs(on.child.pid) };
    for (let i = 0; i < scrapes; i++) {
      /** @type {('off' | 'on')[]} */
      const order = i % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
      const round = { off: NaN, on: NaN };
      for (const which of order) {
        const r = await get(which === 'off' ? off.port : on.port, '/metrics', which === 'on' ? { capture: [CG] } : undefined);
        if (r.status !== 200) throw new Error(`scrape (${which}) answered ${r.status}`);
        lat[which].push(r.ms);
        round[which] = r.ms;
        if (which === 'on') cgroupMs.push((r.values?.[CG] ?? NaN) * 1000);
        base.push(baselineMs());
      }
      paired.push(round.on - round.off);
    }
    const cpu = { off: (cpuMs(off.child.pid) - cpu0.off) / scrapes, on: (cpuMs(on.child.pid) - cpu0.on) / scrapes };
    const textOn = await getText(on.port);
    const textOff = await getText(off.port);
    const visible = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).length;
    const limits = seriesInCgroups(textOn, 'oom_cgroup_memory_limit_bytes', idle.cgroupPaths);
    const baseMedian = median(base);
    const ratioOff = median(lat.off) / baseMedian;
    const ratioOn = median(lat.on) / baseMedian;
    return {
      procs,
      cgroups,
      visible,
      scrapes,
      baselineMedianMs: baseMedian,
      medianMsOff: median(lat.off),
      medianMsOn: median(lat.on),
      ratioOff,
      ratioOn,
      diff: ratioOn - ratioOff,
      /** Median of the per-round differences (on − off), over the baseline median: less noisy than diff. */
      pairedDiff: median(paired) / baseMedian,
      /** The collector's own time (oom_scrape_collector_duration_seconds{collector="cgroup"}), median. */
      cgroupCollectorMs: median(cgroupMs),
      cgroupCollectorRatio: median(cgroupMs) / baseMedian,
      cpuMsPerScrapeOff: cpu.off,
      cpuMsPerScrapeOn: cpu.on,
      // What the collector exported for our cgroups, and how many of our processes carry their label.
      limitSeries: limits.series,
      limitValuesOk: limits.values.length > 0 && limits.values.every((v) => v === limitBytes),
      usageSeries: seriesInCgroups(textOn, 'oom_cgroup_memory_usage_bytes', idle.cgroupPaths).series,
      limitSeriesWithoutCollector: seriesInCgroups(textOff, 'oom_cgroup_memory_limit_bytes', idle.cgroupPaths).series,
      processSeriesInCgroups: seriesInCgroups(textOn, 'oom_process_score', idle.cgroupPaths).series,
    };
  } finally {
    for (const e of exporters) e.child.kill('SIGTERM');
    await idle.stop();
  }
}
