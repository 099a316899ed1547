import fs from 'node:fs';
import { FlagError } from '../flags.js';
import { checkProcfs } from '../procfs/check.js';
import type { KillsSources } from '../kills/command.js';
import { localIsoTime } from '../kills/format.js';
import { readBootClock } from '../procfs/boot.js';
import { createTopReader, readLatestKills } from './read.js';
import { fixedLines, KILLS_SHOWN, renderScreen, type KillsState } from './screen.js';

export interface TopOptions {
  once: boolean;
  /** Victim rows; undefined: fit the terminal's height (else DEFAULT_LIMIT). */
  limit: number | undefined;
  intervalSeconds: number;
  cgroup: string | undefined;
  /** --path.procfs, --path.sysfs, --path.cgroupfs, as the exporter's (e.g. /host/proc in a container). */
  procfs: string | undefined;
  sysfs: string | undefined;
  cgroupfs: string | undefined;
}

export const DEFAULT_LIMIT = 20;
export const DEFAULT_INTERVAL_SECONDS = 2;
/** The kernel log is read again at most this often: a journal backlog can take a while to read. */
const KILLS_EVERY_MS = 5000;

export const TOP_USAGE = `usage: oom-exporter top [--once] [-n N] [--interval SECONDS] [--cgroup PATH] [--path.procfs PATH] ...

The processes the OOM killer would take next (by oom_score, with RSS, swap, oom_score_adj, memory
cgroup and that cgroup's headroom: limit - usage) and the latest OOM kills in the kernel log, refreshed
like top. It reads /proc, the cgroup filesystem and the kernel log itself: no exporter needs to run.

  --once              print one screen and exit (the only mode when the output is not a terminal)
  -n, --limit N       show N processes (default: as many as fit the terminal, else ${DEFAULT_LIMIT})
  --interval SECONDS  time between refreshes (default ${DEFAULT_INTERVAL_SECONDS})
  --cgroup PATH       only processes in this memory cgroup or below it (as /proc/PID/cgroup prints it)
  --path.procfs PATH  procfs mountpoint (default /proc; e.g. /host/proc in a container)
  --path.sysfs PATH   sysfs mountpoint (default /sys)
  --path.cgroupfs PATH  cgroup filesystem root (default: found in mountinfo, under --path.sysfs)

Keys: q or Ctrl-C quits. Names are shown with control characters escaped as \\xNN.
`;

function value(argv: readonly string[], i: number, name: string): string {
  const v = argv[i];
  if (v === undefined || v === '') throw new FlagError(`top: ${name} needs a value`);
  return v;
}

function positiveInteger(text: string, name: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new FlagError(`top: ${name} must be a whole number of processes, at least 1 (got "${text}")`);
  return Number(text);
}

/** Faster than 10 redraws a second is a busy loop, not a screen; slower than a day is a timer overflow. */
const MIN_INTERVAL_SECONDS = 0.1;
const MAX_INTERVAL_SECONDS = 86_400;

function positiveSeconds(text: string, name: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0) throw new FlagError(`top: ${name} must be a number of seconds above 0 (got "${text}")`);
  if (n < MIN_INTERVAL_SECONDS || n > MAX_INTERVAL_SECONDS) {
    throw new FlagError(`top: ${name} must be from ${MIN_INTERVAL_SECONDS} to ${MAX_INTERVAL_SECONDS} seconds (got "${text}")`);
  }
  return n;
}

function mountPath(text: string, name: string): string {
  if (!text.startsWith('/')) throw new FlagError(`top: ${name} must be an absolute path (got "${text}")`);
  return text.length > 1 ? text.replace(/\/+$/, '') : text;
}

/** The same flag under its two spellings (-n, --limit) is one flag. */
const CANONICAL: Record<string, string> = { '-n': '--limit' };

export function parseTopArgs(argv: readonly string[]): TopOptions {
  const opts: TopOptions = {
    once: false,
    limit: undefined,
    intervalSeconds: DEFAULT_INTERVAL_SECONDS,
    cgroup: undefined,
    procfs: undefined,
    sysfs: undefined,
    cgroupfs: undefined,
  };
  const seen = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    const eq = a.indexOf('=');
    const [flag, inline] = a.startsWith('--') && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    // A flag given twice is a mistake to point out (which one was meant?), not one to settle silently.
    const key = CANONICAL[flag] ?? flag;
    if (seen.has(key)) throw new FlagError(`top: ${flag} is given more than once`);
    seen.add(key);
    const arg = (): string => (inline !== undefined ? value([inline], 0, flag) : value(argv, ++i, flag));
    if (flag === '--once' && inline === undefined) opts.once = true;
    else if (flag === '--path.procfs') opts.procfs = mountPath(arg(), flag);
    else if (flag === '--path.sysfs') opts.sysfs = mountPath(arg(), flag);
    else if (flag === '--path.cgroupfs') opts.cgroupfs = mountPath(arg(), flag);
    else if (flag === '-n' || flag === '--limit') opts.limit = positiveInteger(arg(), flag);
    else if (flag === '--interval') opts.intervalSeconds = positiveSeconds(arg(), flag);
    else if (flag === '--cgroup') {
      const c = arg();
      if (!c.startsWith('/')) throw new FlagError(`top: --cgroup must be a cgroup path starting with / (got "${c}")`);
      opts.cgroup = c;
    } else throw new FlagError(`top: unknown argument "${a}"`);
  }
  return opts;
}

export interface TopIo {
  stdout: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
  err: (s: string) => void;
}

/** Where `top` reads; tests replace the kernel log's sources. */
export interface TopSources extends KillsSources {
  procfs?: string;
  sysfs?: string;
}

/** Streams whose 'error' events are heard (write() takes the error from its callback instead). */
const heard = new WeakSet<NodeJS.WritableStream>();

/**
 * Writes to the output, the error (EPIPE when the reader left, ENOSPC on a full disk) coming back to the
 * caller. The stream also emits it as an event, maybe a tick after the callback: unheard, that would end
 * the process with a stack trace, so a listener stays for the stream's life.
 */
const write = (out: NodeJS.WritableStream, s: string): Promise<void> =>
  new Promise((resolve, reject) => {
    if (!heard.has(out)) {
      heard.add(out);
      out.on('error', () => {});
    }
    out.write(s, (e) => (e ? reject(e) : resolve()));
  });

/** Runs `oom-exporter top`; returns the exit code. */
export async function runTop(argv: readonly string[], io: TopIo, sources: TopSources = {}): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    await write(io.stdout, TOP_USAGE);
    return 0;
  }
  let opts: TopOptions;
  try {
    opts = parseTopArgs(argv);
  } catch (e) {
    if (e instanceof FlagError) {
      io.err(`oom-exporter: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const tty = io.stdout.isTTY === true;
  if (!opts.once && !tty) {
    io.err('oom-exporter: top: the output is not a terminal; use top --once for one screen\n');
    return 2;
  }
  const procfs = opts.procfs ?? sources.procfs ?? '/proc';
  // As the exporter does: a wrong path gives an error naming it, not a stack trace or an empty screen.
  const notProcfs = checkProcfs(procfs);
  if (notProcfs !== undefined) {
    io.err(`oom-exporter: top: ${notProcfs}\n`);
    return 2;
  }
  if (opts.cgroupfs !== undefined && !fs.existsSync(opts.cgroupfs)) {
    io.err(`oom-exporter: top: --path.cgroupfs ${opts.cgroupfs} does not exist\n`);
    return 2;
  }
  const reader = createTopReader({ procfs, sysfs: opts.sysfs ?? sources.sysfs ?? '/sys', cgroupfs: opts.cgroupfs, cgroup: opts.cgroup });
  const clock = sources.clock === undefined ? readBootClock(procfs) : sources.clock;
  const screen = async (kills: KillsState, rows: number | undefined, columns: number | undefined): Promise<string[]> => {
    const s = await reader.snapshot(kills);
    const killRows = 'kills' in kills ? Math.min(kills.kills.length, KILLS_SHOWN) : 0;
    const limit = opts.limit ?? (rows !== undefined ? Math.max(1, rows - fixedLines(killRows)) : DEFAULT_LIMIT);
    return renderScreen(s, { limit, clock, time: localIsoTime(s.nowSeconds), columns, cgroup: opts.cgroup });
  };

  if (opts.once) {
    const lines = await screen(await readLatestKills(sources), tty ? io.stdout.rows : undefined, undefined);
    try {
      await write(io.stdout, lines.join('\n') + '\n');
    } catch (e) {
      // A reader that left (`| head`) is not an error; anything else (a full disk) is, named.
      if ((e as NodeJS.ErrnoException).code !== 'EPIPE') {
        io.err(`oom-exporter: top: writing the output: ${(e as Error).message}\n`);
        return 1;
      }
    }
    return 0;
  }
  return interactive(opts, io, sources, screen);
}

/** The refreshing screen: redrawn every interval and on resize, until q, Ctrl-C, SIGINT or SIGTERM. */
async function interactive(
  opts: TopOptions,
  io: TopIo,
  sources: TopSources,
  screen: (kills: KillsState, rows: number | undefined, columns: number | undefined) => Promise<string[]>,
): Promise<number> {
  const { stdout, stdin } = io;
  let stop = false;
  let wake: (() => void) | null = null;
  const quit = (): void => {
    stop = true;
    wake?.();
  };
  const redraw = (): void => wake?.();
  // In raw mode Ctrl-C arrives as a byte (0x03), not as SIGINT.
  const onKey = (chunk: Buffer | string): void => {
    const s = typeof chunk === 'string' ? chunk : chunk.toString('latin1');
    if (s.includes('q') || s.includes('Q') || s.includes('\u0003')) quit();
  };

  // The kernel log is read in the background: a slow journal must not hold up the process table.
  let kills: KillsState = { kills: [] };
  let killsRead: Promise<void> | null = null;
  let killsAt = -Infinity;
  const refreshKills = (): Promise<void> | null => {
    if (killsRead !== null || Date.now() - killsAt < KILLS_EVERY_MS) return null;
    return (killsRead = readLatestKills(sources).then(
      (k) => {
        kills = k;
        killsAt = Date.now();
        killsRead = null;
        redraw();
      },
      (e: unknown) => {
        kills = { unreadable: (e as Error).message };
        killsAt = Date.now();
        killsRead = null;
      },
    ));
  };

  const rawMode = stdin.isTTY === true;
  if (rawMode) stdin.setRawMode(true);
  stdin.on('data', onKey);
  stdin.resume();
  process.on('SIGTERM', quit);
  process.on('SIGINT', quit);
  process.on('SIGHUP', quit);
  // Node turns SIGWINCH into 'resize' on a terminal stream.
  stdout.on('resize', redraw);
  // Hide the cursor and clear once; each redraw then homes the cursor and overwrites in place (no flicker).
  stdout.write('\x1b[?25l\x1b[2J');
  try {
    // The first screen waits for the kernel log (it is usually fast), so it does not show "none" first.
    const first = refreshKills();
    if (first !== null) await Promise.race([first, new Promise((r) => setTimeout(r, 1000).unref())]);
    while (!stop) {
      // In the background: its own handlers take the result and redraw.
      void refreshKills();
      const lines = await screen(kills, stdout.rows, stdout.columns);
      if (stop) break;
      // No newline after the last line: a full screen would scroll by one.
      stdout.write('\x1b[H' + lines.join('\x1b[K\n') + '\x1b[K\x1b[J');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, opts.intervalSeconds * 1000);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
    }
  } finally {
    process.off('SIGTERM', quit);
    process.off('SIGINT', quit);
    process.off('SIGHUP', quit);
    stdout.off('resize', redraw);
    stdin.off('data', onKey);
    if (rawMode) stdin.setRawMode(false);
    stdin.pause();
    // Cursor shown again, below the last screen, which stays readable after quitting.
    await write(stdout, '\x1b[?25h\n');
  }
  return 0;
}
