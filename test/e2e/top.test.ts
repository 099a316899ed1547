import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedLines } from '../../src/top/screen.js';
import { builtCli, REPO, runCli } from '../helpers/cli.js';
import { makeMemoryCgroup, makeMemoryCgroupAt, type MemoryCgroup } from '../helpers/oom.js';
import { requireRoot } from '../helpers/root.js';

const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const MiB = 1024 * 1024;

// Joins the cgroup, takes a unique name (prctl PR_SET_NAME), asks to be the OOM killer's first choice,
// touches 40 MiB, says so, and waits.
const VICTIM = `
import ctypes, os, sys, time
with open(sys.argv[1] + '/cgroup.procs', 'w') as f:
    f.write(str(os.getpid()))
ctypes.CDLL(None).prctl(15, sys.argv[2].encode(), 0, 0, 0)
with open('/proc/self/oom_score_adj', 'w') as f:
    f.write('1000')
x = b'\\x01' * (40 << 20)
print('ready', flush=True)
time.sleep(600)
`;

/** "812K", "95.3M", "1.5G" back to bytes (to within the display's rounding). */
function bytesOf(cell: string): number {
  const m = /^(\d+(?:\.\d+)?)([KMGT])$/.exec(cell);
  if (!m) throw new Error(`not a size: "${cell}"`);
  return Number(m[1]) * 1024 ** ('KMGT'.indexOf(m[2] ?? 'K') + 1);
}

const statusKb = (pid: number, key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) * 1024;

describe.runIf(requireRoot())('oom-exporter top on the real /proc', () => {
  let cgroup: MemoryCgroup;
  let victim: ChildProcess;
  const name = `topv${process.pid % 100000}`;

  beforeAll(async () => {
    cgroup = makeMemoryCgroup('toptest', 256 * MiB);
    victim = spawn(PYTHON, ['-c', VICTIM, cgroup.dir, name], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((resolve) => victim.stdout?.once('data', resolve));
  });
  afterAll(async () => {
    if (victim.exitCode === null) {
      victim.kill('SIGKILL');
      await new Promise((resolve) => victim.once('exit', resolve));
    }
    await cgroup.remove();
  });

  it('--once lists its victim with the PID, name, adj and score /proc gives, sorted by score, with its cgroup headroom', async () => {
    const pid = victim.pid ?? -1;
    const rssBefore = statusKb(pid, 'VmRSS');
    const { code, stdout, stderr } = await runCli(['top', '--once', '-n', '2000']);
    const score = Number(fs.readFileSync(`/proc/${pid}/oom_score`, 'utf8'));
    const usage = Number(fs.readFileSync(`${cgroup.dir}/memory.usage_in_bytes`, 'utf8'));
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    const head = lines.indexOf(lines.find((l) => /^\s*PID\s+SCORE\s+ADJ\s+RSS\s+SWAP\s+COMM\s+CGROUP\s+HEADROOM$/.test(l)) ?? '');
    expect(head).toBeGreaterThan(0);
    const rows: string[][] = [];
    for (let i = head + 1; lines[i] !== ''; i++) rows.push((lines[i] ?? '').trim().split(/\s+/));
    // Sorted by oom_score, highest first.
    const scores = rows.map((r) => Number(r[1]));
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    const mine = rows.find((r) => r[0] === String(pid));
    expect(mine).toBeDefined();
    const [, rowScore, adj, rss, , comm, cg, headroom] = mine ?? [];
    expect(comm).toBe(name);
    expect(adj).toBe('1000');
    expect(cg).toBe(cgroup.path);
    // The score moves with RSS, which a running interpreter changes by a little.
    expect(Math.abs(Number(rowScore) - score)).toBeLessThanOrEqual(5);
    expect(Math.abs(bytesOf(rss ?? '') - rssBefore)).toBeLessThanOrEqual(0.1 * rssBefore);
    expect(Math.abs(bytesOf(headroom ?? '') - (256 * MiB - usage))).toBeLessThanOrEqual(4 * MiB);
  });

  it('--cgroup shows only that cgroup: its victim first', async () => {
    const { code, stdout } = await runCli(['top', '--once', '--cgroup', cgroup.path]);
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines[2]).toBe('NEXT VICTIMS (1 processes, by oom_score)');
    expect(lines[4]?.trim().split(/\s+/).slice(0, 3)).toEqual([String(victim.pid), expect.stringMatching(/^\d+$/), '1000']);
    expect(lines[5]).toBe('');
  });

  it('--cgroup naming no cgroup says so and how paths are written', async () => {
    const { code, stdout } = await runCli(['top', '--once', '--cgroup', `/sys/fs/cgroup/memory${cgroup.path}`]);
    expect(code).toBe(0);
    expect(stdout).toContain(`no process in cgroup /sys/fs/cgroup/memory${cgroup.path} or below it; paths are as /proc/PID/cgroup prints them`);
  });

  it('refuses to refresh into a pipe, and names a bad option', async () => {
    const plain = await runCli(['top']);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toBe('oom-exporter: top: the output is not a terminal; use top --once for one screen\n');
    const bad = await runCli(['top', '--interval', 'x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--interval must be a number of seconds above 0 (got "x")');
  });
});

describe.runIf(requireRoot())('oom-exporter top: a limit set on a parent cgroup', () => {
  it("counts in the HEADROOM of a process in an unlimited child (a pod's limit over its containers)", async () => {
    const parentPath = `/toppar-${process.pid}-${Date.now() % 100000}`;
    const child = makeMemoryCgroupAt(`${parentPath}/child`, 2 ** 62);
    let sleeper: ChildProcess | undefined;
    try {
      fs.writeFileSync(`/sys/fs/cgroup/memory${parentPath}/memory.limit_in_bytes`, String(512 * MiB));
      sleeper = spawn(PYTHON, ['-c', VICTIM.replace("b'\\x01' * (40 << 20)", "b''"), child.dir, `topc${process.pid % 100000}`], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise((resolve) => sleeper!.stdout?.once('data', resolve));
      const { code, stdout } = await runCli(['top', '--once', '--cgroup', child.path]);
      expect(code).toBe(0);
      const row = stdout.split('\n').find((l) => l.trim().startsWith(`${sleeper!.pid} `));
      const headroom = row?.trim().split(/\s+/).at(-1) ?? '';
      const usage = Number(fs.readFileSync(`/sys/fs/cgroup/memory${parentPath}/memory.usage_in_bytes`, 'utf8'));
      expect(Math.abs(bytesOf(headroom) - (512 * MiB - usage))).toBeLessThanOrEqual(4 * MiB);
    } finally {
      sleeper?.kill('SIGKILL');
      if (sleeper !== undefined && sleeper.exitCode === null) await new Promise((r) => sleeper!.once('exit', r));
      await child.remove();
    }
  });
});

describe('oom-exporter top: what it refuses', () => {
  it('a --path.procfs that is no procfs, a missing --path.cgroupfs: exit 2 naming it, no stack trace', async () => {
    const bad = await runCli(['top', '--once', '--path.procfs', '/nonexistent-proc']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('oom-exporter: top: --path.procfs /nonexistent-proc is not a procfs: /nonexistent-proc/meminfo does not exist\n');
    const tmp = await runCli(['top', '--once', '--path.procfs', '/tmp']);
    expect(tmp.code).toBe(2);
    const cg = await runCli(['top', '--once', '--path.cgroupfs', '/nonexistent-cgroupfs']);
    expect(cg.code).toBe(2);
    expect(cg.stderr).toBe('oom-exporter: top: --path.cgroupfs /nonexistent-cgroupfs does not exist\n');
  });

  it('a full output (/dev/full) is an error named in one line, exit 1; a reader that leaves is not', () => {
    const full = spawnSync('sh', ['-c', `node ${builtCli()} top --once > /dev/full`], { encoding: 'utf8' });
    expect(full.status).toBe(1);
    expect(full.stderr).toMatch(/^oom-exporter: top: writing the output: .*ENOSPC.*\n$/);
    const head = spawnSync('sh', ['-c', `node ${builtCli()} top --once -n 5000 | head -1; exit \${PIPESTATUS:-0}`], { encoding: 'utf8' });
    expect(head.stderr).toBe('');
  });
});

describe('oom-exporter top --path.procfs', () => {
  it('reads the processes of the procfs it is given (a host /proc mounted elsewhere; here a fixture)', async () => {
    const { code, stdout, stderr } = await runCli(['top', '--once', `--path.procfs=${REPO}/test/fixtures/proc`]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const rows = stdout.split('\n').map((l) => l.trim().split(/\s+/));
    // The fixture's PID 100 is python3 in app.service; this test's own process is not in that procfs.
    expect(rows.find((r) => r[0] === '100')?.slice(0, 6)).toEqual(['100', '667', '500', '100.0M', '2.0M', 'python3']);
    expect(rows.some((r) => r[0] === String(process.pid))).toBe(false);
  });
});

// Runs `top` in a real pseudo-terminal (python's pty): 40x160, resized to 16 rows after two screens
// (the kernel sends SIGWINCH), two more screens, then "q". Prints the exit code, whether the terminal
// is back in cooked mode with echo, then everything the terminal received.
const PTY_DRIVER = `
import fcntl, os, select, struct, sys, termios, time
node, cli = sys.argv[1], sys.argv[2]
pid, fd = pty_fork = __import__('pty').fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', 40, 160, 0, 0))
    os.execv(node, [node, cli, 'top', '--interval', '0.2'])
buf = b''
def read_until(n, limit=30):
    global buf
    end = time.time() + limit
    while buf.count(b'NEXT VICTIMS') < n and time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.5)
        if r:
            buf += os.read(fd, 65536)
read_until(2)
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 16, 160, 0, 0))
read_until(buf.count(b'NEXT VICTIMS') + 3)
attrs = termios.tcgetattr(fd)
raw_before = not (attrs[3] & termios.ICANON)
os.write(fd, b'q')
while True:
    r, _, _ = select.select([fd], [], [], 10)
    if not r:
        break
    try:
        d = os.read(fd, 65536)
    except OSError:
        break
    if not d:
        break
    buf += d
try:
    attrs = termios.tcgetattr(fd)
    cooked = bool(attrs[3] & termios.ICANON) and bool(attrs[3] & termios.ECHO)
except termios.error:
    cooked = None
_, status = os.waitpid(pid, 0)
sys.stdout.write('%d %s %s\\n' % (os.waitstatus_to_exitcode(status), raw_before, cooked))
sys.stdout.flush()
sys.stdout.buffer.write(buf)
`;

describe('oom-exporter top in a real pseudo-terminal', () => {
  it('redraws, follows a resize, and quits on q with exit code 0 and the terminal restored', () => {
    const res = spawnSync(PYTHON, ['-c', PTY_DRIVER, process.execPath, builtCli()], { cwd: REPO, encoding: 'latin1', timeout: 90_000 });
    expect(res.stderr).toBe('');
    const nl = res.stdout.indexOf('\n');
    const [code, rawWhileRunning, cooked] = res.stdout.slice(0, nl).split(' ');
    const screen = res.stdout.slice(nl + 1);
    expect(code).toBe('0');
    expect(rawWhileRunning).toBe('True');
    expect(cooked).toBe('True');
    // The cursor is hidden first and shown again last; each redraw homes the cursor and overwrites.
    expect(screen.startsWith('\x1b[?25l\x1b[2J')).toBe(true);
    expect(screen.endsWith('\x1b[?25h\r\n')).toBe(true);
    const frames = screen.split('\x1b[H').slice(1);
    expect(frames.length).toBeGreaterThanOrEqual(4);
    for (const f of frames) expect(f).toContain('NEXT VICTIMS');
    // Before the resize a screen fills at most 40 rows; the last one fills the 16 rows it has now
    // (no newline after the last line, so the screen never scrolls).
    const RESTORE = '\x1b[?25h\r\n';
    const body = (f: string): string => (f.endsWith(RESTORE) ? f.slice(0, -RESTORE.length) : f);
    const rowsOf = (f: string): number => body(f).split('\r\n').length;
    expect(rowsOf(frames[0] ?? '')).toBeLessThanOrEqual(40);
    const last = frames.at(-1) ?? '';
    expect(rowsOf(last)).toBe(16);
    // Its victim rows are what the 16 rows leave beside the fixed lines and the kill rows.
    const lines = body(last).split('\r\n');
    const timeHead = lines.findIndex((l) => l.startsWith('TIME'));
    const killRows = timeHead < 0 ? 0 : lines.length - timeHead - 1;
    const pidHead = lines.findIndex((l) => /^\s*PID\s+SCORE/.test(l));
    const victimRows = lines.indexOf('\x1b[K', pidHead) - pidHead - 1;
    expect(victimRows).toBe(16 - fixedLines(killRows));
  });
});
