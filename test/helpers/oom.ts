import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';

const MEMCG_V1 = '/sys/fs/cgroup/memory';
// The distribution's python, not a version-manager shim: its pid is the victim's from the first exec on.
const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

// Joins the cgroup first (so the interpreter's own memory is charged there too), renames itself with
// prctl(PR_SET_NAME), waits argv[3] seconds (its age when it dies), then fills 400 MiB: the kernel's
// memcg OOM killer takes it.
const VICTIM = `
import ctypes, os, sys, time
with open(sys.argv[1] + '/cgroup.procs', 'w') as f:
    f.write(str(os.getpid()))
ctypes.CDLL(None).prctl(15, sys.argv[2].encode(), 0, 0, 0)
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

export interface RealOomKill {
  pid: number;
  comm: string;
  cgroup: MemoryCgroup;
}

/**
 * Makes the kernel OOM-kill a process named `comm` in `cgroup` (a fresh 64 MiB one by default), after
 * it has lived `ageSeconds` in that cgroup under that name. Resolves once the victim is dead; the kernel
 * printed its report before that. The caller removes the cgroup (cgroup.remove()), so that it can still
 * read the cgroup's counters first.
 */
export async function realOomKill(comm = 'oom (test) 1', given?: MemoryCgroup, ageSeconds = 0): Promise<RealOomKill> {
  const cgroup = given ?? makeMemoryCgroup();
  try {
    const child = spawn(PYTHON, ['-c', VICTIM, cgroup.dir, comm, String(ageSeconds)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    if (signal !== 'SIGKILL') throw new Error(`the victim was not OOM-killed (exit ${code}, signal ${signal}): ${stderr}`);
    return { pid: child.pid ?? -1, comm, cgroup };
  } catch (e) {
    // A cgroup made here is ours to remove when the caller never gets it.
    if (given === undefined) await cgroup.remove();
    throw e;
  }
}

export const vmstatOomKills = (): number => Number(/^oom_kill (\d+)/m.exec(fs.readFileSync('/proc/vmstat', 'utf8'))?.[1]);
