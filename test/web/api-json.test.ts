import { describe, expect, it } from 'vitest';
import type { CgroupMemory } from '../../src/cgroup/memory.js';
import type { SnapshotProcess } from '../../src/collection.js';
import { processesJson } from '../../src/web/api-json.js';

const proc = (pid: number, cgroup: string, oomScore: number): SnapshotProcess => ({
  pid,
  comm: `p${pid}`,
  cgroup,
  rssBytes: 1000,
  swapBytes: 0,
  oomScore,
  oomScoreAdj: 0,
});
const mem = (usageBytes: number, limitBytes: number | undefined): CgroupMemory => ({ usageBytes, limitBytes, workingSetBytes: usageBytes }) as unknown as CgroupMemory;

describe('processesJson', () => {
  // A pod-level limit over two unlimited containers, and ten limited services.
  const limits = new Map<string, CgroupMemory>([
    ['/kubepods/pod1', mem(900, 1000)],
    ['/kubepods/pod1/c1', mem(500, undefined)],
    ['/kubepods/pod1/c2', mem(400, undefined)],
    ...Array.from({ length: 10 }, (_, i) => [`/svc${i}`, mem(100, 10_000 + i)] as [string, CgroupMemory]),
  ]);
  const read = (c: string): CgroupMemory | null => limits.get(c) ?? null;
  const processes = [proc(1, '/kubepods/pod1/c1', 900), proc(2, '/kubepods/pod1/c2', 800), ...Array.from({ length: 10 }, (_, i) => proc(10 + i, `/svc${i}`, 100))];

  it("lists the limit set on an ancestor of the cgroup asked for: the pod's limit governs its container", () => {
    const body = processesJson(processes, 0, { limit: 20, cgroup: '/kubepods/pod1/c2' }, read);
    expect((body.processes as { pid: number }[]).map((p) => p.pid)).toEqual([2]);
    expect(body.cgroups).toEqual([
      { cgroup: '/kubepods/pod1', usageBytes: 900, limitBytes: 1000, headroomBytes: 100, victim: { pid: 2, comm: 'p2', score: 800, rssBytes: 1000 } },
    ]);
  });

  it('limit bounds the cgroups too, keeping those nearest their limit', () => {
    const body = processesJson(processes, 0, { limit: 3, cgroup: null }, read);
    expect((body.processes as unknown[]).length).toBe(3);
    expect((body.cgroups as { cgroup: string }[]).map((c) => c.cgroup)).toEqual(['/kubepods/pod1', '/svc0', '/svc1']);
  });
});
