import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import {
  cgroupCells,
  fmtBytes,
  fmtDeathMemory,
  fmtLargestTasks,
  fmtWhere,
  hostItems,
  visible,
  killCells,
  VIEW_FUNCTIONS,
  type KillView,
  type StatusView,
} from '../../../src/web/page/view.js';

const KILL: KillView = {
  id: 7,
  time: '2026-11-30T12:00:00.123Z',
  pid: 4242,
  comm: '<b>x</b>',
  killer: 'kernel',
  constraint: null,
  cgroup: '/kubepods.slice/pod1/cri-containerd-abc.scope',
  container_id: 'abcdef0123456789',
  container_name: null,
  pod_uid: 'e1d8c65a-6e8e',
  systemd_unit: 'cri-containerd-abc.scope',
  anonRssBytes: 60 << 20,
  fileRssBytes: 1024,
  shmemRssBytes: 0,
  victim: null,
};

describe('the view functions', () => {
  it('format bytes in binary units, unknown as a dash', () => {
    expect([fmtBytes(null), fmtBytes(0), fmtBytes(1023), fmtBytes(1536), fmtBytes(64 << 20), fmtBytes(3 * 2 ** 40)]).toEqual([
      '–',
      '0 B',
      '1023 B',
      '1.5 KiB',
      '64.0 MiB',
      '3.0 TiB',
    ]);
  });

  it('say where a kill was, most specific owner first, a container scope not again as a unit', () => {
    expect(fmtWhere(KILL)).toBe('container abcdef012345 · pod e1d8c65a-6e8e · /kubepods.slice/pod1/cri-containerd-abc.scope');
    expect(fmtWhere({ ...KILL, container_id: null, pod_uid: null })).toBe('unit cri-containerd-abc.scope · /kubepods.slice/pod1/cri-containerd-abc.scope');
    expect(fmtWhere({ ...KILL, container_id: null, pod_uid: null, systemd_unit: null, cgroup: null })).toBe('–');
    // On a Kubernetes node: the namespace, pod and container the kubelet's tree names, before the IDs.
    expect(fmtWhere({ ...KILL, namespace: 'shop', pod: 'checkout-0', container: 'worker' })).toBe(
      'pod shop/checkout-0 container worker · /kubepods.slice/pod1/cri-containerd-abc.scope',
    );
    expect(fmtWhere({ ...KILL, container_id: null, namespace: 'shop', pod: 'checkout-0', container: null })).toBe(
      'pod shop/checkout-0 · /kubepods.slice/pod1/cri-containerd-abc.scope',
    );
  });

  it('give memory at death from the kernel and from what the exporter saw', () => {
    expect(fmtDeathMemory(KILL)).toBe('RSS 60.0 MiB');
    expect(fmtDeathMemory({ ...KILL, anonRssBytes: null, victim: { rssBytes: 2048, swapBytes: null } })).toBe('seen 2.0 KiB + swap –');
  });

  it('say "no swap" and "no PSI" rather than zeros', () => {
    const s: StatusView = {
      version: 'v',
      kernelLog: { source: 'kmsg', up: true, recordsRead: 1, recordsLost: 0 },
      collectors: [],
      host: { memTotalBytes: 100, memAvailableBytes: 50, swapTotalBytes: 0, swapFreeBytes: 0, pressureSomeAvg10: null, pressureFullAvg10: null },
    };
    expect(hostItems(s)).toEqual([
      ['Memory used', '50 B of 100 B (50%)'],
      ['Available', '50 B'],
      ['Swap used', 'no swap'],
      ['Pressure (10 s)', 'no PSI on this kernel'],
    ]);
  });

  it('run the same, serialized, where nothing but the language exists (as in the page script)', () => {
    const source = VIEW_FUNCTIONS.map((f) => f.toString()).join('\n');
    const kill = { ...KILL, victim: { rssBytes: 1 << 20, swapBytes: 0 } };
    const cg = { cgroup: '/a', usageBytes: 10, limitBytes: 20, headroomBytes: 10, victim: { pid: 1, comm: 'c', score: 3 } };
    const out = runInNewContext(`${source}\n[killCells(kill), cgroupCells(cg)]`, { kill, cg }) as string[][];
    // Arrays made in another context: compared by their contents.
    expect(JSON.parse(JSON.stringify(out))).toEqual([killCells(kill), cgroupCells(cg)]);
  });
});

describe('the largest tasks of a kill', () => {
  it("the three largest of the report with their RSS at the report's page size, and how many rows it had; a dash without a table", () => {
    const tasks = [
      { pid: 9, comm: 'java', rssPages: 262144 },
      { pid: 8, comm: '<b>x</b>', rssPages: 256 },
      { pid: 7, comm: 'sh', rssPages: null },
      { pid: 6, comm: 'tiny', rssPages: 1 },
    ];
    expect(fmtLargestTasks({ report: { taskCount: 57, tasks, pageBytes: 4096 } } as unknown as KillView)).toBe(
      `java (9) ${fmtBytes(1 << 30)}, <b>x</b> (8) ${fmtBytes(1 << 20)}, sh (7) –, of 57 tasks`,
    );
    // 64 KiB pages: sixteen times the bytes.
    expect(fmtLargestTasks({ report: { taskCount: 1, tasks: tasks.slice(0, 1), pageBytes: 65536 } } as unknown as KillView)).toBe(`java (9) ${fmtBytes(16 * 2 ** 30)}`);
    // A page size the report did not give away: the kernel's pages, as printed.
    expect(fmtLargestTasks({ report: { taskCount: 2, tasks: tasks.slice(0, 2), pageBytes: null } } as unknown as KillView)).toBe(
      'java (9) 262144 pages, <b>x</b> (8) 256 pages',
    );
    expect(fmtLargestTasks({ report: null } as unknown as KillView)).toBe('–');
    expect(fmtLargestTasks({} as unknown as KillView)).toBe('–');
  });
});

describe('names with control characters', () => {
  it('are shown with \\xNN for each control character and backslash, as top and kills show them; markup is left to textContent', () => {
    expect(visible('t11\nnl\ttab')).toBe('t11\\x0anl\\x09tab');
    expect(visible('a\\b\x1b[2J\x9b')).toBe('a\\x5cb\\x1b[2J\\x9b');
    expect(visible('<i>x</i> Wörk')).toBe('<i>x</i> Wörk');
    expect(killCells({ ...KILL, comm: 'a\nb' })[1]).toBe('a\\x0ab (4242)');
  });
});
