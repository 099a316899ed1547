import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { killsIn } from '../../src/kernellog/backlog.js';
import { journaldBacklog, JOURNAL_MATCHES } from '../../src/kernellog/sources/journald.js';
import { kmsgBacklog } from '../../src/kernellog/sources/kmsg.js';
import type { SourceSettings } from '../../src/kernellog/sources/source.js';
import type { LogRecord } from '../../src/kernellog/types.js';
import { runKills, type KillsSources } from '../../src/kills/command.js';
import { localIsoTime } from '../../src/kills/format.js';
import { realOomKillWithReport } from '../helpers/oom.js';
import { victim, killLog } from '../helpers/kill-log.js';
import { requireRoot } from '../helpers/root.js';
import { ensureJournald } from '../kernellog/journald-helper.js';
import { errno, fakeKmsg, kmsgRecord } from '../kernellog/fake-kmsg.js';
import { FAKE_KILLED, fakeSource } from '../kernellog/sources/fake-source.js';

const NIX_KILLED =
  'Out of memory: Killed process 1055041 (nix-env) total-vm:5120116kB, anon-rss:5048356kB, file-rss:612kB, shmem-rss:0kB, UID:0 pgtables:10032kB oom_score_adj:200';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oom-kills-command-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A stand-in journalctl: runs `body` with node; its arguments are in process.argv.slice(2). */
function fakeJournalctl(body: string): string[] {
  const script = path.join(dir, 'journalctl.cjs');
  fs.writeFileSync(script, body);
  return [process.execPath, script];
}

/**
 * A journalctl that `auto` accepts (it answers the probe, `-k -b -n 1`, with one kernel entry), and that
 * answers any other call by running `backlog` (after saving its arguments in args.json).
 */
function journalctlFor(backlog: string): string[] {
  return fakeJournalctl(`
    const args = process.argv.slice(2);
    if (args.includes('-b')) {
      process.stdout.write(JSON.stringify({ MESSAGE: 'Linux version 6.1', _TRANSPORT: 'kernel' }) + '\\n');
    } else {
      require('node:fs').writeFileSync(${JSON.stringify(path.join(dir, 'args.json'))}, JSON.stringify(args));
      ${backlog}
    }
  `);
}

const kernelEntry = (message: string, cursor: string): string => JSON.stringify({ __CURSOR: cursor, _TRANSPORT: 'kernel', SYSLOG_FACILITY: '0', MESSAGE: message });

/** Settings under which `auto` finds neither /dev/kmsg nor journald nor a syslog file, unless a test gives one. */
function nothing(over: SourceSettings = {}): SourceSettings {
  return { kmsg: { path: path.join(dir, 'no-kmsg') }, journalctl: [path.join(dir, 'no-journalctl')], syslogFiles: [path.join(dir, 'no-kern.log')], ...over };
}

/** A stream that keeps what is written to it, as standard output would show it. */
function collector(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

/** `kills` as the CLI runs it; the table shows uptime stamps as they are unless a test gives a boot clock. */
async function kills(argv: string[], live: KillsSources = {}) {
  const stdout = collector();
  let err = '';
  const code = await runKills(argv, stdout.stream, (s) => (err += s), { clock: null, ...live });
  const out = stdout.text();
  return {
    code,
    out,
    err,
    json: () =>
      out
        .trim()
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

/** Records a backlog delivers, until the sink decides to stop it (by throwing). */
function recorder(stopAfter = Infinity) {
  const records: LogRecord[] = [];
  const stop = new Error('enough');
  return {
    records,
    stop,
    sink: {
      record(rec: LogRecord) {
        records.push(rec);
        if (records.length >= stopAfter) throw stop;
      },
      lost() {},
      error() {},
    },
  };
}

function gone(pid: number): Promise<void> {
  // kill(pid, 0) throws ESRCH once the process is gone.
  return vi.waitFor(
    () => {
      expect(() => process.kill(pid, 0)).toThrow();
    },
    { timeout: 5000, interval: 20 },
  );
}

describe("kills: the live log is read only through the sources' backlog mode", () => {
  it('takes the source auto picks from the registration table, and reads its backlog once', async () => {
    const { definition, calls } = fakeSource(['Linux version 6.1', FAKE_KILLED]);
    const r = await kills(['--json'], { sources: [definition] });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.json().map((k) => k['pid'])).toEqual([4242]);
    expect(calls).toEqual({ probes: 1, live: [], backlogs: 1 });
  });

  it('says why there is no kernel log to read, exit code 1', async () => {
    const r = await kills([], { settings: nothing() });
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(
      /^oom-exporter: no kernel log to read \(cannot open .*no-kmsg: ENOENT.*; .*no-journalctl.*; cannot open .*no-kern\.log: ENOENT.*\); use --file PATH\n$/,
    );
  });

  it('a syslog file when neither /dev/kmsg nor journald can be read: the whole file', async () => {
    const file = path.join(dir, 'kern.log');
    fs.writeFileSync(file, `Mar  9 04:00:02 host kernel: ${NIX_KILLED}\nMar  9 04:00:03 host kernel: ${NIX_KILLED.replace('1055041', '7')}`);
    const r = await kills(['--json'], { settings: nothing({ syslogFiles: [file] }) });
    expect(r.code).toBe(0);
    // The last line has no newline: still read.
    expect(r.json().map((k) => k['pid'])).toEqual([1055041, 7]);
  });
});

describe('kills: /dev/kmsg backlog', () => {
  it('reads a record bigger than the first buffer (EINVAL), and the kills after it', async () => {
    const f = fakeKmsg();
    f.push(kmsgRecord(1, 'x'.repeat(40 * 1024)), kmsgRecord(2, NIX_KILLED), errno('EPIPE'), kmsgRecord(4, NIX_KILLED.replace('1055041', '7')));
    const r = await kills(['--json'], { settings: { kmsg: { path: '/dev/null', read: f.read } } });
    expect(r.json().map((k) => [k['pid'], k['comm'], k['uptimeSeconds']])).toEqual([
      [1055041, 'nix-env', 5.002],
      [7, 'nix-env', 5.004],
    ]);
    expect(f.pending()).toBe(0);
  });

  it('a gap in the ring buffer ends the report in progress: its header is not lent to the kill after it', async () => {
    const f = fakeKmsg();
    f.push(kmsgRecord(1, 'hog invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0'), errno('EPIPE'), kmsgRecord(9, NIX_KILLED));
    const found = await killsIn(kmsgBacklog({ path: '/dev/null', read: f.read }));
    expect(found.map((k) => [k.pid, k.invoker])).toEqual([[1055041, null]]);
  });

  it('never lists a kill line a process wrote into /dev/kmsg', async () => {
    const f = fakeKmsg();
    f.push(kmsgRecord(1, NIX_KILLED, 1, 3));
    const r = await kills(['--json'], { settings: { kmsg: { path: '/dev/null', read: f.read } } });
    expect(r.code).toBe(0);
    expect(r.out).toBe('');
  });

  it('an unreadable /dev/kmsg is an error naming it', async () => {
    await expect(killsIn(kmsgBacklog({ path: path.join(dir, 'no-kmsg') }))).rejects.toThrow(/no-kmsg.*ENOENT|ENOENT.*no-kmsg/);
  });
});

describe('kills: journald backlog', () => {
  it("when /dev/kmsg cannot be opened: every boot's entries, without -f, with the follower's matches", async () => {
    const journalctl = journalctlFor(`process.stdout.write(${JSON.stringify(kernelEntry(NIX_KILLED, 'c1') + '\n')});`);
    const r = await kills(['--json'], { settings: nothing({ journalctl }) });
    expect(r.err).toBe('');
    expect(r.json().map((k) => [k['pid'], k['comm']])).toEqual([[1055041, 'nix-env']]);
    const args = JSON.parse(fs.readFileSync(path.join(dir, 'args.json'), 'utf8')) as string[];
    expect(args).toEqual(['-o', 'json', '-q', '--no-pager', ...JOURNAL_MATCHES]);
  });

  it('"Missed N kernel messages" ends the report in progress', async () => {
    const missed = JSON.stringify({ MESSAGE: 'Missed 12 kernel messages', MESSAGE_ID: 'e9bf28e6e834481bb6f48f548ad13606', _TRANSPORT: 'driver' });
    const header = kernelEntry('hog invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0', 'c1');
    const cmd = ['/bin/sh', '-c', `printf '%s\\n' '${header}' '${missed}' '${kernelEntry(NIX_KILLED, 'c3')}'`];
    const found = await killsIn(journaldBacklog({ command: cmd }));
    expect(found.map((k) => [k.pid, k.invoker])).toEqual([[1055041, null]]);
  });

  it('a failing journalctl: the last line it wrote to stderr, exit code 1', async () => {
    const journalctl = journalctlFor(`process.stderr.write('first\\nNo journal files were found.\\n'); process.exitCode = 1;`);
    const r = await kills([], { settings: nothing({ journalctl }) });
    expect(r.code).toBe(1);
    expect(r.err).toBe(`oom-exporter: kills: ${process.execPath} exited with 1: No journal files were found.\n`);
  });

  it('a journalctl that cannot be run is an error naming why, not a crash', async () => {
    await expect(killsIn(journaldBacklog({ command: [path.join(dir, 'no-such-journalctl')] }))).rejects.toThrow(/ENOENT/);
  });

  it('reads a journalctl that writes a lot to stderr without blocking it', async () => {
    // 2 MB of warnings, far beyond a pipe's 64 KiB, written with blocking write(2) as journalctl does:
    // unless its stderr is read, it never gets to its entries.
    const cmd = [
      '/bin/sh',
      '-c',
      `yes 'Journal file corrupted, ignoring file.' | head -c 2000000 >&2; printf '%s\\n' '{"MESSAGE":"one"}' '{"MESSAGE":"two"}'`,
      'journalctl',
    ];
    const r = recorder();
    await journaldBacklog({ command: cmd }).read(r.sink);
    expect(r.records.map((x) => x.message)).toEqual(['one', 'two']);
  });

  it('leaves journalctl waiting on a full pipe while the reader is behind, and reads on once it is ready', async () => {
    // 50,000 entries, 2 MB: far more than a pipe holds, so journalctl blocks whenever it is not read.
    const cmd = ['/bin/sh', '-c', `yes '{"MESSAGE":"x","_TRANSPORT":"kernel"}' | head -n 50000`];
    let records = 0;
    let release: () => void = () => {};
    const behind = new Promise<void>((resolve) => (release = resolve));
    let asked = false;
    const read = journaldBacklog({ command: cmd }).read({
      record: () => records++,
      lost() {},
      error() {},
      // Behind from the first entry on, until released.
      ready() {
        if (asked) return null;
        asked = true;
        return behind;
      },
    });
    await vi.waitFor(() => expect(records).toBeGreaterThan(0));
    await new Promise((r) => setTimeout(r, 200));
    // What came with the chunk of the first entry, not the rest.
    expect(records).toBeLessThan(5000);
    release();
    await read;
    expect(records).toBe(50_000);
  });

  it('hands entries over as journalctl prints them, and stops journalctl when the reader stops', async () => {
    const pidFile = path.join(dir, 'pid');
    const cmd = fakeJournalctl(`
      require('node:fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid));
      process.stdout.write('{"MESSAGE":"first"}\\n');
      setInterval(() => {}, 1000);
    `);
    // This journalctl never exits: the first entry can only come while it runs. The sink stops the read there.
    const r = recorder(1);
    await expect(journaldBacklog({ command: cmd }).read(r.sink)).rejects.toBe(r.stop);
    expect(r.records.map((x) => x.message)).toEqual(['first']);
    await gone(Number(fs.readFileSync(pidFile, 'utf8')));
  });
});

describe('kills --file', () => {
  it('does not list a kill forged through a syslog tag that does not parse', async () => {
    const file = path.join(dir, 'syslog');
    fs.writeFileSync(
      file,
      'Mar  9 04:00:01 host Out of memory: Killed process 4242 (forged) total-vm:1048576kB, anon-rss:524288kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:1024kB oom_score_adj:0\n' +
        `Mar  9 04:00:02 host kernel: ${NIX_KILLED}\n`,
    );
    const r = await kills(['--file', file, '--json']);
    expect(r.code).toBe(0);
    expect(r.json().map((k) => k['pid'])).toEqual([1055041]);
  });

  it('never looks at the live log', async () => {
    const { definition, calls } = fakeSource([FAKE_KILLED]);
    const file = path.join(dir, 'empty');
    fs.writeFileSync(file, '');
    // No kills: nothing on standard output (a script gets an empty list), and standard error says so.
    expect(await kills(['--file', file], { sources: [definition] })).toMatchObject({ code: 0, out: '', err: `oom-exporter: kills: no OOM kills in ${file}\n` });
    expect(calls).toEqual({ probes: 0, live: [], backlogs: 0 });
  });

  it.each([
    ['a missing file', 'missing', /^oom-exporter: kills: ENOENT: no such file or directory, open '.*missing'\n$/],
    // EISDIR's own message does not name the file: the error adds it.
    ['a directory', '.', /^oom-exporter: kills: \/\S+: EISDIR: illegal operation on a directory, read\n$/],
  ])('%s: an error naming why, exit code 1', async (_name, file, message) => {
    const r = await kills(['--file', path.join(dir, file)]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(message);
  });
});

describe('kills --file: the envelopes people have (test/fixtures/kernellog/SOURCES.md)', () => {
  const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/kernellog/${name}`, import.meta.url));

  it.each<[string, [string | null, number | null, string | null][]]>([
    ['logread-lede7056.txt', [['kernel', 3370, 'smbd']]],
    ['remote-rfc5424-rsyslog-this-machine.txt', [['kernel', 16401, 'wt😀fix\\ 2']]],
    ['dmesg-json-this-machine.txt', [['kernel', 17244, 'wt fixture 1']]],
    ['journal-short-full-this-machine.txt', [['kernel', 17244, 'wt fixture 1']]],
    [
      'numbered-ert9320.txt',
      [
        ['kernel', 328391, 'fluvial_facies'],
        ['kernel', 1597132, 'eclipse.exe'],
        ['kernel', 1595933, 'rms'],
        ['kernel', 1596142, 'rms'],
        ['kernel', 1596008, 'rms'],
      ],
    ],
    ['journalctl-earlyoom243.txt', [['earlyoom', 24059, 'tail']]],
  ])('%s', async (name, expected) => {
    const r = await kills(['--file', fixture(name), '--json']);
    expect(r.err).toBe('');
    expect(r.json().map((k) => [k['killer'], k['pid'], k['comm']])).toEqual(expected);
  });

  it("lists a kill line cut at the end of the file, and none from a line in the kernel's form under another sender", async () => {
    const file = path.join(dir, 'pasted.txt');
    fs.writeFileSync(
      file,
      '> Thu Jun 17 23:28:11 2021 daemon.err myapp[10310]: Out of memory: Killed process 1 (fake) total-vm:1kB, anon-rss:1kB, file-rss:0kB\n' +
        '> Thu Jun 17 23:28:05 2021 kern.err kernel: [   58.430534] Out of memory: Killed process 3370 (smb',
    );
    const r = await kills(['--file', file, '--json']);
    expect(r.json()).toEqual([expect.objectContaining({ killer: 'kernel', pid: 3370, comm: null, uptimeSeconds: 58.430534 })]);
  });
});

// Root makes the cgroups and reads /dev/kmsg; CI runs as root, so there this never skips.
describe('kills on the real kernel log', () => {
  let stopJournald: (() => Promise<void>) | null = null;
  afterAll(async () => {
    await stopJournald?.();
  });

  it.runIf(requireRoot())('/dev/kmsg: lists a real OOM kill with its memcg, invoker and constraint', async () => {
    // Its whole report is what is asserted on: a kill whose report the kernel's rate limit left out is done again.
    const victim = await realOomKillWithReport('oom (test) 1', 'oomkillscmd');
    const cg = victim.cgroup;
    try {
      const r = await kills(['--json']);
      expect(r.code).toBe(0);
      // PIDs wrap around (other tests kill processes too): ours is the kill in our own cgroup (oom_memcg).
      const rows = r.json().filter((k) => k['pid'] === victim.pid && k['oomMemcg'] === cg.path);
      expect(rows).toEqual([
        expect.objectContaining({
          killer: 'kernel',
          comm: 'oom (test) 1',
          memcg: cg.path,
          oomMemcg: cg.path,
          invoker: 'oom (test) 1',
          constraint: 'CONSTRAINT_MEMCG',
          uid: 0,
        }),
      ]);
      expect(Object.keys(rows[0]!)).not.toContain('prefixConstraint');
      const table = await kills([]);
      const row = table.out.split('\n').find((l) => l.includes(` ${victim.pid}  `) && l.includes(cg.path));
      expect(row).toContain(' memcg ');
    } finally {
      await cg.remove();
    }
  });

  it.runIf(requireRoot())("journald, when /dev/kmsg cannot be opened: the same kill from every boot's journal", async () => {
    stopJournald = await ensureJournald();
    const victim = await realOomKillWithReport('oom (test) 1', 'oomkillsjournal');
    const cg = victim.cgroup;
    try {
      // journald imports the kernel's records a moment after the kernel wrote them.
      await vi.waitFor(
        async () => {
          const r = await kills(['--json'], { settings: { kmsg: { path: path.join(dir, 'no-kmsg') } } });
          expect(r.err).toBe('');
          const row = r.json().find((k) => k['pid'] === victim.pid && k['oomMemcg'] === cg.path);
          expect(row).toMatchObject({ killer: 'kernel', memcg: cg.path, constraint: 'CONSTRAINT_MEMCG', invoker: 'oom (test) 1' });
          expect(row?.['time']).not.toBeNull();
        },
        { timeout: 20_000, interval: 200 },
      );
    } finally {
      await cg.remove();
    }
  });
});

describe('kills on a log of any size: printed as found, read as fast as the output is taken', () => {
  const COUNT = 20_000;

  it(`lists all ${COUNT.toLocaleString('en')} kills of a big log, in order, as JSON and as a table`, async () => {
    const file = path.join(dir, 'kern.log');
    fs.writeFileSync(file, killLog(0, COUNT));
    const json = await kills(['--file', file, '--json']);
    expect(json.code).toBe(0);
    const rows = json.json();
    expect(rows).toHaveLength(COUNT);
    for (const i of [0, 99, COUNT - 1]) expect(rows[i]).toMatchObject({ ...victim(i), killer: 'kernel', invoker: victim(i).comm });
    expect(rows[99]).toMatchObject({ constraint: 'CONSTRAINT_MEMCG', memcg: '/oomprobe' });
    const table = await kills(['--file', file]);
    const lines = table.out.split('\n');
    expect(lines).toHaveLength(COUNT + 2);
    expect(lines[0]).toMatch(/^TIME +PID +COMM/);
    expect(lines[COUNT]!.split(/ {2,}/).slice(1, 4)).toEqual([String(victim(COUNT - 1).pid), victim(COUNT - 1).comm, 'kernel']);
    expect(lines[COUNT + 1]).toBe('');
  });

  it('reads a gzip file (a rotated kern.log.2.gz) as its text', async () => {
    const file = path.join(dir, 'kern.log.2.gz');
    fs.writeFileSync(file, gzipSync(killLog(0, 300)));
    const r = await kills(['--file', file, '--json']);
    expect(r.code).toBe(0);
    expect(r.json().map((k) => k['pid'])).toEqual(Array.from({ length: 300 }, (_, i) => victim(i).pid));
  });

  it('waits for a slow reader: what is queued in the output stays bounded while the whole log goes through', async () => {
    const file = path.join(dir, 'kern.log');
    fs.writeFileSync(file, killLog(0, COUNT));
    // A reader that takes a write only every few milliseconds, like a pager or a slow pipe.
    let queuedMax = 0;
    let text = '';
    const stdout = new Writable({
      write(chunk: Buffer, _enc, done) {
        text += chunk.toString();
        setTimeout(done, 5);
      },
    });
    const write = stdout.write.bind(stdout);
    stdout.write = ((chunk: string, cb?: (e?: Error | null) => void) => {
      const more = write(chunk, cb);
      queuedMax = Math.max(queuedMax, stdout.writableLength);
      return more;
    }) as typeof stdout.write;
    let err = '';
    expect(await runKills(['--file', file, '--json'], stdout, (s) => (err += s))).toBe(0);
    expect(err).toBe('');
    expect(text.split('\n')).toHaveLength(COUNT + 1);
    // About 7.5 MB went through; unless the log waits for the reader it all queues at once.
    expect(text.length).toBeGreaterThan(5e6);
    // Two batches of output (64 KiB each) at most: the one being taken and the one made meanwhile.
    expect(queuedMax).toBeLessThan(200 * 1024);
  });

  it('ends quietly when the reader goes away (EPIPE), and stops reading a log that never ends', async () => {
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    // A writer that feeds kills into the FIFO for as long as anyone reads it.
    const writer = fs.createWriteStream(fifo);
    let fed = 0;
    const feeding = (async () => {
      try {
        for (;;) {
          if (!writer.write(killLog(fed, 100))) await once(writer, 'drain');
          fed += 100;
        }
      } catch {
        // EPIPE: the reader closed the FIFO.
      }
    })();
    let writes = 0;
    const stdout = new Writable({
      write(_chunk, _enc, done) {
        writes++;
        done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    let err = '';
    expect(await runKills(['--file', fifo, '--json'], stdout, (s) => (err += s))).toBe(0);
    expect(err).toBe('');
    expect(writes).toBe(1);
    writer.destroy();
    await feeding;
  });

  it('a reader gone before any kill was written: quiet, and no claim that the log has no kills', async () => {
    const fifo = path.join(dir, 'fifo-no-kills');
    execFileSync('mkfifo', [fifo]);
    // A log that goes on without a kill for as long as anyone reads it.
    const writer = fs.createWriteStream(fifo);
    const feeding = (async () => {
      try {
        for (;;) if (!writer.write('Nov 27 03:00:00 host kernel: nothing to see\n'.repeat(1000))) await once(writer, 'drain');
      } catch {
        // EPIPE: the reader closed the FIFO.
      }
    })();
    // Nothing is written to it (no kill comes), so the stream says it is gone by itself, as a closed pipe can.
    const stdout = new Writable({ write: (_chunk, _enc, done) => done() });
    setTimeout(() => stdout.destroy(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })), 100);
    let err = '';
    const code = await runKills(['--file', fifo, '--json'], stdout, (s) => (err += s));
    expect(code).toBe(0);
    expect(err).toBe('');
    writer.destroy();
    await feeding;
  });

  it('a write error other than EPIPE is an error naming it, exit code 1', async () => {
    const file = path.join(dir, 'kern.log');
    fs.writeFileSync(file, killLog(0, 10));
    const stdout = new Writable({
      write(_chunk, _enc, done) {
        done(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
      },
    });
    let err = '';
    expect(await runKills(['--file', file, '--json'], stdout, (s) => (err += s))).toBe(1);
    expect(err).toBe('oom-exporter: kills: writing the output: ENOSPC: no space left on device, write\n');
  });

  it('prints the kills found before a read error, then the error, exit code 1', async () => {
    const journalctl = journalctlFor(
      `process.stdout.write(${JSON.stringify(kernelEntry(NIX_KILLED, 'c1') + '\n')}); process.stderr.write('Journal file corrupted\\n'); process.exitCode = 1;`,
    );
    const r = await kills(['--json'], { settings: nothing({ journalctl }) });
    expect(r.code).toBe(1);
    expect(r.json().map((k) => k['pid'])).toEqual([1055041]);
    expect(r.err).toMatch(/exited with 1: Journal file corrupted\n$/);
  });
});

describe('kills: wall-clock times for uptime stamps', () => {
  it('puts boot time plus the stamp on a /dev/kmsg record in the table, and keeps the uptime in --json', async () => {
    const fixture = fileURLToPath(new URL('../fixtures/kernellog/kmsg-memcg-v1-6.18.txt', import.meta.url));
    const json = (await kills(['--file', fixture, '--json'])).json();
    const uptime = json[0]!['uptimeSeconds'] as number;
    expect(json[0]!['time']).toBeNull();
    const clock = { bootTimeSeconds: 1_796_000_000, uptimeSeconds: uptime + 60 };
    const table = await kills(['--file', fixture], { clock });
    expect(table.out.split('\n')[1]).toMatch(new RegExp(`^${localIsoTime(clock.bootTimeSeconds + uptime).replace('+', '\\+')} `));
  });
});
