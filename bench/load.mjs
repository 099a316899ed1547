// @ts-check
// Load: C HTTP clients scrape /metrics back to back for S seconds at N real idle processes, half of them
// asking for gzip (as Prometheus does), while a /healthz prober asks every 100 ms, like a kubelet.
// The exporter is started as plain `node dist/cli.js` (no V8 flags), on 127.0.0.1 and a free port.
// Measured first, in the same run: a lone scrape (median latency, CPU per scrape), identity and gzip.
// Prints errors and timeouts, scrapes served, scrape latency p50/p99 against the lone scrape, /healthz
// p50/p99/max, the exporter's peak RSS (VmHWM), its CPU per served scrape against a lone scrape's, and
// how many collections served the scrapes (distinct oom_scrape_collector_duration_seconds values).
//
// node bench/load.mjs [--load-procs 2000] [--load-clients 50] [--load-seconds 20]
//   (npm run bench runs it; node bench/run.mjs --only load runs it alone)
import { Worker } from 'node:worker_threads';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { readFileSync, readdirSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { cpuMs, startExporter, startIdleProcesses, stopExporter } from './scrape.mjs';

const gunzipAsync = promisify(gunzip);

/** The series whose values identify a collection: every collection measures its collectors anew. */
const KEY_FAMILY = 'oom_scrape_collector_duration_seconds';
const KEY_PREFIX = Buffer.from(`\n${KEY_FAMILY}{`);
/** The key family sits near the end of the body (before the runtime families): search its tail first. */
const TAIL_BYTES = 128 * 1024;

/**
 * @param {number[]} xs
 * @param {number} p percentile, 0-100
 */
export function percentile(xs, p) {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return /** @type {number} */ (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]);
}

/** @param {number[]} xs */
const max = (xs) => (xs.length === 0 ? NaN : xs.reduce((a, b) => (b > a ? b : a), -Infinity));

/**
 * Every `oom_scrape_collector_duration_seconds{...} value` line of a body, joined: equal for two bodies
 * of one collection, different (duration values in ns) for two collections. undefined when absent.
 * @param {Buffer} body
 * @returns {string | undefined}
 */
export function collectionKey(body) {
  const from = Math.max(0, body.length - TAIL_BYTES);
  let at = body.indexOf(KEY_PREFIX, from);
  if (at === -1 && from > 0) at = body.indexOf(KEY_PREFIX);
  if (at === -1) return undefined;
  const start = at + 1;
  let end = start;
  // The family's samples are consecutive lines; stop at the first line of another family.
  for (;;) {
    const nl = body.indexOf(10, end);
    if (nl === -1) {
      end = body.length;
      break;
    }
    end = nl + 1;
    if (body.indexOf(KEY_FAMILY, end) !== end) break;
  }
  return body.toString('latin1', start, end);
}

/**
 * What a /metrics body must look like: text exposition starting with a HELP line, ending in a newline,
 * holding the key family.
 * @param {Buffer} body
 * @returns {string | undefined} why it is not, or undefined when it is
 */
function badBody(body) {
  if (body.length === 0) return 'empty body';
  if (body.toString('latin1', 0, 7) !== '# HELP ') return 'body does not start with "# HELP "';
  if (body[body.length - 1] !== 10) return 'body does not end with a newline';
  return undefined;
}

/**
 * @typedef {object} ScrapeResult
 * @property {'ok' | 'timeout' | 'error' | 'bad'} outcome
 * @property {number} ms request to last byte
 * @property {number} bytes bytes received (compressed when gzip)
 * @property {boolean} gzip whether the body came gzip-encoded
 * @property {Buffer[]} chunks the body, as received
 * @property {string} [why] what went wrong
 */

/**
 * One GET on `agent` with a whole-request timeout: request to last byte.
 * @param {{ port: number, path: string, agent: http.Agent | false, gzip: boolean, timeoutMs: number, keep: boolean }} o
 * @returns {Promise<ScrapeResult>}
 */
export function timedGet({ port, path, agent, gzip, timeoutMs, keep }) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    /** @type {Buffer[]} */
    const chunks = [];
    let bytes = 0;
    let settled = false;
    /** @param {Omit<ScrapeResult, 'ms' | 'bytes' | 'chunks'>} r */
    const done = (r) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...r, ms: performance.now() - t0, bytes, chunks });
    };
    const req = http.get({ host: '127.0.0.1', port, path, agent, headers: { 'accept-encoding': gzip ? 'gzip' : 'identity' } }, (res) => {
      const zipped = res.headers['content-encoding'] === 'gzip';
      res.on('data', (/** @type {Buffer} */ c) => {
        bytes += c.length;
        if (keep) chunks.push(c);
      });
      res.on('end', () => {
        if (res.statusCode !== 200) done({ outcome: 'error', gzip: zipped, why: `status ${res.statusCode}` });
        else if (gzip !== zipped) done({ outcome: 'bad', gzip: zipped, why: gzip ? 'asked for gzip, got identity' : 'asked for identity, got gzip' });
        else done({ outcome: 'ok', gzip: zipped });
      });
      res.on('error', (err) => done({ outcome: 'error', gzip: zipped, why: err.message }));
    });
    const timer = setTimeout(() => {
      done({ outcome: 'timeout', gzip, why: `no whole answer within ${timeoutMs} ms` });
      req.destroy(new Error('timeout'));
    }, timeoutMs);
    req.on('error', (err) => done({ outcome: 'error', gzip, why: err.message }));
  });
}

/**
 * @typedef {object} ClientRun
 * @property {number} served scrapes answered 200 with a sane body
 * @property {number} timeouts
 * @property {number} errors network errors, non-200 answers
 * @property {number} bad 200 answers with a wrong encoding or a body that is not an exposition
 * @property {string[]} whys the first few reasons for errors and bad bodies
 * @property {number[]} latencies ms, of the scrapes served
 * @property {number[]} identityBytes
 * @property {number[]} gzipBytes
 * @property {number} keyed bodies whose collection could be told (all identity, all gzip)
 * @property {number} collections distinct collections among them
 * @property {number} gunzipped distinct gzip bodies decompressed and checked
 * @property {number} elapsedSeconds from the first request to the last answer
 */

/**
 * `clients` clients (the first `gzipClients` of them ask for gzip), each with its own keep-alive agent
 * and one request at a time, scrape back to back until `seconds` have passed, then wait for the answers
 * in flight. Every body is checked; every distinct gzip body (by hash) is decompressed once and checked.
 * @param {{ port: number, path?: string, clients: number, gzipClients: number, seconds: number, timeoutMs?: number }} o
 * @returns {Promise<ClientRun>}
 */
export async function scrapeBackToBack({ port, path = '/metrics', clients, gzipClients, seconds, timeoutMs = 10_000 }) {
  /** @type {ClientRun} */
  const run = {
    served: 0,
    timeouts: 0,
    errors: 0,
    bad: 0,
    whys: [],
    latencies: [],
    identityBytes: [],
    gzipBytes: [],
    keyed: 0,
    collections: 0,
    gunzipped: 0,
    elapsedSeconds: 0,
  };
  /** @type {Set<string>} */
  const keys = new Set();
  /** gzip body hash -> its collection key, once decompressed (a promise while it is). */
  /** @type {Map<string, Promise<string | undefined>>} */
  const gzipKeys = new Map();
  /** @type {Promise<void>[]} */
  const pending = [];
  /** @param {'errors' | 'bad' | 'timeouts'} kind @param {string | undefined} why */
  const fail = (kind, why) => {
    run[kind]++;
    if (run.whys.length < 5 && why !== undefined) run.whys.push(why);
  };
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;

  /** @param {boolean} gzip */
  async function client(gzip) {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      while (performance.now() < deadline) {
        const r = await timedGet({ port, path, agent, gzip, timeoutMs, keep: true });
        if (r.outcome === 'timeout') fail('timeouts', r.why);
        else if (r.outcome === 'error') fail('errors', r.why);
        else if (r.outcome === 'bad') fail('bad', r.why);
        else if (!gzip) {
          const body = r.chunks.length === 1 ? /** @type {Buffer} */ (r.chunks[0]) : Buffer.concat(r.chunks);
          const why = badBody(body);
          const key = why === undefined ? collectionKey(body) : undefined;
          if (why !== undefined || key === undefined) fail('bad', why ?? `no ${KEY_FAMILY} in the body`);
          else {
            run.served++;
            run.latencies.push(r.ms);
            run.identityBytes.push(r.bytes);
            run.keyed++;
            keys.add(key);
          }
        } else {
          // Identical gzip bytes are the same body; a new one is decompressed (off this thread) and checked.
          const hash = createHash('sha1');
          for (const c of r.chunks) hash.update(c);
          const digest = hash.digest('hex');
          let keyed = gzipKeys.get(digest);
          if (keyed === undefined) {
            keyed = gunzipAsync(Buffer.concat(r.chunks)).then(
              (body) => {
                run.gunzipped++;
                const why = badBody(body);
                const key = why === undefined ? collectionKey(body) : undefined;
                if (key === undefined) throw new Error(why ?? `no ${KEY_FAMILY} in the gunzipped body`);
                return key;
              },
              (/** @type {Error} */ err) => Promise.reject(new Error(`gunzip: ${err.message}`)),
            );
            gzipKeys.set(digest, keyed);
          }
          const latency = r.ms;
          const bytes = r.bytes;
          pending.push(
            keyed.then(
              (key) => {
                run.served++;
                run.latencies.push(latency);
                run.gzipBytes.push(bytes);
                run.keyed++;
                if (key !== undefined) keys.add(key);
              },
              (/** @type {Error} */ err) => fail('bad', err.message),
            ),
          );
        }
      }
    } finally {
      agent.destroy();
    }
  }

  await Promise.all(Array.from({ length: clients }, (_, i) => client(i < gzipClients)));
  run.elapsedSeconds = (performance.now() - t0) / 1000;
  await Promise.all(pending);
  run.collections = keys.size;
  return run;
}

/**
 * Samples an exporter's VmRSS every `everyMs` until stopped: the highest sample and the VmHWM at the end.
 * @param {number} pid
 * @param {number} [everyMs]
 */
export function sampleRss(pid, everyMs = 100) {
  let maxRssKB = 0;
  let hwmKB = 0;
  const read = () => {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const rss = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
      const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
      if (rss > maxRssKB) maxRssKB = rss;
      if (hwm > hwmKB) hwmKB = hwm;
    } catch {
      // gone
    }
  };
  read();
  const timer = setInterval(read, everyMs);
  return {
    /** @returns {{ maxRssMB: number, hwmMB: number, lastRssMB: number }} */
    stop() {
      clearInterval(timer);
      read();
      let lastRssMB = NaN;
      try {
        lastRssMB = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
      } catch {}
      return { maxRssMB: maxRssKB / 1024, hwmMB: hwmKB / 1024, lastRssMB };
    },
  };
}

/**
 * A /healthz prober: one probe every `everyMs` (a fresh connection each, as a kubelet does; never two
 * at once: a slow answer delays the next probe), until stop() is called. It runs on a worker thread of
 * its own, as a kubelet is a process of its own: on this thread its timings would include the time this
 * bench spends reading and checking 50 clients' bodies.
 * @param {number} port
 * @param {{ everyMs?: number, timeoutMs?: number }} [o]
 * @returns {{ stop(): Promise<{ ms: number[], failures: number, whys: string[] }> }}
 */
export function probeHealth(port, { everyMs = 100, timeoutMs = 10_000 } = {}) {
  const worker = new Worker(new URL('./health-prober.mjs', import.meta.url), { workerData: { port, everyMs, timeoutMs } });
  /** @type {Promise<{ ms: number[], failures: number, whys: string[] }>} */
  const result = new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    async stop() {
      worker.postMessage('stop');
      const r = await result;
      await worker.terminate();
      return r;
    },
  };
}

/**
 * Lone scrapes, one after another on one keep-alive connection: median latency and exporter CPU per
 * scrape.
 * @param {{ port: number, pid: number, scrapes: number, gzip: boolean }} o
 */
export async function loneScrapes({ port, pid, scrapes, gzip }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    /** @type {number[]} */
    const ms = [];
    const cpu0 = cpuMs(pid);
    for (let i = 0; i < scrapes; i++) {
      const r = await timedGet({ port, path: '/metrics', agent, gzip, timeoutMs: 60_000, keep: false });
      if (r.outcome !== 'ok') throw new Error(`lone scrape: ${r.outcome}: ${r.why}`);
      ms.push(r.ms);
    }
    return { medianMs: percentile(ms, 50), cpuMsPerScrape: (cpuMs(pid) - cpu0) / scrapes };
  } finally {
    agent.destroy();
  }
}

const visiblePids = () => readdirSync('/proc').filter((d) => /^\d+$/.test(d)).length;

/**
 * @param {{ procs?: number, clients?: number, gzipClients?: number, seconds?: number, timeoutMs?: number, loneScrapes?: number, nodeFlags?: string[] }} [o]
 */
export async function benchLoad({
  procs = 2000,
  clients = 50,
  gzipClients = Math.floor(clients / 2),
  seconds = 20,
  timeoutMs = 10_000,
  loneScrapes: lone = 10,
  nodeFlags = [],
} = {}) {
  const idle = await startIdleProcesses(procs);
  /** @type {{ child: import('node:child_process').ChildProcess, port: number } | undefined} */
  let exp;
  try {
    exp = await startExporter(['--kernel-log.source=none'], { nodeFlags });
    const pid = /** @type {number} */ (exp.child.pid);
    const { port } = exp;
    await loneScrapes({ port, pid, scrapes: 5, gzip: false }); // warm-up: JIT, first-time cgroup reads
    const loneIdentity = await loneScrapes({ port, pid, scrapes: lone, gzip: false });
    const loneGzip = await loneScrapes({ port, pid, scrapes: lone, gzip: true });

    const rss = sampleRss(pid);
    const health = probeHealth(port, { timeoutMs });
    const cpu0 = cpuMs(pid);
    const benchCpu0 = process.cpuUsage();
    const run = await scrapeBackToBack({ port, clients, gzipClients, seconds, timeoutMs });
    const cpu = cpuMs(pid) - cpu0;
    const benchCpu = process.cpuUsage(benchCpu0);
    const h = await health.stop();
    const mem = rss.stop();
    return {
      procs,
      visible: visiblePids(),
      clients,
      gzipClients,
      seconds,
      nodeFlags,
      loneMedianMs: loneIdentity.medianMs,
      loneCpuMs: loneIdentity.cpuMsPerScrape,
      loneGzipMedianMs: loneGzip.medianMs,
      loneGzipCpuMs: loneGzip.cpuMsPerScrape,
      ...run,
      p50Ms: percentile(run.latencies, 50),
      p99Ms: percentile(run.latencies, 99),
      maxMs: max(run.latencies),
      p50Ratio: percentile(run.latencies, 50) / loneIdentity.medianMs,
      p99Ratio: percentile(run.latencies, 99) / loneIdentity.medianMs,
      healthProbes: h.ms.length,
      healthFailures: h.failures,
      healthWhys: h.whys,
      healthP50Ms: percentile(h.ms, 50),
      healthP99Ms: percentile(h.ms, 99),
      healthMaxMs: max(h.ms),
      peakRssMB: Math.max(mem.hwmMB, mem.maxRssMB),
      maxSampledRssMB: mem.maxRssMB,
      endRssMB: mem.lastRssMB,
      cpuMsPerServed: run.served > 0 ? cpu / run.served : NaN,
      cpuRatio: run.served > 0 ? cpu / run.served / loneIdentity.cpuMsPerScrape : NaN,
      exporterCpuS: cpu / 1000,
      benchCpuS: (benchCpu.user + benchCpu.system) / 1e6,
      scrapesPerCollection: run.collections > 0 ? run.keyed / run.collections : NaN,
      identityKiB: percentile(run.identityBytes, 50) / 1024,
      gzipKiB: percentile(run.gzipBytes, 50) / 1024,
    };
  } finally {
    if (exp !== undefined) await stopExporter(exp);
    await idle.stop();
  }
}

/** @param {number} x @param {number} [digits] */
const f = (x, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');

/** @param {Awaited<ReturnType<typeof benchLoad>>} r */
export function formatLoad(r) {
  const missed = [];
  if (r.errors + r.timeouts + r.bad > 0 || r.served === 0) missed.push('errors');
  if (!(r.p99Ratio <= 4)) missed.push('p99 <= 4x');
  if (!(r.healthP99Ms <= 50) || r.healthFailures > 0) missed.push('/healthz p99 <= 50 ms');
  if (!(r.peakRssMB <= 100)) missed.push('RSS <= 100 MB');
  if (!(r.cpuRatio <= 0.5)) missed.push('CPU <= 0.5x');
  return (
    `load: ${r.procs} processes (${r.visible} PIDs), ${r.clients} clients (${r.gzipClients} gzip) back to back for ${r.seconds} s, ` +
    `started as node dist/cli.js${r.nodeFlags.length > 0 ? ' ' + r.nodeFlags.join(' ') : ' (no V8 flags)'}: ` +
    `${r.errors} errors, ${r.timeouts} timeouts (10 s), ${r.bad} bad bodies${r.whys.length > 0 ? ` [${r.whys.join('; ')}]` : ''}; ` +
    `${r.served} scrapes served (${r.identityBytes.length} identity, ${r.gzipBytes.length} gzip; ${f(r.served / r.elapsedSeconds, 1)}/s); ` +
    `latency p50 ${f(r.p50Ms)} ms, p99 ${f(r.p99Ms)} ms = ${f(r.p50Ratio, 1)}x / ${f(r.p99Ratio, 1)}x a lone scrape (${f(r.loneMedianMs, 1)} ms; gzip ${f(r.loneGzipMedianMs, 1)} ms); ` +
    `/healthz every 100 ms: ${r.healthProbes} answered, ${r.healthFailures} failed${r.healthWhys.length > 0 ? ` [${r.healthWhys.join('; ')}]` : ''}, ` +
    `p50 ${f(r.healthP50Ms, 1)} ms, p99 ${f(r.healthP99Ms, 1)} ms, max ${f(r.healthMaxMs, 1)} ms; ` +
    `exporter peak RSS ${f(r.peakRssMB)} MB (${f(r.endRssMB)} MB at the end); ` +
    `exporter CPU ${f(r.cpuMsPerServed, 1)} ms per served scrape = ${f(r.cpuRatio, 2)}x a lone scrape's (${f(r.loneCpuMs, 1)} ms; gzip ${f(r.loneGzipCpuMs, 1)} ms), ${f(r.exporterCpuS, 1)} s in all; ` +
    `${r.keyed} bodies from ${r.collections} collections (${f(r.scrapesPerCollection, 2)} scrapes per collection; ${r.gunzipped} distinct gzip bodies checked); ` +
    `body ${f(r.identityKiB)} KiB, gzip ${f(r.gzipKiB)} KiB; bench client CPU ${f(r.benchCpuS, 1)} s` +
    ` (goals: ${missed.length === 0 ? 'all met' : 'missed ' + missed.join(', ')})`
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

export default async function load() {
  const r = await benchLoad({ procs: flag('load-procs', 2000), clients: flag('load-clients', 50), seconds: flag('load-seconds', 20) });
  console.log(formatLoad(r));
  if (r.errors + r.bad > 0) process.exitCode = 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await load();
