import { describe, expect, it } from 'vitest';
import { createOomParser } from '../../src/kernellog/parse.js';
import type { LogRecord, OomKill } from '../../src/kernellog/types.js';
import { oomKill as kill } from '../helpers/kill.js';

/**
 * What joins a kill line to the rest of its report, and what keeps it apart from another report's: the
 * summary's pid and its cut forms, the < 5.1 choice line, split records (a newline in COMM printed by the
 * kernel's syslog interface as a line of its own), and the records' clocks. Line shapes are the kernel's
 * (mm/oom_kill.c, 4.19 to 6.x; see /work/shared/data/kernel-oom-lines.md), cut or split as logs do.
 */
const KB = 1024;

function kernel(message: string, f: Partial<LogRecord> = {}): LogRecord {
  return { message, fromKernel: true, identifier: null, time: null, uptimeSeconds: null, ...f };
}

/** Every kill the parser gives for these records, in order, with what it still holds at the end. */
function killsOf(records: LogRecord[]): OomKill[] {
  const p = createOomParser();
  const out: OomKill[] = [];
  for (const r of records) {
    const k = p.push(r);
    if (k !== null) out.push(k);
  }
  return [...out, ...p.flush()];
}

// 4.19 and 5.0 print the kill line without UID and pgtables: only the summary gives the uid.
const FIELDS_4_19 = 'total-vm:4348kB, anon-rss:1204kB, file-rss:0kB, shmem-rss:0kB';
const FIELDS_4_19_KILL = { totalVmBytes: 4348 * KB, anonRssBytes: 1204 * KB, fileRssBytes: 0, shmemRssBytes: 0 };
const FIELDS_5 = 'total-vm:87033376kB, anon-rss:60356340kB, file-rss:0kB, shmem-rss:0kB, UID:21417 pgtables:169956kB oom_score_adj:0';
const FIELDS_5_KILL = {
  uid: 21417,
  totalVmBytes: 87033376 * KB,
  anonRssBytes: 60356340 * KB,
  fileRssBytes: 0,
  shmemRssBytes: 0,
  pgtablesBytes: 169956 * KB,
  oomScoreAdj: 0,
};
const MEMCG_SUMMARY = 'oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/batch,task_memcg=/batch/job';

describe('a summary split at a newline in COMM (the kernel syslog interface prints each part as a line)', () => {
  const at = (uptimeSeconds: number): Partial<LogRecord> => ({ uptimeSeconds, escapes: 'rsyslog' });

  it('joins the parts, so a 4.19 kill line without UID gets the uid and the whole COMM from the summary', () => {
    expect(
      killsOf([
        kernel(`${MEMCG_SUMMARY},task=nl`, at(5.000001)),
        kernel('name,pid=7,uid=1000', at(5.000001)),
        kernel('Memory cgroup out of memory: Killed process 7 (nl', at(5.00005)),
        kernel(`name) ${FIELDS_4_19}`, at(5.00005)),
      ]),
    ).toEqual([
      kill({
        pid: 7,
        comm: 'nl\nname',
        uid: 1000,
        constraint: 'CONSTRAINT_MEMCG',
        memcg: '/batch/job',
        oomMemcg: '/batch',
        ...FIELDS_4_19_KILL,
        uptimeSeconds: 5.00005,
        prefixConstraint: 'memcg',
      }),
    ]);
  });

  it('joins three parts (COMM with two newlines)', () => {
    expect(
      killsOf([
        kernel(`${MEMCG_SUMMARY},task=a`, at(5.000001)),
        kernel('b', at(5.000001)),
        kernel('c,pid=7,uid=1000', at(5.000001)),
        kernel('Memory cgroup out of memory: Killed process 7 (a', at(5.00005)),
        kernel('b', at(5.00005)),
        kernel(`c) ${FIELDS_4_19}`, at(5.00005)),
      ]),
    ).toEqual([
      kill({
        pid: 7,
        comm: 'a\nb\nc',
        uid: 1000,
        constraint: 'CONSTRAINT_MEMCG',
        memcg: '/batch/job',
        oomMemcg: '/batch',
        ...FIELDS_4_19_KILL,
        uptimeSeconds: 5.00005,
        prefixConstraint: 'memcg',
      }),
    ]);
  });

  it('gives its COMM, newline and all, to a kill line cut inside COMM', () => {
    expect(
      killsOf([
        kernel(`${MEMCG_SUMMARY},task=nl`, at(5.000001)),
        kernel('name,pid=7,uid=1000', at(5.000001)),
        kernel('Memory cgroup out of memory: Killed process 7 (nl', at(5.00005)),
      ]),
    ).toEqual([
      kill({
        pid: 7,
        comm: 'nl\nname',
        uid: 1000,
        constraint: 'CONSTRAINT_MEMCG',
        memcg: '/batch/job',
        oomMemcg: '/batch',
        uptimeSeconds: 5.00005,
        prefixConstraint: 'memcg',
      }),
    ]);
  });

  it.each<[string, string, Partial<OomKill>]>([
    ['14 characters, then the newline that ends COMM: joined', 'abcdefghijklmn', { comm: 'abcdefghijklmn\n', uid: 0 }],
    ['15 characters: COMM is full, nothing can follow', 'abcdefghijklmno', { comm: 'abcdefghijklmno' }],
  ])('a first part of %s', (_name, first, f) => {
    expect(
      killsOf([
        kernel(`${MEMCG_SUMMARY},task=${first}`, at(5.000001)),
        kernel(',pid=7,uid=0', at(5.000001)),
        kernel(`Memory cgroup out of memory: Killed process 7 (${f.comm}) ${FIELDS_4_19}`, at(5.00005)),
      ]),
    ).toEqual([
      kill({
        pid: 7,
        constraint: 'CONSTRAINT_MEMCG',
        memcg: '/batch/job',
        oomMemcg: '/batch',
        ...FIELDS_4_19_KILL,
        uptimeSeconds: 5.00005,
        prefixConstraint: 'memcg',
        ...f,
      }),
    ]);
  });

  it('is not joined with a record of another stamp: a summary cut by a line limit, then the next report', () => {
    expect(
      killsOf([
        kernel(`${MEMCG_SUMMARY},task=pyth`, at(5.000001)),
        kernel('oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/web,task_memcg=/web/app,task=node,pid=9,uid=33', at(9.5)),
        kernel(`Memory cgroup out of memory: Killed process 9 (node) ${FIELDS_4_19}`, at(9.500002)),
      ]),
    ).toEqual([
      kill({
        pid: 9,
        comm: 'node',
        uid: 33,
        constraint: 'CONSTRAINT_MEMCG',
        memcg: '/web/app',
        oomMemcg: '/web',
        ...FIELDS_4_19_KILL,
        uptimeSeconds: 9.500002,
        prefixConstraint: 'memcg',
      }),
    ]);
  });
});

describe('a kill line split at a newline in COMM', () => {
  it('comes out at the record that completes it, not one record later', () => {
    const p = createOomParser();
    expect(p.push(kernel('Out of memory: Killed process 5 (ab', { uptimeSeconds: 7.25, escapes: 'rsyslog' }))).toBeNull();
    expect(p.push(kernel(`cd) ${FIELDS_5}`, { uptimeSeconds: 7.25, escapes: 'rsyslog' }))).toEqual(
      kill({ pid: 5, comm: 'ab\ncd', ...FIELDS_5_KILL, uptimeSeconds: 7.25, prefixConstraint: 'global' }),
    );
    expect(p.flush()).toEqual([]);
  });

  const T = '2024-04-29T12:55:41.000Z';
  it.each<[string, Partial<LogRecord>, Partial<LogRecord>]>([
    ['the first part has the kernel clock, the next only a wall clock', { uptimeSeconds: 7.25, time: T }, { time: T }],
    ['the first part has only a wall clock, the next the kernel clock too', { time: T }, { uptimeSeconds: 7.25, time: T }],
  ])('is not continued by a record of another kind of stamp: %s', (_name, first, next) => {
    expect(killsOf([kernel('Out of memory: Killed process 5 (ab', first), kernel(`cd) ${FIELDS_5}`, next)])).toEqual([
      kill({ pid: 5, ...first, prefixConstraint: 'global' }),
    ]);
  });
});

describe('the kill line forms', () => {
  it('RHEL 6 "P, UID U, (COMM)" needs the uid digits', () => {
    expect(killsOf([kernel('Out of memory: Killed process 2411, UID , (java) vsz:2096128kB, anon-rss:1008172kB, file-rss:92kB')])).toEqual([]);
  });

  it('RHEL 6: the uid before COMM stands, even when a line cut inside COMM ends like the RHEL 7 form', () => {
    expect(killsOf([kernel('Out of memory: Killed process 2411, UID 48, (a), UID 9, ')])).toEqual([kill({ pid: 2411, comm: 'a', uid: 48, prefixConstraint: 'global' })]);
  });

  it('an escape in the prefix (kmsg writes a backslash as "\\x5c") does not move where the pid is read', () => {
    expect(
      killsOf([
        kernel(
          'M\\x5cemory cgroup out of memory: Killed process 141316 ( mount) total-vm:22008kB, anon-rss:168kB, file-rss:940kB, shmem-rss:0kB, UID:0 pgtables:84kB oom_score_adj:-997',
          { uptimeSeconds: 18026.231376, escapes: 'kmsg' },
        ),
      ]),
    ).toEqual([
      kill({
        pid: 141316,
        comm: ' mount',
        uid: 0,
        totalVmBytes: 22008 * KB,
        anonRssBytes: 168 * KB,
        fileRssBytes: 940 * KB,
        shmemRssBytes: 0,
        pgtablesBytes: 84 * KB,
        oomScoreAdj: -997,
        uptimeSeconds: 18026.231376,
      }),
    ]);
  });

  it('a pid needs digits', () => {
    expect(killsOf([kernel('Out of memory: Killed process  (java) total-vm:4348kB, anon-rss:1204kB, file-rss:0kB')])).toEqual([]);
  });

  it('a kB field needs digits', () => {
    expect(killsOf([kernel('Out of memory: Killed process 5 (java) total-vm:kB, anon-rss:1204kB, file-rss:0kB')])).toEqual([
      kill({ pid: 5, comm: 'java', anonRssBytes: 1204 * KB, fileRssBytes: 0, prefixConstraint: 'global' }),
    ]);
  });

  it('a field the line does not have is null, whatever the prefix holds where the search would start', () => {
    // A 3.x line (no shmem-rss, UID, pgtables, oom_score_adj) under a prefix of the "out of memory" kind with
    // digits at the offsets a missing key would leave: the fields come from after COMM only.
    expect(killsOf([kernel('OOM 3 - 64kB 7 out of memory: Killed process 5 (java) total-vm:4348kB, anon-rss:1204kB, file-rss:0kB')])).toEqual([
      kill({ pid: 5, comm: 'java', totalVmBytes: 4348 * KB, anonRssBytes: 1204 * KB, fileRssBytes: 0 }),
    ]);
  });
});

describe('which kill a summary belongs to', () => {
  const killed = (pid: number, comm: string): string => `Memory cgroup out of memory: Killed process ${pid} (${comm}) ${FIELDS_5}`;

  it('a summary cut after "uid=" still names its pid: the kill of that pid gets it', () => {
    expect(killsOf([kernel(`${MEMCG_SUMMARY},task=worker,pid=5,uid=`), kernel(killed(5, 'worker'))])).toEqual([
      kill({ pid: 5, comm: 'worker', constraint: 'CONSTRAINT_MEMCG', memcg: '/batch/job', oomMemcg: '/batch', ...FIELDS_5_KILL, prefixConstraint: 'memcg' }),
    ]);
  });

  it('a whole summary whose task_memcg holds ",pid=P,uid=U": the pid and uid are the ones at the end', () => {
    expect(
      killsOf([
        kernel(
          'oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/batch,task_memcg=/batch/job,pid=1,uid=2,task=worker,pid=5,uid=1000',
        ),
        kernel(`Memory cgroup out of memory: Killed process 5 (worker) ${FIELDS_4_19}`),
      ]),
    ).toEqual([
      kill({
        pid: 5,
        comm: 'worker',
        uid: 1000,
        constraint: 'CONSTRAINT_MEMCG',
        memcg: '/batch/job,pid=1,uid=2',
        oomMemcg: '/batch',
        ...FIELDS_4_19_KILL,
        prefixConstraint: 'memcg',
      }),
    ]);
  });

  it('a whole summary with trailing whitespace is whole', () => {
    expect(killsOf([kernel(`${MEMCG_SUMMARY},task=worker,pid=5,uid=1000 `), kernel(`Memory cgroup out of memory: Killed process 5 (worker) ${FIELDS_4_19}`)])).toEqual([
      kill({
        pid: 5,
        comm: 'worker',
        uid: 1000,
        constraint: 'CONSTRAINT_MEMCG',
        memcg: '/batch/job',
        oomMemcg: '/batch',
        ...FIELDS_4_19_KILL,
        prefixConstraint: 'memcg',
      }),
    ]);
  });

  it('a summary cut inside COMM whose task_memcg holds ",pid=" (a cgroup name may hold commas)', () => {
    expect(
      killsOf([
        kernel('oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/batch,task_memcg=/batch/job,pid=1,task=wor'),
        kernel(killed(9, 'worker')),
      ]),
    ).toEqual([
      kill({ pid: 9, comm: 'worker', constraint: 'CONSTRAINT_MEMCG', memcg: '/batch/job,pid=1', oomMemcg: '/batch', ...FIELDS_5_KILL, prefixConstraint: 'memcg' }),
    ]);
  });

  it('a summary cut before its pid, then the kill of a task of another name: task_memcg up to ",task="', () => {
    expect(
      killsOf([
        kernel('oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/,task=stress,pid=51'),
        kernel(`Out of memory: Killed process 52 (stress-worker) ${FIELDS_5}`),
      ]),
    ).toEqual([kill({ pid: 52, comm: 'stress-worker', constraint: 'CONSTRAINT_NONE', memcg: '/', ...FIELDS_5_KILL, prefixConstraint: 'global' })]);
  });

  it('a summary for a task in the root cgroup ("task_memcg=/") gives its COMM to a kill line cut inside COMM', () => {
    expect(
      killsOf([
        kernel('oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/,task=stress,pid=51,uid=0'),
        kernel('Out of memory: Killed process 51 (str'),
      ]),
    ).toEqual([kill({ pid: 51, comm: 'stress', uid: 0, constraint: 'CONSTRAINT_NONE', memcg: '/', prefixConstraint: 'global' })]);
  });

  it('a summary without task_memcg (a kernel without CONFIG_MEMCG) gives no COMM: COMM is read after task_memcg', () => {
    expect(killsOf([kernel('oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),task=stress,pid=51,uid=0'), kernel('Out of memory: Killed process 51 (str')])).toEqual([
      kill({ pid: 51, uid: 0, constraint: 'CONSTRAINT_NONE', prefixConstraint: 'global' }),
    ]);
  });

  it('a summary cut after "uid=" gives no COMM (a COMM may hold ",pid="): the kill line cut inside COMM has none', () => {
    expect(killsOf([kernel(`${MEMCG_SUMMARY},task=worker,pid=5,uid=`), kernel('Memory cgroup out of memory: Killed process 5 (wor')])).toEqual([
      kill({ pid: 5, constraint: 'CONSTRAINT_MEMCG', memcg: '/batch/job', oomMemcg: '/batch', prefixConstraint: 'memcg' }),
    ]);
  });

  it('COMM "null" from a kill line cut inside COMM does not split task_memcg: a cgroup name may hold ",task="', () => {
    expect(
      killsOf([
        kernel('oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/jobs,task_memcg=/jobs/a,task=b,task=null,pid=5'),
        kernel('Memory cgroup out of memory: Killed process 5 (nu'),
      ]),
    ).toEqual([kill({ pid: 5, constraint: 'CONSTRAINT_MEMCG', memcg: '/jobs/a', oomMemcg: '/jobs', prefixConstraint: 'memcg' })]);
  });

  it.each([
    ['missing', 'oom-kill:nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/,task=stress,pid=51,uid=0', null],
    ['after another field', 'oom-kill:nodemask=(null),constraint=CONSTRAINT_NONE,global_oom,task_memcg=/,task=stress,pid=51,uid=0', 'CONSTRAINT_NONE'],
  ])('constraint= %s', (_name, summary, constraint) => {
    expect(killsOf([kernel(summary), kernel(`Out of memory: Killed process 51 (stress) ${FIELDS_5}`)])).toEqual([
      kill({ pid: 51, comm: 'stress', constraint, memcg: '/', ...FIELDS_5_KILL, prefixConstraint: 'global' }),
    ]);
  });

  it('a choice line cut before its pid does not say the kill is another task: the summary cut before its pid still counts', () => {
    expect(
      killsOf([
        kernel(`${MEMCG_SUMMARY},task=worker,pid=5`),
        kernel('Memory cgroup out of memory: Kill process '),
        kernel(`Killed process 6 (worker-child) ${FIELDS_4_19}`),
      ]),
    ).toEqual([
      kill({ pid: 6, comm: 'worker-child', constraint: 'CONSTRAINT_MEMCG', memcg: '/batch/job', oomMemcg: '/batch', ...FIELDS_4_19_KILL, prefixConstraint: 'memcg' }),
    ]);
  });

  it('only a "Kill process" line lends its prefix to the unprefixed kill line after it', () => {
    expect(killsOf([kernel('Memory cgroup out of memory: Kill proc'), kernel(`Killed process 6 (worker) ${FIELDS_4_19}`)])).toEqual([
      kill({ pid: 6, comm: 'worker', ...FIELDS_4_19_KILL }),
    ]);
  });
});

describe('clocks between the records of a report', () => {
  const HEADER = 'python invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0';
  const SUMMARY = 'oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/user.slice,task=python,pid=48845,uid=1003';
  const KILLED = `Out of memory: Killed process 48845 (python) ${FIELDS_5}`;
  const expected = (invoker: string | null, f: Partial<OomKill>): OomKill =>
    kill({ pid: 48845, comm: 'python', constraint: 'CONSTRAINT_NONE', memcg: '/user.slice', invoker, ...FIELDS_5_KILL, prefixConstraint: 'global', ...f });

  it('wall clocks running backwards between header and summary: the header is another report', () => {
    const later = { time: '2024-12-12T09:04:44.000Z' };
    const earlier = { time: '2024-12-12T09:04:39.000Z' };
    expect(killsOf([kernel(HEADER, later), kernel(SUMMARY, earlier), kernel(KILLED, earlier)])).toEqual([expected(null, earlier)]);
  });

  it('the kernel clock running back a second at a time, more than a second over the report: the header is another report', () => {
    expect(
      killsOf([
        kernel(HEADER, { uptimeSeconds: 100 }),
        kernel('CPU: 1 PID: 48845 Comm: python Not tainted 5.15.0-91-generic #101-Ubuntu', { uptimeSeconds: 99.2 }),
        kernel(KILLED, { uptimeSeconds: 98.4 }),
      ]),
    ).toEqual([kill({ pid: 48845, comm: 'python', ...FIELDS_5_KILL, uptimeSeconds: 98.4, prefixConstraint: 'global' })]);
  });

  it.each<[string, LogRecord[]]>([
    [
      'the task table',
      [
        kernel('[  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name', { uptimeSeconds: 100 }),
        kernel('[  48845]  1003 48845 21758344 15089085 169956000        0             0 python', { uptimeSeconds: 100.001 }),
      ],
    ],
    [
      'Mem-Info',
      [
        kernel('Mem-Info:', { uptimeSeconds: 100 }),
        kernel('active_anon:5214 inactive_anon:118960 isolated_anon:0', { uptimeSeconds: 100.001 }),
        kernel('Node 0 active_anon:20856kB inactive_anon:475840kB', { uptimeSeconds: 100.001 }),
      ],
    ],
    ['a choice line', [kernel('Out of memory: Kill process 48845 (python) score 931 or sacrifice child', { uptimeSeconds: 100 })]],
  ])("%s (its header lost) a minute before the kill line is another report's", (_name, before) => {
    expect(killsOf([...before, kernel(`Killed process 48845 (python) ${FIELDS_5}`, { uptimeSeconds: 160 })])).toEqual([
      kill({ pid: 48845, comm: 'python', ...FIELDS_5_KILL, uptimeSeconds: 160 }),
    ]);
  });

  it('a jump between "Mem-Info:" and its first line ends it: the lines after are not taken, even when the clock comes back', () => {
    expect(
      killsOf([
        kernel('Mem-Info:', { uptimeSeconds: 100 }),
        kernel('active_anon:5214 inactive_anon:118960 isolated_anon:0', { uptimeSeconds: 140 }),
        kernel(' free:20532 free_pcp:62 free_cma:0', { uptimeSeconds: 110.5 }),
        kernel(`Out of memory: Killed process 48845 (python) ${FIELDS_5}`, { uptimeSeconds: 110.5 }),
      ]),
    ).toEqual([kill({ pid: 48845, comm: 'python', ...FIELDS_5_KILL, uptimeSeconds: 110.5, prefixConstraint: 'global' })]);
  });

  it("Mem-Info after a long quiet spell (its header lost) is the kill's: the quiet before it is no jump inside the report", () => {
    expect(
      killsOf([
        kernel(`Out of memory: Killed process 1 (init) ${FIELDS_5}`, { uptimeSeconds: 5 }),
        kernel('audit: type=1334 audit(1700000000.123:456): prog-id=41 op=LOAD', { uptimeSeconds: 5.1 }),
        kernel('Mem-Info:', { uptimeSeconds: 600 }),
        kernel('active_anon:5214 inactive_anon:118960 isolated_anon:0', { uptimeSeconds: 600.001 }),
        kernel(' free:20532 free_pcp:62 free_cma:0', { uptimeSeconds: 600.001 }),
        kernel(`Out of memory: Killed process 48845 (python) ${FIELDS_5}`, { uptimeSeconds: 600.002 }),
      ]),
    ).toEqual([
      kill({ pid: 1, comm: 'init', ...FIELDS_5_KILL, uptimeSeconds: 5, prefixConstraint: 'global' }),
      kill({
        pid: 48845,
        comm: 'python',
        ...FIELDS_5_KILL,
        uptimeSeconds: 600.002,
        prefixConstraint: 'global',
        report: { tasks: [], taskCount: 0, memInfo: { active_anon: 5214, inactive_anon: 118960, isolated_anon: 0, free: 20532, free_pcp: 62, free_cma: 0 } },
      }),
    ]);
  });

  it('wall clocks one minute apart between header and summary, the summary with the kernel clock too: the header is another report', () => {
    const summaryAt = { time: '2024-12-12T09:04:44.000Z', uptimeSeconds: 2401186.209044 };
    expect(killsOf([kernel(HEADER, { time: '2024-12-12T09:03:44.000Z' }), kernel(SUMMARY, summaryAt), kernel(KILLED, summaryAt)])).toEqual([expected(null, summaryAt)]);
  });

  it('wall clocks within the report: the header is this one', () => {
    const summaryAt = { time: '2024-12-12T09:04:44.000Z', uptimeSeconds: 2401186.209044 };
    expect(killsOf([kernel(HEADER, { time: '2024-12-12T09:04:44.000Z' }), kernel(SUMMARY, summaryAt), kernel(KILLED, summaryAt)])).toEqual([
      expected('python', summaryAt),
    ]);
  });
});

describe('memory.oom.group: the kills after "Tasks in ... are going to be killed"', () => {
  const HEADER = 'java invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0';
  const SUMMARY = 'oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/pod,task_memcg=/pod/app,task=java,pid=1,uid=0';
  const GROUP = 'Tasks in /pod are going to be killed due to memory.oom.group set';
  const killed = (pid: number, comm: string): string => `Memory cgroup out of memory: Killed process ${pid} (${comm}) ${FIELDS_5}`;
  const first = kill({
    pid: 1,
    comm: 'java',
    constraint: 'CONSTRAINT_MEMCG',
    memcg: '/pod/app',
    oomMemcg: '/pod',
    invoker: 'java',
    ...FIELDS_5_KILL,
    uptimeSeconds: 100.002,
    prefixConstraint: 'memcg',
  });
  const member = (pid: number, comm: string, uptimeSeconds: number): OomKill =>
    kill({ pid, comm, constraint: 'CONSTRAINT_MEMCG', oomMemcg: '/pod', invoker: 'java', ...FIELDS_5_KILL, uptimeSeconds, prefixConstraint: 'memcg' });
  const lone = (pid: number, comm: string, uptimeSeconds: number): OomKill => kill({ pid, comm, ...FIELDS_5_KILL, uptimeSeconds, prefixConstraint: 'memcg' });

  it("a group line a minute after the kill is not that report's", () => {
    expect(
      killsOf([
        kernel(HEADER, { uptimeSeconds: 100 }),
        kernel(SUMMARY, { uptimeSeconds: 100.001 }),
        kernel(killed(1, 'java'), { uptimeSeconds: 100.002 }),
        kernel(GROUP, { uptimeSeconds: 160 }),
        kernel(killed(2, 'sidecar'), { uptimeSeconds: 160.001 }),
      ]),
    ).toEqual([first, lone(2, 'sidecar', 160.001)]);
  });

  it('a member killed a minute after the others is not in the group', () => {
    expect(
      killsOf([
        kernel(HEADER, { uptimeSeconds: 100 }),
        kernel(SUMMARY, { uptimeSeconds: 100.001 }),
        kernel(killed(1, 'java'), { uptimeSeconds: 100.002 }),
        kernel(GROUP, { uptimeSeconds: 100.003 }),
        kernel(killed(2, 'sidecar'), { uptimeSeconds: 100.004 }),
        kernel(killed(3, 'envoy'), { uptimeSeconds: 160 }),
      ]),
    ).toEqual([first, member(2, 'sidecar', 100.004), lone(3, 'envoy', 160)]);
  });

  it('a group line after a jump of the clock ends the report, even when the clock comes back for the next kill', () => {
    expect(
      killsOf([
        kernel(HEADER, { uptimeSeconds: 100 }),
        kernel(SUMMARY, { uptimeSeconds: 100.001 }),
        kernel(killed(1, 'java'), { uptimeSeconds: 100.002 }),
        kernel(GROUP, { uptimeSeconds: 160 }),
        kernel(killed(2, 'sidecar'), { uptimeSeconds: 100.004 }),
      ]),
    ).toEqual([first, lone(2, 'sidecar', 100.004)]);
  });

  it('a line ending like the group line but not starting "Tasks in " is not one', () => {
    expect(
      killsOf([
        kernel(HEADER, { uptimeSeconds: 100 }),
        kernel(SUMMARY, { uptimeSeconds: 100.001 }),
        kernel(killed(1, 'java'), { uptimeSeconds: 100.002 }),
        kernel('Tasks inside /pod are going to be killed due to memory.oom.group set', { uptimeSeconds: 100.003 }),
        kernel(killed(2, 'sidecar'), { uptimeSeconds: 100.004 }),
      ]),
    ).toEqual([first, lone(2, 'sidecar', 100.004)]);
  });

  it('only a kill with a report of its own starts a group: a second group line after a member passes nothing on', () => {
    expect(
      killsOf([
        kernel(HEADER, { uptimeSeconds: 100 }),
        kernel(SUMMARY, { uptimeSeconds: 100.001 }),
        kernel(killed(1, 'java'), { uptimeSeconds: 100.002 }),
        kernel(GROUP, { uptimeSeconds: 100.003 }),
        kernel(killed(2, 'sidecar'), { uptimeSeconds: 100.004 }),
        kernel('Tasks in /pod2 are going to be killed due to memory.oom.group set', { uptimeSeconds: 100.005 }),
        kernel(killed(3, 'envoy'), { uptimeSeconds: 100.006 }),
      ]),
    ).toEqual([first, member(2, 'sidecar', 100.004), lone(3, 'envoy', 100.006)]);
  });
});

describe('lines starting like the ones the parser looks for', () => {
  it('a header whose invoker starts with "T" (like "Task in" and "Tasks in") is a header', () => {
    expect(
      killsOf([
        kernel('ThreadPoolForeg invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0, oom_score_adj=300'),
        kernel(`Out of memory: Killed process 4242 (chrome) ${FIELDS_5}`),
      ]),
    ).toEqual([kill({ pid: 4242, comm: 'chrome', invoker: 'ThreadPoolForeg', ...FIELDS_5_KILL, prefixConstraint: 'global' })]);
  });

  it('a group line cut by a line limit does not pass the report on: the kills after it are on their own', () => {
    const killed = (pid: number, comm: string): string => `Memory cgroup out of memory: Killed process ${pid} (${comm}) ${FIELDS_5}`;
    expect(
      killsOf([
        kernel('java invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0'),
        kernel('oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/pod,task_memcg=/pod/app,task=java,pid=1,uid=0'),
        kernel(killed(1, 'java')),
        kernel('Tasks in /pod are going to be kil'),
        kernel(killed(2, 'sidecar')),
      ]),
    ).toEqual([
      kill({ pid: 1, comm: 'java', constraint: 'CONSTRAINT_MEMCG', memcg: '/pod/app', oomMemcg: '/pod', invoker: 'java', ...FIELDS_5_KILL, prefixConstraint: 'memcg' }),
      kill({ pid: 2, comm: 'sidecar', ...FIELDS_5_KILL, prefixConstraint: 'memcg' }),
    ]);
  });

  it('more than a COMM before " invoked oom-killer: " is not a header: the report in progress keeps its own', () => {
    expect(
      killsOf([
        kernel('stress-ng-vm invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0'),
        kernel('node-7 kernel: stress-ng-vm invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0'),
        kernel(`Out of memory: Killed process 977 (stress-ng-vm) ${FIELDS_5}`),
      ]),
    ).toEqual([kill({ pid: 977, comm: 'stress-ng-vm', invoker: 'stress-ng-vm', ...FIELDS_5_KILL, prefixConstraint: 'global' })]);
  });

  it("a whole summary is not joined with the record after it (bare text, no stamps): two summaries, the first one's kill line lost", () => {
    expect(
      killsOf([
        kernel(`${MEMCG_SUMMARY},task=worker,pid=5,uid=0`),
        kernel('oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/web,task_memcg=/web/app,task=node,pid=9,uid=33'),
        kernel(`Memory cgroup out of memory: Killed process 9 (node) ${FIELDS_4_19}`),
      ]),
    ).toEqual([
      kill({ pid: 9, comm: 'node', uid: 33, constraint: 'CONSTRAINT_MEMCG', memcg: '/web/app', oomMemcg: '/web', ...FIELDS_4_19_KILL, prefixConstraint: 'memcg' }),
    ]);
  });
});

describe('the task table', () => {
  it('a kernel line starting with "[" between its rows does not end it', () => {
    const [k] = killsOf([
      kernel('java invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0'),
      kernel('[  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name'),
      kernel('[    710]     0   710     4348      301    57344        0             0 sshd'),
      kernel('[drm:intel_pipe_update_end [i915]] *ERROR* Atomic update failure on pipe A'),
      kernel('[   1802]  1000  1802  2096128   252043  2170880        0             0 java'),
      kernel(`Out of memory: Killed process 1802 (java) ${FIELDS_5}`),
    ]);
    expect(k?.report).toEqual({
      tasks: [
        { pid: 1802, uid: 1000, tgid: 1802, totalVmPages: 2096128, rssPages: 252043, pgtablesBytes: 2170880, swapEntries: 0, oomScoreAdj: 0, name: 'java' },
        { pid: 710, uid: 0, tgid: 710, totalVmPages: 4348, rssPages: 301, pgtablesBytes: 57344, swapEntries: 0, oomScoreAdj: 0, name: 'sshd' },
      ],
      taskCount: 2,
      memInfo: null,
    });
  });
});

describe('Mem-Info outside a report', () => {
  const KILLED = `Out of memory: Killed process 1802 (java) ${FIELDS_5}`;
  const java = kill({ pid: 1802, comm: 'java', ...FIELDS_5_KILL, prefixConstraint: 'global' });

  it('a log that starts inside Mem-Info (its "Mem-Info:" line before the start) gives no Mem-Info', () => {
    expect(killsOf([kernel('active_anon:5214 inactive_anon:118960 isolated_anon:0'), kernel(' free:20532 free_pcp:62 free_cma:0'), kernel(KILLED)])).toEqual([java]);
  });

  it('after a grep separator, Mem-Info lines without their "Mem-Info:" line give none', () => {
    expect(killsOf([kernel(KILLED), kernel('--'), kernel('active_anon:5214 inactive_anon:118960 isolated_anon:0'), kernel(KILLED)])).toEqual([java, java]);
  });
});

describe('a name split over records before the header line', () => {
  const KILLED = `Out of memory: Killed process 48845 (python) ${FIELDS_5}`;

  it('journalctl: the line before an unstamped header line is joined when the two fit in a COMM (15 characters)', () => {
    expect(
      killsOf([
        kernel('abcdefg', { time: '2026-01-01T00:00:00.000Z', escapes: 'kmsg' }),
        kernel('hijklmn invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0', { escapes: 'kmsg' }),
        kernel(KILLED),
      ]),
    ).toEqual([kill({ pid: 48845, comm: 'python', invoker: 'abcdefg\nhijklmn', ...FIELDS_5_KILL, prefixConstraint: 'global' })]);
  });

  const HEADER_C = 'c invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0';
  const syslog = { uptimeSeconds: 3, escapes: 'rsyslog' } as const;

  it('a record of 30 characters may be a part: rsyslog writes each control character of a name as four ("#011")', () => {
    expect(killsOf([kernel('ab#011#011#011#011#011#011#011', syslog), kernel(HEADER_C, syslog), kernel(KILLED, { uptimeSeconds: 3 })])).toEqual([
      kill({ pid: 48845, comm: 'python', invoker: 'ab\t\t\t\t\t\t\t\nc', ...FIELDS_5_KILL, uptimeSeconds: 3, prefixConstraint: 'global' }),
    ]);
  });

  it('a longer record ends the run of short ones: the 16 kept are short records only', () => {
    // Fifteen long lines of the report before (not parts), then a name split in three.
    const long = Array.from({ length: 15 }, () => kernel('Node 0 DMA32 free:44464kB boost:0kB min:44992kB low:56240kB high:67488kB', syslog));
    expect(killsOf([...long, kernel('a', syslog), kernel('b', syslog), kernel(HEADER_C, syslog), kernel(KILLED, { uptimeSeconds: 3 })])).toEqual([
      kill({ pid: 48845, comm: 'python', invoker: 'a\nb\nc', ...FIELDS_5_KILL, uptimeSeconds: 3, prefixConstraint: 'global' }),
    ]);
  });

  it('after 16 short records in a row the run starts over: only the records since then are parts of the name', () => {
    const short = Array.from({ length: 17 }, () => kernel('a', { uptimeSeconds: 3, escapes: 'rsyslog' }));
    expect(
      killsOf([
        ...short,
        kernel('b invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0', { uptimeSeconds: 3, escapes: 'rsyslog' }),
        kernel(KILLED, { uptimeSeconds: 3 }),
      ]),
    ).toEqual([kill({ pid: 48845, comm: 'python', invoker: 'a\nb', ...FIELDS_5_KILL, uptimeSeconds: 3, prefixConstraint: 'global' })]);
  });
});

describe('earlyoom: its wordings only at the start of the line', () => {
  const earlyoom = (message: string): LogRecord => ({ message, fromKernel: false, identifier: 'earlyoom', time: null, uptimeSeconds: null });
  it.each([
    'startup: sending SIGTERM to process 12006 "python3": badness 209, VmRSS 2891 MiB',
    'kept: killing process 27541 "bash" with signal 15: badness 550, VmRSS 7609 MiB',
    "Kept: Killing process 'bash' with signal 15, pid: 5874, badness: 538, VmRSS: 3160 MiB",
    'Kept: Killing process 7981 htop',
    'Killing process: tail, pid: 5476, badness: 367, VmRSS: 719 MiB (and more)',
  ])('%s', (message) => {
    expect(killsOf([earlyoom(message)])).toEqual([]);
  });
});

describe('systemd-oomd', () => {
  it('only "Killed /CGROUP" and "Marked /CGROUP" lines are kills', () => {
    const p = createOomParser();
    expect(
      p.push({
        message: 'Skipped /user.slice/user-1000.slice/app.scope for killing due to memory pressure for /user.slice being 71.50% > 50.00% for > 20s with reclaim activity',
        fromKernel: false,
        identifier: 'systemd-oomd',
        time: null,
        uptimeSeconds: null,
      }),
    ).toBeNull();
  });

  it('a line of another kind holding "undefined" is not a kill either', () => {
    const p = createOomParser();
    expect(
      p.push({
        message: 'Failed to get cgroup memory pressure for /user.slice: value undefined',
        fromKernel: false,
        identifier: 'systemd-oomd',
        time: null,
        uptimeSeconds: null,
      }),
    ).toBeNull();
  });

  it('a "Marked /" line without " for killing due to " is not a kill', () => {
    const p = createOomParser();
    expect(
      p.push({ message: 'Marked /workload.a/memory pressure for /workload.a being 70%', fromKernel: false, identifier: 'systemd-oomd', time: null, uptimeSeconds: null }),
    ).toBeNull();
  });
});
