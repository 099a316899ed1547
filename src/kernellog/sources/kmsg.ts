import fs from 'node:fs';
import { parseKmsgRecord } from '../kmsg-record.js';
import type { LogRecord } from '../types.js';
import type { Backlog, KernelLogSource, KmsgReadFn, RecordSink, SourceDefinition } from './source.js';

export type { KmsgReadFn } from './source.js';

/** The sequence number of the last record delivered. */
export interface KmsgPosition {
  source: 'kmsg';
  seq: number;
}

export interface KmsgSourceOptions {
  path?: string;
  read?: KmsgReadFn;
  /**
   * Resume after this sequence number (same boot: the caller checked). Undefined: start at the end;
   * the backlog is still read, as context for the parser only.
   */
  afterSeq?: number | undefined;
  /** Delay before opening again after the device failed: starts at initialMs, doubles up to maxMs. */
  retry?: { initialMs: number; maxMs: number };
  /** Monotonic clock in ms; tests step it. */
  now?: () => number;
}

/**
 * How the ring buffer already there is taken: `follow` reads it as context (or, resuming, as what the
 * previous run counted) and counts only what comes after; `backlog` counts all of it, once.
 */
type KmsgMode = 'follow' | 'backlog';

export const KMSG_PATH = '/dev/kmsg';

// One record is at most CONSOLE_EXT_LOG_MAX (8 KiB) after escaping; EINVAL says a bigger one exists
// (a future kernel), and the record stays unread, so growing the buffer and reading again is safe.
const INITIAL_BUFFER = 16 * 1024;
const MAX_BUFFER = 1024 * 1024;
// EPIPE repositions the reader at the oldest record, so a second EPIPE in a row means the kernel is
// overwriting faster than we read; give the rest of the work to the next drain rather than spin.
export const MAX_EPIPE_IN_A_ROW = 8;

const defaultRead: KmsgReadFn = (fd, buf) => fs.readSync(fd, buf, 0, buf.length, null);

function errnoCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | null)?.code;
}

/**
 * Follows /dev/kmsg without ever blocking: the fd is O_NONBLOCK and every read is synchronous, so a
 * drain is a handful of syscalls that end in EAGAIN, and no libuv thread waits on the device (a
 * blocking read there would never return and would hang shutdown).
 *
 * Records a process wrote into /dev/kmsg (facility >= 1; the kernel forces facility 1 even for
 * "<3>") are delivered with fromKernel=false, so they count as records read, and
 * `userspaceKillers: false` tells the follower never to give them to the parser.
 */
export function createKmsgSource(opts: KmsgSourceOptions = {}): KernelLogSource<KmsgPosition> {
  return kmsgReader(opts, 'follow');
}

function kmsgReader(opts: KmsgSourceOptions, mode: KmsgMode): KernelLogSource<KmsgPosition> {
  const path = opts.path ?? KMSG_PATH;
  const read = opts.read ?? defaultRead;
  const retryInitialMs = opts.retry?.initialMs ?? 1000;
  const retryMaxMs = opts.retry?.maxMs ?? 60_000;
  const now = opts.now ?? (() => performance.now());
  let fd: number | null = null;
  let failed = false;
  let stopped = false;
  // When the device may be opened again after a failure (it is retried from drains: the follower's
  // timer and every scrape), and the delay after the next failure.
  let retryAtMs = 0;
  let retryDelayMs = retryInitialMs;
  let lastError = '';
  // The highest sequence number the device has shown, to notice a saved one that is beyond its end.
  let highestSeen: number | null = null;
  let sink: RecordSink | null = null;
  let buf = Buffer.alloc(INITIAL_BUFFER);
  // The last sequence number delivered (or, when resuming, the last one the previous run delivered).
  let lastSeq: number | null = opts.afterSeq ?? null;
  // While true, records are context only: the whole backlog when starting at the end; when resuming,
  // the records up to the saved sequence number, which the previous run already counted.
  let replaying = mode === 'follow';
  let resuming = opts.afterSeq !== undefined;

  function handle(raw: string): void {
    const rec = parseKmsgRecord(raw);
    if (rec === null || sink === null) return;
    if (highestSeen === null || rec.seq > highestSeen) highestSeen = rec.seq;
    const logRecord: LogRecord = {
      message: rec.message,
      fromKernel: rec.facility === 0,
      identifier: null,
      time: null,
      uptimeSeconds: rec.usec / 1e6,
    };
    if (lastSeq !== null && rec.seq <= lastSeq) {
      // Already counted (by us, or by the run we resume): context at most, never again a record.
      if (replaying) sink.record(logRecord, true);
      return;
    }
    if (replaying && !resuming) {
      // The backlog before our start: gaps in it are not ours to count.
      lastSeq = rec.seq;
      sink.record(logRecord, true);
      return;
    }
    replaying = false;
    if (lastSeq !== null && rec.seq > lastSeq + 1) sink.lost(rec.seq - lastSeq - 1);
    lastSeq = rec.seq;
    sink.record(logRecord, false);
  }

  function fail(err: Error): void {
    failed = true;
    if (fd !== null) {
      try {
        fs.closeSync(fd);
      } catch {
        // Already unusable; the error that matters is the one reported below.
      }
      fd = null;
    }
    retryAtMs = now() + retryDelayMs;
    const retry = mode === 'follow' ? `; trying again in ${Math.round(retryDelayMs / 1000)} s` : '';
    retryDelayMs = Math.min(retryDelayMs * 2, retryMaxMs);
    // The same failure again and again (no CAP_SYSLOG) is said once; a new one, or after a success, again.
    if (err.message !== lastError) sink?.error(new Error(err.message + retry));
    lastError = err.message;
  }

  /**
   * Opens the device and reads what it holds (a fresh open starts at the oldest record): at start the
   * backlog, after a failure what came meanwhile (records already delivered are skipped by sequence
   * number, the gap counted as lost). False when the open failed.
   */
  function openAndCatchUp(): boolean {
    try {
      fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    } catch (e) {
      const code = errnoCode(e);
      const grant = code === 'EPERM' || code === 'EACCES' ? ' (reading it needs root or CAP_SYSLOG, and kernel.dmesg_restrict may refuse others)' : '';
      fail(new Error(`opening ${path}: ${(e as Error).message}${grant}`));
      return false;
    }
    if (failed) sink?.recovered?.(`${path} is open again`);
    failed = false;
    retryDelayMs = retryInitialMs;
    lastError = '';
    readAvailable();
    if (resuming && lastSeq !== null && replaying && highestSeen !== null && lastSeq > highestSeen) {
      // The saved sequence number was never reached in this boot's log (an edited or corrupt state
      // with the right boot id): waiting for it would count nothing, ever. The end is all we can trust.
      sink?.error(
        new Error(
          `the saved position (sequence ${lastSeq}) is beyond the end of ${path} (last record ${highestSeen}): not resuming from it, starting at the end of the log`,
        ),
      );
      lastSeq = highestSeen;
      resuming = false;
    }
    if (!resuming) replaying = false;
    return true;
  }

  function drainNow(): void {
    if (fd === null && failed && !stopped && sink !== null && mode === 'follow' && now() >= retryAtMs) {
      openAndCatchUp();
      return;
    }
    readAvailable();
  }

  function readAvailable(): void {
    let epipes = 0;
    while (fd !== null) {
      let n: number;
      try {
        n = read(fd, buf);
      } catch (e) {
        const code = errnoCode(e);
        if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return;
        if (code === 'EINTR') continue;
        if (code === 'EPIPE') {
          // Records were overwritten before we read them; the next read returns the oldest one left
          // and the jump in its sequence number says how many we lost.
          if (++epipes >= MAX_EPIPE_IN_A_ROW) return;
          continue;
        }
        if (code === 'EINVAL' && buf.length < MAX_BUFFER) {
          buf = Buffer.alloc(buf.length * 2);
          continue;
        }
        fail(new Error(`reading ${path}: ${(e as Error).message}`));
        return;
      }
      epipes = 0;
      // 0 is end of file: not /dev/kmsg but a plain file (tests); nothing more to read now.
      if (n === 0) return;
      handle(buf.toString('utf8', 0, n));
    }
  }

  return {
    name: 'kmsg',
    userspaceKillers: false,
    start(s) {
      sink = s;
      openAndCatchUp();
    },
    drain: drainNow,
    up: () => fd !== null && !failed,
    position(): KmsgPosition | null {
      return lastSeq === null ? null : { source: 'kmsg', seq: lastSeq };
    },
    async stop() {
      stopped = true;
      if (fd !== null) {
        fs.closeSync(fd);
        fd = null;
      }
    },
  };
}

/**
 * The whole ring buffer, read once through the follower's own reader (non-blocking, growing its buffer
 * for a record too big, skipping over records overwritten meanwhile): every record counts, and a gap in
 * the sequence numbers is a loss.
 */
export function kmsgBacklog(opts: Omit<KmsgSourceOptions, 'afterSeq'> = {}): Backlog {
  return {
    userspaceKillers: false,
    async read(sink) {
      const failures: Error[] = [];
      const reader = kmsgReader(opts, 'backlog');
      try {
        // A fresh open starts at the oldest record: start() reads up to EAGAIN, that is all there is now.
        reader.start({
          record: (rec, replay) => sink.record(rec, replay),
          lost: (n) => sink.lost(n),
          error: (e) => failures.push(e),
        });
      } finally {
        await reader.stop();
      }
      // Every error of the kmsg reader ends its reading (the fd is closed): the first one says why.
      const [failure] = failures;
      if (failure !== undefined) throw failure;
    },
  };
}

/** null when /dev/kmsg can be opened; opening is the test, since dmesg_restrict refuses it to root-less readers. */
function kmsgProblem(path: string): string | null {
  try {
    fs.closeSync(fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK));
    return null;
  } catch (e) {
    return `cannot open ${path}: ${(e as Error).message}`;
  }
}

const kmsgSettings = (s: { kmsg?: { path?: string; read?: KmsgReadFn } }): Omit<KmsgSourceOptions, 'afterSeq'> => ({
  ...(s.kmsg?.path !== undefined ? { path: s.kmsg.path } : {}),
  ...(s.kmsg?.read !== undefined ? { read: s.kmsg.read } : {}),
});

export const kmsgSource: SourceDefinition<KmsgPosition> = {
  name: 'kmsg',
  readsFile: false,
  async probe(settings) {
    const problem = kmsgProblem(settings.kmsg?.path ?? KMSG_PATH);
    return problem === null ? { usable: true } : { usable: false, reasons: [problem] };
  },
  live: (settings, resume) => createKmsgSource({ ...kmsgSettings(settings), afterSeq: resume?.seq }),
  backlog: (settings) => kmsgBacklog(kmsgSettings(settings)),
  parsePosition(saved) {
    const seq = saved['seq'];
    return typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 0 ? { source: 'kmsg', seq } : null;
  },
  mismatch: () => null,
};
