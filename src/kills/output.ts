import type { Writable } from 'node:stream';

/**
 * Text written to a stream (standard output) in batches, holding back whoever writes when the stream is
 * full. Node writes to a pipe asynchronously and queues whatever the reader has not taken yet: a million
 * kills into a pager would sit in that queue. write() only batches; ready() says when to wait.
 */
export interface Output {
  /** Queues text; it goes out with the batch, at once when the batch is full, else within FLUSH_MS. */
  write(s: string): void;
  /** null while the stream takes more; else a promise that settles once it has drained (or is gone). */
  ready(): Promise<void> | null;
  /** Whether the reader went away (EPIPE: `| head`) or the stream failed: nothing more will be written. */
  closed(): boolean;
  /** Why the stream failed, other than its reader going away; null if it did not. */
  error(): Error | null;
  /** Writes what is batched and waits until the stream has taken all of it (or failed, or is gone). */
  end(): Promise<void>;
}

/** Writes are gathered up to this many characters: one write(2) rather than one per kill. */
const BATCH = 64 * 1024;
/** A batch that does not fill (a log that trickles in through a pipe) still goes out this soon. */
const FLUSH_MS = 100;

export function streamOutput(stream: Writable): Output {
  let batch: string[] = [];
  let size = 0;
  let closed = false;
  let failure: Error | null = null;
  let timer: NodeJS.Timeout | null = null;

  // Writes handed to the stream and not yet done, and who waits for them all (end()).
  let inFlight = 0;
  let idle: (() => void) | null = null;

  /** The reader going away (EPIPE), and the writes the stream then drops, only close the output. */
  function failed(e: NodeJS.ErrnoException): void {
    closed = true;
    if (failure === null && e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') failure = e;
  }
  // Without a listener an EPIPE is thrown from the event loop and kills the process with a stack trace.
  stream.on('error', failed);

  function written(e?: Error | null): void {
    if (e) failed(e);
    if (--inFlight === 0 && idle !== null) idle();
  }

  function flush(): void {
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
    if (size === 0 || closed) return;
    const text = batch.join('');
    batch = [];
    size = 0;
    inFlight++;
    stream.write(text, written);
  }

  /** Until 'drain', or until the stream is gone ('close' after an error): never rejects. */
  function drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        stream.off('drain', done).off('close', done);
        resolve();
      };
      stream.once('drain', done).once('close', done);
    });
  }

  let waiting: Promise<void> | null = null;
  function ready(): Promise<void> | null {
    // The stream's own flag, not write()'s answer remembered: a batch sent by the timer may have drained
    // before anyone asks.
    if (!stream.writableNeedDrain || closed || stream.destroyed) return null;
    waiting ??= drained().then(() => {
      waiting = null;
    });
    return waiting;
  }

  return {
    write(s) {
      if (closed) return;
      batch.push(s);
      size += s.length;
      if (size >= BATCH) flush();
      else if (timer === null) timer = setTimeout(flush, FLUSH_MS).unref();
    },
    ready,
    closed: () => closed,
    error: () => failure,
    async end() {
      flush();
      // Every write's callback has run (written, or failed: then error() says why) or the stream is gone.
      if (inFlight > 0 && !stream.destroyed) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            idle = null;
            stream.off('close', done);
            resolve();
          };
          idle = done;
          stream.once('close', done);
        });
      }
    },
  };
}
