import type { Logger } from '../log.js';
import { readBootClock } from '../procfs/boot.js';
import { createOomParser } from './parse.js';
import { chooseSource, type SourceChoice } from './sources/auto.js';
import { SOURCES, sourceNamed, type AnySourceDefinition, type KernelLogSourceName, type SourceName, type SourcePosition } from './sources/index.js';
import { mayReportKill, type KernelLogSource, type RecordSink, type SourceSettings } from './sources/source.js';
import { loadState, readBootId, saveState, STATE_VERSION } from './state.js';
import type { OomKill } from './types.js';

/**
 * The follower's settings; the SourceSettings (--kernel-log.file, and the seams tests use: kmsg,
 * journalctl, journaldBackoff, syslogFiles) go to the sources.
 */
export interface KernelLogOptions extends SourceSettings {
  source: KernelLogSourceName;
  /** --kernel-log.state-file */
  stateFile?: string | undefined;
  /** --path.procfs, for the boot id and the boot time. */
  procfs?: string;
  /** Source choice, state-file verdict and source errors go here. */
  log?: Logger;
  /**
   * The first kill listener. Kills logged while the exporter was down (resuming from the state file)
   * are found while startKernelLog runs: only a listener given here hears them.
   */
  onKill?: KillListener;
  /**
   * Runs on each kill before its time is taken and anyone hears of it: sets kill.victim (what the
   * exporter last saw of the process), which bounds the kill's time from below.
   */
  attribute?: (kill: OomKill) => void;
  /** How often the follower drains on its own, between scrapes (default 500 ms). */
  pollIntervalMs?: number;
  /** Least time between two state-file writes. */
  saveIntervalMs?: number;
  /** The registered sources (sources/index.ts); tests replace them. */
  sources?: readonly AnySourceDefinition[];
  /** How many kills recent() keeps (--kills.keep; default RECENT_LIMIT). */
  recentLimit?: number;
}

/**
 * A kill listener. `timestampSeconds` is when the kill happened as well as the log tells: boot time plus
 * the kernel's own uptime stamp (as dmesg -T does, early by any time spent suspended), else the record's
 * wall-clock time, else now.
 */
export type KillListener = (kill: OomKill, timestampSeconds: number, id: number) => void;

/** A kill of the recent list, with what only the follower knows of it. */
export interface RecentKill {
  /** 1, 2, 3, … in the order read: unique for the process lifetime (an API's id for it). */
  id: number;
  kill: OomKill;
  /** As given to the listeners (see KillListener). */
  timestampSeconds: number;
}

export interface KernelLog {
  /** The source followed; 'none' when there is none. */
  readonly source: SourceName | 'none';
  /** How the source was chosen, with why the others were not (already logged when `log` was given). */
  readonly selection: SourceChoice;
  /** Whether the state file was used, and why not when not (already logged). */
  readonly resume: { resumed: boolean; reason: string };
  /** True while the source is being read (journalctl running, the file or /dev/kmsg open). */
  up(): boolean;
  /** Records read since start, not counting the backlog read for context. */
  recordsTotal(): number;
  /** Records the source says were lost (kmsg overwritten before read, journald "Missed N kernel messages"). */
  lostTotal(): number;
  /** Failed writes of the state file since start (each also logged at warn, once per distinct error). */
  stateSaveErrors(): number;
  /** Reads whatever the source has now, synchronously; call it first at each scrape. */
  drain(): void;
  /**
   * Drains, then returns the position up to which every kill read is in the listeners' hands: what a
   * scrape that starts now shows at least. Take it before a scrape and commit it after: records read
   * while the scrape runs (the poll timer, journalctl's output) may come after the families that show
   * kills were written, and a position past them must not be committed.
   */
  checkpoint(): Checkpoint;
  /**
   * Says that the metrics of everything read up to `at` (a checkpoint taken before the scrape; without
   * it, everything read so far) are about to be served: that position becomes the committed one, the
   * only one the state file ever gets, and is written to it now, before the body leaves (see save()).
   * Until the first commit it keeps where this run began, so a restart counts again, once, every kill
   * no scrape has shown yet.
   */
  commit(at?: Checkpoint): void;
  /** The last `recentLimit` kills, oldest first. */
  recent(): readonly OomKill[];
  /** The same kills with their ids and timestamps, oldest first. */
  recentKills(): readonly RecentKill[];
  /** Listens for kills; returns the function that stops listening. */
  onKill(listener: KillListener): () => void;
  /** Stops reading and saves the committed position. */
  stop(): Promise<void>;
}

export const RECENT_LIMIT = 100;

/** What to grant an exporter that can read no kernel log (said at warn when none is found). */
export const GRANT_HINT =
  'Grant one of: root or CAP_SYSLOG (and kernel.dmesg_restrict allowing it) for /dev/kmsg; membership of the systemd-journal group for journald; read access to a syslog file given with --kernel-log.file.';

/** A position of the follower's source, taken by checkpoint(); null before anything was read. */
export type Checkpoint = SourcePosition | null;

/** The chosen source, live, from its registration; a position it gets is always its own. */
function createSource(
  definition: AnySourceDefinition | undefined,
  settings: SourceSettings,
  position: SourcePosition | undefined,
): KernelLogSource<SourcePosition> | null {
  if (definition === undefined) return null;
  return definition.live(settings, position?.source === definition.name ? position : undefined);
}

/**
 * Wires a kernel-log source to the OOM parser. Kills go to listeners and to a short recent list;
 * counts are read at scrape time. Nothing here knows about metrics.
 */
export async function startKernelLog(opts: KernelLogOptions): Promise<KernelLog> {
  const log = opts.log;
  const procfs = opts.procfs ?? '/proc';
  // Half a second: a kill reaches the recent list within it even with no scrape, for two cheap
  // syscalls (kmsg: one read that says EAGAIN; file: a stat and a 64-byte read).
  const pollIntervalMs = opts.pollIntervalMs ?? 500;
  const saveIntervalMs = opts.saveIntervalMs ?? 1000;

  const table = opts.sources ?? SOURCES;
  const selection = await chooseSource({ ...opts, requested: opts.source }, table);
  if (selection.source === 'none') {
    // Kills are still counted (oom_kills_total, from /proc/vmstat) but none has a name: worth a warn,
    // with what would fix it.
    for (const r of selection.rejected) log?.warn('kernel log source not usable', { source: r.source, reason: r.reason });
    log?.warn(`no kernel log source can be read: OOM kills are counted but not attributed to a victim. ${GRANT_HINT}`, { requested: opts.source });
  } else {
    for (const r of selection.rejected) log?.info('kernel log source not used', { source: r.source, reason: r.reason });
    log?.info('kernel log source', { source: selection.source, requested: opts.source, file: selection.file });
  }

  const bootId = readBootId(procfs);
  // Sub-second where it can be: a kill must not come out before the victim was last seen alive.
  const bootTime = readBootClock(procfs)?.bootTimeSeconds ?? null;
  const stateFile = opts.stateFile;
  let position: SourcePosition | undefined;
  let resume = { resumed: false, reason: 'no --kernel-log.state-file: starting at the end of the log' };
  if (selection.source === 'none') {
    resume = { resumed: false, reason: 'no kernel log source' };
  } else if (stateFile !== undefined) {
    const loaded = loadState(stateFile, { bootId, source: selection.source, file: selection.file ?? undefined, sources: table });
    if (loaded.ok) {
      position = loaded.state.position;
      resume = { resumed: true, reason: `resuming from ${stateFile}` };
      log?.info('kernel log resumes from the state file', { state_file: stateFile, position: JSON.stringify(position) });
    } else {
      resume = { resumed: false, reason: `${loaded.reason}: starting at the end of the log` };
      log?.warn('kernel log state not used, starting at the end of the log', { state_file: stateFile, reason: loaded.reason });
    }
  }

  const parser = createOomParser();
  const recentLimit = opts.recentLimit ?? RECENT_LIMIT;
  const recent: RecentKill[] = [];
  let lastId = 0;
  const listeners = new Set<KillListener>();
  if (opts.onKill) listeners.add(opts.onKill);
  let records = 0;
  let lost = 0;
  // What the state file may hold. A position past a kill no scrape has served would make a restart skip
  // that kill, and Prometheus would never see it: so until commit() it is where this run began (the
  // resumed position, else the position after the context read at start), then each committed one.
  let committed: SourcePosition | null = position ?? null;
  let commitCalled = false;
  // Whether a record of this run (not context) was delivered: the start position stops moving then.
  let liveSeen = false;
  let lastSavedKey = '';
  let lastSaveMs = 0;
  let lastSaveError = '';
  let saveErrors = 0;
  // Losses are logged at most once a minute, with how many since the last line: an overrun storm must
  // not become a log storm.
  const LOST_LOG_INTERVAL_MS = 60_000;
  let lostUnlogged = 0;
  let lostLoggedAtMs = -Infinity;
  let stopped = false;

  const definition = selection.source === 'none' ? undefined : sourceNamed(selection.source, table);
  // What the sources read: the file is the one chosen (auto may have picked a syslog file).
  const settings: SourceSettings = { ...opts, file: selection.file ?? undefined };
  const source = createSource(definition, settings, position);

  /**
   * Writes the committed position when it moved. A commit writes at once (force), so a SIGKILL right
   * after a scrape cannot make the next run count that scrape's kills again; otherwise (the context
   * read at start moving where this run began) at most once per saveIntervalMs. The write is a small
   * file renamed into place: a few tens of µs, so every scrape that moved the position can afford it.
   */
  function save(force: boolean): void {
    if (stateFile === undefined || bootId === null || source === null) return;
    const pos = committed;
    if (pos === null) return;
    const key = JSON.stringify(pos);
    if (key === lastSavedKey) return;
    const nowMs = Date.now();
    if (!force && nowMs - lastSaveMs < saveIntervalMs) return;
    try {
      saveState(stateFile, { version: STATE_VERSION, bootId, source: pos.source, position: pos });
      lastSavedKey = key;
      lastSaveMs = nowMs;
      lastSaveError = '';
    } catch (e) {
      // A failed write also waits saveIntervalMs before the timer retries it: commits still try each time.
      lastSaveMs = nowMs;
      saveErrors++;
      const msg = (e as Error).message;
      // Once per distinct error (and again after a success): a read-only disk fails on every scrape.
      if (msg !== lastSaveError) {
        log?.warn('cannot save the kernel log state: a restart will count again the kills since the last save', { state_file: stateFile, err: msg });
      }
      lastSaveError = msg;
    }
  }

  /** Logs the losses not logged yet, unless a line went out less than a minute ago (the next drain retries). */
  function logLost(): void {
    if (lostUnlogged === 0) return;
    const nowMs = Date.now();
    if (nowMs - lostLoggedAtMs < LOST_LOG_INTERVAL_MS) return;
    log?.warn('kernel log records lost before they could be read: OOM kills among them have no victim', {
      source: selection.source,
      lost: lostUnlogged,
      lost_total: lost,
    });
    lostUnlogged = 0;
    lostLoggedAtMs = nowMs;
  }

  function timestampOf(kill: OomKill): number {
    // The kernel's own stamp first: a syslog time has no zone (read as local time, it is off by the
    // offset when the file was written elsewhere or under another TZ) and whole seconds at best.
    if (kill.uptimeSeconds !== null && bootTime !== null) {
      // printk stamps with local_clock(), which can run a few ms behind the monotonic clock boot time is
      // measured against (6.8 ms on this project's VM): a kill must not come out before its victim was
      // last seen alive, and it happened after that, so that is the earliest it can be.
      const t = bootTime + kill.uptimeSeconds;
      const seen = kill.victim?.seenAtSeconds;
      return seen !== undefined && seen > t ? seen : t;
    }
    if (kill.time !== null) {
      const t = Date.parse(kill.time);
      if (!Number.isNaN(t)) return t / 1000;
    }
    return Date.now() / 1000;
  }

  const sink: RecordSink = {
    record(rec, replay) {
      if (!replay) records++;
      if (!commitCalled && !liveSeen) {
        // Context (the backlog, what the resumed run counted already) only moves where this run began.
        if (replay) committed = source?.position() ?? committed;
        else liveSeen = true;
      }
      // A line a process wrote into /dev/kmsg must never be read as a kill, by any parser rule.
      if (source === null || !mayReportKill(rec, source)) return;
      let kill: OomKill | null;
      try {
        kill = parser.push(rec);
      } catch (e) {
        // This runs from timers and journalctl's output events: a parser bug must cost one record, not the process.
        log?.error('kernel log parser failed on a record', { err: (e as Error).message, message: rec.message.slice(0, 200) });
        return;
      }
      if (kill === null || replay) return;
      try {
        opts.attribute?.(kill);
      } catch (e) {
        log?.error('attributing a kill failed', { err: (e as Error).message });
      }
      const ts = timestampOf(kill);
      const id = ++lastId;
      recent.push({ id, kill, timestampSeconds: ts });
      if (recent.length > recentLimit) recent.shift();
      for (const l of listeners) {
        try {
          l(kill, ts, id);
        } catch (e) {
          log?.error('kill listener failed', { err: (e as Error).message });
        }
      }
    },
    lost(n) {
      lost += n;
      lostUnlogged += n;
      logLost();
      // The report in progress may have lost its end; what follows must not inherit its context.
      parser.reset();
    },
    error(err) {
      log?.warn('kernel log source', { source: selection.source, err: err.message });
    },
    recovered(message) {
      log?.info('kernel log source', { source: selection.source, detail: message });
    },
  };

  if (stateFile !== undefined && bootId === null && source !== null) {
    log?.warn('the boot id cannot be read: the kernel log position will not be saved', { state_file: stateFile });
  }

  function drainNow(): void {
    if (stopped || source === null) return;
    try {
      source.drain();
    } catch (e) {
      // Sources report their own read errors; this is a bug, and a scrape must not fail because of it.
      log?.error('kernel log drain failed', { source: selection.source, err: (e as Error).message });
    }
    save(false);
    logLost();
  }

  let timer: NodeJS.Timeout | null = null;
  if (source !== null) {
    source.start(sink);
    // Nothing of this run was read during start: where the source stands now is where this run began.
    if (!liveSeen) committed = source.position() ?? committed;
    // The start position on disk at once: a restart before the first timer tick must not lose it.
    save(true);
    // Between scrapes the ring buffer must not overrun us, and a resumed position must reach disk.
    timer = setInterval(drainNow, pollIntervalMs);
    timer.unref();
  }

  return {
    source: selection.source,
    selection,
    resume,
    up: () => !stopped && source !== null && source.up(),
    recordsTotal: () => records,
    lostTotal: () => lost,
    stateSaveErrors: () => saveErrors,
    drain: drainNow,
    checkpoint() {
      drainNow();
      return source === null ? null : source.position();
    },
    commit(at) {
      if (stopped || source === null) return;
      const pos = at === undefined ? source.position() : at;
      // Nothing read yet (journalctl has printed nothing): nothing to commit, where this run began still stands.
      if (pos === null) return;
      commitCalled = true;
      committed = pos;
      save(true);
    },
    recent: () => recent.map((r) => r.kill),
    recentKills: () => recent,
    onKill(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (timer !== null) clearInterval(timer);
      if (source !== null) {
        try {
          source.drain();
        } catch (e) {
          log?.error('kernel log drain failed', { source: selection.source, err: (e as Error).message });
        }
        await source.stop();
        save(true);
      }
    },
  };
}
