// npm run bench [-- --procs N] [--scrapes N] [--long N] [--cgroups K]
// Runs every benchmark and prints one line per figure; the README quotes these.
import { benchCgroupRatio, benchRssFlat, benchScrape, machine } from './scrape.mjs';

function flag(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  if (i !== -1 && process.argv[i + 1] !== undefined) return Number(process.argv[i + 1]);
  const eq = process.argv.find((a) => a.startsWith(`--${name}=`));
  return eq ? Number(eq.split('=')[1]) : def;
}

const procs = flag('procs', 2000);
const scrapes = flag('scrapes', 30);
const long = flag('long', 0);
// Issue 4: the same processes spread over K real v1 memory cgroups (root, cgroup v1 memory controller); 0 skips.
const cgroups = flag('cgroups', 50);

console.log(`machine: ${machine()}`);
const s = await benchScrape({ procs, scrapes });
console.log(
  `scrape: ${s.procs} processes, ${s.scrapes} scrapes: median ${s.medianMs.toFixed(1)} ms, p95 ${s.p95Ms.toFixed(1)} ms, ` +
    `baseline median ${s.baselineMedianMs.toFixed(1)} ms, ratio ${s.ratio.toFixed(2)}x, exporter CPU ${s.cpuMsPerScrape.toFixed(1)} ms/scrape, ` +
    `exporter RSS ${s.rssMB.toFixed(0)} MB, body ${(s.bodyBytes / 1024).toFixed(0)} KiB`,
);
if (long > 0) {
  const r = await benchRssFlat({ procs, scrapes: long });
  console.log(`rss: ${r.procs} processes, ${r.scrapes} scrapes: RSS MB every 10%: ${r.rssMBEvery10Percent.join(' ')}`);
}
const fmtSigned = (x, digits = 2) => `${x >= 0 ? '+' : '-'}${Math.abs(x).toFixed(digits)}`;
let c;
if (cgroups > 0) {
  try {
    c = await benchCgroupRatio({ procs, cgroups, scrapes });
  } catch (err) {
    // Needs root and a cgroup v1 memory controller at /sys/fs/cgroup/memory (mkdir there fails otherwise).
    if (!['ENOENT', 'EACCES', 'EPERM', 'EROFS'].includes(err?.code)) throw err;
    console.log(`cgroups: skipped: cannot make cgroup v1 memory cgroups here (${err.message})`);
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
for (const extra of ['./parser.mjs', './kill-delay.mjs']) {
  try {
    const mod = await import(extra);
    await mod.default();
  } catch (err) {
    if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes(extra.slice(2))) continue;
    throw err;
  }
}
