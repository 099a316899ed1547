import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip, type Gunzip } from 'node:zlib';

/**
 * The longest line handed on, in characters. No kernel-log line comes near it (a /dev/kmsg record is at
 * most a few KiB, a journal entry as JSON a few times that); it bounds what a file without newlines (a
 * binary, a core dump passed by mistake) can make us hold.
 */
export const MAX_LINE_LENGTH = 1 << 20;

/** What readLines hands the lines to. */
export interface LineReader {
  /** Each line, in order, without its "\n"; the last one also when the input does not end in a newline. */
  line(line: string): void;
  /** A line longer than MAX_LINE_LENGTH was skipped whole. */
  overlong(): void;
  /**
   * null while the reader keeps up; else a promise that settles once it can take more, awaited before the
   * next chunk is read: a slow reader holds the input back rather than have it queued in memory.
   */
  ready?(): Promise<void> | null;
}

/** A kernel log is text, and text never starts with gzip's magic bytes 1f 8b. */
function isGzip(head: Buffer | string): head is Buffer {
  return Buffer.isBuffer(head) && head.subarray(0, 2).equals(Buffer.of(0x1f, 0x8b));
}

/** Until the stream can take more, or is gone. */
function drained(s: Gunzip): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      s.off('drain', done).off('close', done);
      resolve();
    };
    s.once('drain', done).once('close', done);
  });
}

/**
 * The chunks of a stream, gunzipped when it is gzip data (a rotated kern.log.2.gz). Chunks may be strings
 * (a Readable of strings). A stream handed in is the caller's: it is read, never destroyed here.
 */
async function* chunksOf(input: Readable): AsyncGenerator<Buffer | string> {
  const it = input[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  const first = await it.next();
  if (first.done === true) return;
  const head = first.value;
  async function* all(): AsyncGenerator<Buffer | string> {
    yield head;
    for (let r = await it.next(); r.done !== true; r = await it.next()) yield r.value;
  }
  if (!isGzip(head)) {
    yield* all();
    return;
  }
  const gunzip = createGunzip({ chunkSize: 64 * 1024 });
  // Fed by hand rather than piped: the input is read only as fast as gunzip's output is taken, and an
  // error of the input keeps its own message while one of gunzip says it was the gzip data.
  let inputError: unknown = null;
  // Not awaited: when the reader stops early, the feed may be waiting for the caller's input (a pipe still
  // open), which is not ours to destroy; it ends at its next step, gunzip being destroyed by then.
  void (async () => {
    try {
      for await (const chunk of all()) {
        if (!gunzip.write(chunk)) await drained(gunzip);
        if (gunzip.destroyed) return;
      }
      gunzip.end();
    } catch (e) {
      inputError = e;
      gunzip.destroy(e as Error);
    }
  })();
  try {
    // Leaving this loop before the end (the reader threw) destroys gunzip: a stream's iterator does.
    for await (const chunk of gunzip) yield chunk as Buffer;
  } catch (e) {
    if (e === inputError) throw e;
    throw new Error(`reading gzip data: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Reads a stream (a file, a pipe, standard input; gzip detected) to its end as lines, handing each to
 * `reader` as soon as its chunk is read and keeping nothing but the unfinished last line: memory stays
 * flat however long the input. Lines end at "\n" only, as in the file source's follower; a "\r" before it
 * is left for parseLine. UTF-8 is decoded across chunk boundaries.
 */
export async function readLines(input: Readable, reader: LineReader): Promise<void> {
  // UTF-8 (its default); a chunk that is a string already comes back from write() as it is.
  const decoder = new StringDecoder();
  // The unfinished line carried from one chunk to the next; skipping: inside an overlong line.
  let pending = '';
  let skipping = false;
  const deliver = (line: string): void => {
    if (line.length > MAX_LINE_LENGTH) reader.overlong();
    else reader.line(line);
  };
  for await (const chunk of chunksOf(input)) {
    const text = decoder.write(chunk);
    let start = 0;
    let nl = text.indexOf('\n');
    if (nl !== -1) {
      // The chunk's first line ends what the chunks before it left.
      if (skipping) skipping = false;
      else deliver(pending + text.slice(0, nl));
      pending = '';
      start = nl + 1;
      for (nl = text.indexOf('\n', start); nl !== -1; nl = text.indexOf('\n', start)) {
        deliver(text.slice(start, nl));
        start = nl + 1;
      }
    }
    // Also when the chunk ended in its newline: nothing is added then, and nothing was pending.
    if (!skipping) {
      if (pending.length + text.length - start > MAX_LINE_LENGTH) {
        pending = '';
        skipping = true;
        reader.overlong();
      } else {
        pending += text.slice(start);
      }
    }
    await reader.ready?.();
  }
  const last = pending + decoder.end();
  if (!skipping && last.length > 0) deliver(last);
}
