/**
 * The processes the exporter knows from its own view of /proc: every user-space process a pass saw (the
 * scrape's scan, or the light refresh between scrapes), by PID, with what was last read of it; and, for
 * a while after it vanished, a tombstone of it.
 *
 * Why tombstones: the kernel prints an OOM kill's full report (with task_memcg=) for only 10 kills in 5 s,
 * but always prints the Killed line with the victim's pid and comm. That line reaches the exporter after
 * the victim is dead (the follower drains every 500 ms; journald and syslog add their own delays, and
 * journalctl restarts after up to 30 s), and a pass that ran in between has seen the PID vanish. So a
 * vanished PID's entry is kept TOMBSTONE_MS, and at most MAX_TOMBSTONES of them (a host that churns
 * through long-lived processes keeps the newest).
 */

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

/** What the table holds of one process; the scanner updates it in place. */
export interface KnownProcess {
  /** Inode of /proc/PID/status: a new process behind a reused PID gets a new one (-1 when unreadable). */
  inode: number;
  /** The number of the last pass that listed this PID (passes are numbered by the scanner). */
  listed: number;
  /**
   * Passes left that re-read this process's name and cgroup even between scrapes. A process is usually
   * first listed between its fork and its exec (the parent's name) or before its runtime moved it into its
   * cgroup; its next few passes catch up with both.
   */
  young: number;
  /** Date.now() of the pass that first listed it, of the last that listed it alive, and of its sample's values. */
  firstSeenMs: number;
  seenMs: number;
  sampledMs: number;
  /**
   * The process's sample, updated in place every scan. New objects for 10,000 processes per scrape
   * survive long enough to make V8 grow its young generation and promote them, which is most of
   * the exporter's RSS; long-lived ones cost nothing per scrape.
   */
  sample: ProcessSample;
}

/** How long a vanished process stays findable: longer than journalctl's longest restart backoff (30 s). */
export const TOMBSTONE_MS = 60_000;
/** At most this many tombstones (~250 bytes each), the newest kept. */
export const MAX_TOMBSTONES = 4096;

export interface KnownProcessesOptions {
  tombstoneMs?: number;
  maxTombstones?: number;
}

export interface KnownProcesses {
  /** The live entry of a PID. */
  get(pid: number): KnownProcess | undefined;
  set(pid: number, p: KnownProcess): void;
  /**
   * After a complete pass numbered `listed`: every live entry that pass did not list is gone, and becomes
   * a tombstone as of nowMs; tombstones older than tombstoneMs, or beyond maxTombstones, are dropped.
   */
  sweep(listed: number, nowMs: number): void;
  /**
   * The process that had this PID and this name: the live entry, else a tombstone. The name must match:
   * with a reused PID, the table may hold another process under it, and a kill line carries only the two.
   */
  find(pid: number, comm: string, nowMs: number): KnownProcess | undefined;
  /** Live entries and tombstones (tests, the bench). */
  readonly liveCount: number;
  readonly tombstoneCount: number;
}

export function createKnownProcesses(opts: KnownProcessesOptions = {}): KnownProcesses {
  const tombstoneMs = opts.tombstoneMs ?? TOMBSTONE_MS;
  const maxTombstones = opts.maxTombstones ?? MAX_TOMBSTONES;
  // Updated in place rather than rebuilt: a fresh 10,000-entry map per scrape is garbage that lives
  // just long enough to be promoted, and old-generation churn is what sets the exporter's RSS.
  const live = new Map<number, KnownProcess>();
  // Apart from the live map, so a new process that reuses the PID does not erase the dead one: its kill
  // line may still be on its way. In the order they vanished, so the oldest go first.
  const gone = new Map<number, { p: KnownProcess; goneMs: number }>();

  function expire(nowMs: number): void {
    for (const [pid, t] of gone) {
      if (gone.size <= maxTombstones && nowMs - t.goneMs <= tombstoneMs) break;
      gone.delete(pid);
    }
  }

  return {
    get: (pid) => live.get(pid),
    set(pid, p) {
      live.set(pid, p);
    },
    sweep(listed, nowMs) {
      for (const [pid, p] of live) {
        if (p.listed === listed) continue;
        live.delete(pid);
        gone.delete(pid); // re-inserted last: the newest tombstone of a PID wins and is dropped last
        gone.set(pid, { p, goneMs: nowMs });
      }
      expire(nowMs);
    },
    find(pid, comm, nowMs) {
      const p = live.get(pid);
      if (p !== undefined && p.sample.comm === comm) return p;
      const t = gone.get(pid);
      if (t !== undefined && t.p.sample.comm === comm && nowMs - t.goneMs <= tombstoneMs) return t.p;
      return undefined;
    },
    get liveCount() {
      return live.size;
    },
    get tombstoneCount() {
      return gone.size;
    },
  };
}
