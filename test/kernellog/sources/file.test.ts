import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFileSource, MAX_LINE_BYTES } from '../../../src/kernellog/sources/file.js';
import type { KernelLogSource, RecordSink } from '../../../src/kernellog/sources/source.js';

let dir: string;
let log: string;
const sources: KernelLogSource[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oom-file-source-'));
  log = path.join(dir, 'kern.log');
});
afterEach(async () => {
  for (const s of sources.splice(0)) await s.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

function line(n: number): string {
  return `Nov 27 03:00:00 host kernel: [ 12.000001] line ${n}\n`;
}
function lines(from: number, to: number): string {
  let s = '';
  for (let n = from; n <= to; n++) s += line(n);
  return s;
}
function nums(from: number, to: number): string[] {
  return Array.from({ length: to - from + 1 }, (_, i) => `line ${from + i}`);
}

function follow(from?: { inode: string; offset: number; mark?: string | undefined; markLength?: number | undefined }) {
  const got: string[] = [];
  const errors: string[] = [];
  const sink: RecordSink = {
    record: (r, replay) => {
      expect(replay).toBe(false);
      got.push(r.message);
    },
    lost: () => {
      throw new Error('a file source cannot know of lost lines');
    },
    error: (e) => errors.push(e.message),
  };
  const src = createFileSource({ path: log, from });
  sources.push(src);
  src.start(sink);
  return { src, got, errors };
}

/** Follows an empty log, counting what the source says it lost (here only overlong lines are). */
function followCountingLost() {
  fs.writeFileSync(log, '');
  const got: string[] = [];
  const errors: string[] = [];
  const counts = { lost: 0 };
  const src = createFileSource({ path: log });
  sources.push(src);
  src.start({ record: (r) => got.push(r.message), lost: (n) => (counts.lost += n), error: (e) => errors.push(e.message) });
  return { src, got, errors, counts };
}

describe('file source', () => {
  it('starts at the end: lines already there are not read, appended ones are, once', () => {
    fs.writeFileSync(log, lines(1, 5));
    const { src, got } = follow();
    expect(got).toEqual([]);
    fs.appendFileSync(log, lines(6, 8));
    src.drain();
    src.drain();
    expect(got).toEqual(nums(6, 8));
    expect(src.up()).toBe(true);
  });

  it('holds back an unfinished line until its newline arrives, even across a split UTF-8 character', () => {
    fs.writeFileSync(log, '');
    const { src, got } = follow();
    const full = Buffer.from('Nov 27 03:00:00 host kernel: Killed process 7 (Web (Content) ü) total-vm:1kB\n');
    const cut = full.indexOf(Buffer.from('ü')) + 1; // in the middle of the two bytes of ü
    fs.appendFileSync(log, full.subarray(0, cut));
    src.drain();
    expect(got).toEqual([]);
    fs.appendFileSync(log, full.subarray(cut));
    src.drain();
    expect(got).toEqual(['Killed process 7 (Web (Content) ü) total-vm:1kB']);
  });

  it('skips the partial line it starts in the middle of', () => {
    fs.writeFileSync(log, line(1) + 'Nov 27 03:00:00 host kernel: li');
    const { src, got } = follow();
    fs.appendFileSync(log, 'ne 2\n' + line(3));
    src.drain();
    expect(got).toEqual(['line 3']);
  });

  it('survives rename rotation: finishes the old inode (also lines written to it late), then reads the new file from 0', () => {
    fs.writeFileSync(log, lines(1, 2));
    const { src, got } = follow();
    fs.appendFileSync(log, lines(3, 4));
    src.drain();
    // A syslog daemon keeps its fd on the renamed file until it is told to reopen.
    const writer = fs.openSync(log, 'a');
    fs.appendFileSync(log, lines(5, 6));
    fs.renameSync(log, `${log}.1`);
    fs.writeSync(writer, lines(7, 7));
    fs.writeFileSync(log, lines(8, 9));
    src.drain();
    fs.writeSync(writer, lines(10, 10));
    fs.closeSync(writer);
    fs.appendFileSync(log, lines(11, 11));
    src.drain();
    src.drain();
    src.drain();
    // Line 10 went into the old file after the new one was read: it comes after 8 and 9, but it comes.
    expect(got).toHaveLength(9);
    expect([...got].sort(byNumber)).toEqual(nums(3, 11));
    expect(got.slice(0, 7)).toEqual(nums(3, 9));
  });

  it('survives truncation in place (copytruncate): reads the file again from 0', () => {
    fs.writeFileSync(log, '');
    const { src, got } = follow();
    fs.appendFileSync(log, lines(1, 20));
    src.drain();
    fs.truncateSync(log, 0);
    fs.appendFileSync(log, lines(21, 22));
    src.drain();
    fs.appendFileSync(log, lines(23, 23));
    src.drain();
    expect(got).toEqual(nums(1, 23));
  });

  it.each([['kern.log.1'], ['kern.log-20261130']])(
    'copytruncate mid-burst: the lines written since the last read are read from the copy (%s), exactly once',
    (copyName) => {
      fs.writeFileSync(log, '');
      const { src, got, errors } = follow();
      fs.appendFileSync(log, lines(1, 20));
      src.drain();
      // Written after our last read, then copied away and truncated before we look again.
      fs.appendFileSync(log, lines(21, 30) + 'Nov 27 03:00:00 host kernel: [ 12.000001] line 3');
      // An older generation beside it, with other bytes at our offset: not the copy.
      fs.writeFileSync(path.join(dir, 'kern.log.2'), lines(100, 200));
      fs.copyFileSync(log, path.join(dir, copyName));
      fs.truncateSync(log, 0);
      fs.appendFileSync(log, lines(32, 35));
      src.drain();
      src.drain();
      // "line 3" was the copy's unfinished last line: logrotate copied it so, it is delivered as it is.
      expect(got).toEqual([...nums(1, 30), 'line 3', ...nums(32, 35)]);
      expect(errors).toEqual([]);
    },
  );

  it('truncated with no copy beside it: says that lines since the last read may be lost', () => {
    fs.writeFileSync(log, '');
    const { src, got, errors } = follow();
    fs.appendFileSync(log, lines(1, 5));
    src.drain();
    fs.appendFileSync(log, lines(6, 8));
    // Compressed at once (logrotate's compress without delaycompress): not readable at an offset.
    fs.writeFileSync(path.join(dir, 'kern.log.1.gz'), 'not really gzip');
    fs.truncateSync(log, 0);
    fs.appendFileSync(log, lines(9, 9));
    src.drain();
    expect(got).toEqual([...nums(1, 5), 'line 9']);
    expect(errors).toEqual([expect.stringMatching(/truncated in place and no copy .* may be lost/)]);
  });

  it('skips a line longer than MAX_LINE_BYTES up to its newline, counts it lost, and reads on in bounded memory', () => {
    const { src, got, errors, counts } = followCountingLost();
    fs.appendFileSync(log, lines(1, 1));
    // 10 MB without a newline, written in pieces with drains between, as a runaway writer would.
    const piece = 'x'.repeat(1024 * 1024);
    for (let i = 0; i < 10; i++) {
      fs.appendFileSync(log, piece);
      src.drain();
    }
    fs.appendFileSync(log, 'end of the long one\n' + lines(2, 3));
    src.drain();
    expect(got).toEqual(nums(1, 3));
    expect(counts.lost).toBe(1);
    // Named by where it starts (after the first line), not where the read that noticed it began.
    expect(errors).toEqual([`${log}: a line longer than ${MAX_LINE_BYTES} bytes at offset ${Buffer.byteLength(lines(1, 1))} was skipped`]);
    // A line just under the limit is still a line.
    const long = `Nov 27 03:00:00 host kernel: [ 12.000001] ${'y'.repeat(MAX_LINE_BYTES - 100)}`;
    fs.appendFileSync(log, long + '\n');
    src.drain();
    expect(got.at(-1)).toHaveLength(MAX_LINE_BYTES - 100);
    expect(counts.lost).toBe(1);
  });

  it('skips every line longer than MAX_LINE_BYTES, whichever reads it falls in, and names its offset', () => {
    const { src, got, errors, counts } = followCountingLost();
    // Lines the 64 KiB reads cut in two (70,000 and 100,000 bytes) or hold whole after a short line,
    // one a byte over the limit and one exactly at it, all written at once; each skipped line is named by
    // the offset of its first byte.
    const sizes = [70_000, 100_000, MAX_LINE_BYTES + 1, MAX_LINE_BYTES];
    let text = lines(1, 1);
    const offsets: number[] = [];
    sizes.forEach((n, i) => {
      offsets.push(Buffer.byteLength(text));
      text += 'z'.repeat(n) + '\n' + lines(i + 2, i + 2);
    });
    // And one that runs on over several reads, right after a short line in the same write.
    text += lines(6, 6);
    offsets.push(Buffer.byteLength(text));
    text += 'r'.repeat(300_000) + '\n' + lines(7, 7);
    fs.appendFileSync(log, text);
    src.drain();
    expect(got.filter((m) => !m.startsWith('z'))).toEqual(nums(1, 7));
    expect(got.filter((m) => m.startsWith('z')).map((m) => m.length)).toEqual([MAX_LINE_BYTES]);
    expect(counts.lost).toBe(4);
    const skippedAt = [...offsets.slice(0, 3), offsets[4]];
    expect(errors).toEqual(skippedAt.map((o) => `${log}: a line longer than ${MAX_LINE_BYTES} bytes at offset ${o} was skipped`));
  });

  it('keeps exact line counts through many rotations and truncations mid-stream', () => {
    fs.writeFileSync(log, '');
    const { src, got } = follow();
    let n = 0;
    const written: string[] = [];
    const write = (k: number) => {
      for (let i = 0; i < k; i++) {
        n++;
        fs.appendFileSync(log, line(n));
        written.push(`line ${n}`);
      }
    };
    for (let round = 0; round < 30; round++) {
      write(1 + (round % 7));
      if (round % 5 === 0) src.drain();
      switch (round % 3) {
        case 0:
          // Rename rotation; the old file is still read to its end.
          fs.renameSync(log, `${log}.1`);
          fs.writeFileSync(log, '');
          break;
        case 1:
          // copytruncate: everything written so far was read before (the copy holds it for the archive).
          src.drain();
          fs.truncateSync(log, 0);
          break;
        default:
          break;
      }
      write(round % 4);
      src.drain();
    }
    src.drain();
    src.drain();
    expect(got).toEqual(written);
  });

  it('deleted with no successor: down after a few drains, said once; up again when a new file appears', () => {
    fs.writeFileSync(log, '');
    const { src, got, errors } = follow();
    fs.appendFileSync(log, lines(1, 2));
    fs.rmSync(log);
    src.drain();
    src.drain();
    // The open inode is read to its end, and a rotation would have its new file by now.
    expect(got).toEqual(nums(1, 2));
    expect(src.up()).toBe(true);
    src.drain();
    src.drain();
    expect(src.up()).toBe(false);
    expect(errors).toEqual([expect.stringMatching(/kern\.log was deleted and no file has replaced it/)]);
    fs.writeFileSync(log, lines(3, 4));
    src.drain();
    expect(src.up()).toBe(true);
    expect(got).toEqual(nums(1, 4));
    expect(errors).toHaveLength(1);
  });

  it('reports a missing file once, is down, and reads the file from 0 when it appears', () => {
    const { src, got, errors } = follow();
    src.drain();
    src.drain();
    expect(src.up()).toBe(false);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/ENOENT/);
    fs.writeFileSync(log, lines(1, 2));
    src.drain();
    expect(got).toEqual(nums(1, 2));
    expect(src.up()).toBe(true);
  });

  it('reports a directory once, naming it, is down, leaks no fd, and reads a file that replaces it', () => {
    fs.mkdirSync(log);
    const fds = () => fs.readdirSync('/proc/self/fd').length;
    const before = fds();
    const { src, got, errors } = follow();
    for (let i = 0; i < 5; i++) src.drain();
    expect(fds()).toBe(before);
    expect(src.up()).toBe(false);
    expect(src.position()).toBeNull();
    expect(errors).toEqual([`reading ${log}: is a directory`]);
    fs.rmdirSync(log);
    fs.writeFileSync(log, lines(1, 2));
    src.drain();
    expect(got).toEqual(nums(1, 2));
    expect(src.up()).toBe(true);
  });

  it('resuming into a directory where the file was: reported, not thrown', () => {
    fs.mkdirSync(log);
    const inode = String(fs.statSync(log, { bigint: true }).ino);
    const { src, errors } = follow({ inode, offset: 100 });
    expect(src.up()).toBe(false);
    expect(errors).toEqual([`reading ${log}: is a directory`]);
  });

  it('resumes at a saved position: lines written while stopped are read exactly once', async () => {
    fs.writeFileSync(log, lines(1, 3));
    const first = follow();
    fs.appendFileSync(log, lines(4, 5) + 'Nov 27 03:00:00 host kernel: unfin');
    first.src.drain();
    expect(first.got).toEqual(nums(4, 5));
    const pos = first.src.position();
    await first.src.stop();
    expect(pos?.source).toBe('file');
    if (pos?.source !== 'file') return;
    expect(pos.offset).toBe(Buffer.byteLength(lines(1, 5)));

    fs.appendFileSync(log, 'ished\n' + lines(6, 7));
    const second = follow({ inode: pos.inode, offset: pos.offset });
    expect(second.got).toEqual(['unfinished', ...nums(6, 7)]);
  });

  it.each([[true], [false]])('copytruncate while stopped: the lines after the saved position are read from the copy (copy kept: %s)', async (keepCopy) => {
    fs.writeFileSync(log, lines(1, 3));
    const first = follow();
    fs.appendFileSync(log, lines(4, 5));
    first.src.drain();
    const pos = first.src.position();
    await first.src.stop();
    if (pos?.source !== 'file') throw new Error('no file position');
    expect(pos.mark).toMatch(/^[0-9a-f]{64}$/);
    expect(pos.markLength).toBeGreaterThan(0);

    // While the exporter is down: more lines, then logrotate's copytruncate, then the new file's first lines.
    fs.appendFileSync(log, lines(6, 8));
    fs.copyFileSync(log, `${log}.1`);
    fs.truncateSync(log, 0);
    // Refilled past the saved offset: the size alone would not tell.
    fs.appendFileSync(log, lines(9, 30));
    if (!keepCopy) fs.renameSync(`${log}.1`, `${log}.1.gz`);
    const second = follow(pos);
    second.src.drain();
    if (keepCopy) {
      expect(second.got).toEqual(nums(6, 30));
      expect(second.errors).toEqual([]);
    } else {
      expect(second.got).toEqual(nums(9, 30));
      expect(second.errors).toEqual([expect.stringMatching(/truncated while the exporter was down and no copy .* may be lost/)]);
    }
  });

  it('resumes across a rotation that happened while stopped, through the .1 file', async () => {
    fs.writeFileSync(log, lines(1, 3));
    const first = follow();
    fs.appendFileSync(log, lines(4, 4));
    first.src.drain();
    const pos = first.src.position();
    await first.src.stop();
    if (pos?.source !== 'file') throw new Error('no file position');

    fs.appendFileSync(log, lines(5, 6));
    fs.renameSync(log, `${log}.1`);
    fs.writeFileSync(log, lines(7, 8));
    const second = follow({ inode: pos.inode, offset: pos.offset });
    second.src.drain();
    expect(second.got).toEqual(nums(5, 8));
    expect(second.errors).toEqual([]);
  });

  it('notices a truncation even when the file grew past the old offset again before it looked', () => {
    fs.writeFileSync(log, '');
    const { src, got } = follow();
    fs.appendFileSync(log, lines(1, 3));
    src.drain();
    fs.truncateSync(log, 0);
    fs.appendFileSync(log, lines(4, 9));
    src.drain();
    expect(got).toEqual(nums(1, 9));
  });

  it('notices a truncation refilled to exactly our offset with lines that end alike for over a KiB', () => {
    // Kill reports of one cgroup differ in their pid near the start and end in the same 1+ KiB.
    const same = ' the same words to the end of the line'.repeat(40);
    const entry = (n: number) => `Nov 27 03:00:0${n % 10} host kernel: kill ${n}${same}\n`;
    fs.writeFileSync(log, '');
    const { src, got } = follow();
    fs.appendFileSync(log, entry(1) + entry(2));
    src.drain();
    fs.appendFileSync(log, entry(3));
    fs.copyFileSync(log, `${log}.1`);
    fs.truncateSync(log, 0);
    fs.appendFileSync(log, entry(4) + entry(5));
    src.drain();
    expect(got.map((m) => m.split(' the same')[0])).toEqual(['kill 1', 'kill 2', 'kill 3', 'kill 4', 'kill 5']);
  });

  it('resumes at 0 when the file shrank below the saved offset while stopped', () => {
    fs.writeFileSync(log, lines(1, 9));
    const inode = String(fs.statSync(log, { bigint: true }).ino);
    fs.truncateSync(log, 0);
    fs.appendFileSync(log, lines(10, 11));
    const { got } = follow({ inode, offset: Buffer.byteLength(lines(1, 9)) });
    expect(got).toEqual(nums(10, 11));
  });
});

function byNumber(a: string, b: string): number {
  return Number(a.split(' ')[1]) - Number(b.split(' ')[1]);
}
