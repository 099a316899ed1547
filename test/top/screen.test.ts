import { describe, expect, it } from 'vitest';
import { byVictimOrder, fixedLines, formatBytes, inCgroup, renderScreen, type TopSnapshot, type VictimRow } from '../../src/top/screen.js';
import { oomKill } from '../helpers/kill.js';

const MiB = 1024 * 1024;

function victim(f: Partial<VictimRow> & { pid: number }): VictimRow {
  return { comm: 'p', cgroup: '/', rssBytes: MiB, swapBytes: 0, oomScore: 1, oomScoreAdj: 0, headroomBytes: undefined, ...f };
}

function snapshot(f: Partial<TopSnapshot> = {}): TopSnapshot {
  return {
    host: 'vps1',
    nowSeconds: 0,
    memory: { totalBytes: 4096 * MiB, availableBytes: 1024 * MiB, swapTotalBytes: 2048 * MiB, swapUsedBytes: 512 * MiB },
    pressureSomeAvg10: 1.5,
    victims: [],
    kills: { kills: [] },
    ...f,
  };
}

const opts = { limit: 20, clock: null, time: '2026-11-30T15:00:01+01:00' };

describe('formatBytes', () => {
  it('shows K below a MiB, then M, G, T with one decimal, and - for unknown', () => {
    expect(formatBytes(undefined)).toBe('-');
    expect(formatBytes(0)).toBe('0K');
    expect(formatBytes(812 * 1024)).toBe('812K');
    expect(formatBytes(95.3 * MiB)).toBe('95.3M');
    expect(formatBytes(12 * 1024 * MiB)).toBe('12.0G');
    expect(formatBytes(3 * 1024 * 1024 * MiB)).toBe('3.0T');
    expect(formatBytes(-2 * MiB)).toBe('-2.0M');
  });
});

describe('inCgroup', () => {
  it('matches the cgroup and those below it, not a sibling sharing a prefix', () => {
    expect(inCgroup('/a/b', '/a')).toBe(true);
    expect(inCgroup('/a', '/a/')).toBe(true);
    expect(inCgroup('/ab', '/a')).toBe(false);
    expect(inCgroup('/x', '/')).toBe(true);
    expect(inCgroup('', '/')).toBe(false);
  });
});

describe('renderScreen', () => {
  it('sorts by oom_score (then RSS, then PID), unknown scores last, and cuts at the limit', () => {
    const rows = [
      victim({ pid: 5, oomScore: undefined }),
      victim({ pid: 4, oomScore: 300, rssBytes: 2 * MiB }),
      victim({ pid: 3, oomScore: 300, rssBytes: 2 * MiB }),
      victim({ pid: 2, oomScore: 300, rssBytes: 9 * MiB }),
      victim({ pid: 1, oomScore: 1000 }),
    ];
    expect([...rows].sort(byVictimOrder).map((v) => v.pid)).toEqual([1, 2, 3, 4, 5]);
    const lines = renderScreen(snapshot({ victims: rows }), { ...opts, limit: 3 });
    expect(lines[2]).toBe('NEXT VICTIMS (5 processes, by oom_score)');
    expect(lines.slice(4, 7).map((l) => l.trim().split(/\s+/)[0])).toEqual(['1', '2', '3']);
    expect(lines[7]).toBe('');
  });

  it('lays out the header and the victims table with every column', () => {
    const lines = renderScreen(
      snapshot({
        victims: [
          victim({
            pid: 4242,
            comm: 'python3',
            cgroup: '/system.slice/worker.service',
            rssBytes: 1536 * MiB,
            swapBytes: 12 * MiB,
            oomScore: 1666,
            oomScoreAdj: 1000,
            headroomBytes: 100 * MiB,
          }),
        ],
      }),
      opts,
    );
    expect(lines.slice(0, 5)).toEqual([
      'oom-exporter top  vps1  2026-11-30T15:00:01+01:00  avail 1.0G/4.0G (25%)  swap 512.0M/2.0G  psi some avg10 1.50',
      '',
      'NEXT VICTIMS (1 processes, by oom_score)',
      ' PID  SCORE   ADJ   RSS   SWAP  COMM     CGROUP                        HEADROOM',
      '4242   1666  1000  1.5G  12.0M  python3  /system.slice/worker.service    100.0M',
    ]);
  });

  it('says why host memory is missing, and leaves out PSI where there is none; no swap', () => {
    expect(renderScreen(snapshot({ memory: { error: 'cannot read /proc/meminfo (gone)' }, pressureSomeAvg10: undefined }), opts)[0]).toBe(
      'oom-exporter top  vps1  2026-11-30T15:00:01+01:00  memory: cannot read /proc/meminfo (gone)',
    );
    const m = { totalBytes: 1024 * MiB, availableBytes: 512 * MiB, swapTotalBytes: 0, swapUsedBytes: 0 };
    expect(renderScreen(snapshot({ memory: m, pressureSomeAvg10: undefined }), opts)[0]).toContain('avail 512.0M/1.0G (50%)  no swap');
  });

  it('escapes control characters in names and cgroups', () => {
    const lines = renderScreen(snapshot({ victims: [victim({ pid: 7, comm: 'evil\x1b[2J', cgroup: '/a\nb' })] }), opts);
    expect(lines[4]).toContain('evil\\x1b[2J');
    expect(lines[4]).toContain('/a\\x0ab');
    expect(lines.join('\n')).not.toContain('\x1b');
  });

  it('lists the latest five kills newest first, with time, pid, comm, cgroup, constraint and anon-rss', () => {
    const kills = [1, 2, 3, 4, 5, 6].map((i) =>
      oomKill({ pid: 100 + i, comm: `w${i}`, memcg: `/job${i}`, constraint: 'CONSTRAINT_MEMCG', anonRssBytes: i * MiB, time: `2026-11-30T15:00:0${i}+01:00` }),
    );
    const lines = renderScreen(snapshot({ kills: { kills } }), opts);
    const at = lines.indexOf('LATEST KILLS (newest first)');
    expect(lines.slice(at + 1)).toEqual([
      'TIME                       PID  COMM  CGROUP  CONSTRAINT  ANON-RSS',
      '2026-11-30T15:00:06+01:00  106  w6    /job6   memcg           6.0M',
      '2026-11-30T15:00:05+01:00  105  w5    /job5   memcg           5.0M',
      '2026-11-30T15:00:04+01:00  104  w4    /job4   memcg           4.0M',
      '2026-11-30T15:00:03+01:00  103  w3    /job3   memcg           3.0M',
      '2026-11-30T15:00:02+01:00  102  w2    /job2   memcg           2.0M',
    ]);
    expect(lines.length).toBe(fixedLines(5) + 0);
  });

  it('puts uptime stamps on the boot clock', () => {
    const kill = oomKill({ pid: 9, comm: 'x', uptimeSeconds: 100 });
    const lines = renderScreen(snapshot({ kills: { kills: [kill] } }), { ...opts, clock: { bootTimeSeconds: 1_800_000_000, uptimeSeconds: 200 } });
    expect(lines.at(-1)?.split(/\s+/)).toEqual([expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/), '9', 'x', '-', '-', '-']);
  });

  it('says when no kill was found, or why no kernel log could be read', () => {
    expect(renderScreen(snapshot(), opts).slice(-2)).toEqual(['LATEST KILLS', 'no OOM kill found in the kernel log']);
    const lines = renderScreen(snapshot({ kills: { unreadable: '/dev/kmsg: permission denied' } }), opts);
    expect(lines.slice(-2)).toEqual(['LATEST KILLS', 'no kernel log readable (/dev/kmsg: permission denied)']);
    // With no kills section rows, a screen of N victims is fixedLines(0) + N lines: it fits the terminal.
    const full = renderScreen(snapshot({ victims: [victim({ pid: 1 }), victim({ pid: 2 })] }), opts);
    expect(full.length).toBe(fixedLines(0) + 2);
  });

  it('says when --cgroup matches no process, and how the path is written', () => {
    const lines = renderScreen(snapshot(), { ...opts, cgroup: '/sys/fs/cgroup/memory/app' });
    expect(lines).toContain('no process in cgroup /sys/fs/cgroup/memory/app or below it; paths are as /proc/PID/cgroup prints them, e.g. /system.slice/cron.service');
    // Without a filter an empty table needs no explanation; with matches, none is given.
    expect(renderScreen(snapshot(), opts).join('\n')).not.toContain('no process in cgroup');
    expect(renderScreen(snapshot({ victims: [victim({ pid: 1 })] }), { ...opts, cgroup: '/' }).join('\n')).not.toContain('no process in cgroup');
  });

  it('cuts lines to the terminal width when given one', () => {
    const lines = renderScreen(snapshot({ victims: [victim({ pid: 1, cgroup: '/' + 'x'.repeat(200) })] }), { ...opts, columns: 40 });
    expect(Math.max(...lines.map((l) => l.length))).toBe(40);
  });
});
