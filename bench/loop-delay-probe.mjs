// @ts-check
// Event-loop delay inside the exporter, without touching its code: preloaded with
//   OOM_LOOP_DELAY_FILE=/tmp/eld.json node --import ./bench/loop-delay-probe.mjs dist/cli.js ...
// it runs perf_hooks.monitorEventLoopDelay (one histogram per resolution in OOM_LOOP_DELAY_RESOLUTIONS,
// ms, default "10,1") and, on each SIGUSR2, writes the percentiles since the previous SIGUSR2 (or the
// start) to OOM_LOOP_DELAY_FILE as JSON (written whole, then renamed into place), then starts afresh.
// The first SIGUSR2 after a warm-up therefore opens the measured window, the second closes it.
// Without OOM_LOOP_DELAY_FILE it does nothing. It installs no SIGTERM/SIGINT handler and keeps
// nothing alive (the histogram's timer and the signal handle are unref'd), so the exporter starts,
// serves and shuts down as it would without it. Each sample of a histogram is the time between two
// ticks of its timer, so an idle loop reads about the resolution itself (10 ms at resolution 10).
import { renameSync, writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const file = process.env.OOM_LOOP_DELAY_FILE;
if (file) {
  const histograms = (process.env.OOM_LOOP_DELAY_RESOLUTIONS ?? '10,1')
    .split(',')
    .map(Number)
    .filter((r) => Number.isInteger(r) && r >= 1)
    .map((resolution) => ({ resolution, h: monitorEventLoopDelay({ resolution }) }));
  for (const { h } of histograms) h.enable();
  let seq = 0;
  let since = Date.now();
  /** @param {number} ns */
  const ms = (ns) => ns / 1e6;
  process.on('SIGUSR2', () => {
    const now = Date.now();
    const out = {
      seq: ++seq,
      pid: process.pid,
      windowMs: now - since,
      histograms: histograms.map(({ resolution, h }) => ({
        resolution,
        count: h.count,
        min: ms(h.min),
        mean: ms(h.mean),
        p50: ms(h.percentile(50)),
        p90: ms(h.percentile(90)),
        p99: ms(h.percentile(99)),
        max: ms(h.max),
      })),
    };
    for (const { h } of histograms) h.reset();
    since = now;
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(out) + '\n');
    renameSync(tmp, file);
  });
}
