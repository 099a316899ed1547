import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/**
 * Synchronous whole-file reads into a reused buffer.
 *
 * Files under /proc report a size of 0 or 4096 whatever they hold, so we never trust stat(): read
 * until read() returns 0, growing the buffer when a file is larger than it. Sync reads on regular
 * procfs files never block on I/O; one promise per file costs ~10× the syscalls themselves, and a
 * string per file is garbage the collector must chase: the scrape's hot path parses bytes in place.
 * Each owner (the process scanner, a cgroup reader, a collector) has a reader of its own: the buffer
 * and the last inode are that owner's, not shared between modules.
 */

/** Errors that mean "this file is not there (any more)": the process exited between listing and reading. */
const GONE = new Set(['ENOENT', 'ESRCH', 'ENOTDIR', 'ENODEV']);
/** Errors that mean "this one file cannot be read by us": drop what it holds, keep the rest. */
const UNREADABLE = new Set(['EACCES', 'EPERM', 'EISDIR', 'EINVAL', 'EIO', 'EOPNOTSUPP']);

export type ReadFailure = 'gone' | 'unreadable';

/** read()'s result when the file is gone (ENOENT, ESRCH: the process exited). */
export const READ_GONE = -1;
/** read()'s result when this one file cannot be read (EACCES, EPERM, …). */
export const READ_UNREADABLE = -2;

function errCode(err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
}

/** Classifies a read error, or rethrows it when it is not one a vanished/protected process can cause. */
export function classifyReadError(err: unknown): ReadFailure {
  const code = errCode(err);
  if (GONE.has(code)) return 'gone';
  if (UNREADABLE.has(code)) return 'unreadable';
  throw err;
}

const failureCode = (err: unknown): number => (classifyReadError(err) === 'gone' ? READ_GONE : READ_UNREADABLE);

export interface ReadResult {
  text: string | undefined;
  failure: ReadFailure | undefined;
}

/** How a file is read. */
export interface ReadMode {
  /**
   * The file is built by one show() call (procfs single_open files: status, oom_score, oom_score_adj,
   * cgroup, cgroup v1/v2 control files), which hands over everything in the first read(); a short
   * read is then the end, which saves a read() per file. Multi-record seq_files (vmstat, mountinfo)
   * must not use it.
   */
  singleShot: boolean;
  /** Also fstat() the open file for its inode (reader.inode): procfs gives a new process's files new inodes. */
  inode: boolean;
}

/** A multi-record file (meminfo, vmstat, mountinfo): read until read() says 0. */
export const WHOLE: ReadMode = { singleShot: false, inode: false };
/** A single_open procfs or cgroupfs file. */
export const SINGLE_SHOT: ReadMode = { singleShot: true, inode: false };
/** A single_open file whose inode tells which process it belongs to (/proc/PID/status). */
export const SINGLE_SHOT_WITH_INODE: ReadMode = { singleShot: true, inode: true };

export class FileReader {
  private buf: Buffer;
  private lastInode = -1;

  constructor(initialBytes = 16 * 1024) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /** The bytes of the last read, valid until the next one. */
  get buffer(): Buffer {
    return this.buf;
  }

  /** The inode of the file last read with a mode that asked for it; -1 before. */
  get inode(): number {
    return this.lastInode;
  }

  /**
   * Reads a whole file into the buffer and returns its length (then the bytes are in `buffer` until
   * the next read), or READ_GONE / READ_UNREADABLE.
   */
  read(path: string, mode: ReadMode = WHOLE): number {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      return failureCode(err);
    }
    try {
      let len = 0;
      for (;;) {
        if (len === this.buf.length) {
          const bigger = Buffer.allocUnsafe(this.buf.length * 2);
          this.buf.copy(bigger, 0, 0, len);
          this.buf = bigger;
        }
        const want = this.buf.length - len;
        const n = readSync(fd, this.buf, len, want, null);
        if (n === 0) break;
        len += n;
        if (mode.singleShot && n < want) break;
      }
      if (mode.inode) this.lastInode = fstatSync(fd).ino;
      return len;
    } catch (err) {
      return failureCode(err);
    } finally {
      closeSync(fd);
    }
  }

  /** Reads a whole file as UTF-8 text; reports why it could not, instead of throwing. Off the hot path. */
  text(path: string, mode: ReadMode = WHOLE): ReadResult {
    const n = this.read(path, mode);
    if (n === READ_GONE) return { text: undefined, failure: 'gone' };
    if (n === READ_UNREADABLE) return { text: undefined, failure: 'unreadable' };
    return { text: this.buf.toString('utf8', 0, n), failure: undefined };
  }

  /** The decimal integer a file starts with (oom_score, a cgroup limit); undefined when unreadable or none, null when gone. */
  int(path: string, mode: ReadMode = SINGLE_SHOT): number | undefined | null {
    const n = this.read(path, mode);
    if (n === READ_GONE) return null;
    if (n === READ_UNREADABLE) return undefined;
    return intAt(this.buf, 0, n);
  }
}

/** Reads one file as text with a reader of its own: for start-up checks and other one-off reads. */
export function readText(path: string, mode: ReadMode = WHOLE): ReadResult {
  return new FileReader(4096).text(path, mode);
}

/**
 * The decimal integer at b[pos..end) after blanks, with an optional minus sign, or undefined when
 * there are no digits: oom_score, oom_score_adj, and the numbers of status lines.
 */
export function intAt(b: Buffer, pos: number, end: number): number | undefined {
  let i = pos;
  while (i < end && (b[i] === 32 || b[i] === 9)) i++;
  const neg = b[i] === 45; /* - */
  if (neg) i++;
  const start = i;
  let n = 0;
  while (i < end) {
    const c = b[i] ?? 0;
    if (c < 48 || c > 57) break;
    n = n * 10 + (c - 48);
    i++;
  }
  if (i === start) return undefined;
  return neg ? -n : n;
}
