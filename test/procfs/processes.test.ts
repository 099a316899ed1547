import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseMemoryCgroup } from '../../src/procfs/cgroup.js';
import { createKnownProcesses } from '../../src/procfs/known.js';
import {
  LIST_EVERY,
  RECHECK_EVERY,
  YOUNG_PASSES,
  createProcessScanner,
  refreshEvery,
  type Pause,
  type ProcessScanner,
  type RefreshResult,
} from '../../src/procfs/processes.js';
import { FileReader, type ReadMode } from '../../src/procfs/read.js';
import { makeMemoryCgroup, PYTHON as PYTHON3 } from '../helpers/oom.js';
import { requireRoot } from '../helpers/root.js';

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

/** A reader that records the files it opens: what a pass costs, seen from below. */
class RecordingReader extends FileReader {
  readonly opened: string[] = [];
  override read(path: string, mode?: ReadMode): number {
    this.opened.push(path);
    return super.read(path, mode);
  }
  /** The files of processes opened since the last call, relative to root. */
  take(root: string): string[] {
    return this.opened
      .splice(0)
      .map((p) => p.slice(root.length + 1))
      .filter((p) => p !== 'loadavg');
  }
}

/** A copy of the fixture tree, with PID `pid` added as a copy of PID 100 named `comm` in `cgroup`. */
function addProcess(root: string, pid: number, comm: string, cgroup: string): void {
  const dir = join(root, String(pid));
  cpSync(join(root, '100'), dir, { recursive: true });
  setProcess(root, pid, comm, cgroup);
}

/** Renames and moves PID `pid` in place (the same process: same files, same inodes). */
function setProcess(root: string, pid: number, comm: string, cgroup: string): void {
  const dir = join(root, String(pid));
  const status = readFileSync(join(dir, 'status'), 'utf8');
  writeFileSync(
    join(dir, 'status'),
    status
      .replace(/^Name:\t.*$/m, `Name:\t${comm}`)
      .replace(/^Tgid:\t.*$/m, `Tgid:\t${pid}`)
      .replace(/^Pid:\t.*$/m, `Pid:\t${pid}`),
  );
  writeFileSync(join(dir, 'cgroup'), `4:memory:${cgroup}\n0::/\n`);
}

describe('the table of known processes, kept fresh between scrapes', async () => {
  let dir: string;
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  function tree(): string {
    dir = mkdtempSync(join(tmpdir(), 'oom-proc-'));
    cpSync(FIXTURE, dir, { recursive: true });
    return dir;
  }

  it("a refresh reads only new PIDs' status and cgroup; a scan after it does not read those cgroups again", async () => {
    const root = tree();
    const reader = new RecordingReader();
    const scanner = createProcessScanner({ procfs: root, wantCmdline: false, reader });
    expect(await scanner.refresh()).toEqual({ mode: 'list', pids: 12, read: 12 });
    // Each user process: its status and cgroup, nothing else; kernel threads (2, 3): status, once.
    const first = reader.take(root);
    expect(first.filter((f) => f.endsWith('/cgroup')).sort()).toEqual(['1', '100', '101', '102', '104', '106', '107', '108'].map((p) => `${p}/cgroup`).sort());
    expect(first.filter((f) => !f.endsWith('/cgroup') && !f.endsWith('/status'))).toEqual([]);
    expect(scanner.lastKnown(100, 'python3')?.sample).toMatchObject({ cgroup: '/system.slice/app.service', rssBytes: 102400 * 1024, oomScore: undefined });

    // Nothing new: a listing, and no file but of PID 103, which has none (a process that exited between
    // the listing and the read: the next listing would not list it, so it is not remembered).
    expect(await scanner.refresh()).toEqual({ mode: 'list', pids: 12, read: 1 });
    expect(reader.take(root)).toEqual(['103/status']);

    // The scan reads every process's status and scores, and no cgroup the refresh has read already
    // (but for its one-in-RECHECK_EVERY turn, which no fixture PID has in the first scan).
    await scanner.scan();
    expect(reader.take(root).filter((f) => f.endsWith('/cgroup'))).toEqual([]);
    expect(scanner.lastKnown(100, 'python3')?.sample.oomScore).toBe(667);
  });

  it('re-reads a young process (name, cgroup) for YOUNG_PASSES passes: its exec and its move into its cgroup', async () => {
    const root = tree();
    const reader = new RecordingReader();
    const scanner = createProcessScanner({ procfs: root, wantCmdline: false, reader });
    await scanner.refresh();
    // Seen right after its fork: the parent's name and cgroup.
    addProcess(root, 500, 'bash', '/user.slice');
    reader.take(root);
    const fixture103 = '103/status';
    expect(await scanner.refresh()).toEqual({ mode: 'list', pids: 13, read: 2 });
    expect(reader.take(root).sort()).toEqual([fixture103, '500/cgroup', '500/status']);
    expect(scanner.lastKnown(500, 'bash')?.sample.cgroup).toBe('/user.slice');
    // Then it moves into its container's cgroup and execs.
    setProcess(root, 500, 'worker', '/docker/abc');
    for (let i = 0; i < YOUNG_PASSES; i++) {
      expect(await scanner.refresh()).toEqual({ mode: 'list', pids: 13, read: 2 });
      expect(reader.take(root).sort()).toEqual([fixture103, '500/cgroup', '500/status']);
    }
    expect(scanner.lastKnown(500, 'worker')?.sample.cgroup).toBe('/docker/abc');
    expect(scanner.lastKnown(500, 'bash')).toBeUndefined();
    // Grown up: left to the scans.
    expect(await scanner.refresh()).toEqual({ mode: 'list', pids: 13, read: 1 });
    expect(reader.take(root)).toEqual([fixture103]);
  });

  it('never changes a sample a scan handed out: a re-read young process gets a new object', async () => {
    const root = tree();
    const scanner = createProcessScanner({ procfs: root, wantCmdline: false });
    await scanner.scan();
    addProcess(root, 500, 'bash', '/user.slice');
    const handedOut = (await scanner.scan()).processes.find((p) => p.pid === 500);
    setProcess(root, 500, 'worker', '/docker/abc');
    await scanner.refresh();
    expect(handedOut).toMatchObject({ comm: 'bash', cgroup: '/user.slice' });
    expect(scanner.lastKnown(500, 'worker')?.sample).toMatchObject({ comm: 'worker', cgroup: '/docker/abc' });
  });

  it('finds a vanished process by pid and name for a while, with what was last read of it', async () => {
    const root = tree();
    let clock = 1_000_000;
    const scanner = createProcessScanner({ procfs: root, wantCmdline: false, known: createKnownProcesses({ tombstoneMs: 60_000 }), nowMs: () => clock });
    addProcess(root, 500, 'victim', '/docker/abc');
    await scanner.scan();
    clock += 500;
    rmSync(join(root, '500'), { recursive: true });
    await scanner.refresh();
    expect(scanner.known.tombstoneCount).toBe(1);
    clock += 59_000;
    const p = scanner.lastKnown(500, 'victim');
    expect(p?.sample).toMatchObject({
      pid: 500,
      comm: 'victim',
      cgroup: '/docker/abc',
      rssBytes: 102400 * 1024,
      swapBytes: 2048 * 1024,
      oomScore: 667,
      oomScoreAdj: 500,
    });
    expect(p?.seenMs).toBe(1_000_000);
    // Another name under that pid is another process; too late is too late.
    expect(scanner.lastKnown(500, 'victim2')).toBeUndefined();
    clock += 1_001;
    expect(scanner.lastKnown(500, 'victim')).toBeUndefined();
  });

  it('reads /proc/PID itself for a process no pass listed, when its name matches', async () => {
    const root = tree();
    const scanner = createProcessScanner({ procfs: root, wantCmdline: false });
    await scanner.refresh();
    addProcess(root, 500, 'young', '/docker/abc');
    expect(scanner.lastKnown(500, 'young')?.sample).toMatchObject({ cgroup: '/docker/abc', rssBytes: 102400 * 1024 });
    expect(scanner.lastKnown(500, 'other')).toBeUndefined();
    expect(scanner.lastKnown(501, 'young')).toBeUndefined();
    // Looked up, not added: only passes change the table.
    expect(scanner.known.get(500)).toBeUndefined();
  });

  /** The fixture tree with 100 more processes: more entries than a pass lists between looks at the clock. */
  function bigTree(): string {
    const root = tree();
    for (let pid = 1000; pid < 1100; pid++) addProcess(root, pid, `p${pid}`, '/many');
    return root;
  }

  it('skips a refresh while a scan runs or when a pass started less than gapMs ago', async () => {
    const root = bigTree();
    const scanner = createProcessScanner({ procfs: root, wantCmdline: false });
    const yielding: Pause = { due: () => true, wait: () => new Promise((r) => setImmediate(r)) };
    const scanning = scanner.scan(yielding);
    expect(await scanner.refresh()).toBe('skipped');
    await scanning;
    expect(await scanner.refresh(undefined, 60_000)).toBe('skipped');
    expect(await scanner.refresh()).toEqual({ mode: 'list', pids: 112, read: 1 });
  });

  it('abandons a refresh when a scan starts while it yields, and leaves the table whole', async () => {
    const root = bigTree();
    const scanner = createProcessScanner({ procfs: root, wantCmdline: false });
    await scanner.scan();
    let scan: Promise<unknown> | undefined;
    const startScan: Pause = {
      due: () => scan === undefined,
      wait: () => {
        scan = scanner.scan();
        return Promise.resolve();
      },
    };
    expect(await scanner.refresh(startScan)).toBe('aborted');
    await scan;
    expect(scanner.known.liveCount).toBe(108);
    expect(scanner.known.tombstoneCount).toBe(0);
    expect(await scanner.refresh()).toEqual({ mode: 'list', pids: 112, read: 1 });
  });
});

describe('a refresh that probes the PIDs allocated since the last pass instead of listing /proc', async () => {
  let dir: string;
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  /** The fixture as our own namespace's procfs would be: <procfs>/self is our PID; loadavg says the last PID. */
  function ownTree(): { root: string; lastPid(pid: number): void } {
    dir = mkdtempSync(join(tmpdir(), 'oom-proc-'));
    cpSync(FIXTURE, dir, { recursive: true });
    symlinkSync(String(process.pid), join(dir, 'self'));
    const lastPid = (pid: number): void => writeFileSync(join(dir, 'loadavg'), `0.10 0.20 0.30 2/97 ${pid}\n`);
    lastPid(108);
    return { root: dir, lastPid };
  }

  it('reads only the PIDs allocated since (skipping threads), then once more those not there yet', async () => {
    const { root, lastPid } = ownTree();
    const reader = new RecordingReader();
    const scanner = createProcessScanner({ procfs: root, wantCmdline: false, reader });
    expect(await scanner.refresh()).toEqual({ mode: 'list', pids: 12, read: 12 });
    reader.take(root);

    addProcess(root, 120, 'worker', '/docker/abc');
    // PID 121 is a thread of 120: /proc/121 opens though a listing would not show it.
    mkdirSync(join(root, '121'));
    writeFileSync(join(root, '121', 'status'), 'Name:\tworker\nState:\tS (sleeping)\nTgid:\t120\nPid:\t121\nPPid:\t1\nVmSize:\t 100 kB\n');
    lastPid(122);
    expect(await scanner.refresh()).toEqual({ mode: 'probe', pids: 14, read: 14 });
    const files = reader.take(root);
    expect(files.filter((f) => !f.endsWith('/status'))).toEqual(['120/cgroup']);
    expect(files.filter((f) => f.endsWith('/status'))).toHaveLength(14);
    expect(scanner.lastKnown(120, 'worker')?.sample.cgroup).toBe('/docker/abc');
    expect(scanner.known.get(121)).toBeUndefined();

    // Nothing allocated since: the 12 PIDs that were not there are tried once more (and PID 122 is there
    // now), and young 120 is read again.
    addProcess(root, 122, 'late', '/docker/def');
    expect(await scanner.refresh()).toEqual({ mode: 'probe', pids: 12, read: 13 });
    expect(scanner.lastKnown(122, 'late')?.sample.cgroup).toBe('/docker/def');
    expect(reader.take(root).sort()).toEqual([
      '109/status',
      '110/status',
      '111/status',
      '112/status',
      '113/status',
      '114/status',
      '115/status',
      '116/status',
      '117/status',
      '118/status',
      '119/status',
      '120/cgroup',
      '120/status',
      '122/cgroup',
      '122/status',
    ]);
    // Then only the young ones.
    expect(await scanner.refresh()).toEqual({ mode: 'probe', pids: 0, read: 2 });
  });

  it('lists /proc every LIST_EVERY refreshes, after the PID counter wrapped, and when many PIDs were allocated', async () => {
    const { root, lastPid } = ownTree();
    const scanner = createProcessScanner({ procfs: root, wantCmdline: false });
    expect(await scanner.refresh()).toMatchObject({ mode: 'list' });
    const modes: string[] = [];
    for (let i = 0; i < LIST_EVERY + 1; i++) modes.push(((await scanner.refresh()) as { mode: string }).mode);
    expect(modes.filter((m) => m === 'list')).toHaveLength(1);
    expect(modes.at(-1)).toBe('list');
    // The counter wrapped at pid_max: which PIDs are new cannot be told from it.
    lastPid(50);
    expect(await scanner.refresh()).toMatchObject({ mode: 'list' });
    // More allocated than probing them would save over a listing.
    lastPid(50 + 65);
    expect(await scanner.refresh()).toMatchObject({ mode: 'list' });
    expect(await scanner.refresh()).toMatchObject({ mode: 'probe', pids: 0 });
  });

  it("lists a procfs that is not our own namespace's (its loadavg would speak of ours)", async () => {
    const { root } = ownTree();
    rmSync(join(root, 'self'));
    symlinkSync('1', join(root, 'self'));
    const scanner = createProcessScanner({ procfs: root, wantCmdline: false });
    for (let i = 0; i < 3; i++) expect(await scanner.refresh()).toMatchObject({ mode: 'list' });
  });

  it('a scan counts as a listing: the next refresh probes only what was allocated after it started', async () => {
    const { root, lastPid } = ownTree();
    const scanner = createProcessScanner({ procfs: root, wantCmdline: false });
    await scanner.scan();
    addProcess(root, 109, 'next', '/docker/abc');
    lastPid(109);
    expect(await scanner.refresh()).toEqual({ mode: 'probe', pids: 1, read: 1 });
    expect(scanner.lastKnown(109, 'next')?.sample.cgroup).toBe('/docker/abc');
  });
});

describe('refresh on the real /proc', async () => {
  it('finds a process started after the last pass, and its cgroup', async () => {
    const scanner = createProcessScanner({ procfs: '/proc', wantCmdline: false });
    await scanner.refresh();
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 100));
      await scanner.refresh();
      const own = parseMemoryCgroup(readFileSync(`/proc/${process.pid}/cgroup`, 'utf8'));
      expect(scanner.known.get(child.pid ?? -1)?.sample).toMatchObject({ comm: 'sleep', cgroup: own });
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('refreshEvery', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('refreshes on its interval, one at a time, reports a repeated error once, and stops', async () => {
    vi.useFakeTimers();
    let calls = 0;
    let outcome: 'fail' | 'ok' | 'hang' = 'fail';
    let release = (): void => {};
    const scanner = {
      refresh: (): Promise<RefreshResult> => {
        calls++;
        if (outcome === 'fail') return Promise.reject(new Error('EACCES: /proc'));
        if (outcome === 'hang') return new Promise((resolve) => (release = () => resolve('skipped')));
        return Promise.resolve('skipped');
      },
    } as unknown as ProcessScanner;
    const errors: string[] = [];
    const r = refreshEvery(scanner, { intervalMs: 500, sliceMs: 5, onError: (e) => errors.push(e.message) });
    await vi.advanceTimersByTimeAsync(1600);
    expect(calls).toBe(3);
    expect(errors).toEqual(['EACCES: /proc']);
    // Once it works again, the same error is news again.
    outcome = 'ok';
    await vi.advanceTimersByTimeAsync(500);
    outcome = 'fail';
    await vi.advanceTimersByTimeAsync(500);
    expect(errors).toEqual(['EACCES: /proc', 'EACCES: /proc']);
    // A refresh still running when the next tick comes is not doubled.
    outcome = 'hang';
    await vi.advanceTimersByTimeAsync(2000);
    expect(calls).toBe(6);
    outcome = 'ok';
    release();
    await vi.advanceTimersByTimeAsync(500);
    expect(calls).toBe(7);
    await r.stop();
    await vi.advanceTimersByTimeAsync(2000);
    expect(calls).toBe(7);
  });
});

describe.runIf(requireRoot() && existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes'))('lastKnown on the real /proc', () => {
  it('gives nothing for a zombie it never saw alive, whose /proc/PID/cgroup already shows the root, not its cgroup', async () => {
    const cg = makeMemoryCgroup('oomzombie');
    const name = `zmb${process.pid % 100000}`;
    // The child joins the cgroup, takes the name, exits; the parent does not reap it for a while.
    const script = `
import ctypes, os, sys, time
pid = os.fork()
if pid == 0:
    open(sys.argv[1] + '/cgroup.procs', 'w').write(str(os.getpid()))
    ctypes.CDLL(None).prctl(15, sys.argv[2].encode(), 0, 0, 0)
    os._exit(0)
print(pid, flush=True)
time.sleep(5)
os.waitpid(pid, 0)
`;
    const parent = spawn(PYTHON3, ['-c', script, cg.dir, name], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const pid = Number(await new Promise<string>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(d.toString().trim()))));
      for (let i = 0; i < 50 && !/State:\s+Z/.test(readFileSync(`/proc/${pid}/status`, 'utf8')); i++) await new Promise((r) => setTimeout(r, 20));
      expect(readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(/State:\s+Z/);
      // What the kernel shows for it: the root, not the cgroup it died in (the trap).
      expect(readFileSync(`/proc/${pid}/cgroup`, 'utf8')).toMatch(/^\d+:memory:\/$/m);
      const scanner = createProcessScanner({ procfs: '/proc', wantCmdline: false });
      expect(scanner.lastKnown(pid, name)).toBeUndefined();
    } finally {
      parent.kill('SIGKILL');
      await new Promise((r) => parent.once('exit', r));
      await cg.remove();
    }
  });
});
