import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';

const MEMCG_V1 = '/sys/fs/cgroup/memory';
// The distribution's python, not a version-manager shim: its pid is the victim's from the first exec on.
export const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

// Joins the cgroup first (so the interpreter's own memory is charged there too), renames itself with
// prctl(PR_SET_NAME) (the name in hex: any bytes, also ones that are not UTF-8), waits argv[3] seconds
// (its age when it dies), then fills 400 MiB: the kernel's memcg OOM killer takes it.
const VICTIM = `
import ctypes, os, sys, time
with open(sys.argv[1] + '/cgroup.procs', 'w') as f:
    f.write(str(os.getpid()))
ctypes.CDLL(None).prctl(15, bytes.fromhex(sys.argv[2]), 0, 0, 0)
time.sleep(float(sys.argv[3]))
x = b'\\x01' * (400 << 20)
`;

export interface MemoryCgroup {
  /** The cgroup as the kernel prints it (task_memcg=), relative to the v1 memory hierarchy. */
  path: string;
  dir: string;
  /** Removes the cgroup (after its processes are gone); safe to call twice. */
  remove(): Promise<void>;
}

/** A fresh cgroup v1 memory cgroup with a 64 MiB limit (swap capped too), named after this process. */
export function makeMemoryCgroup(prefix = 'oomtest', limitBytes = 64 << 20): MemoryCgroup {
  const name = `${prefix}-${process.pid}-${randomBytes(4).toString('hex')}`;
  const dir = `${MEMCG_V1}/${name}`;
  fs.mkdirSync(dir);
  fs.writeFileSync(`${dir}/memory.limit_in_bytes`, String(limitBytes));
  // With swap accounting, swap must be capped too, or the victim swaps instead of dying.
  if (fs.existsSync(`${dir}/memory.memsw.limit_in_bytes`)) fs.writeFileSync(`${dir}/memory.memsw.limit_in_bytes`, String(limitBytes));
  let removed = false;
  return {
    path: `/${name}`,
    dir,
    async remove() {
      if (removed) return;
      // The victim is gone, but the kernel may still be uncharging it for a moment.
      for (let i = 0; ; i++) {
        try {
          fs.rmdirSync(dir);
          removed = true;
          return;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
          if (i >= 100) throw e;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    },
  };
}

/**
 * A memory cgroup at a nested path of the v1 hierarchy (`/kubepods/burstable/pod<uid>/<id>`, as kubelet's
 * cgroupfs driver makes them), parents made as needed. remove() takes the leaf and then each parent this
 * call made, where it is empty by then (another test may be using a shared parent: that one stays).
 */
export function makeMemoryCgroupAt(path: string, limitBytes = 64 << 20): MemoryCgroup {
  const segments = path.split('/').filter((s) => s !== '');
  const made: string[] = [];
  let dir = MEMCG_V1;
  for (const seg of segments) {
    dir = `${dir}/${seg}`;
    try {
      fs.mkdirSync(dir);
      made.push(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  if (made.at(-1) !== dir) throw new Error(`the cgroup ${path} exists already: not this test's`);
  fs.writeFileSync(`${dir}/memory.limit_in_bytes`, String(limitBytes));
  if (fs.existsSync(`${dir}/memory.memsw.limit_in_bytes`)) fs.writeFileSync(`${dir}/memory.memsw.limit_in_bytes`, String(limitBytes));
  let removed = false;
  return {
    path: `/${segments.join('/')}`,
    dir,
    async remove() {
      if (removed) return;
      for (const d of [...made].reverse()) {
        for (let i = 0; ; i++) {
          try {
            fs.rmdirSync(d);
            break;
          } catch (e) {
            const code = (e as NodeJS.ErrnoException).code;
            if (code === 'ENOENT') break;
            // A shared parent another test still uses: not ours to wait for.
            if (d !== dir && (code === 'EBUSY' || code === 'ENOTEMPTY')) break;
            if (i >= 100) throw e;
            await new Promise((r) => setTimeout(r, 50));
          }
        }
      }
      removed = true;
    },
  };
}

export interface RealOomKill {
  pid: number;
  /** The name asked for, as given (the kernel keeps its first 15 bytes). */
  comm: string;
  cgroup: MemoryCgroup;
}

/**
 * Makes the kernel OOM-kill a process named `comm` (a string, or any bytes) in `cgroup` (a fresh 64 MiB
 * one by default), after it has lived `ageSeconds` in that cgroup under that name. Resolves once the
 * victim is dead; the kernel printed its report before that. The caller removes the cgroup
 * (cgroup.remove()), so that it can still read the cgroup's counters first.
 */
export async function realOomKill(comm: string | Buffer = 'oom (test) 1', given?: MemoryCgroup, ageSeconds = 0): Promise<RealOomKill> {
  const cgroup = given ?? makeMemoryCgroup();
  try {
    const name = typeof comm === 'string' ? Buffer.from(comm) : comm;
    const child = spawn(PYTHON, ['-c', VICTIM, cgroup.dir, name.toString('hex'), String(ageSeconds)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    if (signal !== 'SIGKILL') throw new Error(`the victim was not OOM-killed (exit ${code}, signal ${signal}): ${stderr}`);
    return { pid: child.pid ?? -1, comm: typeof comm === 'string' ? comm : comm.toString('utf8'), cgroup };
  } catch (e) {
    // A cgroup made here is ours to remove when the caller never gets it.
    if (given === undefined) await cgroup.remove();
    throw e;
  }
}

export const vmstatOomKills = (): number => Number(/^oom_kill (\d+)/m.exec(fs.readFileSync('/proc/vmstat', 'utf8'))?.[1]);

/** The kernel's rate limit of OOM reports: DEFAULT_RATELIMIT_INTERVAL (5 s), and a little more. */
const REPORT_RATELIMIT_MS = 5500;

/** Whether /dev/kmsg holds the summary line of the kill of `pid` in `cgroup` (read here, not by the parser under test). */
function kmsgHasSummary(pid: number, cgroup: string): boolean {
  const fd = fs.openSync('/dev/kmsg', fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  const buf = Buffer.alloc(16 * 1024);
  try {
    for (;;) {
      let n: number;
      try {
        n = fs.readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') return false;
        if (code === 'EPIPE') continue;
        throw e;
      }
      const rec = buf.toString('latin1', 0, n);
      if (rec.includes(';oom-kill:') && rec.includes(`,oom_memcg=${cgroup},`) && rec.includes(`,pid=${pid},uid=`)) return true;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * realOomKill in a fresh cgroup named after `prefix`, done again until the kernel printed the kill's whole
 * report. The kernel prints the report (header, summary) of at most 10 kills in 5 s (mm/oom_kill.c,
 * oom_rs) and leaves only the kill line for the others, and other tests on this machine kill too: a test
 * that asserts on the report needs this. The caller removes the cgroup it gets; the others are removed here.
 */
export async function realOomKillWithReport(comm: string | Buffer, prefix = 'oomtest'): Promise<RealOomKill> {
  for (let attempt = 1; ; attempt++) {
    const cgroup = makeMemoryCgroup(prefix);
    const kill = await realOomKill(comm, cgroup);
    if (kmsgHasSummary(kill.pid, cgroup.path)) return kill;
    await cgroup.remove();
    if (attempt === 4) throw new Error(`the kernel printed no report for ${attempt} kills in a row (its rate limit, used up by other kills)`);
    await new Promise((r) => setTimeout(r, REPORT_RATELIMIT_MS));
  }
}
