import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { journalLines, killsFromKmsg, runKills } from '../../src/kills/command.js';
import { errno, fakeKmsg, kmsgRecord } from '../kernellog/fake-kmsg.js';

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

async function collect(lines: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const l of lines) out.push(l);
  return out;
}

describe('kills: journalctl', () => {
  it('reads a journalctl that writes a lot to stderr without blocking it', async () => {
    // 2 MB of warnings, far beyond a pipe's 64 KiB, written with blocking write(2) as journalctl does:
    // unless its stderr is read, it never gets to its entries.
    const cmd = ['/bin/sh', '-c', `yes 'Journal file corrupted, ignoring file.' | head -c 2000000 >&2; printf '%s\\n' '{"MESSAGE":"one"}' '{"MESSAGE":"two"}'`, 'journalctl'];
    expect(await collect(journalLines(cmd))).toEqual(['{"MESSAGE":"one"}', '{"MESSAGE":"two"}']);
  });

  it('hands lines over as journalctl prints them, and stops journalctl when the reader stops', async () => {
    const pidFile = path.join(dir, 'pid');
    const cmd = fakeJournalctl(`
      require('node:fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid));
      process.stdout.write('{"MESSAGE":"first"}\\n');
      setInterval(() => {}, 1000);
    `);
    const it = journalLines(cmd);
    // This journalctl never exits: the first line can only come while it runs.
    expect((await it.next()).value).toBe('{"MESSAGE":"first"}');
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    await it.return(undefined);
    // The child was signalled; wait until it is gone (kill(pid, 0) throws ESRCH then).
    await new Promise<void>((resolve) => {
      const poll = () => {
        try {
          process.kill(pid, 0);
          setTimeout(poll, 20);
        } catch {
          resolve();
        }
      };
      poll();
    });
  });

  it('a journalctl that cannot be run is an error naming why, not a crash', async () => {
    await expect(collect(journalLines([path.join(dir, 'no-such-journalctl')]))).rejects.toThrow(/ENOENT/);
  });

  it('a failing journalctl is an error with the last line it wrote to stderr', async () => {
    const cmd = fakeJournalctl(`process.stderr.write('first\\nNo journal files were found.\\n'); process.exitCode = 1;`);
    await expect(collect(journalLines(cmd))).rejects.toThrow(/exited with 1: No journal files were found\.$/);
  });

  it("passes the follower's matches, without -f", async () => {
    const cmd = fakeJournalctl(`process.stdout.write(JSON.stringify(process.argv.slice(2)) + '\\n');`);
    const [args] = await collect(journalLines(cmd));
    const a = JSON.parse(args!) as string[];
    expect(a.slice(0, 4)).toEqual(['-o', 'json', '-q', '--no-pager']);
    expect(a).toContain('_TRANSPORT=kernel');
    expect(a).not.toContain('-f');
  });
});

describe('kills: /dev/kmsg backlog', () => {
  it('reads a record bigger than the first buffer (EINVAL), and the kills after it', async () => {
    const f = fakeKmsg();
    f.push(kmsgRecord(1, 'x'.repeat(40 * 1024)), kmsgRecord(2, NIX_KILLED), errno('EPIPE'), kmsgRecord(4, NIX_KILLED.replace('1055041', '7')));
    const kills = await killsFromKmsg({ path: '/dev/null', read: f.read });
    expect(kills.map((k) => [k.pid, k.comm, k.uptimeSeconds])).toEqual([
      [1055041, 'nix-env', 5.002],
      [7, 'nix-env', 5.004],
    ]);
    expect(f.pending()).toBe(0);
  });

  it('never lists a kill line a process wrote into /dev/kmsg', async () => {
    const f = fakeKmsg();
    f.push(kmsgRecord(1, NIX_KILLED, 1, 3));
    expect(await killsFromKmsg({ path: '/dev/null', read: f.read })).toEqual([]);
  });

  it('an unreadable /dev/kmsg is an error naming it', async () => {
    await expect(killsFromKmsg({ path: path.join(dir, 'no-kmsg') })).rejects.toThrow(/no-kmsg.*ENOENT|ENOENT.*no-kmsg/);
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
    let out = '';
    expect(await runKills(['--file', file, '--json'], (s) => (out += s), () => {})).toBe(0);
    expect(out.trim().split('\n').map((l) => (JSON.parse(l) as { pid: number }).pid)).toEqual([1055041]);
  });
});
