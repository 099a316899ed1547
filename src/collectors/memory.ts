import { gauge } from '../exposition/metrics.js';
import { parseMeminfo } from '../procfs/meminfo.js';
import { FileReader } from '../procfs/read.js';
import type { Collector, CollectorInfo } from './collector.js';

export const memoryInfo: CollectorInfo = { name: 'memory', defaultEnabled: true, help: 'Host memory and swap from /proc/meminfo.' };

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
export function readHostMemory(procfs: string, files: FileReader = new FileReader(4096)): HostMemory {
  const path = `${procfs}/meminfo`;
  const res = files.text(path);
  if (res.text === undefined) throw new Error(`cannot read ${path} (${res.failure})`);
  const mi = parseMeminfo(res.text);
  const total = mi.get('MemTotal');
  if (total === undefined) throw new Error(`${path} has no MemTotal`);
  const free = mi.get('MemFree') ?? 0;
  const available = mi.get('MemAvailable') ?? free + (mi.get('Buffers') ?? 0) + (mi.get('Cached') ?? 0) + (mi.get('Slab') ?? 0);
  const swapTotal = mi.get('SwapTotal') ?? 0;
  return { totalBytes: total, availableBytes: available, swapTotalBytes: swapTotal, swapUsedBytes: swapTotal - (mi.get('SwapFree') ?? 0) };
}

const TOTAL = gauge('oom_memory_total_bytes', 'Total usable RAM (MemTotal).');
const AVAILABLE = gauge('oom_memory_available_bytes', 'RAM available for new allocations without swapping (MemAvailable).');
const SWAP_TOTAL = gauge('oom_swap_total_bytes', 'Total swap space.');
const SWAP_USED = gauge('oom_swap_used_bytes', 'Swap space in use.');

export function createMemoryCollector(deps: { procfs: string }): Collector {
  const files = new FileReader(4096);
  return {
    collect(_scrape, out) {
      const m = readHostMemory(deps.procfs, files);
      out.single(TOTAL, m.totalBytes);
      out.single(AVAILABLE, m.availableBytes);
      out.single(SWAP_TOTAL, m.swapTotalBytes);
      out.single(SWAP_USED, m.swapUsedBytes);
    },
  };
}
