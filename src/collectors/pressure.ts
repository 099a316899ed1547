import { counter } from '../exposition/metrics.js';
import { parsePressure } from '../procfs/pressure.js';
import { FileReader } from '../procfs/read.js';
import type { Collector, CollectorInfo } from './collector.js';

export const pressureInfo: CollectorInfo = {
  name: 'pressure',
  defaultEnabled: true,
  help: 'Memory pressure (PSI) totals from /proc/pressure/memory, where the kernel has PSI.',
};

const WAITING = counter('oom_memory_pressure_waiting_seconds_total', 'Time at least one task was stalled waiting for memory (PSI some).');
const STALLED = counter('oom_memory_pressure_stalled_seconds_total', 'Time all non-idle tasks were stalled waiting for memory at once (PSI full).');

/** Memory pressure stall information (PSI): time tasks waited on memory, the early sign of an OOM. */
export function createPressureCollector(deps: { procfs: string }): Collector {
  const files = new FileReader(1024);
  const path = `${deps.procfs}/pressure/memory`;
  return {
    collect(_scrape, out) {
      const res = files.text(path);
      // No PSI (kernel < 4.20, CONFIG_PSI off, or psi=0 on the command line: EOPNOTSUPP): no series.
      if (res.text === undefined) return;
      const p = parsePressure(res.text);
      out.single(WAITING, p.someSeconds);
      out.single(STALLED, p.fullSeconds);
    },
  };
}
