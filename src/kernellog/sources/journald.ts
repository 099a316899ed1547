import { spawn, type ChildProcess } from 'node:child_process';
import { MISSED_MESSAGE_ID, parseJournalJson } from '../journal-record.js';
import type { KernelLogSource, RecordSink, SourcePosition } from './source.js';

export interface JournaldSourceOptions {
  /** The program and any leading arguments; ours follow. Tests put a fake journalctl here. */
  command?: readonly string[];
  /** Resume after this cursor (same boot: the caller checked). Undefined: start at the end. */
  afterCursor?: string | undefined;
  /** Restart delay after journalctl exits: starts at initialMs, doubles up to maxMs. */
  backoff?: { initialMs: number; maxMs: number };
  /** Wall clock in ms; injectable for tests. */
  now?: () => number;
}

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

/**
 * Follows `journalctl -f -o json` as a child process. journalctl is restarted with backoff whenever it
 * exits, resuming after the last cursor it printed, so nothing is skipped or repeated across restarts;
 * up() is false while it is not running.
 */
export interface JournaldSource extends KernelLogSource {
  /** The pid of the running journalctl, if one runs. */
  pid(): number | undefined;
}

export function createJournaldSource(opts: JournaldSourceOptions = {}): JournaldSource {
  const command = opts.command ?? JOURNALCTL;
  const initialMs = opts.backoff?.initialMs ?? 1000;
  const maxMs = opts.backoff?.maxMs ?? 30_000;
  const now = opts.now ?? Date.now;
  const startedAtMs = now();
  let cursor: string | null = opts.afterCursor ?? null;
  let firstRun = true;
  let sink: RecordSink | null = null;
  let child: ChildProcess | null = null;
  let running = false;
  let stopped = false;
  let delayMs = initialMs;
  let restartTimer: NodeJS.Timeout | null = null;
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
    const program = command[0] ?? 'journalctl';
    const args = [...command.slice(1), '-f', '-o', 'json', '-q', '--no-pager', ...startArgs(), ...JOURNAL_MATCHES];
    const usedCursor = cursor;
    fromStart = cursor === null;
    firstRun = false;
    const spawnedAt = now();
    let pending = '';
    let stderr = '';
    let lines = 0;
    let done = false;
    let resolveExited!: () => void;
    exited = new Promise((r) => (resolveExited = r));

    const c = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    c.on('spawn', () => {
      if (!done) running = true;
    });
    c.stdout!.setEncoding('utf8');
    c.stdout!.on('data', (chunk: string) => {
      pending += chunk;
      let nl = pending.indexOf('\n');
      if (nl === -1) return;
      let start = 0;
      while (nl !== -1) {
        const line = pending.slice(start, nl);
        start = nl + 1;
        lines++;
        handleLine(line);
        nl = pending.indexOf('\n', start);
      }
      pending = pending.slice(start);
    });
    c.stderr!.setEncoding('utf8');
    c.stderr!.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_KEEP);
    });

    const finish = (why: string): void => {
      if (done) return;
      done = true;
      running = false;
      if (child === c) child = null;
      resolveExited();
      if (stopped) return;
      const detail = stderr.trim().split('\n').pop() ?? '';
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

  function handleLine(line: string): void {
    const entry = parseJournalJson(line);
    if (entry === null || sink === null) return;
    // Without a cursor journalctl starts a little before our start (the last entry, or --since in whole
    // seconds): entries journald received before we started are history, never counted. So are those
    // this run delivered before a fallback re-read them.
    const replay = fromStart && entry.realtimeUsec !== null && (entry.realtimeUsec < startedAtMs * 1000 || delivered(entry.realtimeUsec, entry.cursor));
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
    let rec = entry.record;
    // A process may write "earlyoom: sending SIGKILL ..." into /dev/kmsg: journald files it under
    // _TRANSPORT=kernel with SYSLOG_IDENTIFIER=earlyoom. The real killers log to journald directly, so
    // a userspace record that came through the kernel's log is nobody's report.
    if (!rec.fromKernel && rec.identifier !== null && line.includes(KERNEL_TRANSPORT)) rec = { ...rec, identifier: null };
    sink.record(rec, replay);
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
    },
    // journalctl pushes its lines as they come; there is nothing to pull.
    drain() {},
    up: () => running,
    pid: () => (running ? child?.pid : undefined),
    position(): SourcePosition | null {
      return cursor === null ? null : { source: 'journald', cursor };
    },
    async stop() {
      stopped = true;
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
