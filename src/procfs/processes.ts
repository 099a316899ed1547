import { opendirSync } from 'node:fs';
import { parseMemoryCgroup } from './cgroup.js';
import { FileReader, READ_GONE, SINGLE_SHOT, SINGLE_SHOT_WITH_INODE } from './read.js';
import { isKernelThread, parseStatusBytes } from './status.js';

/** One user-space process as the scrape sees it. Values the kernel would not give us stay undefined. */
export interface ProcessSample {
  pid: number;
  comm: string;
  /** Memory cgroup path as the kernel prints it (task_memcg=); '' when unknown. */
  cgroup: string;
  /** NUL-separated argv joined with spaces; only read when asked for (--process.match=cmdline). */
  cmdline: string | undefined;
  rssBytes: number | undefined;
  swapBytes: number | undefined;
  oomScore: number | undefined;
  oomScoreAdj: number | undefined;
}

export interface ProcessScan {
  /** User-space processes seen in this pass (kernel threads and zombies are not counted). */
  visible: number;
  /** The samples of this pass; the scanner reuses these objects, so they are valid until the next scan(). */
  processes: ProcessSample[];
}

/** Each scan re-reads the cgroup of one PID in this many (see scan()). */
export const RECHECK_EVERY = 16;

export interface ProcessScannerOptions {
  procfs: string;
  /** Read /proc/PID/cmdline (once per process lifetime) for --process.match=cmdline. */
  wantCmdline: boolean;
  /** The reader every file of the pass goes through (default: one of the scanner's own); tests count with it. */
  reader?: FileReader;
}

interface Identity {
  /** Inode of /proc/PID/status: a new process behind a reused PID gets a new one. */
  inode: number;
  /** The scan that last saw this PID; older entries are dropped at the end of a scan. */
  seen: number;
  cgroup: string;
  cmdline: string | undefined;
  /**
   * The process's sample, updated in place every scan. New objects for 10,000 processes per scrape
   * survive long enough to make V8 grow its young generation and promote them, which is most of
   * the exporter's RSS; long-lived ones cost nothing per scrape. Valid until the next scan().
   */
  sample: ProcessSample;
}

/**
 * Lets a long pass give the event loop back now and then, so probes and other requests are answered
 * while it runs: due() is cheap and says a slice is used up; wait() resolves on a later turn of the loop.
 */
export interface Pause {
  due(): boolean;
  wait(): Promise<void>;
}

/** For callers with nothing else to serve (tests, the bench's baseline): never yields. */
export const NEVER_PAUSE: Pause = { due: () => false, wait: () => Promise.resolve() };

/**
 * Makes a scanner that walks <procfs> once per call. Per-process facts that only change with the
 * process's identity (its cgroup, its command line) are read once and cached by PID + status inode,
 * so a reused PID never carries the previous process's cgroup; the cache only holds live PIDs.
 */
export interface ProcessScanner {
  /**
   * One pass over <procfs>. It yields to the event loop whenever pause says so; only one pass may run
   * at a time (the samples are updated in place), which the collection guarantees.
   */
  scan(pause?: Pause): Promise<ProcessScan>;
}

export function createProcessScanner(opts: ProcessScannerOptions): ProcessScanner {
  const root = opts.procfs;
  // Updated in place rather than rebuilt: a fresh 10,000-entry map per scrape is garbage that lives
  // just long enough to be promoted, and old-generation churn is what sets the exporter's RSS.
  const known = new Map<number, Identity>();
  let generation = 0;
  const files = opts.reader ?? new FileReader();

  async function scan(pause: Pause = NEVER_PAUSE): Promise<ProcessScan> {
    const gen = ++generation;
    const processes: ProcessSample[] = [];
    let visible = 0;
    // Listed as we go, not read whole first: readdir of a /proc with 10,000 PIDs is a 12 ms call, too
    // long to hold the event loop. procfs lists PIDs by number from where the last read stopped, so
    // processes that come and go meanwhile cannot make it skip or repeat one.
    const listing = opendirSync(root, { bufferSize: 1024 });
    let n = 0;
    try {
      for (let entry = listing.readSync(); entry !== null; entry = listing.readSync()) {
        // The clock every 16 entries: a PID costs ~30 µs, so a slice overruns by half a millisecond at most.
        if ((++n & 15) === 0 && pause.due()) await pause.wait();
        const name = entry.name;
        const c = name.charCodeAt(0);
        if (c < 48 || c > 57) continue; // only numeric entries are processes
        const pid = Number(name);
        if (!Number.isInteger(pid)) continue;
        const dir = `${root}/${name}/`;

        const stLen = files.read(dir + 'status', SINGLE_SHOT_WITH_INODE);
        if (stLen === READ_GONE) continue; // exited between readdir and now
        const inode = stLen >= 0 ? files.inode : -1;
        let comm: string;
        let rssBytes: number | undefined;
        let swapBytes: number | undefined;
        if (stLen >= 0) {
          const status = parseStatusBytes(files.buffer, stLen);
          if (isKernelThread(pid, status)) continue;
          // A zombie has released its memory and cannot be OOM-killed again.
          if (!status.hasMm && status.state === 'Z') continue;
          comm = status.name ?? '';
          rssBytes = status.vmRssBytes;
          swapBytes = status.vmSwapBytes;
        } else {
          // status is unreadable (hidepid=1, an LSM): comm is still worth a try, the rest stays unknown.
          comm = readComm(files, dir);
        }

        // Small integer files: the value, undefined when unreadable, null when the process is gone.
        const oomScore = files.int(dir + 'oom_score');
        if (oomScore === null) continue;
        const oomScoreAdj = files.int(dir + 'oom_score_adj');
        if (oomScoreAdj === null) continue;
        // hidepid=1 (invisible=noaccess) lists every PID but lets us open none of its files: such a
        // process is not visible to us, and exporting an empty shell of it would only add noise.
        if (stLen < 0 && oomScore === undefined && oomScoreAdj === undefined) continue;

        let id = known.get(pid);
        // Read the cgroup (and command line) again for a new process (PID reuse gives new inodes), after
        // an exec (the name changes; the command line certainly did), and for one PID in RECHECK_EVERY
        // each scan, so a process moved to another cgroup (systemd-run, docker exec, a scope) is seen
        // within that many scrapes at a sixteenth of the cost of reading them all every time.
        if (id === undefined || id.inode !== inode || inode === -1 || id.sample.comm !== comm || (pid + gen) % RECHECK_EVERY === 0) {
          const cg = files.text(dir + 'cgroup', SINGLE_SHOT);
          if (cg.failure === 'gone') continue;
          const cgroup = cg.text === undefined ? '' : parseMemoryCgroup(cg.text);
          const cmdline = opts.wantCmdline ? readCmdline(files, dir) : undefined;
          if (id !== undefined && id.inode === inode && inode !== -1) {
            // The same process: keep its sample object, with the strings unchanged where they are.
            if (id.cgroup !== cgroup) id.cgroup = id.sample.cgroup = cgroup;
            if (id.cmdline !== cmdline) id.cmdline = id.sample.cmdline = cmdline;
          } else {
            id = { inode, seen: gen, cgroup, cmdline, sample: { pid, comm, cgroup, cmdline, rssBytes, swapBytes, oomScore, oomScoreAdj } };
            known.set(pid, id);
          }
        }
        const sample = id.sample;
        // Keep the old string when the name is unchanged: the new one then dies young.
        if (sample.comm !== comm) sample.comm = comm;
        sample.rssBytes = rssBytes;
        sample.swapBytes = swapBytes;
        sample.oomScore = oomScore;
        sample.oomScoreAdj = oomScoreAdj;
        id.seen = gen;
        visible++;
        processes.push(id.sample);
      }
    } finally {
      listing.closeSync();
    }
    for (const [pid, id] of known) if (id.seen !== gen) known.delete(pid);
    // In PID order whatever the directory's own order: procfs lists by PID already (the sort then costs a
    // pass over a sorted array), a fixture tree in its filesystem's order, which must not change output.
    processes.sort((a, b) => a.pid - b.pid);
    return { visible, processes };
  }

  return { scan };
}

function readComm(files: FileReader, dir: string): string {
  const text = files.text(dir + 'comm').text;
  return text === undefined ? '' : text.endsWith('\n') ? text.slice(0, -1) : text;
}

function readCmdline(files: FileReader, dir: string): string | undefined {
  const text = files.text(dir + 'cmdline').text;
  if (text === undefined) return undefined;
  return text.replace(/\0+$/, '').replace(/\0/g, ' ');
}
