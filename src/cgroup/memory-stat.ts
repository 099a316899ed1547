/**
 * What a memory cgroup's charge is made of, from its memory.stat (pure: text in, numbers out). The OOM
 * killer acts on what cannot be reclaimed: a cgroup near its limit with mostly inactive page cache is
 * fine (the kernel drops that cache before it kills), one near it with anonymous memory is not. So the
 * parts are exported beside usage, and the working set (usage minus inactive file, as kubelet computes
 * it for evictions and cAdvisor for container_memory_working_set_bytes) is what the alerts compare.
 *
 * cgroup v1 prints each counter twice: `rss` for the cgroup alone and `total_rss` for it and its
 * descendants. usage_in_bytes is hierarchical, so the `total_` ones are read (the local one only where a
 * kernel lacks the total). cgroup v2's memory.stat is always hierarchical.
 */
export interface MemoryStatParts {
  /** Anonymous memory: v2 `anon`, v1 `total_rss` (anonymous and swap cache, transparent huge pages included). */
  anonBytes: number | undefined;
  /** Page cache, tmpfs/shmem included: v2 `file`, v1 `total_cache`. */
  fileBytes: number | undefined;
  /** The part of the page cache on the inactive list, reclaimed first: v2 `inactive_file`, v1 `total_inactive_file`. */
  inactiveFileBytes: number | undefined;
  /** tmpfs, shared memory and shared anonymous mappings (part of file, but swap-backed, not dropped): v2 `shmem`, v1 `total_shmem`. */
  shmemBytes: number | undefined;
  /**
   * Kernel memory charged to the cgroup: v2 `kernel` (5.18+), else the sum of `slab`, `kernel_stack`,
   * `pagetables` and `percpu` that older v2 kernels print. v1 has it in memory.kmem.usage_in_bytes,
   * read by the caller, not here.
   */
  kernelBytes: number | undefined;
  /** Network socket buffers: v2 `sock` (v1 has memory.kmem.tcp.usage_in_bytes for TCP only; not used). */
  sockBytes: number | undefined;
}

const V1_KEYS = ['rss', 'cache', 'inactive_file', 'shmem'] as const;
const V2_KEYS = ['anon', 'file', 'inactive_file', 'shmem', 'kernel', 'slab', 'kernel_stack', 'pagetables', 'percpu', 'sock'] as const;
const WANTED = new Set<string>([...V1_KEYS, ...V1_KEYS.map((k) => `total_${k}`), ...V2_KEYS]);

/** The "key value" lines of memory.stat that are wanted here; other keys (dozens) are skipped unparsed. */
function wantedValues(text: string): Map<string, number> {
  const out = new Map<string, number>();
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const space = text.indexOf(' ', start);
    if (space !== -1 && space < end) {
      const key = text.slice(start, space);
      if (WANTED.has(key)) {
        const value = text.slice(space + 1, end);
        if (/^\d+$/.test(value)) out.set(key, Number(value));
      }
    }
    start = end + 1;
  }
  return out;
}

export function parseMemoryStat(text: string, version: 1 | 2): MemoryStatParts {
  const v = wantedValues(text);
  if (version === 1) {
    const pick = (k: (typeof V1_KEYS)[number]): number | undefined => v.get(`total_${k}`) ?? v.get(k);
    return {
      anonBytes: pick('rss'),
      fileBytes: pick('cache'),
      inactiveFileBytes: pick('inactive_file'),
      shmemBytes: pick('shmem'),
      kernelBytes: undefined,
      sockBytes: undefined,
    };
  }
  let kernel = v.get('kernel');
  if (kernel === undefined && v.has('slab')) {
    kernel = (v.get('slab') ?? 0) + (v.get('kernel_stack') ?? 0) + (v.get('pagetables') ?? 0) + (v.get('percpu') ?? 0);
  }
  return {
    anonBytes: v.get('anon'),
    fileBytes: v.get('file'),
    inactiveFileBytes: v.get('inactive_file'),
    shmemBytes: v.get('shmem'),
    kernelBytes: kernel,
    sockBytes: v.get('sock'),
  };
}

/**
 * The working set: usage minus inactive file, never below zero (the two files are read one after the
 * other, and the kernel's per-CPU counters lag). kubelet's eviction signal and cAdvisor's
 * container_memory_working_set_bytes are this same figure.
 */
export function workingSet(usageBytes: number | undefined, inactiveFileBytes: number | undefined): number | undefined {
  if (usageBytes === undefined || inactiveFileBytes === undefined) return undefined;
  return Math.max(0, usageBytes - inactiveFileBytes);
}
