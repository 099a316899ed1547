import { Gauge } from 'prom-client';
import { mem } from 'systeminformation/lib/memory.js';
import { parseMeminfo } from '../procfs/meminfo.js';
import { readText } from '../procfs/read.js';
import type { CollectorDefinition } from './types.js';

export interface HostMemory {
  totalBytes: number;
  availableBytes: number;
  swapTotalBytes: number;
  swapUsedBytes: number;
}

/**
 * Host memory through systeminformation's mem(), the product's chosen library, when we read the
 * machine's own /proc. systeminformation always opens /proc/meminfo itself, so with --path.procfs
 * pointing elsewhere (a fixture tree, a host /proc mounted at another path) we read <procfs>/meminfo
 * with the same definitions: available = MemAvailable (or free + buffers + cached + slab before 3.14),
 * swap used = SwapTotal - SwapFree.
 */
export async function readHostMemory(procfs: string): Promise<HostMemory> {
  if (procfs === '/proc') {
    const m = await mem();
    return { totalBytes: m.total, availableBytes: m.available, swapTotalBytes: m.swaptotal, swapUsedBytes: m.swapused };
  }
  const path = `${procfs}/meminfo`;
  const res = readText(path);
  if (res.text === undefined) throw new Error(`cannot read ${path} (${res.failure})`);
  const mi = parseMeminfo(res.text);
  const total = mi.get('MemTotal');
  if (total === undefined) throw new Error(`${path} has no MemTotal`);
  const free = mi.get('MemFree') ?? 0;
  const available = mi.get('MemAvailable') ?? free + (mi.get('Buffers') ?? 0) + (mi.get('Cached') ?? 0) + (mi.get('Slab') ?? 0);
  const swapTotal = mi.get('SwapTotal') ?? 0;
  return { totalBytes: total, availableBytes: available, swapTotalBytes: swapTotal, swapUsedBytes: swapTotal - (mi.get('SwapFree') ?? 0) };
}

export const memoryCollector: CollectorDefinition = {
  name: 'memory',
  defaultEnabled: true,
  help: 'Host memory and swap (systeminformation mem()).',
  create({ registry, config }) {
    const registers = [registry];
    const total = new Gauge({ name: 'oom_memory_total_bytes', help: 'Total usable RAM (MemTotal).', registers });
    const available = new Gauge({ name: 'oom_memory_available_bytes', help: 'RAM available for new allocations without swapping (MemAvailable).', registers });
    const swapTotal = new Gauge({ name: 'oom_swap_total_bytes', help: 'Total swap space.', registers });
    const swapUsed = new Gauge({ name: 'oom_swap_used_bytes', help: 'Swap space in use.', registers });
    return {
      async collect() {
        const m = await readHostMemory(config.procfs);
        total.set(m.totalBytes);
        available.set(m.availableBytes);
        swapTotal.set(m.swapTotalBytes);
        swapUsed.set(m.swapUsedBytes);
      },
    };
  },
};
