import { describe, expect, it } from 'vitest';
import { createKnownProcesses, MAX_TOMBSTONES, TOMBSTONE_MS, type KnownProcess } from '../../src/procfs/known.js';

function proc(pid: number, comm: string, cgroup: string, listed: number): KnownProcess {
  return {
    inode: pid * 10,
    listed,
    young: 0,
    firstSeenMs: 0,
    seenMs: 0,
    sampledMs: 0,
    sample: { pid, comm, cgroup, cmdline: undefined, rssBytes: 1, swapBytes: 0, oomScore: 2, oomScoreAdj: 0 },
  };
}

describe('createKnownProcesses', () => {
  it('finds a live process by pid only under its own name', () => {
    const t = createKnownProcesses();
    t.set(7, proc(7, 'java', '/a', 1));
    expect(t.find(7, 'java', 0)?.sample.cgroup).toBe('/a');
    // Another name behind the same pid is another process (PID reuse): never taken for it.
    expect(t.find(7, 'javac', 0)).toBeUndefined();
    expect(t.find(8, 'java', 0)).toBeUndefined();
  });

  it('keeps a process a pass did not list as a tombstone, findable for tombstoneMs', () => {
    const t = createKnownProcesses({ tombstoneMs: 1000 });
    t.set(7, proc(7, 'java', '/a', 1));
    t.set(8, proc(8, 'sh', '/b', 2));
    t.sweep(2, 5000);
    expect(t.get(7)).toBeUndefined();
    expect([t.liveCount, t.tombstoneCount]).toEqual([1, 1]);
    expect(t.find(7, 'java', 5000)?.sample.cgroup).toBe('/a');
    expect(t.find(7, 'java', 6000)?.sample.cgroup).toBe('/a');
    expect(t.find(7, 'java', 6001)).toBeUndefined();
    // Dropped by the next sweep past its time.
    t.sweep(2, 6001);
    expect(t.tombstoneCount).toBe(0);
  });

  it('keeps the dead process findable when a new one takes its pid', () => {
    const t = createKnownProcesses();
    t.set(7, proc(7, 'victim', '/a', 1));
    t.sweep(2, 0);
    t.set(7, proc(7, 'bash', '/b', 3));
    expect(t.find(7, 'victim', 10)?.sample.cgroup).toBe('/a');
    expect(t.find(7, 'bash', 10)?.sample.cgroup).toBe('/b');
    // The live one first, when both have the name.
    t.sweep(4, 20);
    t.set(7, proc(7, 'victim', '/c', 5));
    expect(t.find(7, 'victim', 30)?.sample.cgroup).toBe('/c');
  });

  it('keeps at most maxTombstones, dropping the oldest', () => {
    const t = createKnownProcesses({ maxTombstones: 2 });
    for (const pid of [1, 2, 3]) {
      t.set(pid, proc(pid, `p${pid}`, `/${pid}`, pid));
      t.sweep(pid + 1, pid);
    }
    expect(t.tombstoneCount).toBe(2);
    expect(t.find(1, 'p1', 3)).toBeUndefined();
    expect(t.find(2, 'p2', 3)?.sample.cgroup).toBe('/2');
    expect(t.find(3, 'p3', 3)?.sample.cgroup).toBe('/3');
  });

  it('defaults outlast the journald source restarting journalctl (30 s at most), within a bounded size', () => {
    expect(TOMBSTONE_MS).toBeGreaterThan(30_000);
    expect(MAX_TOMBSTONES).toBeGreaterThanOrEqual(1000);
    expect(MAX_TOMBSTONES).toBeLessThanOrEqual(10_000);
  });
});
