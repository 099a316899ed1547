import { Counter } from 'prom-client';
import { parsePressure } from '../procfs/pressure.js';
import { readText } from '../procfs/read.js';
import { mirrorCounter, setPresent } from './counter.js';
import type { CollectorDefinition } from './types.js';

/** Memory pressure stall information (PSI): time tasks waited on memory, the early sign of an OOM. */
export const pressureCollector: CollectorDefinition = {
  name: 'pressure',
  defaultEnabled: true,
  help: 'Memory pressure (PSI) totals from /proc/pressure/memory, where the kernel has PSI.',
  create({ registry, config }) {
    const registers = [registry];
    const waiting = new Counter({ name: 'oom_memory_pressure_waiting_seconds_total', help: 'Time at least one task was stalled waiting for memory (PSI some).', registers });
    const stalled = new Counter({ name: 'oom_memory_pressure_stalled_seconds_total', help: 'Time all non-idle tasks were stalled waiting for memory at once (PSI full).', registers });
    const path = `${config.procfs}/pressure/memory`;
    return {
      collect() {
        const res = readText(path);
        // No PSI (kernel < 4.20, CONFIG_PSI off, or psi=0 on the command line: EOPNOTSUPP): no series.
        const p = res.text === undefined ? { someSeconds: undefined, fullSeconds: undefined } : parsePressure(res.text);
        setPresent(registry, waiting, p.someSeconds !== undefined);
        if (p.someSeconds !== undefined) mirrorCounter(waiting, p.someSeconds);
        setPresent(registry, stalled, p.fullSeconds !== undefined);
        if (p.fullSeconds !== undefined) mirrorCounter(stalled, p.fullSeconds);
      },
    };
  },
};
