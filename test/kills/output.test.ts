import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { streamOutput } from '../../src/kills/output.js';

/**
 * A stream whose reader takes each write only when the test says (release), like a full pipe: what is
 * written meanwhile queues in the stream (writableLength).
 */
function slowReader() {
  const writes: string[] = [];
  const pending: (() => void)[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      writes.push(chunk.toString());
      pending.push(done);
    },
  });
  return {
    stream,
    writes,
    release() {
      for (const done of pending.splice(0)) done();
    },
  };
}

/** A stream whose reader goes away on the first write, with this errno code. */
function failing(code: string): Writable {
  return new Writable({
    write(_chunk, _enc, done) {
      done(Object.assign(new Error(`write ${code}`), { code }));
    },
  });
}

afterEach(() => {
  vi.useRealTimers();
});

describe('streamOutput', () => {
  it('gathers small writes into batches of 64 KiB, and sends a batch that does not fill within 100 ms', () => {
    vi.useFakeTimers();
    const writes: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        writes.push(chunk.toString());
        done();
      },
    });
    const r = { stream, writes };
    const out = streamOutput(r.stream);
    const line = 'x'.repeat(99) + '\n';
    for (let i = 0; i < 1000; i++) out.write(line);
    // 100,000 characters: one full batch went out, the rest waits for more or for the timer.
    expect(r.writes.map((w) => w.length)).toEqual([65_600]);
    vi.advanceTimersByTime(99);
    expect(r.writes).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(r.writes.map((w) => w.length)).toEqual([65_600, 34_400]);
    expect(r.writes.join('')).toBe(line.repeat(1000));
  });

  it('ready() is null while the stream takes more, and a promise that settles on drain once it is full', async () => {
    const r = slowReader();
    const out = streamOutput(r.stream);
    expect(out.ready()).toBeNull();
    out.write('y'.repeat(70_000));
    const wait = out.ready();
    expect(wait).not.toBeNull();
    // The same promise for everyone who asks while it is full.
    expect(out.ready()).toBe(wait);
    let settled = false;
    void wait!.then(() => (settled = true));
    await new Promise((res) => setImmediate(res));
    expect(settled).toBe(false);
    r.release();
    await wait;
    expect(out.ready()).toBeNull();
  });

  it('a batch the timer sent that has drained before anyone asks leaves nothing to wait for', async () => {
    const r = slowReader();
    const out = streamOutput(r.stream);
    // Under a batch: sent by the timer, more than the stream's 16 KiB buffer, so it needs a drain.
    out.write('b'.repeat(20_000));
    await vi.waitFor(() => expect(r.writes).toHaveLength(1));
    const drained = new Promise((res) => r.stream.once('drain', res));
    r.release();
    await drained;
    expect(out.ready()).toBeNull();
    await out.end();
  });

  it('end() writes what is batched and waits until the stream has taken it', async () => {
    const r = slowReader();
    const out = streamOutput(r.stream);
    out.write('a'.repeat(20_000));
    let ended = false;
    const end = out.end().then(() => (ended = true));
    expect(r.writes).toEqual(['a'.repeat(20_000)]);
    await new Promise((res) => setImmediate(res));
    expect(ended).toBe(false);
    r.release();
    await end;
    expect(r.stream.writableLength).toBe(0);
  });

  it('a reader that went away (EPIPE) closes the output quietly: no error, nothing more written, nothing to wait for', async () => {
    const stream = failing('EPIPE');
    const out = streamOutput(stream);
    out.write('z'.repeat(70_000));
    await new Promise((res) => stream.once('close', res));
    expect(out.closed()).toBe(true);
    expect(out.error()).toBeNull();
    expect(out.ready()).toBeNull();
    out.write('more');
    await out.end();
  });

  it('any other write error closes the output too, and is kept to be reported', async () => {
    const stream = failing('ENOSPC');
    const out = streamOutput(stream);
    out.write('z'.repeat(70_000));
    await out.end();
    await new Promise((res) => (stream.closed ? res(null) : stream.once('close', res)));
    expect(out.closed()).toBe(true);
    expect(out.error()?.message).toBe('write ENOSPC');
  });
});
