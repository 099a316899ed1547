import fs from 'node:fs';
import { parseKmsgRecord } from '../kmsg-record.js';
import type { LogRecord } from '../types.js';
import type { KernelLogSource, RecordSink, SourcePosition } from './source.js';

/** read(2) on the open fd into buf from offset 0; returns the byte count or throws an errno error. */
export type KmsgReadFn = (fd: number, buf: Buffer) => number;

export interface KmsgSourceOptions {
  path?: string;
  read?: KmsgReadFn;
  /**
   * Resume after this sequence number (same boot: the caller checked). Undefined: start at the end;
   * the backlog is still read, as context for the parser only.
   */
  afterSeq?: number | undefined;
}

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
export function createKmsgSource(opts: KmsgSourceOptions = {}): KernelLogSource {
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
  let replaying = true;
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
    position(): SourcePosition | null {
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
