import { createHash } from 'node:crypto';
import fs from 'node:fs';
import nodePath from 'node:path';
import type { Readable } from 'node:stream';
import { createLineReader } from '../envelope.js';
import { readLines } from '../lines.js';
import type { Backlog, KernelLogSource, RecordSink, SourceDefinition } from './source.js';

/** The file, its inode (a decimal string: st_ino is 64-bit and some filesystems use the high bits) and the offset after the last whole line delivered. */
export interface FilePosition {
  source: 'file';
  path: string;
  inode: string;
  offset: number;
  /**
   * SHA-256 (hex) of the `markLength` bytes before `offset`: a file truncated and refilled while the
   * exporter was down is told from the one it left, and logrotate's copy of it found by the same bytes.
   */
  mark?: string;
  markLength?: number;
}

/** The syslog files `auto` tries, after --kernel-log.file. */
export const SYSLOG_FILES: readonly string[] = ['/var/log/kern.log', '/var/log/messages', '/var/log/syslog'];

export interface FileSourceOptions {
  path: string;
  /** Resume at this inode and byte offset (checked against its mark when saved with one). Undefined: start at the end of the file. */
  from?: { inode: string; offset: number; mark?: string | undefined; markLength?: number | undefined } | undefined;
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** One open file being read: `offset` is where the next read starts, `tail` the bytes of an unfinished line. */
interface OpenFile {
  fd: number;
  inode: string;
  offset: number;
  tail: Buffer;
  /** Drop the first line: we started reading in the middle of it. */
  skipFirst: boolean;
  /** The last bytes before `offset`, to notice a truncation that was refilled past our offset before we looked. */
  mark: Buffer;
  /**
   * The file's first bytes (up to HEAD). Lines that differ only early (a pid, a time) can end alike
   * for more than MARK bytes: a file truncated and refilled to our offset with such lines passes the
   * mark, but not its first line.
   */
  head: Buffer;
}

const CHUNK = 64 * 1024;
/**
 * The longest line delivered. A kernel record is at most 8 KiB once escaped (CONSOLE_EXT_LOG_MAX) and
 * rsyslog's default message limit is 8 KiB, so with its prefix a real line is far shorter; a longer one
 * is something else (a binary written to the log, a runaway writer). Beyond this the line is dropped up
 * to its newline and counted as lost, so memory and the cost of a drain stay bounded.
 */
export const MAX_LINE_BYTES = 64 * 1024;
const MARK = 1024;
const HEAD = 1024;
/** Drains (500 ms apart, and at scrapes) without a file at the path before the source says it is gone. */
const GONE_AFTER_DRAINS = 3;
const NEWLINE = 0x0a;

function errnoCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | null)?.code;
}

/**
 * Follows a syslog file by polling: fs.watch loses track across rename-and-recreate rotation and on
 * some filesystems, while a stat per drain (the follower's timer and every scrape) costs nothing.
 *
 * Rotation (the path now names another inode): the old inode is read to its end, kept open until a
 * drain finds nothing new in it, because a syslog daemon keeps writing to it until it reopens its
 * file, then closed, its unfinished last line flushed; the new file is read from byte 0. Truncation
 * (same inode, as copytruncate does): read again from 0. The size alone misses a truncated file that
 * was written past our offset before the next look, so the last bytes before the offset are compared
 * too. Only whole lines are delivered, and the position is the end of the last delivered line, so a
 * resume neither repeats nor skips one.
 */
export function createFileSource(opts: FileSourceOptions): KernelLogSource<FilePosition> {
  const path = opts.path;
  let sink: RecordSink | null = null;
  let cur: OpenFile | null = null;
  // The rotated-away file, still read until it has been quiet for one drain.
  let old: OpenFile | null = null;
  const buf = Buffer.alloc(CHUNK);
  let stopped = false;
  let lastError = '';
  // Drains in a row that found no file at the path while one was open.
  let missingDrains = 0;
  const readLine = createLineReader();

  function report(msg: string): void {
    // A missing file is polled on every drain: say it once.
    if (msg === lastError) return;
    lastError = msg;
    sink?.error(new Error(msg));
  }

  function deliver(line: Buffer): void {
    let end = line.length;
    if (end > 0 && line[end - 1] === 0x0d) end--;
    if (end === 0) return;
    const rec = readLine(line.toString('utf8', 0, end));
    if (rec !== null) sink?.record(rec, false);
  }

  function skipped(at: number): void {
    sink?.lost(1);
    sink?.error(new Error(`${path}: a line longer than ${MAX_LINE_BYTES} bytes at offset ${at} was skipped`));
  }

  /** Reads what the file has past f.offset, delivering whole lines; true when anything was read. */
  function readAvailable(f: OpenFile): boolean {
    let any = false;
    for (;;) {
      let n: number;
      try {
        n = fs.readSync(f.fd, buf, 0, buf.length, f.offset);
      } catch (e) {
        report(`reading ${path}: ${(e as Error).message}`);
        return any;
      }
      if (n === 0) return any;
      any = true;
      if (f.head.length === f.offset && f.offset < HEAD) f.head = Buffer.concat([f.head, buf.subarray(0, Math.min(n, HEAD - f.offset))]);
      // A copy of its own size: a view would keep the whole concatenation (and `buf` changes with the next read).
      f.mark = Buffer.from(Buffer.concat([f.mark, buf.subarray(0, n)]).subarray(-MARK));
      f.offset += n;
      const data = f.tail.length > 0 ? Buffer.concat([f.tail, buf.subarray(0, n)]) : buf.subarray(0, n);
      // The file offset of data[0].
      const base = f.offset - data.length;
      let start = 0;
      for (let nl = data.indexOf(NEWLINE, start); nl !== -1; nl = data.indexOf(NEWLINE, start)) {
        const line = data.subarray(start, nl);
        const at = base + start;
        start = nl + 1;
        // The tail shrinks as lines are delivered, so position() is exact even in mid-chunk.
        f.tail = data.subarray(start);
        if (f.skipFirst) {
          f.skipFirst = false;
          continue;
        }
        // A whole overlong line (up to two chunks long, so it ends in this read) is skipped as one that
        // runs on past the chunks is: the limit is the same wherever the reads happen to cut the file.
        if (line.length > MAX_LINE_BYTES) skipped(at);
        else deliver(line);
      }
      if (data.length - start > MAX_LINE_BYTES) {
        // Not a log line: drop it up to its newline, and say so once, not at every read it spans.
        f.tail = Buffer.alloc(0);
        if (!f.skipFirst) {
          f.skipFirst = true;
          skipped(base + start);
        }
        continue;
      }
      // Copy: `buf` is reused by the next read.
      f.tail = Buffer.from(data.subarray(start));
    }
  }

  /**
   * Whether the file was truncated since we read it: shorter than our offset, or other bytes at its
   * start or just before our offset (refilled past our offset before we looked).
   */
  function truncated(f: OpenFile): boolean {
    const size = Number(fs.fstatSync(f.fd, { bigint: true }).size);
    if (size < f.offset) return true;
    return !holdsAtFd(f.fd, 0, f.head) || !holdsAtFd(f.fd, f.offset - f.mark.length, f.mark);
  }

  /** Whether the open file holds `bytes` at `offset` (trivially, for no bytes). */
  function holdsAtFd(fd: number, offset: number, bytes: Buffer): boolean {
    if (bytes.length === 0) return true;
    const got = Buffer.alloc(bytes.length);
    return fs.readSync(fd, got, 0, got.length, offset) === got.length && got.equals(bytes);
  }

  function close(f: OpenFile, flush: boolean): void {
    if (flush && f.tail.length > 0 && !f.skipFirst) deliver(f.tail);
    f.tail = Buffer.alloc(0);
    try {
      fs.closeSync(f.fd);
    } catch {
      // Nothing left to lose on a read-only fd.
    }
  }

  function open(p: string, offset: number | 'end'): OpenFile | null {
    let fd: number;
    try {
      fd = fs.openSync(p, 'r');
    } catch (e) {
      report(`opening ${p}: ${(e as Error).message}`);
      return null;
    }
    // A directory (--kernel-log.file=/var/log) opens fine and only fails at the first read: whatever
    // goes wrong here is reported like a missing file, and the path is polled again at the next drain
    // (the right file may appear there), never thrown from a timer or a scrape.
    try {
      const st = fs.fstatSync(fd, { bigint: true });
      // pread at an offset is how we follow: only a regular file has one.
      if (!st.isFile()) throw new Error(st.isDirectory() ? 'is a directory' : 'not a regular file');
      const size = Number(st.size);
      const f: OpenFile = { fd, inode: String(st.ino), offset: 0, tail: Buffer.alloc(0), skipFirst: false, mark: Buffer.alloc(0), head: Buffer.alloc(0) };
      // Shorter than a saved offset: truncated while we were away.
      f.offset = offset === 'end' ? size : offset <= size ? offset : 0;
      if (f.offset > 0) {
        const before = Buffer.alloc(Math.min(MARK, f.offset));
        const n = fs.readSync(fd, before, 0, before.length, f.offset - before.length);
        f.mark = before.subarray(0, n);
        const head = Buffer.alloc(Math.min(HEAD, f.offset));
        f.head = head.subarray(0, fs.readSync(fd, head, 0, head.length, 0));
        // Starting in the middle of a line would hand the parser a fragment: skip to the next line.
        f.skipFirst = before[n - 1] !== NEWLINE;
      }
      return f;
    } catch (e) {
      try {
        fs.closeSync(fd);
      } catch {
        // The error worth reporting is the one above.
      }
      report(`reading ${p}: ${(e as Error).message}`);
      return null;
    }
  }

  /**
   * After a copytruncate: finds the copy logrotate made (a sibling named `<file>.1`, `<file>-20261130`,
   * ..., not compressed yet) that holds, at our offset, the very bytes we last read, and reads it from
   * there to its end into `f`'s unfinished line. Lines written between the copy and the truncation are
   * in neither file: logrotate itself loses those.
   */
  function readCopy(f: OpenFile): void {
    if (f.mark.length === 0) return;
    const best = findCopy(f.inode, f.offset, (candidate) => holdsAt(candidate, 0, f.head) && holdsAt(candidate, f.offset - f.mark.length, f.mark));
    if (best === null) {
      sink?.error(new Error(`${path} was truncated in place and no copy holding our last read was found next to it: lines written since the last read may be lost`));
      return;
    }
    const copy = open(best, f.offset);
    if (copy === null) return;
    copy.tail = f.tail;
    copy.skipFirst = f.skipFirst;
    readAvailable(copy);
    f.tail = copy.tail;
    f.skipFirst = copy.skipFirst;
    close(copy, false);
  }

  /**
   * The copy logrotate made of the followed file (a sibling named `<file>.1`, `<file>-20261130`, ...,
   * not compressed, another inode, at least `offset` long) that `holds` says is it; the newest if several.
   */
  function findCopy(inode: string, offset: number, holds: (candidate: string) => boolean): string | null {
    const dir = nodePath.dirname(path);
    const base = nodePath.basename(path);
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      return null;
    }
    let best: { name: string; mtimeMs: number } | null = null;
    for (const name of names) {
      if (name === base || !(name.startsWith(`${base}.`) || name.startsWith(`${base}-`)) || /\.(gz|xz|bz2|zst|lz4|Z)$/.test(name)) continue;
      const candidate = nodePath.join(dir, name);
      try {
        const st = fs.statSync(candidate, { bigint: true });
        if (!st.isFile() || String(st.ino) === inode || Number(st.size) < offset || !holds(candidate)) continue;
        const mtimeMs = Number(st.mtimeMs);
        if (best === null || mtimeMs > best.mtimeMs) best = { name: candidate, mtimeMs };
      } catch {
        // Vanished or unreadable: not the copy we can use.
      }
    }
    return best?.name ?? null;
  }

  /** Whether the file at `p` hashes to `mark` over the `length` bytes before `offset`. */
  function marksAt(p: string, offset: number, length: number, mark: string): boolean {
    const fd = fs.openSync(p, 'r');
    try {
      const got = Buffer.alloc(length);
      return fs.readSync(fd, got, 0, length, offset - length) === length && sha256(got) === mark;
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Whether the file at `p` holds `bytes` at `offset`. */
  function holdsAt(p: string, offset: number, bytes: Buffer): boolean {
    const fd = fs.openSync(p, 'r');
    try {
      return holdsAtFd(fd, offset, bytes);
    } finally {
      fs.closeSync(fd);
    }
  }

  function statInode(p: string): string | null {
    try {
      return String(fs.statSync(p, { bigint: true }).ino);
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT') report(`stat ${p}: ${(e as Error).message}`);
      return null;
    }
  }

  function drainNow(): void {
    if (stopped) return;
    if (old !== null && !readAvailable(old)) {
      close(old, true);
      old = null;
    }
    const inode = statInode(path);
    // Deleted with no successor (not a rotation, whose new file follows within a drain or two): the
    // open inode is still read, but nobody writes there any more, so we are not really following.
    if (cur !== null && inode === null) {
      if (++missingDrains === GONE_AFTER_DRAINS) report(`${path} was deleted and no file has replaced it: no kernel record can arrive until one does`);
    } else {
      if (missingDrains >= GONE_AFTER_DRAINS && inode !== null) sink?.recovered?.(`${path} is back`);
      missingDrains = 0;
    }
    if (cur === null) {
      // The file did not exist at start or vanished without a successor: any new file is all new lines.
      if (inode !== null) cur = open(path, 0);
    } else if (inode !== null && inode !== cur.inode) {
      readAvailable(cur);
      if (old !== null) close(old, true);
      old = cur;
      cur = open(path, 0);
    } else if (truncated(cur)) {
      // Truncated in place (copytruncate): what was written since our last read is in the copy.
      readCopy(cur);
      // The unfinished line will never be completed in this file.
      if (cur.tail.length > 0 && !cur.skipFirst) deliver(cur.tail);
      cur.tail = Buffer.alloc(0);
      cur.mark = Buffer.alloc(0);
      cur.head = Buffer.alloc(0);
      cur.skipFirst = false;
      cur.offset = 0;
    }
    if (cur !== null) {
      readAvailable(cur);
      lastError = '';
    }
  }

  function startAt(from: FileSourceOptions['from']): void {
    if (from === undefined) {
      cur = open(path, 'end');
      return;
    }
    const inode = statInode(path);
    if (inode === from.inode) {
      const { mark, markLength } = from;
      if (mark === undefined || markLength === undefined || markLength === 0 || markStillThere(mark, markLength, from.offset)) {
        cur = open(path, from.offset);
        return;
      }
      // Truncated in place while we were down (copytruncate): what came after our position is in the
      // copy, if logrotate's copy is still beside it uncompressed; then the file itself from its start.
      const copy = findCopy(from.inode, from.offset, (candidate) => marksAt(candidate, from.offset, markLength, mark));
      if (copy !== null) old = open(copy, from.offset);
      else report(`${path} was truncated while the exporter was down and no copy holding the saved position was found next to it: lines written after it may be lost`);
      cur = open(path, 0);
      return;
    }
    // Rotated while we were down. logrotate's first generation keeps the inode: finish it there.
    const rotated = `${path}.1`;
    if (statInode(rotated) === from.inode) {
      old = open(rotated, from.offset);
    } else {
      report(`${path} was rotated while the exporter was down and the old file (inode ${from.inode}) is not at ${rotated}: its last lines are not read`);
    }
    if (inode !== null) cur = open(path, 0);
  }

  /** Whether the followed file still holds, before `offset`, the bytes the saved mark was taken of. */
  function markStillThere(mark: string, length: number, offset: number): boolean {
    try {
      return marksAt(path, offset, length, mark);
    } catch {
      return false;
    }
  }

  let finalPosition: FilePosition | null = null;
  function currentPosition(): FilePosition | null {
    if (cur === null) return finalPosition;
    const offset = cur.offset - cur.tail.length;
    // The mark ends where the position does: the bytes read past it (an unfinished line) are not in it.
    const markBytes = cur.tail.length < cur.mark.length ? cur.mark.subarray(0, cur.mark.length - cur.tail.length) : Buffer.alloc(0);
    const fingerprint = markBytes.length > 0 ? { mark: sha256(markBytes), markLength: markBytes.length } : {};
    return { source: 'file', path, inode: cur.inode, offset, ...fingerprint };
  }

  return {
    name: 'file',
    userspaceKillers: true,
    start(s) {
      sink = s;
      startAt(opts.from);
      drainNow();
    },
    drain: drainNow,
    up: () => cur !== null && !stopped && missingDrains < GONE_AFTER_DRAINS,
    position: currentPosition,
    async stop() {
      if (stopped) return;
      drainNow();
      // Kept for the final save of the state file, which comes after the source has stopped.
      finalPosition = currentPosition();
      stopped = true;
      if (old !== null) close(old, true);
      // The current file's unfinished line stays unread: the position points at its start.
      if (cur !== null) close(cur, false);
      old = null;
      cur = null;
    },
  };
}

export interface FileBacklogOptions {
  /** Wall clock in ms: lines without a year (RFC 3164, dmesg -T) take this one's (see createLineReader). */
  nowMs?: number;
}

/**
 * A whole file read once, line by line as a stream, in any envelope createLineReader knows: a path (a regular
 * file, a FIFO, /dev/stdin) or a stream already open (standard input); gzip data is read through gunzip.
 * An open error (ENOENT, EACCES) rejects before any line is read. A line too long to be a log line
 * (lines.ts) is a lost record. Reading waits whenever the sink asks (BacklogSink.ready).
 */
export function fileBacklog(input: string | Readable, opts: FileBacklogOptions = {}): Backlog {
  return {
    userspaceKillers: true,
    async read(sink) {
      let stream: Readable;
      if (typeof input === 'string') {
        const s = fs.createReadStream(input);
        await new Promise<void>((resolve, reject) => s.once('ready', () => resolve()).once('error', reject));
        stream = s;
      } else {
        stream = input;
      }
      const readLine = createLineReader(opts.nowMs ?? Date.now());
      try {
        await readLines(stream, {
          line(line) {
            const rec = readLine(line);
            if (rec !== null) sink.record(rec, false);
          },
          overlong: () => sink.lost(1),
          ready: () => sink.ready?.() ?? null,
        });
      } finally {
        // A path opened here is closed here, also when the sink threw; a stream handed in is the caller's.
        if (typeof input === 'string') stream.destroy();
      }
    },
  };
}

function fileProblem(path: string): string | null {
  try {
    const fd = fs.openSync(path, 'r');
    try {
      if (!fs.fstatSync(fd).isFile()) return `${path} is not a regular file`;
    } finally {
      fs.closeSync(fd);
    }
    return null;
  } catch (e) {
    return `cannot open ${path}: ${(e as Error).message}`;
  }
}

export const fileSource: SourceDefinition<FilePosition> = {
  name: 'file',
  readsFile: true,
  async probe(settings) {
    const syslog = settings.syslogFiles ?? SYSLOG_FILES;
    const files = settings.file !== undefined ? [settings.file, ...syslog] : syslog;
    const reasons: string[] = [];
    for (const f of files) {
      const problem = fileProblem(f);
      if (problem === null) return { usable: true, file: f, reasons };
      reasons.push(problem);
    }
    return { usable: false, reasons };
  },
  live(settings, resume) {
    if (settings.file === undefined) return null;
    return createFileSource({
      path: settings.file,
      from: resume === undefined ? undefined : { inode: resume.inode, offset: resume.offset, mark: resume.mark, markLength: resume.markLength },
    });
  },
  backlog: (settings) => (settings.file === undefined ? null : fileBacklog(settings.file)),
  parsePosition(saved) {
    const { path, inode, offset } = saved;
    if (typeof path !== 'string' || path === '') return null;
    if (typeof inode !== 'string' || !/^\d+$/.test(inode)) return null;
    if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) return null;
    const { mark, markLength } = saved;
    // Optional (states saved before it was added have none); both or neither.
    if (mark === undefined && markLength === undefined) return { source: 'file', path, inode, offset };
    if (typeof mark !== 'string' || !/^[0-9a-f]{64}$/.test(mark)) return null;
    if (typeof markLength !== 'number' || !Number.isSafeInteger(markLength) || markLength < 1 || markLength > offset) return null;
    return { source: 'file', path, inode, offset, mark, markLength };
  },
  mismatch(saved, settings) {
    if (settings.file === undefined || nodePath.resolve(saved.path) === nodePath.resolve(settings.file)) return null;
    return `is for ${saved.path}, now following ${settings.file}`;
  },
};
