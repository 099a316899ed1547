import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseMemoryStat, workingSet } from '../../src/cgroup/memory-stat.js';

const FIX = fileURLToPath(new URL('../fixtures/cgroup', import.meta.url));
const read = (p: string): string => readFileSync(`${FIX}/${p}/memory.stat`, 'utf8');
const V1_DOCKER = 'v1/sys/fs/cgroup/memory/docker/2403ccfe427f1dc7b6120dccb9ac58c2f8456950380d587a9f33ea7f00dd303d';
const V2_NGINX = 'v2/sys/fs/cgroup/system.slice/nginx.service';
const V2_POD =
  'v2/sys/fs/cgroup/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod55c6c714_b240_4dec_9a45_57b61696ab6e.slice/cri-containerd-2032491dcae31e6746f47daa0ac74564f2843a1bd847c5e6c4eb501ca132ac36.scope';

describe('parseMemoryStat', () => {
  it("v1: the hierarchical total_ counters, not the cgroup's own", () => {
    expect(parseMemoryStat(read(V1_DOCKER), 1)).toEqual({
      anonBytes: 11010048,
      fileBytes: 196608000,
      inactiveFileBytes: 188743680,
      shmemBytes: 1048576,
      kernelBytes: undefined,
      sockBytes: undefined,
    });
    // A parent whose children hold the memory: its own counters are small, the totals are not.
    const parent = 'cache 4096\nrss 0\nshmem 0\ninactive_file 4096\ntotal_cache 900000\ntotal_rss 500000\ntotal_shmem 0\ntotal_inactive_file 800000\n';
    expect(parseMemoryStat(parent, 1)).toMatchObject({ anonBytes: 500000, fileBytes: 900000, inactiveFileBytes: 800000 });
    // A kernel without the totals: the local ones.
    expect(parseMemoryStat('cache 10\nrss 20\ninactive_file 5\n', 1)).toMatchObject({ anonBytes: 20, fileBytes: 10, inactiveFileBytes: 5, shmemBytes: undefined });
  });

  it('v2 since 5.18: kernel as printed, sock', () => {
    expect(parseMemoryStat(read(V2_NGINX), 2)).toEqual({
      anonBytes: 2293760,
      fileBytes: 9474048,
      inactiveFileBytes: 6250496,
      shmemBytes: 4096,
      kernelBytes: 811008,
      sockBytes: 12288,
    });
  });

  it('v2 before 5.18: kernel is slab + kernel_stack + pagetables + percpu', () => {
    expect(parseMemoryStat(read(V2_POD), 2)).toMatchObject({ anonBytes: 520093696, kernelBytes: 669344 + 294912 + 1708032 + 14400, sockBytes: 0 });
  });

  it('keeps what is absent undefined, and skips lines that are not "key number"', () => {
    expect(parseMemoryStat('anon 0\n', 2)).toEqual({
      anonBytes: 0,
      fileBytes: undefined,
      inactiveFileBytes: undefined,
      shmemBytes: undefined,
      kernelBytes: undefined,
      sockBytes: undefined,
    });
    expect(parseMemoryStat('anon -5\nfile 1e3\nshmem\ninactive_file 7', 2)).toMatchObject({
      anonBytes: undefined,
      fileBytes: undefined,
      shmemBytes: undefined,
      inactiveFileBytes: 7,
    });
    // A v1 key in a v2 file (or the reverse) is not taken.
    expect(parseMemoryStat('total_rss 100\n', 2).anonBytes).toBeUndefined();
    expect(parseMemoryStat('anon 100\n', 1).anonBytes).toBeUndefined();
  });

  it('finds a key on the first line only as a whole key, and a value only when there are digits', () => {
    // "file_mapped" begins like "file": the first line is not "file".
    expect(parseMemoryStat('file_mapped 5\nfile 9\n', 2).fileBytes).toBe(9);
    expect(parseMemoryStat('file 9\n', 2).fileBytes).toBe(9);
    expect(parseMemoryStat('anon \nfile 9', 2)).toMatchObject({ anonBytes: undefined, fileBytes: 9 });
    expect(parseMemoryStat('file 1\nanon ', 2).anonBytes).toBeUndefined();
  });
});

describe('workingSet', () => {
  it('is usage minus inactive file, never below zero, unknown when either is', () => {
    expect(workingSet(209715200, 188743680)).toBe(20971520);
    expect(workingSet(100, 150)).toBe(0);
    expect(workingSet(undefined, 5)).toBeUndefined();
    expect(workingSet(5, undefined)).toBeUndefined();
  });
});
