import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { killsIn } from '../../src/kernellog/backlog.js';
import { constraintLabel } from '../../src/kernellog/parse.js';
import { fileBacklog } from '../../src/kernellog/sources/file.js';
import { journaldBacklog } from '../../src/kernellog/sources/journald.js';
import { kmsgBacklog } from '../../src/kernellog/sources/kmsg.js';
import type { OomKill } from '../../src/kernellog/types.js';
import { realOomKillWithReport, type MemoryCgroup } from '../helpers/oom.js';
import { requireRoot } from '../helpers/root.js';
import { ensureJournald } from './journald-helper.js';

// Issue "the same kill, the same labels, whatever the source". Each hostile name is given to a process
// with prctl(PR_SET_NAME), which keeps 15 bytes, and the process is killed by a real OOM in its own
// 64 MiB memory cgroup. The same kill is then read four ways, each through the source the exporter has
// for it, and must give the same comm, cgroup, constraint and invoker:
//   /dev/kmsg                 the kmsg source's backlog (the kernel escapes bytes as \xNN, decoded there);
//   journald                  a real systemd-journald, through the journald source (it decoded them);
//   rsyslog imkmsg            a real rsyslogd writing the traditional file format (it keeps \xNN);
//   rsyslog imklog            derived, not run: imklog reads /proc/kmsg, which consumes what it reads
//                             from every other reader on the machine. So the kernel's own syslog(2) text
//                             is read with klogctl(SYSLOG_ACTION_READ_ALL), the same text without
//                             consuming it (printk.c: record_print_text prints a record with a newline
//                             as one line per part, each with the record's "<pri>[uptime] " prefix, bytes
//                             raw), and written as imklog and the traditional template write it: the PRI
//                             off, "[uptime]" kept, control bytes as rsyslog's #NNN, tag "kernel".
// Invalid UTF-8 is rendered the same from each: U+FFFD per maximal invalid subsequence (envelope.ts).

/** [what, the name given]: the label must be the first 15 bytes of it, decoded as envelope.ts says. */
const NAMES: [string, Buffer][] = [
  ['newline', Buffer.from('nl\nname')],
  ['newline then parenthesis', Buffer.from('a)\n(b')],
  ['quotes', Buffer.from(`q"uo'te`)],
  ['backslash and a \\x41 of its own', Buffer.from('back\\sl\\x41')],
  ['braces', Buffer.from('{br}{ac}es')],
  ['emoji', Buffer.from('emoji😀x')],
  ['invalid UTF-8', Buffer.from([0x69, 0x6e, 0x76, 0xff, 0xfe, 0x58])],
  ['tab', Buffer.from('tab\there')],
  ['15+ bytes', Buffer.from('abcdefghijklmnopqrstuvwxyz')],
  ['15+ bytes, cut inside an emoji', Buffer.from('aaaaaaaaaaaaa😀')],
];

const label = (name: Buffer): string => name.subarray(0, 15).toString('utf8');

/** The kernel's rate limit of OOM reports: DEFAULT_RATELIMIT_INTERVAL, 5 s, and a little more. */
const RATELIMIT_MS = 5500;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const KLOG_READ_ALL = `
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
size = libc.klogctl(10, None, 0)
buf = ctypes.create_string_buffer(size)
n = libc.klogctl(3, buf, size)
if n < 0:
    sys.exit('klogctl: errno %d' % ctypes.get_errno())
sys.stdout.buffer.write(buf.raw[:n])
`;

/** The kernel's syslog(2) text as rsyslog's imklog with the RSYSLOG_TraditionalFileFormat template writes it. */
function imklogFile(syslogText: Buffer): Buffer {
  const out: Buffer[] = [];
  const prefix = Buffer.from('Nov 30 15:46:13 vm kernel: ');
  let start = 0;
  while (start < syslogText.length) {
    let end = syslogText.indexOf(0x0a, start);
    if (end === -1) end = syslogText.length;
    const line = syslogText.subarray(start, end);
    start = end + 1;
    const m = /^<(\d+)>/.exec(line.subarray(0, 6).toString('latin1'));
    // kern.* only, as the rsyslog configurations that write kern.log select.
    if (!m || Number(m[1]) >> 3 !== 0) continue;
    const msg = line.subarray(m[0].length);
    const escaped: number[] = [];
    // $EscapeControlCharactersOnReceive (on by default): a control character becomes "#" and three octal digits.
    for (const b of msg) {
      if (b < 0x20 || b === 0x7f) escaped.push(...Buffer.from('#' + b.toString(8).padStart(3, '0')));
      else escaped.push(b);
    }
    out.push(prefix, Buffer.from(escaped), Buffer.from('\n'));
  }
  return Buffer.concat(out);
}

interface Labels {
  comm: string | null;
  memcg: string | null;
  constraint: string;
  invoker: string | null;
}

const labelsOf = (k: OomKill | undefined): Labels | undefined => k && { comm: k.comm, memcg: k.memcg, constraint: constraintLabel(k), invoker: k.invoker };

describe.runIf(requireRoot())('hostile names: the same labels from /dev/kmsg, journald and syslog files (real kills)', () => {
  let dir = '';
  let rsyslog: ChildProcess | undefined;
  let stopJournald: () => Promise<void> = async () => {};
  const cgroups: MemoryCgroup[] = [];
  const victims: { what: string; name: Buffer; pid: number; cgroup: string }[] = [];

  beforeAll(async () => {
    if (spawnSync('rsyslogd', ['-v']).status !== 0) throw new Error('rsyslogd is required (apt-get install rsyslog; .ci/run installs it)');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oom-hostile-'));
    stopJournald = await ensureJournald();
    fs.writeFileSync(path.join(dir, 'kern.log'), '');
    fs.writeFileSync(
      path.join(dir, 'rsyslog.conf'),
      `global(workDirectory="${dir}")\nmodule(load="imkmsg")\nkern.* action(type="omfile" file="${dir}/kern.log" template="RSYSLOG_TraditionalFileFormat")\n`,
    );
    rsyslog = spawn('rsyslogd', ['-n', '-f', path.join(dir, 'rsyslog.conf'), '-i', path.join(dir, 'rsyslog.pid')], { stdio: 'ignore' });
    for (const [what, name] of NAMES) {
      // The kernel prints the reports of 10 kills in 5 s at most: each victim's own report is needed here.
      const v = await realOomKillWithReport(name, 'oomhostile');
      cgroups.push(v.cgroup);
      victims.push({ what, name, pid: v.pid, cgroup: v.cgroup.path });
    }
  }, 300_000);

  afterAll(async () => {
    // Ten kills in a row used up the kernel's burst of reports: leave the next test file a whole window.
    await sleep(RATELIMIT_MS);
    if (rsyslog && rsyslog.exitCode === null) {
      const gone = new Promise((r) => rsyslog?.once('exit', r));
      rsyslog.kill('SIGTERM');
      await gone;
    }
    await stopJournald();
    for (const cg of cgroups) await cg.remove();
    if (dir !== '') fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The kills of our victims, by pid, read through `read`; waits until each victim's kill is there. */
  async function ours(read: () => Promise<OomKill[]>): Promise<Map<number, OomKill>> {
    const found = new Map<number, OomKill>();
    await vi.waitFor(
      async () => {
        const kills = await read();
        for (const v of victims) {
          // PIDs wrap around (pid_max 32768, and other tests kill processes too): the victim is the one in
          // its own cgroup. One kill each: a name split over lines must not count twice, nor be lost.
          const mine = kills.filter((k) => k.pid === v.pid && k.killer === 'kernel' && k.oomMemcg === v.cgroup);
          expect(mine, `${v.what}: pid ${v.pid}`).toHaveLength(1);
          found.set(v.pid, mine[0]!);
        }
      },
      { timeout: 30_000, interval: 500 },
    );
    return found;
  }

  it('gives each hostile name the same comm, cgroup, constraint and invoker through every source', async () => {
    const kmsg = await ours(() => killsIn(kmsgBacklog()));
    const journald = await ours(() => killsIn(journaldBacklog({ command: ['journalctl', '--since', '-30min'] })));
    const imkmsg = await ours(() => killsIn(fileBacklog(path.join(dir, 'kern.log'))));
    const imklog = await ours(async () => {
      const text = spawnSync('python3', ['-c', KLOG_READ_ALL], { maxBuffer: 64 << 20 });
      if (text.status !== 0) throw new Error(`klogctl: ${String(text.stderr)}`);
      const file = path.join(dir, 'imklog.log');
      fs.writeFileSync(file, imklogFile(text.stdout));
      return killsIn(fileBacklog(file));
    });

    for (const v of victims) {
      const expected: Labels = { comm: label(v.name), memcg: v.cgroup, constraint: 'memcg', invoker: label(v.name) };
      expect(labelsOf(kmsg.get(v.pid)), `${v.what} via /dev/kmsg`).toEqual(expected);
      expect(labelsOf(journald.get(v.pid)), `${v.what} via journald`).toEqual(expected);
      expect(labelsOf(imkmsg.get(v.pid)), `${v.what} via rsyslog imkmsg`).toEqual(expected);
      expect(labelsOf(imklog.get(v.pid)), `${v.what} via rsyslog imklog`).toEqual(expected);
    }
    // The names the kernel had to cut or could not decode, as they are rendered.
    expect(victims.map((v) => label(v.name))).toEqual(
      expect.arrayContaining(['abcdefghijklmno', 'aaaaaaaaaaaaa\ufffd', 'inv\ufffd\ufffdX', 'back\\sl\\x41', 'nl\nname']),
    );
  });
});
