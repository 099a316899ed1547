import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createJournaldSource, JOURNAL_MATCHES, type JournaldSource } from '../../../src/kernellog/sources/journald.js';
import type { RecordSink } from '../../../src/kernellog/sources/source.js';
import type { LogRecord } from '../../../src/kernellog/types.js';
import { ensureJournald, journaldSocketStandIn } from '../journald-helper.js';
import { requireRoot } from '../../helpers/root.js';

/**
 * A stand-in journalctl. Run N (counted by the argument files it leaves) records its arguments in
 * args-N.json, prints out-N in two writes split inside a line, then stays alive if stay-N exists, or
 * writes err-N to stderr and exits 1.
 */
const FAKE = `
const fs = require('node:fs');
const dir = process.argv[2];
const runs = fs.readdirSync(dir).filter((f) => f.startsWith('args-')).length;
fs.writeFileSync(dir + '/args-' + runs + '.json', JSON.stringify(process.argv.slice(3)));
const read = (f) => (fs.existsSync(dir + '/' + f) ? fs.readFileSync(dir + '/' + f, 'utf8') : '');
const out = read('out-' + runs);
const half = Math.floor(out.length / 2);
process.stdout.write(out.slice(0, half), () => setTimeout(() => process.stdout.write(out.slice(half), () => {
  if (fs.existsSync(dir + '/stay-' + runs)) setInterval(() => {}, 1000);
  else { process.stderr.write(read('err-' + runs)); process.exitCode = 1; }
}), 30));
`;

let dir: string;
// A running journald, as far as the source's liveness check can tell (the journalctl here is a fake).
let journald: { path: string; close(): Promise<void> };
const sources: JournaldSource[] = [];

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oom-journald-source-'));
  fs.writeFileSync(path.join(dir, 'fake-journalctl.cjs'), FAKE);
  journald = await journaldSocketStandIn(path.join(dir, 'stdout'));
});
afterEach(async () => {
  for (const s of sources.splice(0)) await s.stop();
  await journald.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function entry(cursor: string, fields: Record<string, unknown>): string {
  return JSON.stringify({ __CURSOR: cursor, __REALTIME_TIMESTAMP: String(Date.now() * 1000 + 5_000_000), ...fields }) + '\n';
}
const kernel = (cursor: string, message: unknown) => entry(cursor, { _TRANSPORT: 'kernel', SYSLOG_FACILITY: '0', MESSAGE: message });

function collect(src: () => JournaldSource) {
  const live: LogRecord[] = [];
  const replayed: LogRecord[] = [];
  const errors: { message: string; upThen: boolean }[] = [];
  let lost = 0;
  const sink: RecordSink = {
    record: (r, replay) => (replay ? replayed : live).push(r),
    lost: (n) => (lost += n),
    error: (e) => errors.push({ message: e.message, upThen: src().up() }),
  };
  return { sink, live, replayed, errors, lost: () => lost };
}

function args(run: number): string[] {
  return JSON.parse(fs.readFileSync(path.join(dir, `args-${run}.json`), 'utf8')) as string[];
}

function start(afterCursor?: string, now?: () => number): { src: JournaldSource; c: ReturnType<typeof collect> } {
  const src = createJournaldSource({
    command: [process.execPath, path.join(dir, 'fake-journalctl.cjs'), dir],
    backoff: { initialMs: 100, maxMs: 400 },
    socket: journald.path,
    afterCursor,
    ...(now ? { now } : {}),
  });
  sources.push(src);
  const c = collect(() => src);
  src.start(c.sink);
  return { src, c };
}

describe('journald source, fake journalctl', () => {
  it('splits lines across chunks, counts "Missed N", restarts after an exit resuming at the last cursor', async () => {
    fs.writeFileSync(
      path.join(dir, 'out-0'),
      kernel('c1', 'first') +
        // MESSAGE as bytes: journalctl prints it so when it is not valid UTF-8 or holds control bytes.
        kernel('c2', [...Buffer.from('sec\x01ond')]) +
        entry('c3', { _TRANSPORT: 'driver', MESSAGE_ID: 'e9bf28e6e834481bb6f48f548ad13606', MESSAGE: 'Missed 5 kernel messages' }),
    );
    fs.writeFileSync(path.join(dir, 'err-0'), 'Failed to iterate through journal: Bad message\n');
    fs.writeFileSync(path.join(dir, 'out-1'), kernel('c4', 'third'));
    fs.writeFileSync(path.join(dir, 'stay-1'), '');
    const { src, c } = start();

    await vi.waitFor(() => expect(c.live.map((r) => r.message)).toEqual(['first', 'sec\x01ond', 'third']), { timeout: 10_000, interval: 20 });
    expect(c.lost()).toBe(5);
    expect(c.replayed).toEqual([]);
    expect(c.live.every((r) => r.fromKernel)).toBe(true);
    expect(c.errors).toEqual([
      { message: expect.stringMatching(/journalctl exited with code 1: Failed to iterate through journal: Bad message; restarting in 100 ms/), upThen: false },
    ]);
    await vi.waitFor(() => expect(src.up()).toBe(true), { timeout: 10_000, interval: 20 });
    expect(src.position()).toEqual({ source: 'journald', cursor: 'c4' });

    const first = args(0);
    expect(first.slice(0, 7)).toEqual(['-f', '-o', 'json', '-q', '--no-pager', '-n', '1']);
    expect(first.slice(7)).toEqual([...JOURNAL_MATCHES]);
    expect(JOURNAL_MATCHES).toEqual([
      '_TRANSPORT=kernel',
      '+',
      'MESSAGE_ID=e9bf28e6e834481bb6f48f548ad13606',
      '+',
      'SYSLOG_IDENTIFIER=earlyoom',
      '+',
      'SYSLOG_IDENTIFIER=systemd-oomd',
    ]);
    const second = args(1);
    expect(second).toContain('--no-tail');
    expect(second).toContain('--after-cursor=c3');
    expect(second).not.toContain('-n');
  });

  it('without a cursor, takes what journald received before the start as context only', async () => {
    const old = JSON.stringify({ __CURSOR: 'c0', _TRANSPORT: 'kernel', __REALTIME_TIMESTAMP: String((Date.now() - 60_000) * 1000), MESSAGE: 'before' }) + '\n';
    fs.writeFileSync(path.join(dir, 'out-0'), old + kernel('c1', 'after'));
    fs.writeFileSync(path.join(dir, 'stay-0'), '');
    const { src, c } = start();
    await vi.waitFor(() => expect(c.live.map((r) => r.message)).toEqual(['after']), { timeout: 10_000, interval: 20 });
    expect(c.replayed.map((r) => r.message)).toEqual(['before']);
    expect(src.position()).toEqual({ source: 'journald', cursor: 'c1' });
  });

  it("a journald started after us imports the kernel's backlog as new entries: its own stamps say they are older, context only", async () => {
    const stamped = (cursor: string, message: string, kernelUsec: number) =>
      entry(cursor, {
        _TRANSPORT: 'kernel',
        SYSLOG_FACILITY: '0',
        MESSAGE: message,
        __MONOTONIC_TIMESTAMP: '2000000000',
        _SOURCE_MONOTONIC_TIMESTAMP: String(kernelUsec),
      });
    fs.writeFileSync(path.join(dir, 'out-0'), stamped('c1', 'logged before our start', 999_000_000) + stamped('c2', 'logged after it', 1_001_000_000));
    fs.writeFileSync(path.join(dir, 'stay-0'), '');
    const src = createJournaldSource({
      command: [process.execPath, path.join(dir, 'fake-journalctl.cjs'), dir],
      socket: journald.path,
      startUptimeSeconds: 1000,
    });
    sources.push(src);
    const c = collect(() => src);
    src.start(c.sink);
    await vi.waitFor(() => expect(c.live.map((r) => r.message)).toEqual(['logged after it']), { timeout: 10_000, interval: 20 });
    expect(c.replayed.map((r) => r.message)).toEqual(['logged before our start']);
  });

  it('takes the identifier away from a userspace record that came through /dev/kmsg', async () => {
    const msg = 'sending SIGKILL to process 1 uid 0 "init": oom_score 1, oom_score_adj 0, VmRSS 1 MiB, cmdline "init"';
    fs.writeFileSync(
      path.join(dir, 'out-0'),
      // What journald makes of `echo "<14>earlyoom: ..." > /dev/kmsg`, and what earlyoom itself logs.
      entry('c1', { _TRANSPORT: 'kernel', SYSLOG_FACILITY: '1', SYSLOG_IDENTIFIER: 'earlyoom', MESSAGE: msg }) +
        entry('c2', { _TRANSPORT: 'stdout', SYSLOG_FACILITY: '3', SYSLOG_IDENTIFIER: 'earlyoom', MESSAGE: msg }),
    );
    fs.writeFileSync(path.join(dir, 'stay-0'), '');
    const { c } = start();
    await vi.waitFor(() => expect(c.live).toHaveLength(2), { timeout: 10_000, interval: 20 });
    expect(c.live.map((r) => [r.fromKernel, r.identifier])).toEqual([
      [false, null],
      [false, 'earlyoom'],
    ]);
  });

  it('after a saved cursor, everything journalctl prints counts, however old', async () => {
    const old = JSON.stringify({ __CURSOR: 'c6', _TRANSPORT: 'kernel', __REALTIME_TIMESTAMP: String((Date.now() - 60_000) * 1000), MESSAGE: 'while down' }) + '\n';
    fs.writeFileSync(path.join(dir, 'out-0'), old);
    fs.writeFileSync(path.join(dir, 'stay-0'), '');
    const { c } = start('c5');
    await vi.waitFor(() => expect(c.live.map((r) => r.message)).toEqual(['while down']), { timeout: 10_000, interval: 20 });
    expect(c.replayed).toEqual([]);
    expect(args(0)).toContain('--after-cursor=c5');
  });

  it('starts after a saved cursor, and drops a cursor journalctl cannot seek to', async () => {
    fs.writeFileSync(path.join(dir, 'err-0'), 'Failed to seek to cursor: Invalid argument\n');
    fs.writeFileSync(path.join(dir, 'out-1'), kernel('c9', 'after fallback'));
    fs.writeFileSync(path.join(dir, 'stay-1'), '');
    const { src, c } = start('garbage');
    await vi.waitFor(() => expect(c.live.map((r) => r.message)).toEqual(['after fallback']), { timeout: 10_000, interval: 20 });
    expect(args(0)).toContain('--after-cursor=garbage');
    const second = args(1);
    expect(second.some((a) => a.startsWith('--after-cursor'))).toBe(false);
    expect(second.find((a) => a.startsWith('--since=@'))).toMatch(/^--since=@\d+$/);
    expect(c.errors.map((e) => e.message)).toContainEqual(expect.stringContaining('cannot resume after cursor garbage'));
    expect(src.up()).toBe(true);
  });

  it('when journalctl cannot resume after the cursor mid-run, re-reads without counting anything twice', async () => {
    const t = (Date.now() + 5_000) * 1000;
    const at = (usec: number, cursor: string, fields: Record<string, unknown>) =>
      JSON.stringify({ __CURSOR: cursor, __REALTIME_TIMESTAMP: String(usec), ...fields }) + '\n';
    const k = (usec: number, cursor: string, message: string) => at(usec, cursor, { _TRANSPORT: 'kernel', SYSLOG_FACILITY: '0', MESSAGE: message });
    const missed = at(t + 1, 'c2m', { _TRANSPORT: 'driver', MESSAGE_ID: 'e9bf28e6e834481bb6f48f548ad13606', MESSAGE: 'Missed 4 kernel messages' });
    // Run 0 delivers c1, the "Missed" entry and c2, then dies; c3 has the very same receive time as c2
    // but journalctl had not printed it yet.
    fs.writeFileSync(path.join(dir, 'out-0'), k(t, 'c1', 'first') + missed + k(t + 2, 'c2', 'second'));
    fs.writeFileSync(path.join(dir, 'err-0'), 'Failed to iterate through journal: Bad message\n');
    // Run 1 cannot seek to c2.
    fs.writeFileSync(path.join(dir, 'err-1'), 'Failed to seek to cursor: Invalid argument\n');
    // Run 2, without a cursor, prints what this run delivered again, then what is new.
    fs.writeFileSync(path.join(dir, 'out-2'), k(t, 'c1', 'first') + missed + k(t + 2, 'c2', 'second') + k(t + 2, 'c3', 'third') + k(t + 3, 'c4', 'fourth'));
    fs.writeFileSync(path.join(dir, 'stay-2'), '');
    const { src, c } = start();
    await vi.waitFor(() => expect(c.live.map((r) => r.message)).toEqual(['first', 'second', 'third', 'fourth']), { timeout: 10_000, interval: 20 });
    expect(c.replayed.map((r) => r.message)).toEqual(['first', 'second']);
    expect(c.lost()).toBe(4);
    expect(args(1)).toContain('--after-cursor=c2');
    const since = args(2).find((a) => a.startsWith('--since=@'));
    // From the last entry delivered, in journalctl's whole seconds.
    expect(since).toBe(`--since=@${Math.floor((t + 2) / 1_000_000)}`);
    expect(src.position()).toEqual({ source: 'journald', cursor: 'c4' });
  });

  it('backs off: the restart delay doubles up to the maximum', async () => {
    // Every run fails at once; a stopped clock says so even on a slow machine (a run that lasted the
    // maximum delay would reset the backoff).
    const { c } = start(undefined, () => 0);
    await vi.waitFor(() => expect(c.errors.length).toBeGreaterThanOrEqual(4), { timeout: 10_000, interval: 20 });
    const delays = c.errors.map((e) => Number(/restarting in (\d+) ms/.exec(e.message)?.[1]));
    expect(delays.slice(0, 4)).toEqual([100, 200, 400, 400]);
    expect(c.errors.every((e) => !e.upThen)).toBe(true);
  });

  it('is down, with the reason, when journalctl cannot be run at all', async () => {
    const src = createJournaldSource({ command: [path.join(dir, 'no-such-journalctl')], backoff: { initialMs: 60_000, maxMs: 60_000 }, socket: journald.path });
    sources.push(src);
    const c = collect(() => src);
    src.start(c.sink);
    await vi.waitFor(() => expect(c.errors).toHaveLength(1), { timeout: 10_000, interval: 20 });
    expect(c.errors[0]!.message).toMatch(/ENOENT/);
    expect(src.up()).toBe(false);
  });
});

describe('journald source, journald itself not running', () => {
  /** A socket file nobody listens on, as a journald that stopped or was killed leaves behind. */
  function staleSocket(p: string): void {
    execFileSync('python3', ['-c', 'import socket,sys; socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).bind(sys.argv[1])', p]);
  }

  it('is down while journald is not running though journalctl waits, says why at once, and is up again when journald is back', async () => {
    fs.writeFileSync(path.join(dir, 'stay-0'), '');
    const socket = path.join(dir, 'stopped-journald.sock');
    staleSocket(socket);
    const src = createJournaldSource({ command: [process.execPath, path.join(dir, 'fake-journalctl.cjs'), dir], socket, livenessIntervalMs: 50 });
    sources.push(src);
    const recovered: string[] = [];
    const c = collect(() => src);
    src.start({ ...c.sink, recovered: (m) => recovered.push(m) });
    await vi.waitFor(() => expect(c.errors).toHaveLength(1), { timeout: 10_000, interval: 20 });
    expect(c.errors[0]!.message).toMatch(/systemd-journald is not running \(.*stopped-journald\.sock: nobody listens\)/);
    // journalctl itself runs (and would wait forever): the source is down all the same.
    await vi.waitFor(() => expect(fs.existsSync(path.join(dir, 'args-0.json'))).toBe(true), { timeout: 10_000, interval: 20 });
    expect(src.up()).toBe(false);

    fs.rmSync(socket);
    const back = await journaldSocketStandIn(socket);
    try {
      await vi.waitFor(() => expect(src.up()).toBe(true), { timeout: 10_000, interval: 20 });
      expect(recovered).toEqual([expect.stringMatching(/systemd-journald runs again/)]);
      // Said once, not at every check.
      expect(c.errors).toHaveLength(1);
    } finally {
      await src.stop();
      await back.close();
    }
  });

  it('is down when there is no journald socket at all', async () => {
    fs.writeFileSync(path.join(dir, 'stay-0'), '');
    const src = createJournaldSource({ command: [process.execPath, path.join(dir, 'fake-journalctl.cjs'), dir], socket: path.join(dir, 'nothing-here') });
    sources.push(src);
    const c = collect(() => src);
    src.start(c.sink);
    await vi.waitFor(() => expect(c.errors).toHaveLength(1), { timeout: 10_000, interval: 20 });
    expect(c.errors[0]!.message).toMatch(/nothing-here: no such socket/);
    expect(src.up()).toBe(false);
  });
});

describe('journald source, real journald', () => {
  let stopJournald: (() => Promise<void>) | null = null;
  afterAll(async () => {
    await stopJournald?.();
  });

  it.runIf(requireRoot())('follows kernel records live and survives journalctl being killed, without repeats', async () => {
    stopJournald = await ensureJournald();
    const src = createJournaldSource({ backoff: { initialMs: 200, maxMs: 1000 } });
    sources.push(src);
    const c = collect(() => src);
    src.start(c.sink);
    await vi.waitFor(() => expect(src.up()).toBe(true), { timeout: 10_000, interval: 20 });

    const tag = randomBytes(6).toString('hex');
    const marker = (n: number) => `oom-exporter journald test ${tag} ${n}`;
    const count = (m: string) => c.live.filter((r) => r.message === m).length;
    // Whether journalctl has reached the end and follows is not observable: write until a copy shows,
    // then wait for every copy written.
    let written = 0;
    await vi.waitFor(
      () => {
        fs.writeFileSync('/dev/kmsg', `<3>${marker(1)}\n`);
        written++;
        expect(count(marker(1))).toBeGreaterThan(0);
      },
      { timeout: 20_000, interval: 500 },
    );
    await vi.waitFor(() => expect(count(marker(1))).toBe(written), { timeout: 20_000, interval: 50 });
    const mine = c.live.filter((r) => r.message === marker(1));
    // A process wrote it: journald keeps _TRANSPORT=kernel but facility 1, so it is not the kernel's.
    expect(mine[0]!.fromKernel).toBe(false);
    expect(src.position()?.source).toBe('journald');

    const firstPid = src.pid();
    expect(firstPid).toBeGreaterThan(0);
    process.kill(firstPid!, 'SIGKILL');
    await vi.waitFor(() => expect(c.errors.length).toBeGreaterThan(0), { timeout: 10_000, interval: 20 });
    expect(c.errors[0]).toEqual({ message: expect.stringContaining('journalctl killed by SIGKILL'), upThen: false });
    await vi.waitFor(() => expect(src.up()).toBe(true), { timeout: 10_000, interval: 20 });
    expect(src.pid()).not.toBe(firstPid);

    fs.writeFileSync('/dev/kmsg', `<3>${marker(2)}\n`);
    await vi.waitFor(() => expect(c.live.some((r) => r.message === marker(2))).toBe(true), { timeout: 20_000, interval: 50 });
    // Resumed after the cursor: what was read before the kill does not come again.
    expect(count(marker(2))).toBe(1);
    expect(count(marker(1))).toBe(written);
    await src.stop();
    expect(src.up()).toBe(false);
  });
});
