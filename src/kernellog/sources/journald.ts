import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { MISSED_MESSAGE_ID, parseJournalJson, type JournalEntry } from '../journal-record.js';
import type { LogRecord } from '../types.js';
import type { Backlog, KernelLogSource, RecordSink, SourceDefinition } from './source.js';

/** The cursor of the last entry delivered. */
export interface JournaldPosition {
  source: 'journald';
  cursor: string;
}

export interface JournaldSourceOptions {
  /** The program and any leading arguments; ours follow. Tests put a fake journalctl here. */
  command?: readonly string[];
  /** Resume after this cursor (same boot: the caller checked). Undefined: start at the end. */
  afterCursor?: string | undefined;
  /** Restart delay after journalctl exits: starts at initialMs, doubles up to maxMs. */
  backoff?: { initialMs: number; maxMs: number };
  /** Wall clock in ms; injectable for tests. */
  now?: () => number;
  /** journald's stdout stream socket, whose listener says journald runs (default JOURNALD_SOCKET). */
  socket?: string;
  /** How often that is checked (default 10 s). */
  livenessIntervalMs?: number;
  /** The kernel's uptime when the source was made (default: /proc/uptime now); tests set it. */
  startUptimeSeconds?: number | null;
}

/** The kernel's uptime in seconds, or null when /proc/uptime cannot be read. */
function readUptime(): number | null {
  try {
    const up = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    return Number.isFinite(up) ? up : null;
  } catch {
    return null;
  }
}

/**
 * A socket systemd-journald listens on from its start, on every version: connecting (and hanging up
 * before the stream header, which journald drops without a word) tells whether it runs. Only the
 * listening process accepts; a socket file left by a journald that stopped refuses.
 */
export const JOURNALD_SOCKET = '/run/systemd/journal/stdout';

export const JOURNALCTL = ['journalctl'] as const;

/** journalctl matches; `+` ORs the groups. Userspace killers log under their own identifiers. */
export const JOURNAL_MATCHES: readonly string[] = [
  '_TRANSPORT=kernel',
  '+',
  `MESSAGE_ID=${MISSED_MESSAGE_ID}`,
  '+',
  'SYSLOG_IDENTIFIER=earlyoom',
  '+',
  'SYSLOG_IDENTIFIER=systemd-oomd',
];

const STDERR_KEEP = 4096;
// journalctl prints compact JSON, and inside a string value every quote is escaped, so this text can
// only be the field itself.
const KERNEL_TRANSPORT = '"_TRANSPORT":"kernel"';

/** journalctl's output format and quiet flags, before the caller's own arguments and the matches. */
const OUTPUT_ARGS = ['-o', 'json', '-q', '--no-pager'] as const;

interface JournalctlRun {
  child: ChildProcess;
  program: string;
  /** The last STDERR_KEEP characters journalctl wrote to stderr. */
  stderr(): string;
  /** Output after the last newline (nothing, once journalctl ended normally). */
  rest(): string;
}

/**
 * Spawns journalctl with `args` after the command's own leading arguments, and hands each line of its
 * stdout to onLine as it comes. Its stderr is read all along, else a chatty journalctl blocks on a full
 * pipe; the last of it says why when it fails. The caller listens for 'error' and 'close'.
 */
function runJournalctl(command: readonly string[], args: readonly string[], onLine: (line: string) => void): JournalctlRun {
  const program = command[0] ?? 'journalctl';
  let pending = '';
  let stderr = '';
  const child = spawn(program, [...command.slice(1), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    pending += chunk;
    let nl = pending.indexOf('\n');
    if (nl === -1) return;
    let start = 0;
    while (nl !== -1) {
      const line = pending.slice(start, nl);
      start = nl + 1;
      onLine(line);
      nl = pending.indexOf('\n', start);
    }
    pending = pending.slice(start);
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_KEEP);
  });
  return { child, program, stderr: () => stderr, rest: () => pending };
}

/** The last line journalctl wrote to stderr, or ''. */
function lastLine(stderr: string): string {
  return stderr.trim().split('\n').pop() ?? '';
}

/**
 * The record of an entry. A process may write "earlyoom: sending SIGKILL ..." into /dev/kmsg: journald
 * files it under _TRANSPORT=kernel with SYSLOG_IDENTIFIER=earlyoom. The real killers log to journald
 * directly, so a userspace record that came through the kernel's log is nobody's report.
 */
function recordOf(entry: JournalEntry, line: string): LogRecord {
  const rec = entry.record;
  if (!rec.fromKernel && rec.identifier !== null && line.includes(KERNEL_TRANSPORT)) return { ...rec, identifier: null };
  return rec;
}

/**
 * Follows `journalctl -f -o json` as a child process. journalctl is restarted with backoff whenever it
 * exits, resuming after the last cursor it printed, so nothing is skipped or repeated across restarts;
 * up() is false while it is not running.
 */
export interface JournaldSource extends KernelLogSource<JournaldPosition> {
  /** The pid of the running journalctl, if one runs. */
  pid(): number | undefined;
}

export function createJournaldSource(opts: JournaldSourceOptions = {}): JournaldSource {
  const command = opts.command ?? JOURNALCTL;
  const initialMs = opts.backoff?.initialMs ?? 1000;
  const maxMs = opts.backoff?.maxMs ?? 30_000;
  const now = opts.now ?? Date.now;
  const startedAtMs = now();
  // journald stamps what it imports from /dev/kmsg with the time of the import: started after us, it
  // hands over the whole kernel backlog as new entries. The kernel's own stamp tells them apart.
  const startUptimeSeconds = opts.startUptimeSeconds === undefined ? readUptime() : opts.startUptimeSeconds;
  let cursor: string | null = opts.afterCursor ?? null;
  let firstRun = true;
  let sink: RecordSink | null = null;
  let child: ChildProcess | null = null;
  let running = false;
  let stopped = false;
  let delayMs = initialMs;
  let restartTimer: NodeJS.Timeout | null = null;
  let hinted = false;
  const socketPath = opts.socket ?? JOURNALD_SOCKET;
  const livenessIntervalMs = opts.livenessIntervalMs ?? 10_000;
  let livenessTimer: NodeJS.Timeout | null = null;
  // Why journald is not running, as the last check found; null while it runs.
  let journaldDown: string | null = null;
  let exited: Promise<void> = Promise.resolve();
  // Whether the running journalctl was started without a cursor: what it prints from before our start is context.
  let fromStart = false;
  // The newest __REALTIME_TIMESTAMP this run delivered, and the cursors delivered at exactly that time
  // (journald can stamp two entries alike). A journalctl started without a cursor after we delivered
  // entries re-reads them: these say which ones were delivered already.
  let lastUsec: number | null = null;
  const cursorsAtLastUsec = new Set<string>();

  function startArgs(): string[] {
    // -f alone shows the last 10 entries even after --after-cursor: --no-tail lifts that.
    if (cursor !== null) return ['--no-tail', `--after-cursor=${cursor}`];
    // The last entry before our start is context only, and its cursor a position to save at once, so a
    // restart of the exporter before the next kernel record still resumes here.
    if (firstRun) return ['-n', '1'];
    // No cursor to resume after (journalctl died before printing any entry, or cannot seek to the last
    // one): read again from our start, or from the last entry delivered; handleLine marks what was
    // already delivered as context, so no kill of this run counts twice.
    const sinceUsec = Math.max(startedAtMs * 1000, lastUsec ?? 0);
    return ['--no-tail', `--since=@${Math.floor(sinceUsec / 1_000_000)}`];
  }

  function spawnJournalctl(): void {
    restartTimer = null;
    if (stopped) return;
    const usedCursor = cursor;
    const args = ['-f', ...OUTPUT_ARGS, ...startArgs(), ...JOURNAL_MATCHES];
    fromStart = cursor === null;
    firstRun = false;
    const spawnedAt = now();
    let lines = 0;
    let done = false;
    let resolveExited!: () => void;
    exited = new Promise((r) => (resolveExited = r));

    const run = runJournalctl(command, args, (line) => {
      lines++;
      handleLine(line);
    });
    const c = run.child;
    child = c;
    // Without the systemd-journal group journalctl shows only the user's own journal, says so once on
    // stderr, and follows nothing of the kernel's: say it where the operator looks (once, not at every restart).
    c.stderr?.on('data', () => {
      if (hinted || !/insufficient permissions|not seeing messages from other users/i.test(run.stderr())) return;
      hinted = true;
      sink?.error(new Error(`journalctl: ${lastLine(run.stderr())} (run the exporter as root or in the systemd-journal group to see kernel records)`));
    });
    c.on('spawn', () => {
      if (!done) running = true;
    });

    const finish = (why: string): void => {
      if (done) return;
      done = true;
      running = false;
      if (child === c) child = null;
      resolveExited();
      if (stopped) return;
      const stderr = run.stderr();
      const detail = lastLine(stderr);
      // A cursor journalctl cannot seek to (journal files vacuumed, or a corrupt state) fails at once,
      // every time: fall back to "since we started" (past what this run delivered) rather than restart forever.
      if (usedCursor !== null && lines === 0 && /cursor/i.test(stderr)) {
        cursor = null;
        sink?.error(new Error(`journalctl cannot resume after cursor ${usedCursor} (${detail}); reading from the exporter's start instead`));
      }
      if (now() - spawnedAt >= maxMs) delayMs = initialMs;
      sink?.error(new Error(`journalctl ${why}${detail ? `: ${detail}` : ''}; restarting in ${delayMs} ms`));
      restartTimer = setTimeout(spawnJournalctl, delayMs);
      restartTimer.unref();
      delayMs = Math.min(delayMs * 2, maxMs);
    };
    c.on('error', (e) => {
      // 'error' also reports a failed kill() of a child that still runs: only a failed spawn ends this run.
      if (c.pid === undefined) finish(`failed: ${e.message}`);
      else sink?.error(new Error(`journalctl: ${e.message}`));
    });
    // 'close' rather than 'exit': stdout has been read to its end by then, so no line is left behind.
    c.on('close', (code, signal) => finish(signal ? `killed by ${signal}` : `exited with code ${code}`));
  }

  /**
   * journalctl -f with no journald writing waits forever without a word (stopped journald, or a journal
   * nobody writes): the follower would look up while no kill can reach it. So journald itself is
   * checked now and then.
   */
  function checkJournald(): void {
    const sock = connect(socketPath);
    let settled = false;
    const done = (problem: string | null): void => {
      if (settled) return;
      settled = true;
      sock.destroy();
      if (stopped) return;
      if (problem !== null && journaldDown === null) {
        sink?.error(
          new Error(
            `systemd-journald is not running (${socketPath}: ${problem}): journalctl waits and no kernel record can arrive, so kills are missed until it is back (in a container, mount the host's /run/systemd/journal)`,
          ),
        );
      }
      if (problem === null && journaldDown !== null) sink?.recovered?.(`systemd-journald runs again (${socketPath} answers)`);
      journaldDown = problem;
    };
    sock.once('connect', () => done(null));
    sock.once('error', (e: NodeJS.ErrnoException) => done(e.code === 'ECONNREFUSED' ? 'nobody listens' : e.code === 'ENOENT' ? 'no such socket' : e.message));
    sock.setTimeout(5000, () => done('no answer within 5 s'));
  }

  function handleLine(line: string): void {
    const entry = parseJournalJson(line);
    if (entry === null || sink === null) return;
    // Without a cursor journalctl starts a little before our start (the last entry, or --since in whole
    // seconds): entries journald received before we started are history, never counted. So are those
    // this run delivered before a fallback re-read them.
    const kernelStamp = entry.record.uptimeSeconds;
    const replay =
      fromStart &&
      ((kernelStamp !== null && startUptimeSeconds !== null && kernelStamp < startUptimeSeconds) ||
        (entry.realtimeUsec !== null && (entry.realtimeUsec < startedAtMs * 1000 || delivered(entry.realtimeUsec, entry.cursor))));
    if (!replay && entry.realtimeUsec !== null) {
      if (lastUsec === null || entry.realtimeUsec > lastUsec) {
        lastUsec = entry.realtimeUsec;
        cursorsAtLastUsec.clear();
      }
      if (entry.cursor !== null && entry.realtimeUsec === lastUsec) cursorsAtLastUsec.add(entry.cursor);
    }
    // Advance the cursor first: the sink may save our position while handling this record.
    if (entry.cursor !== null) cursor = entry.cursor;
    if (entry.missedKernelMessages !== null) {
      if (!replay) sink.lost(entry.missedKernelMessages);
      return;
    }
    sink.record(recordOf(entry, line), replay);
  }

  /** Whether this run already delivered the entry received at `usec` with this cursor. */
  function delivered(usec: number, entryCursor: string | null): boolean {
    if (lastUsec === null || usec > lastUsec) return false;
    if (usec < lastUsec) return true;
    return entryCursor !== null && cursorsAtLastUsec.has(entryCursor);
  }

  return {
    name: 'journald',
    userspaceKillers: true,
    start(s) {
      sink = s;
      spawnJournalctl();
      checkJournald();
      livenessTimer = setInterval(checkJournald, livenessIntervalMs);
      livenessTimer.unref();
    },
    // journalctl pushes its lines as they come; there is nothing to pull.
    drain() {},
    up: () => running && journaldDown === null,
    pid: () => (running ? child?.pid : undefined),
    position(): JournaldPosition | null {
      return cursor === null ? null : { source: 'journald', cursor };
    },
    async stop() {
      stopped = true;
      if (livenessTimer !== null) clearInterval(livenessTimer);
      if (restartTimer !== null) clearTimeout(restartTimer);
      restartTimer = null;
      const c = child;
      if (c !== null) {
        c.kill('SIGTERM');
        // journalctl exits on SIGTERM at once; SIGKILL only if it is wedged in a read.
        const force = setTimeout(() => c.kill('SIGKILL'), 2000);
        force.unref();
        await exited;
        clearTimeout(force);
      }
    },
  };
}

export interface JournaldBacklogOptions {
  /** The program and any leading arguments; ours follow. */
  command?: readonly string[] | undefined;
}

/**
 * Every boot's kernel records and userspace killers' reports in the journal, read once: journalctl
 * without -f, its entries handed over as it prints them (a journal can be large: nothing is collected).
 * A journalctl that cannot be run (ENOENT) or exits with an error rejects, with the last line of its
 * stderr; a sink that throws stops journalctl, which must not outlive the read.
 */
export function journaldBacklog(opts: JournaldBacklogOptions = {}): Backlog {
  const command = opts.command ?? JOURNALCTL;
  return {
    userspaceKillers: true,
    read(sink) {
      return new Promise<void>((resolve, reject) => {
        let failure: Error | null = null;
        let paused = false;
        const deliver = (line: string): void => {
          if (failure !== null) return;
          try {
            const entry = parseJournalJson(line);
            if (entry === null) return;
            if (entry.missedKernelMessages !== null) sink.lost(entry.missedKernelMessages);
            else sink.record(recordOf(entry, line), false);
            // The sink is behind (a slow pipe): journalctl waits on a full pipe until it catches up.
            const wait = paused ? null : (sink.ready?.() ?? null);
            if (wait !== null) {
              paused = true;
              run.child.stdout?.pause();
              void wait.then(() => {
                paused = false;
                run.child.stdout?.resume();
              });
            }
          } catch (e) {
            failure = e instanceof Error ? e : new Error(String(e));
            run.child.kill();
          }
        };
        const run = runJournalctl(command, [...OUTPUT_ARGS, ...JOURNAL_MATCHES], deliver);
        let settled = false;
        // 'error' alone when journalctl never ran; also for a failed kill() of one that runs, which 'close' settles.
        run.child.once('error', (e) => {
          if (run.child.pid !== undefined || settled) return;
          settled = true;
          reject(e);
        });
        // 'close' rather than 'exit': stdout has been read to its end by then, so no line is left behind.
        run.child.once('close', (code, signal) => {
          if (settled) return;
          settled = true;
          if (run.rest() !== '') deliver(run.rest());
          if (failure !== null) return reject(failure);
          if (code === 0) return resolve();
          const detail = lastLine(run.stderr());
          const why = signal !== null ? `was killed by ${signal}` : `exited with ${code}`;
          reject(new Error(`${run.program} ${why}${detail ? `: ${detail}` : ''}`));
        });
      });
    },
  };
}

/**
 * null when journalctl shows kernel records of this boot. Its exit code alone proves nothing: with no
 * journald running it prints nothing and exits 0.
 */
function journalProblem(command: readonly string[]): Promise<string | null> {
  const program = command[0] ?? 'journalctl';
  const args = [...command.slice(1), '-k', '-b', '-n', '1', ...OUTPUT_ARGS];
  return new Promise((resolve) => {
    execFile(program, args, { timeout: 5000, maxBuffer: 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        const detail = String(stderr).trim().split('\n').pop() || err.message;
        resolve(`${program} failed: ${detail}`);
      } else if (!String(stdout).trimStart().startsWith('{')) {
        resolve(`${program} shows no kernel records of this boot (is systemd-journald running?)`);
      } else {
        resolve(null);
      }
    });
  });
}

export const journaldSource: SourceDefinition<JournaldPosition> = {
  name: 'journald',
  readsFile: false,
  async probe(settings) {
    const problem = await journalProblem(settings.journalctl ?? JOURNALCTL);
    return problem === null ? { usable: true } : { usable: false, reasons: [problem] };
  },
  live: (settings, resume) =>
    createJournaldSource({
      ...(settings.journalctl ? { command: settings.journalctl } : {}),
      ...(settings.journaldBackoff ? { backoff: settings.journaldBackoff } : {}),
      ...(settings.journaldSocket !== undefined ? { socket: settings.journaldSocket } : {}),
      afterCursor: resume?.cursor,
    }),
  backlog: (settings) => journaldBacklog({ command: settings.journalctl }),
  parsePosition(saved) {
    const cursor = saved['cursor'];
    return typeof cursor === 'string' && cursor !== '' && !cursor.includes('\n') ? { source: 'journald', cursor } : null;
  },
  mismatch: () => null,
};
