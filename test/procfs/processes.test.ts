import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { RECHECK_EVERY, createProcessScanner } from '../../src/procfs/processes.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/proc', import.meta.url));

describe('createProcessScanner on the fixture tree', async () => {
  it('reads user processes, skips kernel threads, zombies and vanished PIDs', async () => {
    const { visible, processes } = await createProcessScanner({ procfs: FIXTURE, wantCmdline: false }).scan();
    const pids = processes.map((p) => p.pid).sort((a, b) => a - b);
    expect(pids).toEqual([1, 100, 101, 102, 104, 106, 107, 108]);
    expect(visible).toBe(8);
  });

  it('gives every value in bytes, with negative adj and the right cgroup per layout', async () => {
    const byPid = new Map((await createProcessScanner({ procfs: FIXTURE, wantCmdline: false }).scan()).processes.map((p) => [p.pid, p]));
    expect(byPid.get(100)).toEqual({
      pid: 100,
      comm: 'python3',
      cgroup: '/system.slice/app.service',
      cmdline: undefined,
      rssBytes: 102400 * 1024,
      swapBytes: 2048 * 1024,
      oomScore: 667,
      oomScoreAdj: 500,
    });
    expect(byPid.get(102)?.oomScoreAdj).toBe(-900);
    expect(byPid.get(102)?.cgroup).toBe('/system.slice/ssh.service');
    expect(byPid.get(1)?.cgroup).toBe('/init.scope');
    expect(byPid.get(106)?.cgroup).toBe('');
    expect(byPid.get(101)?.comm).toBe('a\\b\nc"d');
  });

  it('drops only the value of a file it cannot read', async () => {
    const p = (await createProcessScanner({ procfs: FIXTURE, wantCmdline: false }).scan()).processes.find((x) => x.pid === 104);
    expect(p?.oomScore).toBeUndefined();
    expect(p?.oomScoreAdj).toBe(0);
    expect(p?.rssBytes).toBe(2048 * 1024);
  });

  it('reads the command line only when asked', async () => {
    const p = (await createProcessScanner({ procfs: FIXTURE, wantCmdline: true }).scan()).processes.find((x) => x.pid === 100);
    expect(p?.cmdline).toBe('python3 --flag');
  });
});

describe('PID reuse', async () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('never carries the previous process cgroup over to a new process with the same PID', async () => {
    dir = mkdtempSync(join(tmpdir(), 'oom-proc-'));
    cpSync(FIXTURE, dir, { recursive: true });
    const scanner = createProcessScanner({ procfs: dir, wantCmdline: false });
    expect((await scanner.scan()).processes.find((p) => p.pid === 100)?.cgroup).toBe('/system.slice/app.service');

    // A new process takes PID 100: new files (new inodes), another name, another cgroup.
    const pdir = join(dir, '100');
    const fresh = join(dir, '100.new');
    cpSync(pdir, fresh, { recursive: true });
    writeFileSync(join(fresh, 'cgroup'), '0::/system.slice/other.service\n');
    writeFileSync(join(fresh, 'status'), 'Name:\tnode\nState:\tS (sleeping)\nPPid:\t1\nVmSize:\t 100 kB\nVmRSS:\t 10 kB\nVmSwap:\t 0 kB\n');
    rmSync(pdir, { recursive: true });
    renameSync(fresh, pdir);

    const p = (await scanner.scan()).processes.find((x) => x.pid === 100);
    expect(p?.comm).toBe('node');
    expect(p?.cgroup).toBe('/system.slice/other.service');
  });

  it('re-reads the cgroup of a known process within RECHECK_EVERY scans, not at every scan', async () => {
    dir = mkdtempSync(join(tmpdir(), 'oom-proc-'));
    cpSync(FIXTURE, dir, { recursive: true });
    const scanner = createProcessScanner({ procfs: dir, wantCmdline: false });
    await scanner.scan();
    // The same process (same status inode) moved to another cgroup.
    writeFileSync(join(dir, '100', 'cgroup'), '0::/moved\n');
    const seen: string[] = [];
    for (let i = 0; i < RECHECK_EVERY; i++) seen.push((await scanner.scan()).processes.find((p) => p.pid === 100)?.cgroup ?? '');
    expect(seen[0]).toBe('/system.slice/app.service');
    expect(seen.at(-1)).toBe('/moved');
    expect(seen.filter((c) => c === '/moved').length).toBeLessThan(RECHECK_EVERY);
  });

  it('re-reads the cgroup and command line at once after an exec (the name changes)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'oom-proc-'));
    cpSync(FIXTURE, dir, { recursive: true });
    const scanner = createProcessScanner({ procfs: dir, wantCmdline: true });
    await scanner.scan();
    const status = readFileSync(join(dir, '100', 'status'), 'utf8');
    writeFileSync(join(dir, '100', 'status'), status.replace('Name:\tpython3', 'Name:\tgunicorn'));
    writeFileSync(join(dir, '100', 'cgroup'), '0::/exec.scope\n');
    writeFileSync(join(dir, '100', 'cmdline'), 'gunicorn\0app:main\0');
    const p = (await scanner.scan()).processes.find((x) => x.pid === 100);
    expect(p).toMatchObject({ comm: 'gunicorn', cgroup: '/exec.scope', cmdline: 'gunicorn app:main' });
  });
});

describe('createProcessScanner on the real /proc', async () => {
  it('sees this process with its real comm and oom_score_adj', async () => {
    const { processes } = await createProcessScanner({ procfs: '/proc', wantCmdline: false }).scan();
    const me = processes.find((p) => p.pid === process.pid);
    expect(me).toBeDefined();
    expect(me?.rssBytes).toBeGreaterThan(0);
    expect(me?.oomScoreAdj).toBeTypeOf('number');
    // No kernel thread (kthreadd is PID 2 wherever the kernel has one) is exported.
    expect(processes.find((p) => p.pid === 2)).toBeUndefined();
  });
});
