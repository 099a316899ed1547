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
const MAX_EPIPE_IN_A_ROW = 8;

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
  let fd: number | null = null;
  let failed = false;
  let sink: RecordSink | null = null;
  let buf = Buffer.alloc(INITIAL_BUFFER);
  // The last sequence number delivered (or, when resuming, the last one the previous run delivered).
  let lastSeq: number | null = opts.afterSeq ?? null;
  // While true, records are context only: the whole backlog when starting at the end; when resuming,
  // the records up to the saved sequence number, which the previous run already counted.
  let replaying = mode === 'follow';
  const resuming = opts.afterSeq !== undefined;

  function handle(raw: string): void {
    const rec = parseKmsgRecord(raw);
    if (rec === null || sink === null) return;
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
    sink?.error(err);
  }

  function drainNow(): void {
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
      try {
        fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
      } catch (e) {
        fail(new Error(`opening ${path}: ${(e as Error).message}`));
        return;
      }
      // A fresh open reads from the oldest record in the ring buffer: this first drain is the backlog.
      drainNow();
      if (!resuming) replaying = false;
    },
    drain: drainNow,
    up: () => fd !== null && !failed,
    position(): KmsgPosition | null {
      return lastSeq === null ? null : { source: 'kmsg', seq: lastSeq };
    },
    async stop() {
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
