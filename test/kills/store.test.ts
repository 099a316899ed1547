import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { startKernelLog } from '../../src/kernellog/follower.js';
import type { OomKill } from '../../src/kernellog/types.js';
import { attributeKill, cgroupOf, createKillStore } from '../../src/kills/store.js';
import type { KnownProcess } from '../../src/procfs/known.js';
import { createProcessScanner } from '../../src/procfs/processes.js';
import { oomKill } from '../helpers/kill.js';
import { fakeKmsg, kmsgRecord } from '../kernellog/fake-kmsg.js';

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

  it('uses empty labels for what the log did not say', () => {
    const s = createKillStore();
    s.record(kill({ killer: 'systemd-oomd', comm: null, constraint: null, memcg: '/user.slice/x.scope', oomMemcg: null }), 1);
    expect([...s.series()].map((x) => x.labels)).toEqual([{ killer: 'systemd-oomd', comm: '', constraint: '', cgroup: '/user.slice/x.scope' }]);
  });

  // Mutation it catches: the series key as a plain join of the labels (`[killer, comm, constraint,
  // cgroup].join(',')`): these two kills would be one series, "kernel,x,memcg,memcg,/a", counted twice.
  it('keeps apart two kills whose labels a plain comma join would merge', () => {
    const s = createKillStore();
    s.record(kill({ comm: 'x,memcg', memcg: '/a' }), 1);
    s.record(kill({ comm: 'x', memcg: 'memcg,/a' }), 2);
    expect([...s.series()]).toEqual([
      { labels: { killer: 'kernel', comm: 'x,memcg', constraint: 'memcg', cgroup: '/a' }, count: 1, lastTimestampSeconds: 1 },
      { labels: { killer: 'kernel', comm: 'x', constraint: 'memcg', cgroup: 'memcg,/a' }, count: 1, lastTimestampSeconds: 2 },
    ]);
  });

  it('keeps names with any characters apart, whatever separator a key might use (property)', () => {
    // Each run: names and cgroups of "a" and one character a joined key could use as its separator
    // (or quote), and no constraint (an empty label between them). Under a join on that character,
    // distinct pairs collide often (joined on "|", comm "a|" with cgroup "|a" and comm "a" with cgroup
    // "||a" are both "kernel|a|||a"); they must stay distinct series.
    const pairs = fc.constantFrom(',', '|', ';', ':', '/', ' ', '\t', '\n', '\0', '"', '\\', '=', '_', '-', '.').chain((sep) => {
      const text = fc.string({ unit: fc.constantFrom('a', sep), maxLength: 4 });
      return fc.array(fc.tuple(text, text), { minLength: 2, maxLength: 24 });
    });
    fc.assert(
      fc.property(pairs, (list) => {
        const s = createKillStore();
        // The model: counts by comm, then by cgroup, with no key made of strings at all.
        const model = new Map<string, Map<string, number>>();
        for (const [comm, cgroup] of list) {
          s.record(kill({ comm, memcg: cgroup, constraint: null, oomMemcg: null }), 1);
          const byCgroup = model.get(comm) ?? new Map<string, number>();
          byCgroup.set(cgroup, (byCgroup.get(cgroup) ?? 0) + 1);
          model.set(comm, byCgroup);
        }
        const series = [...s.series()];
        expect(series).toHaveLength([...model.values()].reduce((n, m) => n + m.size, 0));
        for (const x of series) expect(x.count).toBe(model.get(x.labels.comm)?.get(x.labels.cgroup));
      }),
      { numRuns: 1000 },
    );
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

/** What the exporter's table would know of pid 4242, named 'worker', last seen in /docker/abc. */
const KNOWN: KnownProcess = {
  inode: 1,
  listed: 3,
  young: 0,
  firstSeenMs: 1_000_000,
  seenMs: 1_700_500,
  sampledMs: 1_700_000,
  sample: { pid: 4242, comm: 'worker', cgroup: '/docker/abc', cmdline: undefined, rssBytes: 60 << 20, swapBytes: undefined, oomScore: 900, oomScoreAdj: 0 },
};
const lookup = (pid: number, comm: string): KnownProcess | undefined => (pid === 4242 && comm === 'worker' ? KNOWN : undefined);

describe('attribution: the victim as the exporter last saw it', () => {
  // A kill line whose report lost its header to the kernel's rate limit: pid, comm, no task_memcg.
  const bare = (over: Partial<OomKill> = {}): OomKill => oomKill({ pid: 4242, comm: 'worker', prefixConstraint: 'memcg', ...over });

  it('sets the last-known state on the kill itself, null where the exporter did not know a value', () => {
    const k = bare();
    expect(attributeKill(k, lookup)).toBe(k);
    expect(k.victim).toEqual({
      cgroup: '/docker/abc',
      rssBytes: 60 << 20,
      swapBytes: null,
      oomScore: 900,
      oomScoreAdj: 0,
      sampledAtSeconds: 1700,
      seenAtSeconds: 1700.5,
    });
    expect(cgroupOf(k)).toEqual({ cgroup: '/docker/abc', source: 'proc' });
  });

  it('labels the kill with that cgroup when the report has none, and remembers the cgroup', () => {
    const s = createKillStore();
    s.record(attributeKill(bare(), lookup), 1);
    expect([...s.series()][0]?.labels).toEqual({ killer: 'kernel', comm: 'worker', constraint: 'memcg', cgroup: '/docker/abc' });
    expect([...s.cgroups()]).toEqual(['/docker/abc']);
  });

  it("keeps the kernel's task_memcg when the report has it", () => {
    const k = attributeKill(bare({ memcg: '/docker/abc/sub' }), lookup);
    expect(k.victim?.cgroup).toBe('/docker/abc');
    expect(cgroupOf(k)).toEqual({ cgroup: '/docker/abc/sub', source: 'kernel' });
  });

  it('leaves the cgroup unknown for a victim the exporter never saw, or a kill without pid or comm', () => {
    for (const k of [bare({ pid: 1 }), bare({ comm: 'other' }), bare({ pid: null }), bare({ comm: null })]) {
      expect(attributeKill(k, lookup).victim).toBeNull();
      expect(cgroupOf(k)).toBeNull();
    }
    // Without a pid or a comm there is nothing to look up: the table is not asked (its key needs both).
    const asked: [unknown, unknown][] = [];
    const recording = (pid: number, comm: string): KnownProcess | undefined => {
      asked.push([pid, comm]);
      return KNOWN;
    };
    for (const k of [bare({ pid: null }), bare({ comm: null }), bare({ pid: null, comm: null })]) {
      expect(attributeKill(k, recording).victim).toBeNull();
    }
    expect(asked).toEqual([]);
    expect(attributeKill(bare(), recording).victim?.cgroup).toBe('/docker/abc');
    expect(asked).toEqual([[4242, 'worker']]);
    // A process the exporter saw outside any memory cgroup does not make up a label either.
    const noCgroup = attributeKill(bare(), () => ({ ...KNOWN, sample: { ...KNOWN.sample, cgroup: '' } }));
    expect(cgroupOf(noCgroup)).toBeNull();
    const s = createKillStore();
    s.record(noCgroup, 1);
    expect([...s.series()][0]?.labels.cgroup).toBe('');
    // And no cgroup named '' to look at.
    expect([...s.cgroups()]).toEqual([]);
  });
});

describe('attribution wired as the composition root wires it', () => {
  it('sets the victim on the kill that the follower lists and every later listener gets', async () => {
    const procfs = fileURLToPath(new URL('../fixtures/proc', import.meta.url));
    const scanner = createProcessScanner({ procfs, wantCmdline: false });
    await scanner.scan();
    const store = createKillStore();
    const kmsg = fakeKmsg();
    const follower = await startKernelLog({
      source: 'kmsg',
      kmsg: { path: '/dev/null', read: kmsg.read },
      procfs,
      pollIntervalMs: 3_600_000,
      onKill: (kill, ts) =>
        store.record(
          attributeKill(kill, (pid, comm) => scanner.lastKnown(pid, comm)),
          ts,
        ),
    });
    try {
      const later: (OomKill['victim'] | undefined)[] = [];
      follower.onKill((kill) => later.push(kill.victim));
      // The Killed line alone, as the kernel prints it when the rest of the report is rate-limited:
      // PID 100 of the fixture /proc is python3 in /system.slice/app.service.
      kmsg.push(
        kmsgRecord(
          1,
          'Memory cgroup out of memory: Killed process 100 (python3) total-vm:1000kB, anon-rss:900kB, file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:40kB oom_score_adj:500',
        ),
      );
      follower.drain();
      const listed = follower.recent()[0];
      expect(listed?.memcg).toBeNull();
      expect(listed?.victim).toMatchObject({ cgroup: '/system.slice/app.service', rssBytes: 102400 * 1024, oomScore: 667, oomScoreAdj: 500 });
      expect(later).toEqual([listed?.victim]);
      expect([...store.series()].map((x) => x.labels)).toEqual([{ killer: 'kernel', comm: 'python3', constraint: 'memcg', cgroup: '/system.slice/app.service' }]);
    } finally {
      await follower.stop();
    }
  });
});
