import { Gauge } from 'prom-client';
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
 * Host memory from <procfs>/meminfo. This was systeminformation's mem(), the library the product
 * started with, but it takes "MemAvailable: 0" for a missing line and then reports free + buffers +
 * cached + slab instead: wrong at exactly the moment before an OOM kill, which is the one moment this
 * exporter exists for. It also always opens /proc/meminfo, ignoring --path.procfs. Same definitions:
 * available = MemAvailable (or free + buffers + cached + slab on kernels before 3.14, which have no
 * such line), swap used = SwapTotal - SwapFree.
 */
export function readHostMemory(procfs: string): HostMemory {
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
  help: 'Host memory and swap from /proc/meminfo.',
  create({ registry, config }) {
    const registers = [registry];
    const total = new Gauge({ name: 'oom_memory_total_bytes', help: 'Total usable RAM (MemTotal).', registers });
    const available = new Gauge({ name: 'oom_memory_available_bytes', help: 'RAM available for new allocations without swapping (MemAvailable).', registers });
    const swapTotal = new Gauge({ name: 'oom_swap_total_bytes', help: 'Total swap space.', registers });
    const swapUsed = new Gauge({ name: 'oom_swap_used_bytes', help: 'Swap space in use.', registers });
    return {
      collect() {
        const m = readHostMemory(config.procfs);
        total.set(m.totalBytes);
        available.set(m.availableBytes);
        swapTotal.set(m.swapTotalBytes);
        swapUsed.set(m.swapUsedBytes);
      },
    };
  },
};
