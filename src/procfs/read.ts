import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/**
 * Synchronous whole-file reads into one reused buffer.
 *
 * Files under /proc report a size of 0 or 4096 whatever they hold, so we never trust stat(): read
 * until read() returns 0, growing the buffer when a file is larger than it. Sync reads on regular
 * procfs files never block on I/O; one promise per file costs ~10× the syscalls themselves, and a
 * string per file is garbage the collector must chase: the scrape's hot path parses bytes in place.
 */

let buf = Buffer.allocUnsafe(16 * 1024);

/** Errors that mean "this file is not there (any more)": the process exited between listing and reading. */
const GONE = new Set(['ENOENT', 'ESRCH', 'ENOTDIR', 'ENODEV']);
/** Errors that mean "this one file cannot be read by us": drop what it holds, keep the rest. */
const UNREADABLE = new Set(['EACCES', 'EPERM', 'EISDIR', 'EINVAL', 'EIO', 'EOPNOTSUPP']);

export type ReadFailure = 'gone' | 'unreadable';

/** readRaw's result when the file is gone (ENOENT, ESRCH: the process exited). */
export const READ_GONE = -1;
/** readRaw's result when this one file cannot be read (EACCES, EPERM, …). */
export const READ_UNREADABLE = -2;

function errCode(err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
}

/** Classifies a read error, or rethrows it when it is not one a vanished/protected process can cause. */
export function classifyReadError(err: unknown): ReadFailure {
  const code = errCode(err);
  if (GONE.has(code)) return 'gone';
  if (UNREADABLE.has(code)) return 'unreadable';
  throw err;
}

const failureCode = (err: unknown): number => (classifyReadError(err) === 'gone' ? READ_GONE : READ_UNREADABLE);

/** The inode of the file readRaw last opened with withInode: procfs gives a new process's files new inodes. */
export let lastInode = -1;

/**
 * Reads a whole file into the shared buffer and returns its length (then the bytes are in
 * sharedBuffer() until the next read), or READ_GONE / READ_UNREADABLE.
 *
 * singleShot: the file is built by one show() call (procfs single_open files: status, oom_score,
 * oom_score_adj, cgroup), which hands over everything in the first read(); a short read is then the
 * end, which saves a read() per file. Multi-record seq_files (vmstat, mountinfo) must not use it.
 */
export function readRaw(path: string, withInode = false, singleShot = false): number {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    return failureCode(err);
  }
  try {
    let len = 0;
    for (;;) {
      if (len === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, len);
        buf = bigger;
      }
      const want = buf.length - len;
      const n = readSync(fd, buf, len, want, null);
      if (n === 0) break;
      len += n;
      if (singleShot && n < want) break;
    }
    if (withInode) lastInode = fstatSync(fd).ino;
    return len;
  } catch (err) {
    return failureCode(err);
  } finally {
    closeSync(fd);
  }
}

export function sharedBuffer(): Buffer {
  return buf;
}

export interface ReadResult {
  text: string | undefined;
  failure: ReadFailure | undefined;
}

/** Reads a whole file as UTF-8 text; reports why it could not, instead of throwing. Off the hot path. */
export function readText(path: string, singleShot = false): ReadResult {
  const n = readRaw(path, false, singleShot);
  if (n === READ_GONE) return { text: undefined, failure: 'gone' };
  if (n === READ_UNREADABLE) return { text: undefined, failure: 'unreadable' };
  return { text: buf.toString('utf8', 0, n), failure: undefined };
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

/** The decimal integer at the start of buf[0..len) (oom_score, oom_score_adj), or undefined. */
export function parseIntBytes(b: Buffer, len: number): number | undefined {
  return intAt(b, 0, len);
}
