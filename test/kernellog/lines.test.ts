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
