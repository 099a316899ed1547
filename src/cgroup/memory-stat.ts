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

/**
 * The value of one "key value" line, or undefined when the key is absent or its value is not a plain
 * number. memory.stat has 40 to 80 lines and a scrape wants at most ten of them: ten native searches
 * for "\nkey " cost less than splitting every line into strings.
 */
function valueOf(text: string, key: string): number | undefined {
  let at: number;
  if (text.startsWith(key) && text.charCodeAt(key.length) === 32) at = key.length + 1;
  else {
    const found = text.indexOf(`\n${key} `);
    if (found === -1) return undefined;
    at = found + key.length + 2;
  }
  let n = 0;
  const start = at;
  for (; at < text.length; at++) {
    const c = text.charCodeAt(at);
    if (c === 10) break;
    if (c < 48 || c > 57) return undefined;
    n = n * 10 + (c - 48);
  }
  return at === start ? undefined : n;
}

export function parseMemoryStat(text: string, version: 1 | 2): MemoryStatParts {
  const v = (key: string): number | undefined => valueOf(text, key);
  if (version === 1) {
    // Hierarchical first; a kernel without the totals (none since 2.6.x, but cheap to allow) has only its own.
    const pick = (key: string): number | undefined => v(`total_${key}`) ?? v(key);
    return {
      anonBytes: pick('rss'),
      fileBytes: pick('cache'),
      inactiveFileBytes: pick('inactive_file'),
      shmemBytes: pick('shmem'),
      kernelBytes: undefined,
      sockBytes: undefined,
    };
  }
  let kernel = v('kernel');
  if (kernel === undefined) {
    const slab = v('slab');
    if (slab !== undefined) kernel = slab + (v('kernel_stack') ?? 0) + (v('pagetables') ?? 0) + (v('percpu') ?? 0);
  }
  return {
    anonBytes: v('anon'),
    fileBytes: v('file'),
    inactiveFileBytes: v('inactive_file'),
    shmemBytes: v('shmem'),
    kernelBytes: kernel,
    sockBytes: v('sock'),
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
