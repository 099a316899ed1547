import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { killsIn } from '../../src/kernellog/backlog.js';
import { fileBacklog } from '../../src/kernellog/sources/file.js';
import type { OomKill } from '../../src/kernellog/types.js';
import { createKubeNames } from '../../src/cgroup/kubelet-logs.js';
import { createKillsTable, escapeForTerminal, formatKillJson, killLogFields, kubeNameOfKill, localIsoTime, TABLE_WINDOW } from '../../src/kills/format.js';
import { oomKill } from '../helpers/kill.js';

const KEYS = [
  'killer',
  'pid',
  'comm',
  'uid',
  'constraint',
  'memcg',
  'oomMemcg',
  'invoker',
  'totalVmBytes',
  'anonRssBytes',
  'fileRssBytes',
  'shmemRssBytes',
  'pgtablesBytes',
  'oomScoreAdj',
  'time',
  'uptimeSeconds',
  'namespace',
  'pod',
  'container',
];

const FIXTURE = fileURLToPath(new URL('../fixtures/kernellog/kmsg-memcg-v1-6.18.txt', import.meta.url));
/**
 * The kill `kills --file` reads from that fixture (the first test checks it). Written out rather than parsed
 * in a beforeAll: parsing outside a test would make every parser mutant "static" for StrykerJS, which then
 * reruns the whole mutation suite for each of them.
 */
const FIXTURE_KILL: OomKill = {
  killer: 'kernel',
  pid: 1928,
  comm: 'oom (test) 1',
  uid: 0,
  constraint: 'CONSTRAINT_MEMCG',
  memcg: '/oomprobe',
  oomMemcg: '/oomprobe',
  invoker: 'oom (test) 1',
  totalVmBytes: 84516864,
  anonRssBytes: 74055680,
  fileRssBytes: 6971392,
  shmemRssBytes: 0,
  pgtablesBytes: 200704,
  oomScoreAdj: 0,
  time: null,
  uptimeSeconds: 1298.497674,
  prefixConstraint: 'memcg',
  report: {
    tasks: [{ pid: 1928, uid: 0, tgid: 1928, totalVmPages: 20634, rssPages: 19782, pgtablesBytes: 200704, swapEntries: 0, oomScoreAdj: 0, name: 'oom (test) 1' }],
    taskCount: 1,
    memInfo: null,
  },
};
/** The fixture's kill; a fresh copy for each use. */
const realKill = (): OomKill => structuredClone(FIXTURE_KILL);

it('the kill these tests format is the one kills --file reads from the fixture', async () => {
  expect(await killsIn(fileBacklog(FIXTURE))).toEqual([FIXTURE_KILL]);
});

/** The whole table for these kills, as the `kills` command prints it: each row as it comes, then the end. */
function formatKillsTable(kills: readonly OomKill[], window?: number): string {
  const table = createKillsTable(window);
  return kills.map((k) => table.row(k)).join('') + table.flush();
}

describe('formatKillJson', () => {
  it("prints exactly the OomKill keys in order, with the values of the kill, and not the parser's prefixConstraint hint", () => {
    expect(realKill().prefixConstraint).toBe('memcg');
    const line = formatKillJson(realKill());
    expect(line).toBe(
      '{"killer":"kernel","pid":1928,"comm":"oom (test) 1","uid":0,"constraint":"CONSTRAINT_MEMCG","memcg":"/oomprobe","oomMemcg":"/oomprobe",' +
        '"invoker":"oom (test) 1","totalVmBytes":84516864,"anonRssBytes":74055680,"fileRssBytes":6971392,"shmemRssBytes":0,"pgtablesBytes":200704,' +
        '"oomScoreAdj":0,"time":null,"uptimeSeconds":1298.497674,"namespace":null,"pod":null,"container":null}',
    );
  });

  it('keeps null for unknown fields, drops extra properties and ignores the order they came in', () => {
    const { uptimeSeconds, ...rest } = realKill();
    const reordered = { uptimeSeconds, extra: 'x', ...rest, comm: 'a\nb"c', time: null } as OomKill;
    const parsed = JSON.parse(formatKillJson(reordered)) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(KEYS);
    expect(parsed['comm']).toBe('a\nb"c');
    expect(formatKillJson(reordered)).not.toContain('\n');
  });
});

describe('Kubernetes names of a kill (kills run on a node)', () => {
  const names = createKubeNames({ varlog: fileURLToPath(new URL('../fixtures/kubelet/containerd/var/log', import.meta.url)) });
  const inPod = oomKill({
    pid: 7,
    comm: 'gunicorn',
    memcg:
      '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod55c6c714_b240_4dec_9a45_57b61696ab6e.slice/cri-containerd-2032491dcae31e6746f47daa0ac74564f2843a1bd847c5e6c4eb501ca132ac36.scope',
  });

  it('JSON: namespace, pod and container from the kubelet tree; null outside a pod or off a node', () => {
    expect(JSON.parse(formatKillJson(inPod, names))).toMatchObject({ namespace: 'default', pod: 'api-7f9c6d5b8-x2kqz', container: 'gunicorn' });
    expect(JSON.parse(formatKillJson(oomKill({ memcg: '/system.slice/cron.service' }), names))).toMatchObject({ namespace: null, pod: null, container: null });
    expect(JSON.parse(formatKillJson(inPod))).toMatchObject({ namespace: null, pod: null, container: null });
  });

  it('a kill keeps the names it had when read, though its pod is gone from the tree since', () => {
    const gone = { ...inPod, kube: { namespace: 'shop', pod: 'checkout-0', container: 'worker' } };
    expect(JSON.parse(formatKillJson(gone, names))).toMatchObject({ namespace: 'shop', pod: 'checkout-0', container: 'worker' });
  });

  it('table: namespace/pod/container in the POD column', () => {
    const table = createKillsTable(TABLE_WINDOW, null, names);
    const text = table.row(inPod) + table.flush();
    const [header, row] = text.split('\n');
    expect(row!.slice(header!.indexOf('POD')).startsWith('default/api-7f9c6d5b8-x2kqz/gunicorn ')).toBe(true);
  });
});

describe('formatKillsTable', () => {
  const userspace: OomKill = oomKill({ killer: 'systemd-oomd', memcg: '/user.slice/app.scope', time: '2025-12-18T19:34:56.000Z' });

  it('aligns one row per kill under a header, with "-" for unknowns and uptime when there is no wall clock', () => {
    const table = formatKillsTable([realKill(), userspace]);
    expect(table).toBe(
      [
        'TIME                       PID  COMM          KILLER        CONSTRAINT  MEMCG                  POD  ANON-RSS  INVOKER',
        '+1298.497674s             1928  oom (test) 1  kernel        memcg       /oomprobe              -    70.6 MiB  oom (test) 1',
        '2025-12-18T19:34:56.000Z     -  -             systemd-oomd  -           /user.slice/app.scope  -           -  -',
        '',
      ].join('\n'),
    );
  });

  it('escapes control characters and backslashes in names, so a name cannot move the cursor or fake a row', () => {
    const evil = { ...realKill(), comm: 'a\x1b[2J\tb\\', invoker: 'x\ny' };
    const table = formatKillsTable([evil]);
    expect(table).toContain('a\\x1b[2J\\x09b\\x5c');
    expect(table).toContain('x\\x0ay');
    expect(table.split('\n')).toHaveLength(3);
    expect(escapeForTerminal('plain Wörk (1)')).toBe('plain Wörk (1)');
  });

  it('pads by display width, so wide characters keep the columns aligned', () => {
    const table = formatKillsTable([
      { ...realKill(), comm: '日本語' },
      { ...realKill(), comm: 'abcdef' },
    ]);
    const [, a, b] = table.split('\n');
    expect(a!.indexOf('kernel') + 3).toBe(b!.indexOf('kernel'));
  });

  it("labels the constraint from the kill line's prefix when the kernel printed no CONSTRAINT_*", () => {
    const table = formatKillsTable([oomKill({ pid: 1, comm: 'a', prefixConstraint: 'memcg' }), oomKill({ pid: 2, comm: 'b' })]);
    expect(
      table
        .split('\n')
        .slice(1, 3)
        .map((row: string) => row.split(/ {2,}/)[4]),
    ).toEqual(['memcg', '-']);
  });

  it('is empty when there are no kills', () => {
    expect(formatKillsTable([])).toBe('');
    expect(createKillsTable().flush()).toBe('');
  });
});

describe('createKillsTable: rows printed as they come', () => {
  const kill = (pid: number, memcg: string): OomKill => oomKill({ pid, comm: `c${pid}`, memcg, time: '2026-03-09T18:14:14.000Z' });

  it(`holds the first ${TABLE_WINDOW} rows to size the columns, then prints each row at once`, () => {
    const table = createKillsTable();
    const held = Array.from({ length: TABLE_WINDOW - 1 }, (_, i) => table.row(kill(i + 1, '/a')));
    expect(held.every((text) => text === '')).toBe(true);
    const first = table.row(kill(TABLE_WINDOW, '/a'));
    expect(first.split('\n')).toHaveLength(TABLE_WINDOW + 2);
    expect(first).toMatch(/^TIME +PID +COMM +KILLER/);
    const next = table.row(kill(TABLE_WINDOW + 1, '/a'));
    expect(next.split('\n')).toHaveLength(2);
    expect(table.flush()).toBe('');
    // The same text as a table sized on all the rows, since none is wider than the first ones.
    const all = Array.from({ length: TABLE_WINDOW + 1 }, (_, i) => kill(i + 1, '/a'));
    expect(first + next).toBe(formatKillsTable(all, Infinity));
  });

  it('keeps the widths of the first rows: a wider cell later pushes only the rest of its own row', () => {
    const table = createKillsTable(2);
    const head = table.row(kill(1, '/a')) + table.row(kill(2, '/bb'));
    const wide = table.row(kill(3, '/a-much-longer-memcg'));
    const after = table.row(kill(4, '/a'));
    const [header, row1] = head.split('\n');
    const col = (line: string, name: string): number => line.indexOf(name);
    // The wide row's MEMCG starts under the header; what follows it is pushed right, as it is.
    const long = '/a-much-longer-memcg';
    expect(col(wide, long)).toBe(col(header!, 'MEMCG'));
    expect(wide.slice(col(wide, long) + long.length)).toBe(after.slice(col(header!, 'POD') - 2));
    // The row after it is back in the header's columns.
    expect(after.length).toBe(row1!.length + 1);
    expect(col(after, '/a')).toBe(col(header!, 'MEMCG'));
  });

  it('flush() prints the rows held so far under the header (the input paused); later rows keep those widths', () => {
    const table = createKillsTable();
    expect(table.row(kill(1, '/a'))).toBe('');
    const early = table.flush();
    expect(early.split('\n').slice(0, 2)).toEqual([expect.stringMatching(/^TIME/), expect.stringContaining(' c1 ')]);
    const later = table.row(kill(22, '/a'));
    expect(later.indexOf('c22')).toBe(early.split('\n')[1]!.indexOf('c1'));
    expect(table.flush()).toBe('');
  });
});

describe('the table puts this boot wall clock on uptime stamps, as dmesg -T', () => {
  const clock = { bootTimeSeconds: 1_796_000_000, uptimeSeconds: 5_000 };
  const firstCell = (k: OomKill, c: typeof clock | null): string => {
    const table = createKillsTable(1, c);
    return (table.row(k) + table.flush()).split('\n')[1]!.split('  ')[0]!;
  };

  it('boot time plus the stamp, local with its offset', () => {
    const k = { ...realKill(), time: null, uptimeSeconds: 1234.5 };
    expect(firstCell(k, clock)).toBe(localIsoTime(1_796_001_234.5));
    expect(localIsoTime(1_796_001_234.5)).toMatch(/^2026-11-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
  });

  it('a stamp later than this boot has lasted is not this boot: shown as uptime', () => {
    const k = { ...realKill(), time: null, uptimeSeconds: 9_999.25 };
    expect(firstCell(k, clock)).toBe('+9999.250000s');
  });

  it("the log's own time wins, and without a clock an uptime stays one", () => {
    expect(firstCell({ ...realKill(), time: '2026-11-30T10:00:00+01:00', uptimeSeconds: 12 }, clock)).toBe('2026-11-30T10:00:00+01:00');
    expect(firstCell({ ...realKill(), time: null, uptimeSeconds: 12 }, null)).toBe('+12.000000s');
  });

  it('--json keeps the record as it was: time null, the uptime', () => {
    const json = JSON.parse(formatKillJson({ ...realKill(), time: null, uptimeSeconds: 12 })) as Record<string, unknown>;
    expect([json['time'], json['uptimeSeconds']]).toEqual([null, 12]);
  });
});

describe('times in the zone of the machine reading the log', () => {
  it.each([
    ['UTC', 0, '2026-11-30T14:00:01+00:00'],
    ['Asia/Kolkata', 330, '2026-11-30T19:30:01+05:30'],
    ['America/St_Johns', -210, '2026-11-30T10:30:01-03:30'],
    ['Pacific/Chatham', 825, '2026-12-01T03:45:01+13:45'],
    ['America/Adak', -600, '2026-11-30T04:00:01-10:00'],
  ])('%s', (_zone, offset, expected) => {
    expect(localIsoTime(Date.UTC(2026, 10, 30, 14, 0, 1) / 1000, offset)).toBe(expected);
  });

  it("is this machine's zone unless told, to the second", () => {
    const t = Date.UTC(2026, 5, 1, 0, 0, 0) / 1000 + 0.6;
    expect(localIsoTime(t)).toBe(localIsoTime(t, -new Date(t * 1000).getTimezoneOffset()));
    expect(localIsoTime(t, 0)).toBe('2026-06-01T00:00:00+00:00');
    expect(localIsoTime(t + 0.4, 60)).toBe('2026-06-01T01:00:01+01:00');
  });

  it('a stamp of exactly as long as this boot has lasted is still this boot', () => {
    const table = createKillsTable(1, { bootTimeSeconds: 1_796_000_000, uptimeSeconds: 5_000 });
    const text = table.row(oomKill({ uptimeSeconds: 5_000 }));
    expect(text.split('\n')[1]!.startsWith(localIsoTime(1_796_005_000) + '  ')).toBe(true);
  });
});

describe('the kill as a log line', () => {
  const victim = { cgroup: '/docker/abc', rssBytes: 60 << 20, swapBytes: 0, oomScore: 900, oomScoreAdj: 0, sampledAtSeconds: 1700, seenAtSeconds: 1700.5 };

  it('has the labels, every field of the log, the time, and what the exporter last knew of the victim', () => {
    const k = oomKill({
      pid: 42,
      comm: 'java',
      uid: 1000,
      constraint: 'CONSTRAINT_MEMCG',
      oomMemcg: '/docker',
      invoker: 'java',
      totalVmBytes: 1,
      anonRssBytes: 2,
      fileRssBytes: 3,
      shmemRssBytes: 4,
      pgtablesBytes: 5,
      oomScoreAdj: -7,
      uptimeSeconds: 99.5,
      victim,
    });
    expect(killLogFields(k, 1_796_000_000.25, 7)).toEqual({
      id: 7,
      killer: 'kernel',
      comm: 'java',
      pid: 42,
      uid: 1000,
      constraint: 'memcg',
      cgroup: '/docker/abc',
      cgroup_source: 'proc',
      memcg: null,
      oom_memcg: '/docker',
      // /docker/abc is no container ID (not 64 hex): no owner, and no names without a kubelet tree.
      container_id: null,
      container_name: null,
      pod_uid: null,
      systemd_unit: null,
      runtime: null,
      namespace: null,
      pod: null,
      container: null,
      invoker: 'java',
      kill_time: '2026-11-30T00:53:20.250Z',
      uptime_seconds: 99.5,
      total_vm_bytes: 1,
      anon_rss_bytes: 2,
      file_rss_bytes: 3,
      shmem_rss_bytes: 4,
      pgtables_bytes: 5,
      oom_score_adj: -7,
      last_rss_bytes: 60 << 20,
      last_swap_bytes: 0,
      last_oom_score: 900,
      last_oom_score_adj: victim.oomScoreAdj,
      last_seen: '1970-01-01T00:28:20.500Z',
    });
  });

  it("names a pod's container from its cgroup: IDs, unit, runtime, the kubelet's names and the container's own", () => {
    const names = createKubeNames({ varlog: fileURLToPath(new URL('../fixtures/kubelet/containerd/var/log', import.meta.url)) });
    const id = '2032491dcae31e6746f47daa0ac74564f2843a1bd847c5e6c4eb501ca132ac36';
    const memcg = `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod55c6c714_b240_4dec_9a45_57b61696ab6e.slice/cri-containerd-${id}.scope`;
    // kube null: the kill had no names when read (the tree was not read then), so they are looked up now.
    const k = oomKill({
      pid: 7,
      comm: 'gunicorn',
      memcg,
      kube: null,
      victim: { ...victim, cgroup: memcg, swapBytes: null, oomScore: 1500, oomScoreAdj: 1000 },
    });
    expect(killLogFields(k, 1_796_000_000, 3, { containers: new Map([[id, 'gunicorn-web']]), kube: names })).toEqual({
      id: 3,
      killer: 'kernel',
      comm: 'gunicorn',
      pid: 7,
      uid: null,
      constraint: '',
      cgroup: memcg,
      cgroup_source: 'kernel',
      memcg,
      oom_memcg: null,
      container_id: id,
      container_name: 'gunicorn-web',
      pod_uid: '55c6c714-b240-4dec-9a45-57b61696ab6e',
      systemd_unit: `cri-containerd-${id}.scope`,
      runtime: 'containerd',
      namespace: 'default',
      pod: 'api-7f9c6d5b8-x2kqz',
      container: 'gunicorn',
      invoker: null,
      kill_time: '2026-11-30T00:53:20.000Z',
      uptime_seconds: null,
      total_vm_bytes: null,
      anon_rss_bytes: null,
      file_rss_bytes: null,
      shmem_rss_bytes: null,
      pgtables_bytes: null,
      oom_score_adj: null,
      last_rss_bytes: 60 << 20,
      last_swap_bytes: null,
      last_oom_score: 1500,
      last_oom_score_adj: 1000,
      last_seen: '1970-01-01T00:28:20.500Z',
    });
    expect(kubeNameOfKill(k, names)).toEqual({ namespace: 'default', pod: 'api-7f9c6d5b8-x2kqz', container: 'gunicorn' });
    // A container the runtime did not name, and a kill without a cgroup, have no container name.
    expect(killLogFields(k, 0, 4, { containers: new Map(), kube: null }).container_name).toBeNull();
    expect(killLogFields(oomKill({ pid: 7, comm: 'gunicorn' }), 0, 5, { containers: new Map([[id, 'gunicorn-web']]), kube: null }).container_name).toBeNull();
  });

  it('has null for what nobody knew: no cgroup, no victim', () => {
    const f = killLogFields(oomKill({ killer: 'earlyoom', pid: 1, comm: 'x' }), 0, 1);
    expect(f).toMatchObject({ cgroup: null, cgroup_source: null, last_rss_bytes: null, last_swap_bytes: null, last_oom_score: null, last_seen: null, constraint: '' });
    expect(killLogFields(oomKill({ memcg: '/k' }), 0, 2)).toMatchObject({ cgroup: '/k', cgroup_source: 'kernel' });
  });
});

describe('the table, cell by cell', () => {
  const names = createKubeNames({ varlog: fileURLToPath(new URL('../fixtures/kubelet/containerd/var/log', import.meta.url)) });
  const rowOf = (k: OomKill, n: typeof names | null = null): string[] => {
    const table = createKillsTable(1, null, n);
    return table.row(k).split('\n')[1]!.split(/ {2,}/);
  };

  it('names a pod-level cgroup namespace/pod, escaped; "-" for each unknown', () => {
    const podLevel = '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod55c6c714_b240_4dec_9a45_57b61696ab6e.slice';
    expect(rowOf(oomKill({ pid: 1, comm: 'a', memcg: podLevel }), names)[6]).toBe('default/api-7f9c6d5b8-x2kqz');
    expect(JSON.parse(formatKillJson(oomKill({ memcg: podLevel }), names))).toMatchObject({ namespace: 'default', pod: 'api-7f9c6d5b8-x2kqz', container: null });
    // A cgroup that is no pod's has no names (not empty ones, which would print "/").
    const cron = oomKill({ pid: 1, comm: 'a', memcg: '/system.slice/cron.service' });
    expect(kubeNameOfKill(cron, names)).toBeNull();
    expect(rowOf(cron, names)[6]).toBe('-');
    // No cgroup at all: nothing to look up, even with the names.
    expect(JSON.parse(formatKillJson(oomKill({ pid: 1, comm: 'a' }), names))).toMatchObject({ namespace: null, pod: null, container: null });
    expect(rowOf(oomKill({}))).toEqual(['-', '-', '-', 'kernel', '-', '-', '-', '-', '-']);
    expect(rowOf(oomKill({ pid: 3, comm: 'c\\d', memcg: '/m\n', invoker: 'i\x1b', anonRssBytes: 3 << 20 }))).toEqual([
      '-',
      '3',
      'c\\x5cd',
      'kernel',
      '-',
      '/m\\x0a',
      '-',
      '3.0 MiB',
      'i\\x1b',
    ]);
  });

  // The display width of wide characters, at each end of each range the table knows (and just outside it).
  it.each([
    ['\u1100', 2],
    ['\u115f', 2],
    ['\u1160', 1],
    ['\u2e7f', 1],
    ['\u2e80', 2],
    ['\u4e2d', 2],
    ['\ua4cf', 2],
    ['\ua4d0', 1],
    ['\uabff', 1],
    ['\uac00', 2],
    ['\ud7a3', 2],
    ['\ud7b0', 1],
    ['\uf8ff', 1],
    ['\uf900', 2],
    ['\ufaff', 2],
    ['\ufb00', 1],
    ['\ufeff', 1],
    ['\uff00', 2],
    ['\uff60', 2],
    ['\uff61', 1],
    ['\u{1f600}', 1],
    ['\u{1ffff}', 1],
    ['\u{20000}', 2],
    ['\u{3fffd}', 2],
    ['\u{3fffe}', 1],
  ])('U+%s is %i cells wide', (ch, cells) => {
    // Three of it as the comm, then a plain name: the KILLER column starts after the widest COMM cell.
    const table = createKillsTable(2);
    const text = table.row(oomKill({ comm: 'a' + ch.repeat(3) })) + table.row(oomKill({ comm: 'b' }));
    const header = text.split('\n')[0]!;
    expect(header.indexOf('KILLER') - header.indexOf('COMM')).toBe(Math.max(4, 1 + 3 * cells) + 2);
  });
});
