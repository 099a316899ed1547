import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { killsIn } from '../../src/kernellog/backlog.js';
import { keepLargest, memInfoTokens, reportPageBytes, taskHeader, taskRow, TASKS_KEPT, type TaskRow } from '../../src/kernellog/report-tables.js';
import { fileBacklog } from '../../src/kernellog/sources/file.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/kernellog/${name}`, import.meta.url));

describe('the task table', () => {
  it.each([
    // 6.x, 4.19-5.x, a patched kernel with an extra column (dmesg-lkml-mempolicy.txt), 3.x.
    ['[  pid  ]   uid  tgid total_vm      rss rss_anon rss_file rss_shmem pgtables_bytes swapents oom_score_adj name', 11],
    ['[  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name', 8],
    ['[  pid  ]   uid  tgid total_vm      rss (01)nrss  pgtables_bytes swapents oom_score_adj name', 9],
    ['[ pid ]   uid  tgid total_vm      rss nr_ptes nr_pmds swapents oom_score_adj name', 9],
  ])('reads the header of every kernel: %s', (header, n) => {
    expect(taskHeader(header)).toHaveLength(n);
  });

  it('reads a row by its header: names with spaces and markup whole, negative adj, missing columns null', () => {
    const cols = taskHeader('[ pid ]   uid  tgid total_vm      rss nr_ptes nr_pmds swapents oom_score_adj name')!;
    expect(taskRow('[ 1234]  1000  1234   123456    7890      50       3        0          -998 Web (Content) <b>', cols)).toEqual({
      pid: 1234,
      uid: 1000,
      tgid: 1234,
      totalVmPages: 123456,
      rssPages: 7890,
      pgtablesBytes: null,
      swapEntries: 0,
      oomScoreAdj: -998,
      name: 'Web (Content) <b>',
    });
  });

  it('is no row: another bracketed line, a short row', () => {
    const cols = taskHeader('[  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name')!;
    expect(taskRow('[drm] something else', cols)).toBeNull();
    expect(taskRow('[   12]     0    12', cols)).toBeNull();
    expect(taskHeader('[ 12.5] not a header')).toBeNull();
  });

  it(`keeps the ${TASKS_KEPT} largest by RSS, largest first`, () => {
    const kept: TaskRow[] = [];
    const row = (pid: number, rss: number): TaskRow => ({
      pid,
      uid: 0,
      tgid: pid,
      totalVmPages: 0,
      rssPages: rss,
      pgtablesBytes: 0,
      swapEntries: 0,
      oomScoreAdj: 0,
      name: `p${pid}`,
    });
    for (let pid = 1; pid <= 50; pid++) keepLargest(kept, row(pid, (pid * 37) % 101));
    expect(kept).toHaveLength(TASKS_KEPT);
    const rss = kept.map((r) => r.rssPages!);
    expect(rss).toEqual([...rss].sort((a, b) => b - a));
    expect(rss[0]).toBe(Math.max(...Array.from({ length: 50 }, (_, i) => ((i + 1) * 37) % 101)));
  });

  it("Mem-Info's summary tokens; a line of other words is none", () => {
    expect(memInfoTokens(' active_file:56 inactive_file:78')).toEqual([
      ['active_file', 56],
      ['inactive_file', 78],
    ]);
    expect(memInfoTokens('Node 0 active_anon:4800kB')).toBeNull();
  });
});

describe('a kill carries its report tables, from real reports', () => {
  it('6.18 memcg kill read from /dev/kmsg on this machine: its one task', async () => {
    const [k] = await killsIn(fileBacklog(fixture('kmsg-memcg-v1-6.18.txt')));
    expect(k?.report?.taskCount).toBe(1);
    expect(k?.report?.tasks[0]).toMatchObject({ pid: 1928, name: 'oom (test) 1', rssPages: 19782, pgtablesBytes: 200704, oomScoreAdj: 0 });
  });

  it('a patched kernel with an extra column (LKML): rows by the header, largest first', async () => {
    const kills = await killsIn(fileBacklog(fixture('dmesg-lkml-mempolicy.txt')));
    const tasks = kills[0]?.report?.tasks ?? [];
    expect(tasks[0]).toMatchObject({ pid: 12399, name: 'a.out', rssPages: 1311056, pgtablesBytes: 10534912 });
    expect(tasks.map((t) => t.rssPages)).toEqual([...tasks.map((t) => t.rssPages)].sort((a, b) => b! - a!));
  });

  it("derives the report's page size from the victim's row and its kill line", async () => {
    // 6.18, x86-64: anon-rss 72320 kB + file-rss 6808 kB over 19782 pages is 4 KiB.
    const [k] = await killsIn(fileBacklog(fixture('kmsg-memcg-v1-6.18.txt')));
    expect(reportPageBytes(k!.report!, k!.pid!, k!)).toBe(4096);
    // The same row counted in 64 KiB pages (an arm64 or ppc64 kernel), within what the victim touched
    // between the two lines; a ratio near no page size, a victim not in the table, an empty row: unknown.
    const row: TaskRow = { ...k!.report!.tasks[0]!, rssPages: 1236 };
    const tables = { tasks: [row], taskCount: 1, memInfo: null };
    expect(reportPageBytes(tables, row.pid, k!)).toBe(65536);
    expect(reportPageBytes({ ...tables, tasks: [{ ...row, rssPages: 7000 }] }, row.pid, k!)).toBeNull();
    expect(reportPageBytes(tables, row.pid + 1, k!)).toBeNull();
    expect(reportPageBytes({ ...tables, tasks: [{ ...row, rssPages: 0 }] }, row.pid, k!)).toBeNull();
    expect(reportPageBytes(tables, row.pid, { anonRssBytes: null, fileRssBytes: null, shmemRssBytes: null })).toBeNull();
  });

  it('a report without a task table has no tables', async () => {
    const [k] = await killsIn(fileBacklog(fixture('dmesg-iso-ert7797.txt')));
    // The header line is there, its rows were not in the excerpt.
    expect(k?.report).toEqual({ tasks: [], taskCount: 0, memInfo: null });
  });
});

describe('the report tables, at their edges', () => {
  const cols = taskHeader('[  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name')!;
  const row = (pid: number, rss: number | null): TaskRow => ({
    pid,
    uid: 0,
    tgid: pid,
    totalVmPages: 0,
    rssPages: rss,
    pgtablesBytes: 0,
    swapEntries: 0,
    oomScoreAdj: 0,
    name: `p${pid}`,
  });

  it('a header starts with "[ pid ]" and ends with "name"', () => {
    expect(taskHeader('[pid] uid name')).toEqual(['uid', 'name']);
    expect(taskHeader('x [ pid ] uid name')).toBeNull();
    expect(taskHeader('[ pid ] uid rss')).toBeNull();
    expect(taskHeader('[ pid ] uid name rss')).toBeNull();
  });

  it('a row has a positive pid in brackets at its start, each number followed by a space, then the name', () => {
    expect(taskRow('[    1]     0     1      100       10            0        0             0 init', cols)).toMatchObject({ pid: 1, rssPages: 10, name: 'init' });
    expect(taskRow('[1]     0     1      100       10            0        0             0 x', cols)).toMatchObject({ pid: 1, name: 'x' });
    // The name keeps its own inner and trailing spaces; only the column's padding goes.
    expect(taskRow('[    7]     0     7      100       10            0        0             0   a  b ', cols)?.name).toBe('a  b ');
    for (const bad of [
      ' [    1]     0     1      100       10            0        0             0 init',
      '[]     0     1      100       10            0        0             0 init',
      '[    0]     0     1      100       10            0        0             0 init',
      '[   -1]     0     1      100       10            0        0             0 init',
      '[  1.5]     0     1      100       10            0        0             0 init',
      '[    1]     0     1      100       10x           0        0             0 init',
      '[    1]     0     1      100       -            0        0             0 init',
      '[    1]     0     1      100       10            0        0             0',
    ]) {
      expect(taskRow(bad, cols), bad).toBeNull();
    }
  });

  it('keeps an equal RSS after those already kept, and none below the tenth once full', () => {
    const kept: TaskRow[] = [];
    for (let pid = 1; pid <= TASKS_KEPT; pid++) keepLargest(kept, row(pid, 100));
    keepLargest(kept, row(99, 100));
    expect(kept.map((r) => r.pid)).toEqual(Array.from({ length: TASKS_KEPT }, (_, i) => i + 1));
    keepLargest(kept, row(100, 101));
    expect(kept.map((r) => r.pid)).toEqual([100, ...Array.from({ length: TASKS_KEPT - 1 }, (_, i) => i + 1)]);
    // A row without an RSS ranks below any with one.
    const some: TaskRow[] = [row(1, null), row(2, 0)];
    keepLargest(some, row(3, null));
    expect(some.map((r) => r.pid)).toEqual([1, 2, 3]);
    keepLargest(some, row(4, 0));
    expect(some.map((r) => r.pid)).toEqual([1, 2, 4, 3]);
  });

  it('Mem-Info tokens: whole key:number words, separated by any blanks, up to the first other word', () => {
    expect(memInfoTokens('a_b:1\t c:2  free:x d:4')).toEqual([
      ['a_b', 1],
      ['c', 2],
    ]);
    for (const none of ['', '   ', 'x1:2', 'a:1kB', 'A:1', 'a:-1', ':1']) expect(memInfoTokens(none), none).toBeNull();
  });

  it('the page size from RSS counted with file and shmem pages, within 20%', () => {
    const tables = { tasks: [row(5, 1000)], taskCount: 1, memInfo: null };
    expect(reportPageBytes(tables, 5, { anonRssBytes: 2048000, fileRssBytes: 1024000, shmemRssBytes: 1024000 })).toBe(4096);
    expect(reportPageBytes(tables, 5, { anonRssBytes: 4096000, fileRssBytes: null, shmemRssBytes: null })).toBe(4096);
    // Exactly 20% off still counts; more does not.
    expect(reportPageBytes(tables, 5, { anonRssBytes: 4096 * 1.2 * 1000, fileRssBytes: 0, shmemRssBytes: 0 })).toBe(4096);
    expect(reportPageBytes(tables, 5, { anonRssBytes: 4096 * 1.21 * 1000, fileRssBytes: 0, shmemRssBytes: 0 })).toBeNull();
    expect(reportPageBytes({ ...tables, tasks: [row(5, null)] }, 5, { anonRssBytes: 1, fileRssBytes: 0, shmemRssBytes: 0 })).toBeNull();
    expect(reportPageBytes({ ...tables, tasks: [row(5, -3)] }, 5, { anonRssBytes: 1, fileRssBytes: 0, shmemRssBytes: 0 })).toBeNull();
  });
});

describe('the report tables, more edges', () => {
  const row = (pid: number, rss: number | null): TaskRow => ({
    pid,
    uid: 0,
    tgid: pid,
    totalVmPages: 0,
    rssPages: rss,
    pgtablesBytes: 0,
    swapEntries: 0,
    oomScoreAdj: 0,
    name: `p${pid}`,
  });

  it('once full of rows without an RSS, keeps a row with RSS 0 first', () => {
    const kept: TaskRow[] = [];
    for (let pid = 1; pid <= TASKS_KEPT; pid++) keepLargest(kept, row(pid, null));
    keepLargest(kept, row(99, 0));
    expect(kept.map((r) => r.pid)).toEqual([99, ...Array.from({ length: TASKS_KEPT - 1 }, (_, i) => i + 1)]);
  });

  it('a Mem-Info token is a whole word', () => {
    expect(memInfoTokens('-a:1')).toBeNull();
    expect(memInfoTokens('a:1-')).toBeNull();
  });

  it('a row starts with "[": a line that lost it, or was cut before its "]", is none', () => {
    const cols = taskHeader('[  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name')!;
    for (const bad of [
      '    1]     0     1      100       10            0        0             0 init',
      '(    1]     0     1      100       10            0        0             0 init',
    ]) {
      expect(taskRow(bad, cols), bad).toBeNull();
    }
    // Under a header of the name alone, the rest of a line is its name: a cut one has no pid all the same.
    const nameOnly = taskHeader('[ pid ] name')!;
    expect(nameOnly).toEqual(['name']);
    expect(taskRow('[  123] systemd-journal', nameOnly)).toEqual({
      pid: 123,
      uid: null,
      tgid: null,
      totalVmPages: null,
      rssPages: null,
      pgtablesBytes: null,
      swapEntries: null,
      oomScoreAdj: null,
      name: 'systemd-journal',
    });
    expect(taskRow('[  123', nameOnly)).toBeNull();
    expect(taskRow('[  123 systemd-journal', nameOnly)).toBeNull();
  });

  it('no page size without the anon-rss of the kill line, whatever else it says', () => {
    const tables = { tasks: [row(5, 1000)], taskCount: 1, memInfo: null };
    expect(reportPageBytes(tables, 5, { anonRssBytes: null, fileRssBytes: 4096000, shmemRssBytes: 0 })).toBeNull();
  });
});
