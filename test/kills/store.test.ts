import { describe, expect, it } from 'vitest';
import type { OomKill } from '../../src/kernellog/types.js';
import { createKillStore } from '../../src/kills/store.js';
import { oomKill } from '../helpers/kill.js';

const kill = (over: Partial<OomKill>): OomKill => oomKill({ pid: 1, comm: 'java', uid: 0, constraint: 'CONSTRAINT_MEMCG', memcg: '/a', oomMemcg: '/a', ...over });

describe('createKillStore', () => {
  it('counts kills by killer, comm, constraint and cgroup, keeping the latest time', () => {
    const s = createKillStore();
    s.record(kill({ pid: 1 }), 100);
    s.record(kill({ pid: 2 }), 50);
    s.record(kill({ pid: 3, comm: 'python3' }), 70);
    const series = [...s.series()];
    expect(series).toEqual([
      { labels: { killer: 'kernel', comm: 'java', constraint: 'memcg', cgroup: '/a' }, count: 2, lastTimestampSeconds: 100 },
      { labels: { killer: 'kernel', comm: 'python3', constraint: 'memcg', cgroup: '/a' }, count: 1, lastTimestampSeconds: 70 },
    ]);
  });

  it('uses empty labels for what the log did not say, and keeps names with any characters apart', () => {
    const s = createKillStore();
    s.record(kill({ killer: 'systemd-oomd', comm: null, constraint: null, memcg: '/user.slice/x.scope', oomMemcg: null }), 1);
    s.record(kill({ comm: 'a","b' }), 1);
    s.record(kill({ comm: 'a', memcg: '","b' }), 1);
    const labels = [...s.series()].map((x) => x.labels);
    expect(labels[0]).toEqual({ killer: 'systemd-oomd', comm: '', constraint: '', cgroup: '/user.slice/x.scope' });
    expect(labels).toHaveLength(3);
  });

  it("labels the constraint from the kill line's prefix when the kernel printed none, and CONSTRAINT_* over it", () => {
    const s = createKillStore();
    s.record(kill({ constraint: null, oomMemcg: null, prefixConstraint: 'global' }), 1);
    s.record(kill({ pid: 2, comm: 'x', constraint: 'CONSTRAINT_CPUSET', prefixConstraint: 'global' }), 1);
    expect([...s.series()].map((x) => x.labels.constraint)).toEqual(['global', 'cpuset']);
  });

  it('remembers every cgroup a kill named, for the cgroup collector', () => {
    const s = createKillStore();
    s.record(kill({ memcg: '/pod/ctr', oomMemcg: '/pod' }), 1);
    expect([...s.cgroups()].sort()).toEqual(['/pod', '/pod/ctr']);
  });
});
