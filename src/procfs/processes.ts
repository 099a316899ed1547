import { opendirSync, readlinkSync } from 'node:fs';
import { parseMemoryCgroup } from './cgroup.js';
import { createKnownProcesses, type KnownProcess, type KnownProcesses, type ProcessSample } from './known.js';
import { FileReader, READ_GONE, SINGLE_SHOT, SINGLE_SHOT_WITH_INODE } from './read.js';
import { isKernelThread, parseStatusBytes } from './status.js';

export type { ProcessSample } from './known.js';

export interface ProcessScan {
  /** User-space processes seen in this pass (kernel threads and zombies are not counted). */
  visible: number;
  /** The samples of this pass; the scanner reuses these objects, so they are valid until the next scan(). */
  processes: ProcessSample[];
}

/** Each scan re-reads the cgroup of one PID in this many (see scan()). */
export const RECHECK_EVERY = 16;

/**
 * A process first listed after the table's first pass is re-read (name and cgroup) by this many more
 * passes. With a refresh every 500 ms that is its first two seconds: its exec, its move into its cgroup.
 */
export const YOUNG_PASSES = 4;

export interface ProcessScannerOptions {
  procfs: string;
  /** Read /proc/PID/cmdline (once per process lifetime) for --process.match=cmdline. */
  wantCmdline: boolean;
  /** The reader every file of the passes goes through (default: one of the scanner's own); tests count with it. */
  reader?: FileReader;
  /** The table the passes keep (default: a new one); tests give one with a short tombstone time. */
  known?: KnownProcesses;
  /** The clock of seen-at times (default Date.now); tests move it. */
  nowMs?: () => number;
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

/** A pause that yields once `sliceMs` of the event loop have been used since the last yield. */
export function timeSlices(sliceMs: number): Pause {
  let start = performance.now();
  return {
    due: () => performance.now() - start >= sliceMs,
    wait: () =>
      new Promise<void>((resolve) =>
        setImmediate(() => {
          start = performance.now();
          resolve();
        }),
      ),
  };
}

/**
 * What a refresh did: 'skipped' (a scan runs or just ran), 'aborted' (a scan started meanwhile), or how it
 * found new PIDs ('list': a listing of <procfs>; 'probe': the PIDs allocated since the last pass), how
 * many PIDs that covered, and how many it read files of.
 */
export type RefreshResult = 'skipped' | 'aborted' | { mode: 'list' | 'probe'; pids: number; read: number };

/** A refresh lists <procfs> at least every this many refreshes, even when it could probe (see refresh()). */
export const LIST_EVERY = 20;

/**
 * Makes a scanner that walks <procfs>. Per-process facts that only change with the process's identity
 * (its cgroup, its command line) are read once and kept by PID + status inode in a table of known
 * processes (known.ts), so a reused PID never carries the previous process's cgroup.
 */
export interface ProcessScanner {
  /**
   * One pass over <procfs>: every process's files. It yields to the event loop whenever pause says so;
   * only one scan may run at a time (the samples are updated in place), which the collection guarantees.
   */
  scan(pause?: Pause): Promise<ProcessScan>;
  /**
   * The cheap pass between scrapes that keeps the table fresh for kill attribution: finds the PIDs not
   * yet known and reads their status and cgroup (and re-reads young ones), nothing else. It finds them
   * by probing the PIDs the kernel allocated since the last pass when it can tell which (see the code),
   * else by listing <procfs>. Skipped while a scan runs or when a pass started less than `gapMs` ago
   * (the scan did it all); abandoned if a scan starts while it yields. It never changes a sample a scan
   * handed out: a process it re-reads gets a new sample object.
   */
  refresh(pause?: Pause, gapMs?: number): Promise<RefreshResult>;
  /**
   * What the exporter last knew of the process with this PID and name (alive, or vanished a short while
   * ago); when the table has no such process, /proc/PID itself if it is still there with that name (a
   * victim not yet reaped). undefined when neither knows it.
   */
  lastKnown(pid: number, comm: string): KnownProcess | undefined;
  /** The table itself (tests, the bench). */
  readonly known: KnownProcesses;
}

/** readHead()'s verdicts. */
const GONE = 0;
const SKIP = 1;
const USER = 2;
const THREAD = 3;

export function createProcessScanner(opts: ProcessScannerOptions): ProcessScanner {
  const root = opts.procfs;
  const known = opts.known ?? createKnownProcesses();
  const now = opts.nowMs ?? Date.now;
  const files = opts.reader ?? new FileReader();
  // lastKnown() runs from the follower's timer, possibly while a pass is paused: its own buffer.
  const lookupFiles = new FileReader(4096);
  // Kernel threads (and zombies, hidepid shells) by PID, with the pass that last listed them: the refresh
  // does not read their status again each time. Swept like the table; the scan reads every PID anyway.
  const skipped = new Map<number, number>();
  let passes = 0;
  let scans = 0;
  let scanning = false;
  let refreshing = false;
  let lastPassStartMs = -Infinity;
  // Entries still young (known.ts, KnownProcess.young), re-read by each refresh until grown up.
  const young = new Set<number>();
  // For probing (refresh()): the last PID the kernel had allocated when the last pass started, the
  // refreshes since the last listing, and PIDs allocated but not yet in <procfs> at the last probe.
  let lastPid: number | undefined;
  let sinceListing = 0;
  let retry: number[] = [];
  let sameNamespace: boolean | undefined;

  // The head of a PID's status, filled by readHead() (one object reused: this runs for every PID).
  const head = { inode: -1, comm: '', rssBytes: undefined as number | undefined, swapBytes: undefined as number | undefined, readable: false };

  function readHead(reader: FileReader, pid: number, dir: string): typeof GONE | typeof SKIP | typeof USER | typeof THREAD {
    const stLen = reader.read(dir + 'status', SINGLE_SHOT_WITH_INODE);
    if (stLen === READ_GONE) return GONE; // exited between readdir and now
    if (stLen >= 0) {
      const status = parseStatusBytes(reader.buffer, stLen);
      // /proc/TID of a thread opens though it is not listed: probing allocated PIDs finds threads too.
      if (status.tgid !== undefined && status.tgid !== pid) return THREAD;
      if (isKernelThread(pid, status)) return SKIP;
      // A zombie has released its memory and cannot be OOM-killed again.
      if (!status.hasMm && status.state === 'Z') return SKIP;
      head.inode = reader.inode;
      head.comm = status.name ?? '';
      head.rssBytes = status.vmRssBytes;
      head.swapBytes = status.vmSwapBytes;
      head.readable = true;
    } else {
      // status is unreadable (hidepid=1, an LSM): comm is still worth a try, the rest stays unknown.
      head.inode = -1;
      head.comm = readComm(reader, dir);
      head.rssBytes = undefined;
      head.swapBytes = undefined;
      head.readable = false;
    }
    return USER;
  }

  function entry(pid: number, cgroup: string, cmdline: string | undefined, t: number): KnownProcess {
    // The table's first pass finds processes of any age; later ones find processes born since.
    const isYoung = passes > 1;
    if (isYoung) young.add(pid);
    return {
      inode: head.inode,
      listed: passes,
      young: isYoung ? YOUNG_PASSES : 0,
      firstSeenMs: t,
      seenMs: t,
      sampledMs: t,
      sample: { pid, comm: head.comm, cgroup, cmdline, rssBytes: head.rssBytes, swapBytes: head.swapBytes, oomScore: undefined, oomScoreAdj: undefined },
    };
  }

  /**
   * The last PID the kernel allocated, from <procfs>/loadavg's last field; undefined when it cannot
   * speak for <procfs>. That field is the last PID of the *reader's* PID namespace: it covers every
   * process and thread created in it and in the namespaces below (containers), but it is only about
   * <procfs> when that is a procfs of our own namespace, where <procfs>/self is our own PID.
   */
  function lastAllocatedPid(): number | undefined {
    if (sameNamespace === undefined) {
      try {
        sameNamespace = readlinkSync(`${root}/self`) === String(process.pid);
      } catch {
        sameNamespace = false;
      }
    }
    if (!sameNamespace) return undefined;
    const text = files.text(`${root}/loadavg`).text;
    const last = text === undefined ? NaN : Number(text.slice(text.lastIndexOf(' ') + 1));
    return Number.isInteger(last) && last > 0 ? last : undefined;
  }

  /** Ends a complete pass: what it did not list is gone. */
  function sweep(pass: number, t: number): void {
    known.sweep(pass, t);
    for (const [pid, listed] of skipped) if (listed !== pass) skipped.delete(pid);
  }

  async function scan(pause: Pause = NEVER_PAUSE): Promise<ProcessScan> {
    const pass = ++passes;
    const gen = ++scans;
    scanning = true;
    let t = (lastPassStartMs = now());
    // A scan lists everything: the next refresh need only probe what is allocated from now on.
    lastPid = lastAllocatedPid();
    sinceListing = 0;
    retry = [];
    const processes: ProcessSample[] = [];
    let visible = 0;
    // Listed as we go, not read whole first: readdir of a /proc with 10,000 PIDs is a 12 ms call, too
    // long to hold the event loop. procfs lists PIDs by number from where the last read stopped, so
    // processes that come and go meanwhile cannot make it skip or repeat one.
    const listing = opendirSync(root, { bufferSize: 1024 });
    let n = 0;
    try {
      for (let ent = listing.readSync(); ent !== null; ent = listing.readSync()) {
        // The clock every 16 entries: a PID costs ~30 µs, so a slice overruns by half a millisecond at most.
        if ((++n & 15) === 0 && pause.due()) {
          await pause.wait();
          t = now();
        }
        const name = ent.name;
        const c = name.charCodeAt(0);
        if (c < 48 || c > 57) continue; // only numeric entries are processes
        const pid = Number(name);
        if (!Number.isInteger(pid)) continue;
        const dir = `${root}/${name}/`;

        const kind = readHead(files, pid, dir);
        if (kind === GONE || kind === THREAD) continue;
        if (kind === SKIP) {
          skipped.set(pid, pass);
          continue;
        }
        const { inode, comm } = head;

        // Small integer files: the value, undefined when unreadable, null when the process is gone.
        const oomScore = files.int(dir + 'oom_score');
        if (oomScore === null) continue;
        const oomScoreAdj = files.int(dir + 'oom_score_adj');
        if (oomScoreAdj === null) continue;
        // hidepid=1 (invisible=noaccess) lists every PID but lets us open none of its files: such a
        // process is not visible to us, and exporting an empty shell of it would only add noise.
        if (!head.readable && oomScore === undefined && oomScoreAdj === undefined) {
          skipped.set(pid, pass);
          continue;
        }
        const rssBytes = head.rssBytes;
        const swapBytes = head.swapBytes;

        let p = known.get(pid);
        let created = false;
        const same = p !== undefined && p.inode === inode && inode !== -1;
        // Read the cgroup (and command line) again for a new process (PID reuse gives new inodes), after
        // an exec (the name changes; the command line certainly did), while it is young, and for one PID
        // in RECHECK_EVERY each scan, so a process moved to another cgroup (systemd-run, docker exec, a
        // scope) is seen within that many scrapes at a sixteenth of the cost of reading them all every time.
        if (p === undefined || !same || p.sample.comm !== comm || p.young > 0 || (pid + gen) % RECHECK_EVERY === 0) {
          const cg = files.text(dir + 'cgroup', SINGLE_SHOT);
          if (cg.failure === 'gone') continue;
          const cgroup = cg.text === undefined ? '' : parseMemoryCgroup(cg.text);
          const cmdline = opts.wantCmdline ? readCmdline(files, dir) : undefined;
          if (p !== undefined && same) {
            // The same process: keep its sample object, with the strings unchanged where they are.
            if (p.sample.cgroup !== cgroup) p.sample.cgroup = cgroup;
            if (p.sample.cmdline !== cmdline) p.sample.cmdline = cmdline;
          } else {
            p = entry(pid, cgroup, cmdline, t);
            known.set(pid, p);
            created = true;
          }
        }
        skipped.delete(pid);
        const sample = p.sample;
        // Keep the old string when the name is unchanged: the new one then dies young.
        if (sample.comm !== comm) sample.comm = comm;
        sample.rssBytes = rssBytes;
        sample.swapBytes = swapBytes;
        sample.oomScore = oomScore;
        sample.oomScoreAdj = oomScoreAdj;
        p.listed = pass;
        p.seenMs = p.sampledMs = t;
        if (p.young > 0 && !created && --p.young === 0) young.delete(pid);
        visible++;
        processes.push(sample);
      }
    } finally {
      listing.closeSync();
      scanning = false;
    }
    sweep(pass, t);
    // In PID order whatever the directory's own order: procfs lists by PID already (the sort then costs a
    // pass over a sorted array), a fixture tree in its filesystem's order, which must not change output.
    processes.sort((a, b) => a.pid - b.pid);
    return { visible, processes };
  }

  /**
   * Between scrapes. Listing /proc costs about a microsecond and a half per PID in the kernel and in Node
   * (15 ms of CPU at 10,000 processes, twice a second), though all a refresh wants is the few PIDs born
   * since the last pass. The kernel allocates PIDs in increasing order (wrapping at pid_max) and says
   * which it allocated last: when <procfs> is of our own PID namespace, and fewer PIDs were allocated
   * since the last pass than an eighth of the known processes (a status read costs about eight listed
   * entries), the refresh reads just those PIDs' status (threads are skipped by their Tgid). It lists
   * <procfs> otherwise (a fixture tree, a container's view of the host's, a wrap of the PID counter, a
   * fork storm) and every LIST_EVERY refreshes: only a listing notices what exited (tombstones) and
   * catches what a probe could have missed.
   */
  async function refresh(pause: Pause = NEVER_PAUSE, gapMs = 0): Promise<RefreshResult> {
    if (scanning || refreshing || now() - lastPassStartMs < gapMs) return 'skipped';
    const pass = ++passes;
    refreshing = true;
    let t = (lastPassStartMs = now());
    const prev = lastPid;
    const cur = lastAllocatedPid();
    lastPid = cur;
    // Created by this pass: its young phase does not read them again.
    const created = new Set<number>();
    let read = 0;
    let n = 0;
    /** Whether to give the event loop back now: the clock once every `mask` + 1 calls. */
    const due = (mask: number): boolean => (++n & mask) === 0 && pause.due();
    /** Gives the event loop back; false when a scan started meanwhile (it lists everything and reads more). */
    async function yielded(): Promise<boolean> {
      await pause.wait();
      t = now();
      return passes === pass;
    }
    /**
     * Reads a PID not known as it is (new, or reused), and adds it to the table when it is a process of
     * ours; false when there is no such PID in <procfs>.
     */
    function admit(pid: number, dir: string): boolean {
      read++;
      const kind = readHead(files, pid, dir);
      if (kind === GONE) return false;
      if (kind === THREAD) return true;
      // hidepid and the like: the scan decides with the scores, which this pass does not read.
      if (kind === SKIP || !head.readable) {
        skipped.set(pid, pass);
        return true;
      }
      const p = known.get(pid);
      if (p !== undefined && p.inode === head.inode) {
        // Known already (a probe of a PID a scan found meanwhile): nothing new.
        p.listed = pass;
        p.seenMs = t;
        return true;
      }
      const cg = files.text(dir + 'cgroup', SINGLE_SHOT);
      if (cg.failure === 'gone') return false;
      const cgroup = cg.text === undefined ? '' : parseMemoryCgroup(cg.text);
      known.set(pid, entry(pid, cgroup, opts.wantCmdline ? readCmdline(files, dir) : undefined, t));
      skipped.delete(pid);
      created.add(pid);
      return true;
    }

    let mode: 'list' | 'probe' = 'list';
    let pids = 0;
    try {
      const probe = prev !== undefined && cur !== undefined && cur >= prev ? { from: prev + 1, to: cur, again: retry } : undefined;
      if (probe !== undefined && sinceListing < LIST_EVERY && probe.to - probe.from + 1 + probe.again.length <= Math.max(64, known.liveCount >> 3)) {
        mode = 'probe';
        sinceListing++;
        retry = [];
        for (const pid of probe.again) {
          if (due(15) && !(await yielded())) return 'aborted';
          pids++;
          admit(pid, `${root}/${pid}/`);
        }
        for (let pid = probe.from; pid <= probe.to; pid++) {
          if (due(15) && !(await yielded())) return 'aborted';
          pids++;
          // Not in <procfs>: exited already, or not there yet (the kernel allocates the PID before it
          // attaches the task): looked at once more by the next refresh, in case it was the latter.
          if (!admit(pid, `${root}/${pid}/`)) retry.push(pid);
        }
      } else {
        sinceListing = 0;
        retry = [];
        const listing = opendirSync(root, { bufferSize: 1024 });
        try {
          for (let ent = listing.readSync(); ent !== null; ent = listing.readSync()) {
            // A known PID costs a Map look-up: the clock every 64 entries at most.
            if (due(63) && !(await yielded())) return 'aborted';
            const name = ent.name;
            const c = name.charCodeAt(0);
            if (c < 48 || c > 57) continue;
            const pid = Number(name);
            if (!Number.isInteger(pid)) continue;
            pids++;
            const p = known.get(pid);
            if (p !== undefined) {
              p.listed = pass;
              p.seenMs = t;
            } else if (skipped.has(pid)) {
              skipped.set(pid, pass);
            } else {
              admit(pid, `${root}/${name}/`);
            }
          }
        } finally {
          listing.closeSync();
        }
      }

      // Young processes: their name and cgroup again, since they may have exec'd or moved since.
      for (const pid of young) {
        if (due(15) && !(await yielded())) return 'aborted';
        const p = known.get(pid);
        if (p === undefined || p.young === 0) {
          young.delete(pid);
          continue;
        }
        if (created.has(pid)) continue;
        const dir = `${root}/${pid}/`;
        read++;
        const kind = readHead(files, pid, dir);
        // Exited, or a zombie now: a listing will make it a tombstone; its last state stays as it was.
        if (kind !== USER || !head.readable) {
          young.delete(pid);
          continue;
        }
        const cg = files.text(dir + 'cgroup', SINGLE_SHOT);
        if (cg.failure === 'gone') {
          young.delete(pid);
          continue;
        }
        const cgroup = cg.text === undefined ? '' : parseMemoryCgroup(cg.text);
        if (p.inode === head.inode) {
          // The same process: a new sample object, since the last scan's may still be in use.
          p.sample = { ...p.sample, comm: head.comm, cgroup, rssBytes: head.rssBytes, swapBytes: head.swapBytes };
          p.listed = pass;
          p.seenMs = p.sampledMs = t;
          if (--p.young === 0) young.delete(pid);
        } else {
          // Another process behind the PID (reused since the last pass).
          known.set(pid, entry(pid, cgroup, opts.wantCmdline ? readCmdline(files, dir) : undefined, t));
        }
      }
    } finally {
      refreshing = false;
    }
    if (mode === 'list') sweep(pass, t);
    return { mode, pids, read };
  }

  function lastKnown(pid: number, comm: string): KnownProcess | undefined {
    const t = now();
    const p = known.find(pid, comm, t);
    if (p !== undefined) return p;
    // Not known under this name: a victim younger than a refresh, or one renamed since. A zombie keeps
    // its /proc entry (status, cgroup) until its parent reaps it, so the kill may still be read there.
    const dir = `${root}/${pid}/`;
    const len = lookupFiles.read(dir + 'status', SINGLE_SHOT_WITH_INODE);
    if (len < 0) return undefined;
    const status = parseStatusBytes(lookupFiles.buffer, len);
    if (status.name !== comm) return undefined;
    // A zombie (the usual state of a victim not yet reaped) has no Vm* lines, and on cgroup v1 its
    // /proc/PID/cgroup already shows the root ("/"), not the cgroup it died in: unknown beats wrong.
    if (status.vmRssBytes === undefined) return undefined;
    const inode = lookupFiles.inode;
    const cg = lookupFiles.text(dir + 'cgroup', SINGLE_SHOT);
    if (cg.text === undefined) return undefined;
    return {
      inode,
      listed: 0,
      young: 0,
      firstSeenMs: t,
      seenMs: t,
      sampledMs: t,
      sample: {
        pid,
        comm,
        cgroup: parseMemoryCgroup(cg.text),
        cmdline: undefined,
        rssBytes: status.vmRssBytes,
        swapBytes: status.vmSwapBytes,
        oomScore: undefined,
        oomScoreAdj: undefined,
      },
    };
  }

  return { scan, refresh, lastKnown, known };
}

/**
 * Runs scanner.refresh() every intervalMs, in slices of sliceMs, so the table of known processes is at
 * most about intervalMs old when a kill line arrives. An error is reported once until another one (or
 * none) comes, not twice a second. The timer does not keep the process alive.
 */
export function refreshEvery(scanner: ProcessScanner, opts: { intervalMs: number; sliceMs: number; onError: (err: Error) => void }): { stop(): Promise<void> } {
  let running: Promise<unknown> | null = null;
  let lastError = '';
  const timer = setInterval(() => {
    if (running !== null) return;
    // Half an interval: a scan that started within it did all a refresh would, and the next tick comes soon.
    running = scanner
      .refresh(timeSlices(opts.sliceMs), opts.intervalMs / 2)
      .then(
        () => (lastError = ''),
        (err: unknown) => {
          const e = err as Error;
          if (e.message !== lastError) opts.onError(e);
          lastError = e.message;
        },
      )
      .finally(() => {
        running = null;
      });
  }, opts.intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
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
