// @ts-check
// npm run bench [-- --procs N] [--scrapes N] [--long N] [--cgroups K] [--only NAMES] [--skip NAMES]
//   [--load-procs 2000] [--load-clients 50] [--load-seconds 20]
//   [--loop-procs 10000] [--loop-clients 4] [--loop-seconds 15] [--rss-procs 10000] [--rss-scrapes 1000]
//   [--refresh-procs 2000,10000] [--refresh-seconds 20]
//   [--tls-procs 2000] [--tls-scrapes 30]
// Runs every benchmark and prints one line per figure; the README quotes these.
// NAMES (comma-separated): scrape, rss (the --long run), cgroups, parser, kill-delay, refresh, load, loopdelay, tls, kube-names,
// api (the JSON API's latency), rss-plain (RSS over --rss-scrapes scrapes, started as plain `node dist/cli.js`; 0 skips it),
// kills-memory (`oom-exporter kills` on 10,000 to 1,000,000 kills: peak RSS and throughput; --kills-sizes
// 10000,100000,1000000 and --kills-outputs table,json choose the runs).
// `node bench/run.mjs --only load` runs one alone (after `npm run build`). OOM_BENCH_CLI=path/to/cli.js
// measures another build.
import { benchCgroupRatio, benchRssFlat, benchScrape, machine } from './scrape.mjs';

/**
 * @param {string} name
 * @returns {string | undefined}
 */
function sflag(name) {
  const i = process.argv.indexOf(`--${name}`);
  if (i !== -1 && process.argv[i + 1] !== undefined) return process.argv[i + 1];
  const eq = process.argv.find((a) => a.startsWith(`--${name}=`));
  return eq ? eq.slice(name.length + 3) : undefined;
}

/**
 * @param {string} name
 * @param {number} def
 */
function flag(name, def) {
  const v = sflag(name);
  return v === undefined ? def : Number(v);
}

const BENCHES = ['scrape', 'rss', 'cgroups', 'parser', 'kill-delay', 'refresh', 'load', 'loopdelay', 'tls', 'rss-plain', 'kills-memory', 'api', 'kube-names'];
/** @param {string | undefined} v */
const names = (v) =>
  v === undefined
    ? undefined
    : new Set(
        v
          .split(',')
          .map((n) => n.trim())
          .filter(Boolean),
      );
const only = names(sflag('only'));
const skip = names(sflag('skip')) ?? new Set();
for (const n of [...(only ?? []), ...skip]) {
  if (!BENCHES.includes(n)) {
    console.error(`bench: no benchmark "${n}"; there are ${BENCHES.join(', ')}`);
    process.exit(2);
  }
}
/** @param {string} name */
const want = (name) => (only === undefined || only.has(name)) && !skip.has(name);

const procs = flag('procs', 2000);
const scrapes = flag('scrapes', 30);
const long = flag('long', 0);
// Issue 4: the same processes spread over K real v1 memory cgroups (root, cgroup v1 memory controller); 0 skips.
const cgroups = flag('cgroups', 50);

console.log(`machine: ${machine()}`);
if (want('scrape')) {
  const s = await benchScrape({ procs, scrapes });
  console.log(
    `scrape: ${s.procs} processes, ${s.scrapes} scrapes: median ${s.medianMs.toFixed(1)} ms, p95 ${s.p95Ms.toFixed(1)} ms, ` +
      `baseline median ${s.baselineMedianMs.toFixed(1)} ms, ratio ${s.ratio.toFixed(2)}x, exporter CPU ${s.cpuMsPerScrape.toFixed(1)} ms/scrape, ` +
      `exporter RSS ${s.rssMB.toFixed(0)} MB, body ${(s.bodyBytes / 1024).toFixed(0)} KiB`,
  );
}
/** @param {Awaited<ReturnType<typeof benchRssFlat>>} r */
const rssLine = (r) =>
  `rss: ${r.procs} processes (${r.visible} PIDs), ${r.scrapes} scrapes${r.nodeFlags.length === 0 ? ', started as node dist/cli.js (no V8 flags)' : ''}: ` +
  `RSS MB every 10%: ${r.rssMBEvery10Percent.join(' ')}; peak (VmHWM) ${r.peakMB.toFixed(0)} MB`;
if (long > 0 && want('rss')) console.log(rssLine(await benchRssFlat({ procs, scrapes: long })));
/** @param {number} x */
const fmtSigned = (x, digits = 2) => `${x >= 0 ? '+' : '-'}${Math.abs(x).toFixed(digits)}`;
let c;
if (cgroups > 0 && want('cgroups')) {
  try {
    c = await benchCgroupRatio({ procs, cgroups, scrapes });
  } catch (err) {
    // Needs root and a cgroup v1 memory controller at /sys/fs/cgroup/memory (mkdir there fails otherwise).
    const e = /** @type {NodeJS.ErrnoException} */ (err);
    if (!['ENOENT', 'EACCES', 'EPERM', 'EROFS'].includes(e?.code ?? '')) throw err;
    console.log(`cgroups: skipped: cannot make cgroup v1 memory cgroups here (${e.message})`);
  }
}
if (c !== undefined) {
  console.log(
    `cgroups: ${c.procs} processes in ${c.cgroups} cgroups: ratio ${c.ratioOff.toFixed(2)}x without the cgroup collector, ` +
      `${c.ratioOn.toFixed(2)}x with it (${fmtSigned(c.diff)}; paired ${fmtSigned(c.pairedDiff)}; ` +
      `collector's own time ${c.cgroupCollectorMs.toFixed(1)} ms = ${fmtSigned(c.cgroupCollectorRatio, 3)}); ` +
      `median ${c.medianMsOff.toFixed(1)} / ${c.medianMsOn.toFixed(1)} ms, baseline ${c.baselineMedianMs.toFixed(1)} ms, ` +
      `CPU ${c.cpuMsPerScrapeOff.toFixed(1)} / ${c.cpuMsPerScrapeOn.toFixed(1)} ms/scrape, ${c.scrapes} scrapes each, ${c.visible} PIDs visible; ` +
      `exported: ${c.limitSeries}/${c.cgroups} oom_cgroup_memory_limit_bytes series${c.limitValuesOk ? '' : ' (WRONG VALUES)'}, ` +
      `${c.processSeriesInCgroups}/${c.procs} processes labelled with them`,
  );
  if (c.limitSeries !== c.cgroups || !c.limitValuesOk || c.processSeriesInCgroups !== c.procs || c.limitSeriesWithoutCollector !== 0) {
    console.error(`cgroups: the collector did not export what the cgroups hold: ${JSON.stringify(c)}`);
    process.exitCode = 1;
  }
}
for (const [name, extra] of /** @type {[string, string][]} */ ([
  ['parser', './parser.mjs'],
  ['kill-delay', './kill-delay.mjs'],
  // The known-process table's refresh between scrapes (kill attribution), at 2,000 and 10,000 processes.
  ['refresh', './refresh.mjs'],
  // Issue 8: serving under load, event-loop delay; both start the exporter as plain `node dist/cli.js`.
  ['load', './load.mjs'],
  ['loopdelay', './loop-delay.mjs'],
  // Scrapes over TLS with basic auth (--web.config.file) against plain ones.
  ['tls', './tls.mjs'],
  // Issue 9: `kills` on up to 1,000,000 kills in bounded memory, the built CLI reading a pipe.
  ['kills-memory', './kills-memory.mjs'],
  // The JSON API: /api/v1/kills with 100 kept kills, /api/v1/processes at 2,000 processes.
  ['api', './api.mjs'],
  // Kubernetes names from the kubelet's log tree: nothing new costs no read; one look-up at 500 pods.
  ['kube-names', './kube-names.mjs'],
])) {
  if (!want(name)) continue;
  try {
    const mod = await import(extra);
    await mod.default();
  } catch (err) {
    const e = /** @type {NodeJS.ErrnoException} */ (err);
    if (e && e.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes(extra.slice(2))) continue;
    throw err;
  }
}
// Issue 8: RSS flat over many scrapes at 10,000 processes, started as plain `node dist/cli.js`, as every
// shipped launch path now is (the exporter sets its own V8 settings).
const rssScrapes = flag('rss-scrapes', 1000);
if (rssScrapes > 0 && want('rss-plain')) {
  console.log(rssLine(await benchRssFlat({ procs: flag('rss-procs', 10_000), scrapes: rssScrapes, nodeFlags: [] })));
}
