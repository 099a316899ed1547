import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseLine } from '../../src/kernellog/envelope.js';
import { GRANT_HINT, startKernelLog, type KernelLog, type KernelLogOptions } from '../../src/kernellog/follower.js';
import type { OomKill } from '../../src/kernellog/types.js';
import type { LogFields, Logger } from '../../src/log.js';
import { fakeKmsg, kmsgRecord } from './fake-kmsg.js';
import { journaldSocketStandIn } from './journald-helper.js';

// Real report lines, as kernels print them (see test/fixtures/kernellog/SOURCES.md):
// equinor/ert#7797 (kernel 5.x, dmesg --time-format iso; envelope removed here).
const ERT_SUMMARY =
  'oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/user.slice/user-21417.slice/user@21417.service,task=perl,pid=1440763,uid=21417';
const ERT_KILLED =
  'Out of memory: Killed process 1440763 (perl) total-vm:87033376kB, anon-rss:60356340kB, file-rss:0kB, shmem-rss:0kB, UID:21417 pgtables:169956kB oom_score_adj:0';
// NixOS/nixpkgs#435587 (journalctl short).
const NIX_KILLED =
  'Out of memory: Killed process 1055041 (nix-env) total-vm:5120116kB, anon-rss:5048356kB, file-rss:612kB, shmem-rss:0kB, UID:0 pgtables:10032kB oom_score_adj:200';
// reportportal/kubernetes#203 (dmesg, kernel 5.4).
const UWSGI_HEADER = 'uwsgi invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=986';
const UWSGI_KILLED =
  'Memory cgroup out of memory: Killed process 63214 (uwsgi) total-vm:3149468kB, anon-rss:164992kB, file-rss:52176kB, shmem-rss:92kB, UID:0 pgtables:1372kB oom_score_adj:986';

const BOOT = '0b7a5e1c-3f60-4d2a-9c1e-5a4f1e2d3c4b';
const BTIME = 1_790_000_000;

let dir: string;
let procfs: string;
let stateFile: string;
const running: KernelLog[] = [];

// A running journald, as far as the journald source's liveness check can tell.
let journald: { path: string; close(): Promise<void> };

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oom-follower-'));
  journald = await journaldSocketStandIn(path.join(dir, 'journald.sock'));
  procfs = path.join(dir, 'proc');
  fs.mkdirSync(path.join(procfs, 'sys/kernel/random'), { recursive: true });
  fs.writeFileSync(path.join(procfs, 'sys/kernel/random/boot_id'), `${BOOT}\n`);
  fs.writeFileSync(path.join(procfs, 'stat'), `cpu  1 2 3 4\nbtime ${BTIME}\nprocesses 5\n`);
  stateFile = path.join(dir, 'state.json');
});
afterEach(async () => {
  for (const k of running.splice(0)) await k.stop();
  await journald.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function start(opts: Partial<KernelLogOptions> & Pick<KernelLogOptions, 'source'>) {
  const kills: { kill: OomKill; ts: number }[] = [];
  const k = await startKernelLog({ procfs, pollIntervalMs: 3_600_000, onKill: (kill, ts) => kills.push({ kill, ts }), ...opts });
  running.push(k);
  return { k, kills };
}

/** A logger that keeps its lines, to assert on what the operator is told and at which level. */
function captureLog(lines: { level: string; msg: string; fields: LogFields }[]): Logger {
  const at =
    (level: string) =>
    (msg: string, fields: LogFields = {}): void =>
      void lines.push({ level, msg, fields });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** The kernel's ring buffer as a test script: seq → message (facility 0). */
function ring(messages: Map<number, string>, from = 1) {
  const f = fakeKmsg();
  for (const [seq, msg] of messages) if (seq >= from) f.push(kmsgRecord(seq, msg));
  return f;
}

describe('follower on kmsg (scripted reads)', () => {
  it('counts nothing from the backlog, then a kill at the drain that reads it', async () => {
    const f = fakeKmsg();
    f.push(kmsgRecord(1, 'Linux version 6.1'), kmsgRecord(2, ERT_SUMMARY), kmsgRecord(3, ERT_KILLED));
    const { k, kills } = await start({ source: 'kmsg', kmsg: { path: '/dev/null', read: f.read } });
    expect(k.source).toBe('kmsg');
    expect(k.up()).toBe(true);
    expect(k.recordsTotal()).toBe(0);
    expect(kills).toEqual([]);

    f.push(kmsgRecord(4, UWSGI_HEADER), kmsgRecord(5, UWSGI_KILLED));
    k.drain();
    expect(kills.map((x) => x.kill.comm)).toEqual(['uwsgi']);
    expect(kills[0]!.kill.invoker).toBe('uwsgi');
    // No wall-clock time in a kmsg record: boot time plus its uptime stamp (5 s + 5 ms in the fake).
    expect(kills[0]!.ts).toBeCloseTo(BTIME + 5.005, 6);
    expect(k.recent().map((x) => x.pid)).toEqual([63214]);
    expect(k.recordsTotal()).toBe(2);
    expect(k.lostTotal()).toBe(0);
  });

  it('never counts a kill line a process wrote into /dev/kmsg', async () => {
    const f = fakeKmsg();
    const { k, kills } = await start({ source: 'kmsg', kmsg: { path: '/dev/null', read: f.read } });
    // facility 1: what the kernel makes of anything written to /dev/kmsg, "<0>" included.
    f.push(
      kmsgRecord(1, NIX_KILLED, 1, 3),
      kmsgRecord(2, 'earlyoom: sending SIGKILL to process 1 uid 0 "x": oom_score 1, oom_score_adj 0, VmRSS 1 MiB, cmdline "x"', 1, 6),
    );
    k.drain();
    expect(k.recordsTotal()).toBe(2);
    expect(kills).toEqual([]);
  });

  it('counts lost records, and a kill after the loss without the context of the report before it', async () => {
    const f = fakeKmsg();
    const { k, kills } = await start({ source: 'kmsg', kmsg: { path: '/dev/null', read: f.read } });
    f.push(kmsgRecord(1, UWSGI_HEADER), kmsgRecord(9, NIX_KILLED));
    k.drain();
    expect(k.lostTotal()).toBe(7);
    expect(kills).toHaveLength(1);
    // uwsgi's header belongs to a report whose end was lost: it is not nix-env's invoker.
    expect(kills[0]!.kill.invoker).toBeNull();
  });

  it('with a state file, counts a kill logged while it was down exactly once; without, not at all', async () => {
    const log = new Map<number, string>([
      [1, 'Linux version 6.1'],
      [2, ERT_SUMMARY],
      [3, ERT_KILLED],
    ]);
    // First run: starts at the end (the ert kill is history), sees the uwsgi kill live.
    const f1 = ring(log);
    const first = await start({ source: 'kmsg', stateFile, kmsg: { path: '/dev/null', read: f1.read } });
    expect(first.k.resume.resumed).toBe(false);
    expect(first.k.resume.reason).toMatch(/does not exist yet/);
    log.set(4, UWSGI_HEADER).set(5, UWSGI_KILLED);
    f1.push(kmsgRecord(4, UWSGI_HEADER), kmsgRecord(5, UWSGI_KILLED));
    first.k.drain();
    expect(first.kills.map((x) => x.kill.comm)).toEqual(['uwsgi']);
    // A scrape served the uwsgi kill.
    first.k.commit();
    await first.k.stop();
    expect(JSON.parse(fs.readFileSync(stateFile, 'utf8'))).toEqual({ version: 1, bootId: BOOT, source: 'kmsg', position: { source: 'kmsg', seq: 5 } });

    // Down: the kernel kills nix-env.
    log.set(6, 'some driver line').set(7, NIX_KILLED);

    // Restart with the state file: a fresh open reads the ring buffer from its oldest record.
    const second = await start({ source: 'kmsg', stateFile, kmsg: { path: '/dev/null', read: ring(log).read } });
    expect(second.k.resume).toEqual({ resumed: true, reason: `resuming from ${stateFile}` });
    expect(second.kills.map((x) => x.kill.comm)).toEqual(['nix-env']);
    expect(second.k.recordsTotal()).toBe(2);
    expect(second.k.lostTotal()).toBe(0);
    second.k.drain();
    expect(second.kills).toHaveLength(1);
    await second.k.stop();

    // Without a state file the same buffer is all history.
    const third = await start({ source: 'kmsg', kmsg: { path: '/dev/null', read: ring(log).read } });
    third.k.drain();
    expect(third.kills).toEqual([]);
    expect(third.k.recordsTotal()).toBe(0);
    expect(third.k.resume.resumed).toBe(false);
  });

  it('counts as lost the records overwritten between the saved position and the oldest one left', async () => {
    fs.writeFileSync(stateFile, JSON.stringify({ version: 1, bootId: BOOT, source: 'kmsg', position: { source: 'kmsg', seq: 5 } }));
    const log = new Map<number, string>([
      [9, 'oldest left'],
      [10, NIX_KILLED],
    ]);
    const { k, kills } = await start({ source: 'kmsg', stateFile, kmsg: { path: '/dev/null', read: ring(log).read } });
    expect(k.lostTotal()).toBe(3);
    expect(kills.map((x) => x.kill.comm)).toEqual(['nix-env']);
  });

  it('saves only committed positions: never one past a kill no scrape has served', async () => {
    const f = fakeKmsg();
    f.push(kmsgRecord(1, 'backlog'));
    const saved = () => (JSON.parse(fs.readFileSync(stateFile, 'utf8')) as { position: unknown }).position;
    const { k, kills } = await start({ source: 'kmsg', stateFile, saveIntervalMs: 0, kmsg: { path: '/dev/null', read: f.read } });
    // Where this run began, on disk before any scrape.
    expect(saved()).toEqual({ source: 'kmsg', seq: 1 });
    f.push(kmsgRecord(2, 'line'), kmsgRecord(3, NIX_KILLED), kmsgRecord(4, 'after'));
    k.drain();
    await Promise.resolve();
    expect(kills).toHaveLength(1);
    // Read and counted, but not served: the drains save nothing past it.
    k.drain();
    expect(saved()).toEqual({ source: 'kmsg', seq: 1 });
    k.commit();
    k.drain();
    expect(saved()).toEqual({ source: 'kmsg', seq: 4 });
    // Read after the last commit: stop keeps the committed position.
    f.push(kmsgRecord(5, UWSGI_KILLED));
    k.drain();
    await k.stop();
    expect(saved()).toEqual({ source: 'kmsg', seq: 4 });
  });

  it('commits the checkpoint taken before a scrape, not what was read while it ran', async () => {
    const f = fakeKmsg();
    f.push(kmsgRecord(1, 'backlog'));
    const saved = () => (JSON.parse(fs.readFileSync(stateFile, 'utf8')) as { position: unknown }).position;
    const { k, kills } = await start({ source: 'kmsg', stateFile, saveIntervalMs: 0, kmsg: { path: '/dev/null', read: f.read } });
    f.push(kmsgRecord(2, NIX_KILLED));
    // The scrape starts: drained, and the position its kill families show at least.
    const before = k.checkpoint();
    expect(before).toEqual({ source: 'kmsg', seq: 2 });
    expect(kills).toHaveLength(1);
    // While it runs, the poll timer reads another kill, maybe after the kill families were written.
    f.push(kmsgRecord(3, UWSGI_KILLED));
    k.drain();
    expect(kills).toHaveLength(2);
    k.commit(before);
    k.drain();
    // A restart resumes after the first kill only: the second is counted again, never lost.
    expect(saved()).toEqual({ source: 'kmsg', seq: 2 });
    await k.stop();
    expect(saved()).toEqual({ source: 'kmsg', seq: 2 });
  });

  it('writes a committed position at once, so a SIGKILL right after a scrape cannot count its kills again', async () => {
    const f = fakeKmsg();
    const saved = () => (JSON.parse(fs.readFileSync(stateFile, 'utf8')) as { position: unknown }).position;
    f.push(kmsgRecord(1, 'backlog'));
    const { k } = await start({ source: 'kmsg', stateFile, saveIntervalMs: 3_600_000, kmsg: { path: '/dev/null', read: f.read } });
    expect(saved()).toEqual({ source: 'kmsg', seq: 1 });
    f.push(kmsgRecord(2, 'line'), kmsgRecord(3, NIX_KILLED));
    const at = k.checkpoint();
    // Read while the scrape ran: not committed, not saved.
    f.push(kmsgRecord(4, 'later'));
    k.drain();
    expect(saved()).toEqual({ source: 'kmsg', seq: 1 });
    k.commit(at);
    // No timer, no throttle: on disk before the body is handed out.
    expect(saved()).toEqual({ source: 'kmsg', seq: 3 });
    const mtime = fs.statSync(stateFile).mtimeMs;
    fs.utimesSync(stateFile, 0, 0);
    // A commit that did not move the position writes nothing.
    k.commit(at);
    expect(fs.statSync(stateFile).mtimeMs).toBe(0);
    expect(mtime).toBeGreaterThan(0);
    await k.stop();
    expect(saved()).toEqual({ source: 'kmsg', seq: 3 });
  });

  it('counts failed state writes, says so at warn once per distinct error, and writes again once it can', async () => {
    const f = fakeKmsg();
    f.push(kmsgRecord(1, 'backlog'));
    const lines: { level: string; msg: string; fields: LogFields }[] = [];
    const log = captureLog(lines);
    const blocked = path.join(dir, 'no-dir', 'state.json');
    const { k } = await start({ source: 'kmsg', stateFile: blocked, log, kmsg: { path: '/dev/null', read: f.read } });
    expect(k.stateSaveErrors()).toBe(1);
    for (let seq = 2; seq <= 4; seq++) {
      f.push(kmsgRecord(seq, 'line'));
      k.commit(k.checkpoint());
    }
    expect(k.stateSaveErrors()).toBe(4);
    expect(lines.filter((l) => l.level === 'warn' && l.msg.startsWith('cannot save the kernel log state'))).toHaveLength(1);
    fs.mkdirSync(path.dirname(blocked));
    f.push(kmsgRecord(5, 'line'));
    k.commit(k.checkpoint());
    expect(k.stateSaveErrors()).toBe(4);
    expect((JSON.parse(fs.readFileSync(blocked, 'utf8')) as { position: unknown }).position).toEqual({ source: 'kmsg', seq: 5 });
  });

  it('logs lost records at warn, at most once a minute, with the count since the last line', async () => {
    const f = fakeKmsg();
    f.push(kmsgRecord(1, 'backlog'));
    const lines: { level: string; msg: string; fields: LogFields }[] = [];
    const { k } = await start({ source: 'kmsg', log: captureLog(lines), kmsg: { path: '/dev/null', read: f.read } });
    f.push(kmsgRecord(5, 'after a gap of 3'));
    k.drain();
    f.push(kmsgRecord(8, 'after a gap of 2'));
    k.drain();
    const lost = lines.filter((l) => l.msg.startsWith('kernel log records lost'));
    expect(lost).toHaveLength(1);
    expect(lost[0]!.level).toBe('warn');
    expect(lost[0]!.fields).toMatchObject({ source: 'kmsg', lost: 3, lost_total: 3 });
    expect(k.lostTotal()).toBe(5);
  });

  it('a kill read but not committed is counted again, once, after a restart; a committed one is not', async () => {
    const log = new Map<number, string>([[1, 'Linux version 6.1']]);
    // Run 1 starts at the end, reads the nix-env kill, and stops before any scrape served it.
    const f1 = ring(log);
    const run1 = await start({ source: 'kmsg', stateFile, kmsg: { path: '/dev/null', read: f1.read } });
    log.set(2, NIX_KILLED);
    f1.push(kmsgRecord(2, NIX_KILLED));
    run1.k.drain();
    expect(run1.kills.map((x) => x.kill.pid)).toEqual([1055041]);
    await run1.k.stop();

    // Run 2 resumes where run 1 began: the kill counts again. Stopped again before a scrape, it keeps
    // that position (not the one past the kill it found while starting).
    const run2 = await start({ source: 'kmsg', stateFile, kmsg: { path: '/dev/null', read: ring(log).read } });
    expect(run2.k.resume.resumed).toBe(true);
    expect(run2.kills.map((x) => x.kill.pid)).toEqual([1055041]);
    await run2.k.stop();

    // Run 3 counts it once more, and this time a scrape serves it before the stop.
    const run3 = await start({ source: 'kmsg', stateFile, kmsg: { path: '/dev/null', read: ring(log).read } });
    run3.k.drain();
    expect(run3.kills.map((x) => x.kill.pid)).toEqual([1055041]);
    run3.k.commit();
    await run3.k.stop();

    // Served: never counted again.
    const run4 = await start({ source: 'kmsg', stateFile, kmsg: { path: '/dev/null', read: ring(log).read } });
    run4.k.drain();
    expect(run4.k.resume.resumed).toBe(true);
    expect(run4.kills).toEqual([]);
  });

  it('ignores a corrupt state file, says why, starts at the end and then writes a good one', async () => {
    fs.writeFileSync(stateFile, '{"version":1,"bootId":"');
    const warnings: string[] = [];
    const log = {
      debug() {},
      info() {},
      warn: (m: string, f?: Record<string, unknown>) => warnings.push(`${m} ${String((f?.['reason'] as string | undefined) ?? '')}`),
      error() {},
    };
    const f = ring(new Map([[1, NIX_KILLED]]));
    const { k, kills } = await start({ source: 'kmsg', stateFile, log, kmsg: { path: '/dev/null', read: f.read } });
    expect(k.resume.resumed).toBe(false);
    expect(k.resume.reason).toMatch(/is not valid JSON .*: starting at the end of the log/);
    expect(warnings).toEqual([expect.stringMatching(/^kernel log state not used, starting at the end of the log state file .* is not valid JSON/)]);
    expect(kills).toEqual([]);
    await k.stop();
    expect((JSON.parse(fs.readFileSync(stateFile, 'utf8')) as { position: unknown }).position).toEqual({ source: 'kmsg', seq: 1 });
  });

  it('a state from another boot is not used', async () => {
    fs.writeFileSync(stateFile, JSON.stringify({ version: 1, bootId: 'other', source: 'kmsg', position: { source: 'kmsg', seq: 0 } }));
    const { k, kills } = await start({ source: 'kmsg', stateFile, kmsg: { path: '/dev/null', read: ring(new Map([[1, NIX_KILLED]])).read } });
    expect(k.resume.reason).toMatch(/from another boot/);
    expect(kills).toEqual([]);
  });

  it('listeners added later hear later kills until they stop listening; a failing one harms no other', async () => {
    const f = fakeKmsg();
    const errors: string[] = [];
    const log = { debug() {}, info() {}, warn() {}, error: (m: string) => errors.push(m) };
    const { k, kills } = await start({ source: 'kmsg', log, kmsg: { path: '/dev/null', read: f.read } });
    const late: number[] = [];
    k.onKill(() => {
      throw new Error('listener bug');
    });
    const stop = k.onKill((kill) => late.push(kill.pid ?? -1));
    f.push(kmsgRecord(1, NIX_KILLED));
    k.drain();
    stop();
    f.push(kmsgRecord(2, UWSGI_KILLED));
    k.drain();
    expect(late).toEqual([1055041]);
    expect(kills.map((x) => x.kill.pid)).toEqual([1055041, 63214]);
    expect(errors).toEqual(['kill listener failed', 'kill listener failed']);
  });

  it('keeps the last 100 kills, newest last', async () => {
    const f = fakeKmsg();
    const { k } = await start({ source: 'kmsg', kmsg: { path: '/dev/null', read: f.read } });
    for (let i = 1; i <= 130; i++) f.push(kmsgRecord(i, `Out of memory: Killed process ${i} (p${i}) total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB`));
    k.drain();
    expect(k.recent()).toHaveLength(100);
    expect(k.recent()[0]!.pid).toBe(31);
    expect(k.recent()[99]!.pid).toBe(130);
  });
});

describe('follower on a syslog file', () => {
  const line = (msg: string, tag = 'kernel') => `Aug 20 13:44:01 kinga ${tag}: ${msg}\n`;

  it('with a state file, counts a kill written while it was down exactly once; without, not at all', async () => {
    const log = path.join(dir, 'kern.log');
    fs.writeFileSync(log, line(ERT_KILLED));
    const first = await start({ source: 'file', file: log, stateFile });
    expect(first.k.source).toBe('file');
    fs.appendFileSync(log, line(UWSGI_HEADER) + line(UWSGI_KILLED));
    first.k.drain();
    expect(first.kills.map((x) => x.kill.comm)).toEqual(['uwsgi']);
    // journalctl short has no year: the envelope supplies one; the time is the line's.
    // A stamp without a zone is this machine's local time.
    const at = new Date(first.kills[0]!.ts * 1000);
    expect([at.getMonth(), at.getDate(), at.getHours(), at.getMinutes(), at.getSeconds()]).toEqual([7, 20, 13, 44, 1]);
    first.k.commit();
    await first.k.stop();

    fs.appendFileSync(
      log,
      line(NIX_KILLED) + line('sending SIGTERM to process 4242 uid 1000 "chrome": oom_score 800, oom_score_adj 300, VmRSS 2048 MiB, cmdline "chrome"', 'earlyoom[881]'),
    );
    const second = await start({ source: 'file', file: log, stateFile });
    expect(second.kills.map((x) => [x.kill.killer, x.kill.comm])).toEqual([
      ['kernel', 'nix-env'],
      ['earlyoom', 'chrome'],
    ]);
    await second.k.stop();

    const third = await start({ source: 'file', file: log });
    third.k.drain();
    expect(third.kills).toEqual([]);
  });

  it("times a kill by boot time plus the kernel's uptime stamp, not by the zone-less syslog time", async () => {
    const log = path.join(dir, 'kern.log');
    fs.writeFileSync(log, '');
    const { k, kills } = await start({ source: 'file', file: log });
    // rsyslog reading /proc/kmsg keeps the kernel's "[uptime]"; "Aug 20 13:44:01" has no zone.
    fs.appendFileSync(log, `Aug 20 13:44:01 kinga kernel: [ 5.005000] ${NIX_KILLED}\n`);
    k.drain();
    expect(kills).toHaveLength(1);
    expect(kills[0]!.ts).toBeCloseTo(BTIME + 5.005, 6);
    // Without a kernel stamp: the line's own time.
    fs.appendFileSync(log, line(UWSGI_KILLED));
    k.drain();
    expect(kills[1]!.ts * 1000).toBe(Date.parse(parseLine(line(UWSGI_KILLED))!.time!));
    // Neither: now, as the follower read it.
    const before = Date.now() / 1000;
    fs.appendFileSync(log, `${ERT_KILLED}\n`);
    k.drain();
    const after = Date.now() / 1000;
    expect(kills[2]!.ts).toBeGreaterThanOrEqual(before);
    expect(kills[2]!.ts).toBeLessThanOrEqual(after);
  });

  it("without the boot time, an uptime stamp cannot be placed: the line's time is used", async () => {
    fs.rmSync(path.join(procfs, 'stat'));
    const log = path.join(dir, 'kern.log');
    fs.writeFileSync(log, '');
    const { k, kills } = await start({ source: 'file', file: log });
    const stamped = `Aug 20 13:44:01 kinga kernel: [ 5.005000] ${NIX_KILLED}`;
    fs.appendFileSync(log, `${stamped}\n`);
    k.drain();
    expect(kills[0]!.ts * 1000).toBe(Date.parse(parseLine(stamped)!.time!));
  });

  it.each([
    ['a directory', (p: string) => fs.mkdirSync(p), 'is a directory'],
    ['a missing file', () => {}, 'ENOENT'],
  ])('on %s: starts anyway, down, says why naming the path, and follows the file once it is there', async (_what, make, why) => {
    const target = path.join(dir, 'target');
    make(target);
    const warnings: string[] = [];
    const log = { debug() {}, info() {}, warn: (m: string, f?: Record<string, unknown>) => warnings.push(`${m}: ${String(f?.['err'])}`), error() {} };
    const { k, kills } = await start({ source: 'file', file: target, log });
    k.drain();
    k.drain();
    expect(k.up()).toBe(false);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(target);
    expect(warnings[0]).toContain(why);
    fs.rmSync(target, { recursive: true, force: true });
    fs.writeFileSync(target, line(NIX_KILLED));
    k.drain();
    expect(k.up()).toBe(true);
    expect(kills.map((x) => x.kill.comm)).toEqual(['nix-env']);
  });

  it('the state of another file is not used', async () => {
    const a = path.join(dir, 'a.log');
    const b = path.join(dir, 'b.log');
    fs.writeFileSync(a, '');
    fs.writeFileSync(b, line(NIX_KILLED));
    const first = await start({ source: 'file', file: a, stateFile });
    await first.k.stop();
    const second = await start({ source: 'file', file: b, stateFile });
    expect(second.k.resume.reason).toMatch(/is for .*a\.log, now following .*b\.log/);
    expect(second.kills).toEqual([]);
  });
});

describe('follower on journald (fake journalctl)', () => {
  it('saves the cursor and resumes after it', async () => {
    const script = path.join(dir, 'journalctl.cjs');
    const argsFile = path.join(dir, 'args');
    // journald's receive time, after the follower started (earlier entries would be history).
    const realtimeUsec = (Math.floor(Date.now() / 1000) + 60) * 1_000_000;
    const entry = (cursor: string, msg: string) =>
      JSON.stringify({ __CURSOR: cursor, _TRANSPORT: 'kernel', SYSLOG_FACILITY: '0', __REALTIME_TIMESTAMP: String(realtimeUsec), MESSAGE: msg });
    fs.writeFileSync(
      script,
      `require('node:fs').appendFileSync(${JSON.stringify(argsFile)}, JSON.stringify(process.argv.slice(2)) + '\\n');
       process.stdout.write(${JSON.stringify(entry('c1', 'hello') + '\n' + entry('c2', NIX_KILLED) + '\n')});
       setInterval(() => {}, 1000);`,
    );
    const journalctl = [process.execPath, script];
    const first = await start({ source: 'journald', stateFile, journalctl, journaldSocket: journald.path });
    await vi.waitFor(() => expect(first.kills).toHaveLength(1), { timeout: 10_000, interval: 20 });
    expect(first.k.up()).toBe(true);
    expect(first.k.recordsTotal()).toBe(2);
    // __REALTIME_TIMESTAMP is the time of the kill.
    expect(first.kills[0]!.ts).toBe(realtimeUsec / 1_000_000);
    first.k.commit();
    await first.k.stop();
    expect(first.k.up()).toBe(false);
    expect((JSON.parse(fs.readFileSync(stateFile, 'utf8')) as { position: unknown }).position).toEqual({ source: 'journald', cursor: 'c2' });

    const second = await start({ source: 'journald', stateFile, journalctl, journaldSocket: journald.path });
    await vi.waitFor(() => expect(fs.readFileSync(argsFile, 'utf8').trim().split('\n')).toHaveLength(2), { timeout: 10_000, interval: 20 });
    const [a1, a2] = fs
      .readFileSync(argsFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as string[]);
    expect(a1).toContain('-n');
    expect(a2).toContain('--after-cursor=c2');
    await second.k.stop();
  });
});

describe('follower on journald, before the first commit (fake journalctl)', () => {
  it('saves the cursor of the context entry it started at, never one past a kill', async () => {
    const script = path.join(dir, 'journalctl.cjs');
    const nowUsec = Date.now() * 1000;
    const entry = (cursor: string, usec: number, msg: string) =>
      JSON.stringify({ __CURSOR: cursor, _TRANSPORT: 'kernel', SYSLOG_FACILITY: '0', __REALTIME_TIMESTAMP: String(usec), MESSAGE: msg });
    // "-n 1": the last entry before our start (context), then a kill after it, then another line.
    const out = [entry('c0', nowUsec - 60_000_000, 'before'), entry('c1', nowUsec + 60_000_000, NIX_KILLED), entry('c2', nowUsec + 61_000_000, 'after')];
    fs.writeFileSync(script, `process.stdout.write(${JSON.stringify(out.join('\n') + '\n')}); setInterval(() => {}, 1000);`);
    const { k, kills } = await start({ source: 'journald', stateFile, saveIntervalMs: 0, journalctl: [process.execPath, script], journaldSocket: journald.path });
    await vi.waitFor(() => expect(k.recordsTotal()).toBe(2), { timeout: 10_000, interval: 20 });
    expect(kills).toHaveLength(1);
    k.drain();
    expect((JSON.parse(fs.readFileSync(stateFile, 'utf8')) as { position: unknown }).position).toEqual({ source: 'journald', cursor: 'c0' });
    k.commit();
    k.drain();
    expect((JSON.parse(fs.readFileSync(stateFile, 'utf8')) as { position: unknown }).position).toEqual({ source: 'journald', cursor: 'c2' });
  });
});

describe('follower without a source', () => {
  it('is down and counts nothing', async () => {
    const { k } = await start({ source: 'none' });
    k.drain();
    expect(k.source).toBe('none');
    expect(k.up()).toBe(false);
    expect([k.recordsTotal(), k.lostTotal(), k.recent().length]).toEqual([0, 0, 0]);
    expect(k.resume.reason).toBe('no kernel log source');
  });
});

describe('follower that can read no kernel log', () => {
  it('auto finding no source says so at warn, with why for each source and what to grant', async () => {
    const lines: { level: string; msg: string; fields: LogFields }[] = [];
    const { k } = await start({
      source: 'auto',
      log: captureLog(lines),
      kmsg: { path: path.join(dir, 'no-kmsg') },
      journalctl: [path.join(dir, 'no-journalctl')],
      syslogFiles: [path.join(dir, 'no-kern.log')],
    });
    expect(k.source).toBe('none');
    expect(k.up()).toBe(false);
    const warns = lines.filter((l) => l.level === 'warn');
    expect(warns.map((l) => l.fields['source'])).toEqual(['kmsg', 'journald', 'file', undefined]);
    expect(warns.at(-1)!.msg).toMatch(/no kernel log source can be read/);
    expect(warns.at(-1)!.msg).toContain(GRANT_HINT);
    expect(GRANT_HINT).toMatch(/CAP_SYSLOG.*systemd-journal group.*--kernel-log\.file/);
  });

  it('journald asked for while journald is stopped: down, and the log says why at warn', async () => {
    const lines: { level: string; msg: string; fields: LogFields }[] = [];
    // A journalctl that follows and never prints, as the real one does with no journald writing.
    const script = path.join(dir, 'silent-journalctl.cjs');
    fs.writeFileSync(script, 'setInterval(() => {}, 1000);');
    const stale = path.join(dir, 'stale.sock');
    execFileSync('python3', ['-c', 'import socket,sys; socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).bind(sys.argv[1])', stale]);
    const { k } = await start({ source: 'journald', log: captureLog(lines), journalctl: [process.execPath, script], journaldSocket: stale });
    await vi.waitFor(() => expect(lines.some((l) => l.level === 'warn' && /systemd-journald is not running/.test(String(l.fields['err'])))).toBe(true), {
      timeout: 10_000,
      interval: 20,
    });
    expect(k.up()).toBe(false);
  });
});
