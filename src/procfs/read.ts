import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/**
 * Synchronous whole-file reads into one reused buffer.
 *
 * Files under /proc report a size of 0 or 4096 whatever they hold, so we never trust stat(): read
 * until read() returns 0, growing the buffer when a file is larger than it. Sync reads on regular
 * procfs files never block on I/O; one promise per file would cost ~10× the syscalls themselves
 * (measured in bench/), which is what the scrape's hot path cannot afford.
 */

let buf = Buffer.allocUnsafe(16 * 1024);

/** Errors that mean "this file is not there (any more)": the process exited between listing and reading. */
const GONE = new Set(['ENOENT', 'ESRCH', 'ENOTDIR', 'ENODEV']);
/** Errors that mean "this one file cannot be read by us": drop what it holds, keep the rest. */
const UNREADABLE = new Set(['EACCES', 'EPERM', 'EISDIR', 'EINVAL', 'EIO', 'EOPNOTSUPP']);

export type ReadFailure = 'gone' | 'unreadable';

export interface ReadResult {
  text: string | undefined;
  failure: ReadFailure | undefined;
  /** The inode of the opened file, when asked for: procfs gives a new process's files new inodes. */
  inode?: number;
}

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

/** Reads a whole file as latin1-safe UTF-8 text; reports why it could not, instead of throwing. */
export function readText(path: string, withInode = false): ReadResult {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    return { text: undefined, failure: classifyReadError(err) };
  }
  try {
    let len = 0;
    for (;;) {
      if (len === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, len);
        buf = bigger;
      }
      const n = readSync(fd, buf, len, buf.length - len, null);
      if (n === 0) break;
      len += n;
    }
    const text = buf.toString('utf8', 0, len);
    return withInode ? { text, failure: undefined, inode: fstatSync(fd).ino } : { text, failure: undefined };
  } catch (err) {
    return { text: undefined, failure: classifyReadError(err) };
  } finally {
    closeSync(fd);
  }
}

/** readText for callers that only care whether there is text. */
export function readTextOrUndefined(path: string): string | undefined {
  return readText(path).text;
}
