// npm run bench [-- --procs N] [--scrapes N] [--long N]
// Runs every benchmark and prints one line per figure; the README quotes these.
import { benchRssFlat, benchScrape, machine } from './scrape.mjs';

function flag(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  if (i !== -1 && process.argv[i + 1] !== undefined) return Number(process.argv[i + 1]);
  const eq = process.argv.find((a) => a.startsWith(`--${name}=`));
  return eq ? Number(eq.split('=')[1]) : def;
}

const procs = flag('procs', 2000);
const scrapes = flag('scrapes', 30);
const long = flag('long', 0);

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
for (const extra of ['./parser.mjs', './kill-delay.mjs']) {
  try {
    const mod = await import(extra);
    await mod.default();
  } catch (err) {
    if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes(extra.slice(2))) continue;
    throw err;
  }
}
