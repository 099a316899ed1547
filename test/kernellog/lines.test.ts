import { PassThrough, Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';
import { MAX_LINE_LENGTH, readLines, type LineReader } from '../../src/kernellog/lines.js';

/** The lines readLines hands on, and how many overlong lines it skipped. */
async function linesOf(input: Readable, more: Partial<LineReader> = {}): Promise<{ lines: string[]; overlong: number }> {
  const lines: string[] = [];
  let overlong = 0;
  await readLines(input, { line: (l) => lines.push(l), overlong: () => overlong++, ...more });
  return { lines, overlong };
}

/** A byte stream delivering exactly these chunks. */
const chunks = (...parts: (string | Buffer)[]): Readable => Readable.from(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));

describe('readLines', () => {
  it('joins lines across chunks, keeps empty lines, and hands on a last line without a newline', async () => {
    expect((await linesOf(chunks('one\ntw', 'o\n\nthr', 'ee'))).lines).toEqual(['one', 'two', '', 'three']);
    expect((await linesOf(chunks('a\n'))).lines).toEqual(['a']);
    expect((await linesOf(chunks())).lines).toEqual([]);
  });

  it('splits at "\\n" only: a "\\r" before it is left for parseLine, a lone one is part of the line', async () => {
    expect((await linesOf(chunks('a\r\nb\rc\n'))).lines).toEqual(['a\r', 'b\rc']);
  });

  it('decodes UTF-8 whose bytes are split between chunks', async () => {
    const name = Buffer.from('Killed process 1 (日本語 Wörk)\n');
    const at = name.indexOf(Buffer.from('本')) + 1;
    expect((await linesOf(chunks(name.subarray(0, at), name.subarray(at)))).lines).toEqual(['Killed process 1 (日本語 Wörk)']);
  });

  it('reads a stream of strings (Readable.from an array of text)', async () => {
    expect((await linesOf(Readable.from(['x\ny', 'z\n']))).lines).toEqual(['x', 'yz']);
  });

  it('skips a line longer than MAX_LINE_LENGTH whole, in one chunk or over many, and goes on after it', async () => {
    const long = 'x'.repeat(MAX_LINE_LENGTH + 1);
    expect(await linesOf(chunks(`a\n${long}\nb\n`))).toEqual({ lines: ['a', 'b'], overlong: 1 });
    const pieces = Array.from({ length: 20 }, () => 'y'.repeat(MAX_LINE_LENGTH / 8));
    expect(await linesOf(chunks('a\n', ...pieces, 'tail\nb'))).toEqual({ lines: ['a', 'b'], overlong: 1 });
    expect(await linesOf(chunks('a\n', ...pieces))).toEqual({ lines: ['a'], overlong: 1 });
    expect(await linesOf(chunks('x'.repeat(MAX_LINE_LENGTH), '\n'))).toEqual({ lines: ['x'.repeat(MAX_LINE_LENGTH)], overlong: 0 });
  });

  it('reads gzip data as its text, also over many chunks and gzip members (a rotated kern.log.2.gz)', async () => {
    const text = Array.from({ length: 5000 }, (_, i) => `line ${i}`).join('\n') + '\n';
    const gz = Buffer.concat([gzipSync(text.slice(0, 20_000)), gzipSync(text.slice(20_000))]);
    const parts = Array.from({ length: Math.ceil(gz.length / 1000) }, (_, i) => gz.subarray(i * 1000, (i + 1) * 1000));
    const { lines } = await linesOf(chunks(...parts));
    expect(lines).toHaveLength(5000);
    expect([lines[0], lines[4999]]).toEqual(['line 0', 'line 4999']);
  });

  it('says a corrupt gzip stream is gzip data that could not be read', async () => {
    const gz = gzipSync('Killed process 1 (a)\n'.repeat(100));
    await expect(linesOf(chunks(gz.subarray(0, 30)))).rejects.toThrow(/^reading gzip data: unexpected end of file$/);
    await expect(linesOf(chunks(Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff])))).rejects.toThrow(/^reading gzip data: /);
  });

  it("rejects with the input's own error, gzip or not", async () => {
    const broken = (first: Buffer): Readable => {
      let sent = false;
      return new Readable({
        read() {
          if (sent) return;
          sent = true;
          this.push(first);
          setImmediate(() => this.destroy(new Error('EIO: i/o error, read')));
        },
      });
    };
    await expect(linesOf(broken(Buffer.from('a\n')))).rejects.toThrow(/^EIO: i\/o error, read$/);
    await expect(linesOf(broken(gzipSync('a\n'.repeat(10)).subarray(0, 15)))).rejects.toThrow(/^EIO: i\/o error, read$/);
  });

  it('reads no further while the reader asks to wait, and goes on once it is ready', async () => {
    const input = new PassThrough();
    let release: () => void = () => {};
    let waits = 0;
    const seen: string[] = [];
    const done = readLines(input, {
      line: (l) => seen.push(l),
      overlong: () => {},
      ready: () => {
        if (waits++ > 0) return null;
        return new Promise<void>((resolve) => (release = resolve));
      },
    });
    input.write('first\n');
    await vi.waitFor(() => expect(waits).toBe(1));
    input.write('second\n');
    input.end('third\n');
    for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
    // The first chunk was taken; the reader said wait, so the chunks after it stay in the stream.
    expect(seen).toEqual(['first']);
    expect(input.readableLength).toBeGreaterThan(0);
    release();
    await done;
    expect(seen).toEqual(['first', 'second', 'third']);
  });
});

describe('readLines, gzip detection and flow', () => {
  it('knows gzip by its two magic bytes, even when the first chunk is just them; text that only starts alike is text', async () => {
    const gz = gzipSync('one\ntwo\n');
    expect((await linesOf(chunks(gz.subarray(0, 2), gz.subarray(2)))).lines).toEqual(['one', 'two']);
    expect((await linesOf(chunks(Buffer.from([0x1f]), Buffer.from([0x8b, 0x0a, 0x41])))).lines).toEqual(['\u001f\ufffd', 'A']);
    expect((await linesOf(chunks(Buffer.from([0x1f, 0x41, 0x0a])))).lines).toEqual(['\u001fA']);
    expect((await linesOf(chunks(Buffer.from([0x41, 0x8b, 0x0a])))).lines).toEqual(['A\ufffd']);
    expect((await linesOf(Readable.from(['\u001f\u008b\nx']))).lines).toEqual(['\u001f\u008b', 'x']);
  });

  it('feeds gzip data no faster than its text is read (a file larger than what gunzip buffers)', async () => {
    // Lines that do not compress: gzip writes fill gunzip's input buffer, and the feed waits for it to drain.
    const text = Array.from({ length: 40_000 }, (_, i) => `${i} ${(i * 2654435761) % 4294967296} ${Math.sin(i)}`).join('\n') + '\n';
    const gz = gzipSync(text);
    const parts = Array.from({ length: Math.ceil(gz.length / 65536) }, (_, i) => gz.subarray(i * 65536, (i + 1) * 65536));
    let waits = 0;
    // Each wait for gunzip to drain takes its listeners off again: none pile up on it (Node warns past 10).
    const warnings: Error[] = [];
    const onWarning = (w: Error): number => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const { lines } = await linesOf(chunks(...parts), {
        ready: () => (waits++ % 2 === 0 ? new Promise<void>((r) => setImmediate(r)) : null),
      });
      expect(lines).toHaveLength(40_000);
      expect(lines[39_999]).toBe(`39999 ${(39999 * 2654435761) % 4294967296} ${Math.sin(39999)}`);
      await new Promise((r) => setImmediate(r));
      expect(warnings.map((w) => w.name)).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('reads no further into gzip data while the reader asks to wait: what gunzip holds is bounded', async () => {
    // Digits that do not compress: 2 MiB of text is over 1 MiB of gzip data, handed over 64 KiB at a time.
    const text = Array.from({ length: 70_000 }, (_, i) => `${i} ${(i * 2654435761) % 4294967296} ${Math.sin(i)}`).join('\n') + '\n';
    const gz = gzipSync(text);
    const pieces = Array.from({ length: Math.ceil(gz.length / 65536) }, (_, i) => gz.subarray(i * 65536, (i + 1) * 65536));
    expect(pieces.length).toBeGreaterThan(16);
    let pulled = 0;
    const input = new Readable({
      read() {
        this.push(pulled < pieces.length ? pieces[pulled++] : null);
      },
    });
    let release: () => void = () => {};
    let asked = 0;
    const lines: string[] = [];
    const done = readLines(input, {
      line: (l) => lines.push(l),
      overlong: () => {},
      ready: () => (asked++ === 0 ? new Promise<void>((r) => (release = r)) : null),
    });
    await vi.waitFor(() => expect(asked).toBe(1));
    for (let i = 0; i < 200; i++) await new Promise((r) => setImmediate(r));
    // The feed waits for gunzip to drain; gunzip holds what its buffers take, a few pieces, not the file.
    expect(pulled).toBeLessThan(8);
    release();
    await done;
    expect(pulled).toBe(pieces.length);
    expect(lines).toHaveLength(70_000);
  });

  it("hands gunzip's text on in pieces of 64 KiB, not zlib's default 16: a reader is asked to be ready once a piece", async () => {
    const text = Array.from({ length: 65_536 }, (_, i) => `line ${String(i).padStart(9, '0')}`).join('\n') + '\n';
    let asked = 0;
    const { lines } = await linesOf(Readable.from([gzipSync(text)]), {
      ready: () => {
        asked++;
        return null;
      },
    });
    expect(lines).toHaveLength(65_536);
    // Pieces gunzip had ready together may come as one: at most, not exactly, one ask per 64 KiB.
    expect(text.length).toBe(15 * 65_536);
    expect(asked).toBeGreaterThan(0);
    expect(asked).toBeLessThanOrEqual(15);
  });

  it('stops reading gzip data when the reader throws, and rejects with its error', async () => {
    const gz = gzipSync(Array.from({ length: 100_000 }, (_, i) => `line ${i} ${Math.cos(i)}`).join('\n'));
    const parts = Array.from({ length: Math.ceil(gz.length / 16384) }, (_, i) => gz.subarray(i * 16384, (i + 1) * 16384));
    expect(parts.length).toBeGreaterThan(40);
    let pulled = 0;
    const input = new Readable({
      read() {
        this.push(pulled < parts.length ? parts[pulled++] : null);
      },
    });
    await expect(
      readLines(input, {
        line: () => {
          throw new Error('the reader is full');
        },
        overlong: () => {},
      }),
    ).rejects.toThrow('the reader is full');
    // Nor later: the feed ends at its next step, leaving the rest of the input unread.
    for (let i = 0; i < 200; i++) await new Promise((r) => setImmediate(r));
    expect(pulled).toBeLessThan(10);
  });

  it("rejects with the reader's error at once, also while a gzip input is still open (a pipe)", async () => {
    // As with text: the input is the caller's, and is not read to its end or closed before readLines settles.
    for (const data of [gzipSync('a\nb\n'.repeat(10)), Buffer.from('a\nb\n')]) {
      const input = new PassThrough();
      input.write(data);
      const done = readLines(input, {
        line: () => {
          throw new Error('the reader is full');
        },
        overlong: () => {},
      });
      await expect(done).rejects.toThrow('the reader is full');
      expect(input.destroyed).toBe(false);
      input.end();
    }
  });

  it('reads corrupt gzip data no further than the piece that showed it (and the one read ahead)', async () => {
    // A gzip header, then bytes that are no deflate data; more pieces after them that must stay unread.
    const head = Buffer.concat([gzipSync('x').subarray(0, 10), Buffer.alloc(65_536 - 10, 0xff)]);
    const parts = [head, ...Array.from({ length: 5 }, () => Buffer.alloc(65_536, 0xff))];
    let pulled = 0;
    const input = new Readable({
      read() {
        this.push(pulled < parts.length ? parts[pulled++] : null);
      },
    });
    await expect(linesOf(input)).rejects.toThrow(/^reading gzip data: /);
    for (let i = 0; i < 200; i++) await new Promise((r) => setImmediate(r));
    expect(pulled).toBeLessThanOrEqual(2);
  });

  it("keeps zlib's error as the cause of a gzip error", async () => {
    const err: unknown = await linesOf(chunks(gzipSync('x\n').subarray(0, 12))).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/^reading gzip data: /);
    expect(((err as Error).cause as NodeJS.ErrnoException).code).toMatch(/^Z_/);
  });

  it('says a line is overlong as soon as it is, before its end has come', async () => {
    const input = new PassThrough();
    let overlong = 0;
    const lines: string[] = [];
    const done = readLines(input, { line: (l) => lines.push(l), overlong: () => overlong++ });
    for (let i = 0; i < 9; i++) input.write('z'.repeat(MAX_LINE_LENGTH / 8));
    await vi.waitFor(() => expect(overlong).toBe(1));
    input.end('z\nnext\n');
    await done;
    expect({ lines, overlong }).toEqual({ lines: ['next'], overlong: 1 });
  });

  it('counts only the unfinished line against the limit, not the lines before it in its chunk', async () => {
    const many = Array.from({ length: 30_000 }, (_, i) => `line ${i} ${'.'.repeat(40)}`).join('\n');
    expect(many.length).toBeGreaterThan(MAX_LINE_LENGTH);
    const { lines, overlong } = await linesOf(chunks(many, ' end\n'));
    expect(overlong).toBe(0);
    expect(lines).toHaveLength(30_000);
    expect(lines[29_999]).toBe(`line 29999 ${'.'.repeat(40)} end`);
  });
});
