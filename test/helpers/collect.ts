import type { Collector, Scrape } from '../../src/collectors/collector.js';
import { ByteWriter } from '../../src/exposition/bytes.js';
import { MetricWriter } from '../../src/exposition/metrics.js';
import { NEVER_PAUSE, type ProcessSample } from '../../src/procfs/processes.js';
import { parseMetrics, type Sample } from './metrics.js';

/** A scrape whose pass over /proc found exactly these processes. */
export function scrapeOf(processes: readonly ProcessSample[] | (() => readonly ProcessSample[])): Scrape {
  const list = typeof processes === 'function' ? processes : () => processes;
  return { pause: NEVER_PAUSE, processes: async () => ({ visible: list().length, exported: list() }) };
}

/** Runs collectors into one body, as a collection does, and returns its text. */
export async function emitText(collectors: readonly Collector[], scrape: Scrape): Promise<string> {
  const out = new ByteWriter();
  const writer = new MetricWriter(out);
  for (const c of collectors) await c.collect(scrape, writer);
  return out.view().toString();
}

export async function emit(collectors: readonly Collector[], scrape: Scrape): Promise<Sample[]> {
  return parseMetrics(await emitText(collectors, scrape));
}
