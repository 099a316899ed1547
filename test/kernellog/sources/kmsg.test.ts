import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { createKmsgSource, MAX_EPIPE_IN_A_ROW } from '../../../src/kernellog/sources/kmsg.js';
import type { RecordSink } from '../../../src/kernellog/sources/source.js';
import type { LogRecord } from '../../../src/kernellog/types.js';
import { requireRoot } from '../../helpers/root.js';
import { errno, fakeKmsg, kmsgRecord } from '../fake-kmsg.js';

function collect() {
  const live: LogRecord[] = [];
  const replayed: LogRecord[] = [];
  const errors: Error[] = [];
  const recovered: string[] = [];
  let lost = 0;
  const sink: RecordSink = {
    record: (r, replay) => (replay ? replayed : live).push(r),
    lost: (n) => (lost += n),
    error: (e) => errors.push(e),
    recovered: (m) => recovered.push(m),
  };
  return { sink, live, replayed, errors, recovered, lost: () => lost };
}

// Any openable path: the reads come from the fake.
const FAKE_PATH = '/dev/null';

describe('kmsg source, scripted reads', () => {
  it('reads the backlog as context only, then counts records and the loss an EPIPE reveals', () => {
    const k = fakeKmsg();
    k.records(10, 14);
    const src = createKmsgSource({ path: FAKE_PATH, read: k.read });
    const c = collect();
    src.start(c.sink);
    expect(c.replayed.map((r) => r.message)).toEqual(['record 10', 'record 11', 'record 12', 'record 13', 'record 14']);
    expect(c.live).toEqual([]);
    expect(src.position()).toEqual({ source: 'kmsg', seq: 14 });

    // 15 and 16 are read; then the kernel overwrote 17..19 before the next read: EPIPE, and the next
    // read returns the oldest record left (20).
    k.records(15, 16);
    k.push(errno('EPIPE'));
    k.records(20, 21);
    src.drain();
    expect(c.live.map((r) => r.message)).toEqual(['record 15', 'record 16', 'record 20', 'record 21']);
    expect(c.lost()).toBe(3);
    expect(c.errors).toEqual([]);
    expect(src.up()).toBe(true);
    expect(src.position()).toEqual({ source: 'kmsg', seq: 21 });
  });

  it('never delivers a sequence number twice, even if the device repeats one after EPIPE', () => {
    const k = fakeKmsg();
    const src = createKmsgSource({ path: FAKE_PATH, read: k.read });
    const c = collect();
    src.start(c.sink);
    k.records(1, 3);
    k.push(errno('EPIPE'));
    k.records(2, 5);
    src.drain();
    expect(c.live.map((r) => r.message)).toEqual(['record 1', 'record 2', 'record 3', 'record 4', 'record 5']);
    expect(c.lost()).toBe(0);
  });

  it('counts a gap without EPIPE as lost too', () => {
    const k = fakeKmsg();
    k.records(1, 1);
    const src = createKmsgSource({ path: FAKE_PATH, read: k.read });
    const c = collect();
    src.start(c.sink);
    k.records(2, 2);
    k.records(7, 7);
    src.drain();
    expect(c.lost()).toBe(4);
    expect(c.live).toHaveLength(2);
  });

  it('resumes after a saved sequence number: older records are context, newer ones count', () => {
    const k = fakeKmsg();
    k.records(10, 16);
    const src = createKmsgSource({ path: FAKE_PATH, read: k.read, afterSeq: 12 });
    const c = collect();
    src.start(c.sink);
    expect(c.replayed.map((r) => r.message)).toEqual(['record 10', 'record 11', 'record 12']);
    expect(c.live.map((r) => r.message)).toEqual(['record 13', 'record 14', 'record 15', 'record 16']);
    expect(c.lost()).toBe(0);
  });

  it('counts as lost what was overwritten after the saved sequence number while we were down', () => {
    const k = fakeKmsg();
    k.records(10, 12);
    const src = createKmsgSource({ path: FAKE_PATH, read: k.read, afterSeq: 5 });
    const c = collect();
    src.start(c.sink);
    expect(c.lost()).toBe(4);
    expect(c.live.map((r) => r.message)).toEqual(['record 10', 'record 11', 'record 12']);
    expect(c.replayed).toEqual([]);
  });

  it('resuming when nothing new was logged: context only, position unchanged, the next record counts', () => {
    const k = fakeKmsg();
    k.records(1, 4);
    const src = createKmsgSource({ path: FAKE_PATH, read: k.read, afterSeq: 4 });
    const c = collect();
    src.start(c.sink);
    expect(c.replayed).toHaveLength(4);
    expect(src.position()).toEqual({ source: 'kmsg', seq: 4 });
    k.records(5, 5);
    src.drain();
    expect(c.live.map((r) => r.message)).toEqual(['record 5']);
    expect(c.lost()).toBe(0);
  });

  it('grows its buffer when the device says EINVAL (record bigger than the buffer)', () => {
    const k = fakeKmsg();
    const src = createKmsgSource({ path: FAKE_PATH, read: k.read });
    const c = collect();
    src.start(c.sink);
    const big = 'x'.repeat(40_000);
    k.push(kmsgRecord(1, big), kmsgRecord(2, 'after'));
    src.drain();
    expect(c.live.map((r) => r.message.length)).toEqual([40_000, 5]);
    expect(c.errors).toEqual([]);
  });

  it('marks records a process wrote (facility >= 1) as not from the kernel', () => {
    const k = fakeKmsg();
    const src = createKmsgSource({ path: FAKE_PATH, read: k.read });
    const c = collect();
    src.start(c.sink);
    k.push(kmsgRecord(1, 'kernel says', 0, 3), kmsgRecord(2, 'user says', 1, 3), kmsgRecord(3, 'daemon says', 3, 6));
    src.drain();
    expect(c.live.map((r) => [r.message, r.fromKernel])).toEqual([
      ['kernel says', true],
      ['user says', false],
      ['daemon says', false],
    ]);
    expect(c.live[0]!.uptimeSeconds).toBeCloseTo(5.001, 6);
  });

  it('stops at an error it cannot handle, reports it and is down', () => {
    const k = fakeKmsg();
    const src = createKmsgSource({ path: FAKE_PATH, read: k.read });
    const c = collect();
    src.start(c.sink);
    k.records(1, 1);
    k.push(errno('EIO'));
    k.records(2, 2);
    src.drain();
    expect(c.live).toHaveLength(1);
    expect(c.errors.map((e) => e.message)).toEqual([expect.stringContaining('EIO')]);
    expect(src.up()).toBe(false);
    src.drain();
    expect(c.live).toHaveLength(1);
  });

  it('gives up a drain when EPIPE keeps coming, instead of spinning; the next drains go on from there', () => {
    const k = fakeKmsg();
    const src = createKmsgSource({ path: FAKE_PATH, read: k.read });
    const c = collect();
    src.start(c.sink);
    expect(MAX_EPIPE_IN_A_ROW).toBeLessThan(10);
    for (let i = 0; i < 20; i++) k.push(errno('EPIPE'));
    k.records(1, 1);
    // Each drain takes MAX_EPIPE_IN_A_ROW of them and leaves the rest, and the record, to the next.
    src.drain();
    expect(k.pending()).toBe(21 - MAX_EPIPE_IN_A_ROW);
    expect(src.up()).toBe(true);
    src.drain();
    expect(k.pending()).toBe(21 - 2 * MAX_EPIPE_IN_A_ROW);
    expect(c.live).toEqual([]);
    src.drain();
    expect(k.pending()).toBe(0);
    expect(c.live.map((r) => r.message)).toEqual(['record 1']);
    expect(src.up()).toBe(true);
  });

  it('counts EPIPEs in a row only: a record read between them lets the drain go on', () => {
    const k = fakeKmsg();
    const src = createKmsgSource({ path: FAKE_PATH, read: k.read });
    const c = collect();
    src.start(c.sink);
    for (let seq = 1; seq <= 3; seq++) {
      for (let i = 0; i < MAX_EPIPE_IN_A_ROW - 1; i++) k.push(errno('EPIPE'));
      k.records(seq, seq);
    }
    src.drain();
    expect(k.pending()).toBe(0);
    expect(c.live.map((r) => r.message)).toEqual(['record 1', 'record 2', 'record 3']);
  });

  it('a saved sequence number beyond the end of the log: said, not trusted, starts at the end and counts what comes next', () => {
    const k = fakeKmsg();
    k.records(1, 9);
    const src = createKmsgSource({ path: FAKE_PATH, read: k.read, afterSeq: 500 });
    const c = collect();
    src.start(c.sink);
    expect(c.errors.map((e) => e.message)).toEqual([expect.stringMatching(/sequence 500\) is beyond the end of .* \(last record 9\).*starting at the end/)]);
    expect(c.replayed).toHaveLength(9);
    expect(src.position()).toEqual({ source: 'kmsg', seq: 9 });
    k.records(10, 11);
    src.drain();
    expect(c.live.map((r) => r.message)).toEqual(['record 10', 'record 11']);
    expect(c.lost()).toBe(0);
  });

  it('a saved sequence number at the end is trusted: nothing said, the next record counts', () => {
    const k = fakeKmsg();
    k.records(1, 9);
    const src = createKmsgSource({ path: FAKE_PATH, read: k.read, afterSeq: 9 });
    const c = collect();
    src.start(c.sink);
    expect(c.errors).toEqual([]);
    k.records(10, 10);
    src.drain();
    expect(c.live.map((r) => r.message)).toEqual(['record 10']);
  });

  it('opens the device again after a failure, with backoff, and counts what came meanwhile once, the overwritten as lost', () => {
    const k = fakeKmsg();
    let nowMs = 0;
    const src = createKmsgSource({ path: FAKE_PATH, read: k.read, retry: { initialMs: 1000, maxMs: 4000 }, now: () => nowMs });
    const c = collect();
    src.start(c.sink);
    k.records(1, 2);
    k.push(errno('EIO'));
    src.drain();
    expect(src.up()).toBe(false);
    expect(c.errors.map((e) => e.message)).toEqual([expect.stringMatching(/EIO.*trying again in 1 s/)]);
    // A fresh open reads from the oldest record: 1 and 2 again (skipped), 3 was overwritten, 4 and 5 are new.
    k.records(1, 2);
    k.records(4, 5);
    nowMs = 999;
    src.drain();
    expect(src.up()).toBe(false);
    nowMs = 1000;
    src.drain();
    expect(src.up()).toBe(true);
    expect(c.live.map((r) => r.message)).toEqual(['record 1', 'record 2', 'record 4', 'record 5']);
    expect(c.lost()).toBe(1);
    expect(c.recovered).toEqual([`${FAKE_PATH} is open again`]);
  });

  it('retries an open that fails, doubling the delay up to the maximum, and says the same failure once', () => {
    const dir = fs.mkdtempSync('/tmp/oom-kmsg-');
    const device = `${dir}/kmsg`;
    const k = fakeKmsg();
    let nowMs = 0;
    const src = createKmsgSource({ path: device, read: k.read, retry: { initialMs: 1000, maxMs: 4000 }, now: () => nowMs });
    const c = collect();
    try {
      src.start(c.sink);
      expect(src.up()).toBe(false);
      const opens = vi.spyOn(fs, 'openSync');
      const tries: number[] = [];
      for (nowMs = 100; nowMs <= 20_000; nowMs += 100) {
        const before = opens.mock.calls.filter(([p]) => p === device).length;
        src.drain();
        if (opens.mock.calls.filter(([p]) => p === device).length > before) tries.push(nowMs);
      }
      opens.mockRestore();
      expect(tries).toEqual([1000, 3000, 7000, 11_000, 15_000, 19_000]);
      expect(c.errors).toHaveLength(1);
      expect(c.errors[0]!.message).toMatch(/ENOENT.*trying again in 1 s/);
      // The device appears: the next retry opens it, and the backlog there is context (this run starts then).
      fs.writeFileSync(device, '');
      k.records(1, 3);
      nowMs += 4000;
      src.drain();
      expect(src.up()).toBe(true);
      expect(c.replayed).toHaveLength(3);
      k.records(4, 4);
      src.drain();
      expect(c.live.map((r) => r.message)).toEqual(['record 4']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is down with a clear error when the device cannot be opened', () => {
    const src = createKmsgSource({ path: '/nonexistent/kmsg' });
    const c = collect();
    src.start(c.sink);
    expect(src.up()).toBe(false);
    expect(c.errors[0]?.message).toMatch(/opening \/nonexistent\/kmsg: .*ENOENT/);
  });
});

describe('kmsg source, real /dev/kmsg', () => {
  it.runIf(requireRoot())('starts at the end, reads a line a process writes, and never takes it for the kernel', async () => {
    const src = createKmsgSource();
    const c = collect();
    src.start(c.sink);
    expect(src.up()).toBe(true);
    // The backlog is context only: a booted machine always has some.
    expect(c.replayed.length).toBeGreaterThan(0);
    expect(c.live).toEqual([]);
    const before = src.position();
    expect(before?.source).toBe('kmsg');

    const marker = `oom-exporter kmsg test ${randomBytes(6).toString('hex')}`;
    // "<3>" asks for facility 0 (kernel), level 3; the kernel forces facility 1 on anything written here.
    fs.writeFileSync('/dev/kmsg', `<3>${marker}\n`);
    src.drain();
    const mine = c.live.filter((r) => r.message === marker);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.fromKernel).toBe(false);
    const after = src.position();
    expect(after?.source === 'kmsg' && before?.source === 'kmsg' && after.seq > before.seq).toBe(true);
    // Drained: another drain returns at once (a blocking read would hang this test), and delivers
    // nothing again; what it delivers is only what other writers on this host logged meanwhile.
    const n = c.live.length;
    src.drain();
    expect(c.live.filter((r) => r.message === marker)).toHaveLength(1);
    const key = (r: LogRecord): string => `${r.uptimeSeconds} ${r.message}`;
    const first = new Set(c.live.slice(0, n).map(key));
    expect(c.live.slice(n).filter((r) => first.has(key(r)))).toEqual([]);
    await src.stop();
    expect(src.up()).toBe(false);
  });
});
