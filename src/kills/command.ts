import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { FlagError } from '../config.js';
import { parseLine } from '../kernellog/envelope.js';
import { createOomParser } from '../kernellog/parse.js';
import { chooseSource } from '../kernellog/sources/auto.js';
import { JOURNALCTL, JOURNAL_MATCHES } from '../kernellog/sources/journald.js';
import { createKmsgSource, KMSG_PATH, type KmsgReadFn } from '../kernellog/sources/kmsg.js';
import type { LogRecord, OomKill } from '../kernellog/types.js';
import { formatKillJson, formatKillsTable } from './format.js';

export interface KillsOptions {
  /** A file to read, '-' for stdin; undefined: the live kernel log's backlog. */
  file: string | undefined;
  json: boolean;
}

export const KILLS_USAGE = `usage: oom-exporter kills [--file PATH|-] [--json]

Lists the OOM kills in a kernel log: the live one (/dev/kmsg, else journald, else a syslog file) or
--file PATH (- for stdin) in any format: raw /dev/kmsg records, dmesg (plain, -T, -e, --time-format
iso), syslog files, journalctl short, short-precise or -o json, detected line by line.

  --file PATH   read this file instead of the live log (- for standard input)
  --json        one JSON object per kill per line, in log order
`;

export function parseKillsArgs(argv: readonly string[]): KillsOptions {
  let file: string | undefined;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '--json') json = true;
    else if (a === '--file') {
      file = argv[++i];
      if (file === undefined || file === '') throw new FlagError('kills: --file needs a path (or - for stdin)');
    } else if (a.startsWith('--file=')) {
      file = a.slice(7);
      if (file === '') throw new FlagError('kills: --file needs a path (or - for stdin)');
    } else throw new FlagError(`kills: unknown argument "${a}"`);
  }
  return { file, json };
}

/** The one parser every source uses, collecting kills in log order. */
function killCollector() {
  const parser = createOomParser();
  const kills: OomKill[] = [];
  return {
    kills,
    push(rec: LogRecord): void {
      const kill = parser.push(rec);
      if (kill !== null) kills.push(kill);
    },
    reset: () => parser.reset(),
  };
}

/** Feeds lines, as they come, through the parser; kills come out in log order. */
async function killsFromLines(lines: AsyncIterable<string> | Iterable<string>): Promise<OomKill[]> {
  const c = killCollector();
  const now = Date.now();
  for await (const line of lines) {
    const rec = parseLine(line, now);
    if (rec !== null) c.push(rec);
  }
  return c.kills;
}

function linesOf(stream: Readable): AsyncIterable<string> {
  return createInterface({ input: stream, crlfDelay: Infinity });
}

/**
 * The whole /dev/kmsg ring buffer, read by the follower's own kmsg source (non-blocking, growing its
 * buffer for a record too big, skipping over records overwritten meanwhile): started without a
 * position it delivers the backlog synchronously, as context records, within start().
 */
export async function killsFromKmsg(opts: { path?: string; read?: KmsgReadFn } = {}): Promise<OomKill[]> {
  const c = killCollector();
  let failure: Error | null = null;
  const source = createKmsgSource({ path: opts.path ?? KMSG_PATH, ...(opts.read ? { read: opts.read } : {}) });
  source.start({
    record: (rec) => c.push(rec),
    lost: () => c.reset(),
    error: (e) => (failure ??= e),
  });
  await source.stop();
  if (failure !== null) throw failure;
  return c.kills;
}

const STDERR_KEEP = 4096;

/**
 * journalctl's output, line by line as it prints it (every boot's journal can be large: nothing is
 * collected). Its stderr is read all along, else a chatty journalctl blocks on a full pipe; the last
 * of it says why when it fails. A journalctl that cannot be run (ENOENT) is an error, not a crash.
 */
export async function* journalLines(command: readonly string[] = JOURNALCTL): AsyncGenerator<string> {
  const program = command[0] ?? 'journalctl';
  const child = spawn(program, [...command.slice(1), '-o', 'json', '-q', '--no-pager', ...JOURNAL_MATCHES], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_KEEP);
  });
  // 'close' comes after both pipes ended, so stderr is complete; 'error' instead when it never ran.
  const ended = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  // Awaited below; until then a spawn failure must not count as an unhandled rejection.
  ended.catch(() => {});
  let finished = false;
  try {
    for await (const line of linesOf(child.stdout)) yield line;
    finished = true;
  } finally {
    // The consumer stopped early (an exception): journalctl must not outlive us.
    if (!finished && child.exitCode === null && child.signalCode === null) child.kill();
  }
  const code = await ended;
  if (code !== 0) {
    const detail = stderr.trim().split('\n').pop() ?? '';
    throw new Error(`${program} exited with ${code}${detail ? `: ${detail}` : ''}`);
  }
}

/** Runs `oom-exporter kills`; returns the exit code. */
export async function runKills(argv: readonly string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    out(KILLS_USAGE);
    return 0;
  }
  let opts: KillsOptions;
  try {
    opts = parseKillsArgs(argv);
  } catch (e) {
    if (e instanceof FlagError) {
      err(`oom-exporter: ${e.message}\n`);
      return 2;
    }
    throw e;
  }

  let kills: OomKill[];
  try {
    if (opts.file === '-') {
      kills = await killsFromLines(linesOf(process.stdin));
    } else if (opts.file !== undefined) {
      const stream = createReadStream(opts.file);
      // Open errors (ENOENT, EACCES, EISDIR) surface here, before any line is read.
      await new Promise<void>((resolve, reject) => stream.once('ready', () => resolve()).once('error', reject));
      kills = await killsFromLines(linesOf(stream));
    } else {
      const choice = await chooseSource({ requested: 'auto' });
      if (choice.source === 'kmsg') kills = await killsFromKmsg();
      else if (choice.source === 'journald') kills = await killsFromLines(journalLines());
      else if (choice.source === 'file' && choice.file !== null) kills = await killsFromLines(linesOf(createReadStream(choice.file)));
      else {
        err(`oom-exporter: no kernel log to read (${choice.rejected.map((r) => r.reason).join('; ')}); use --file PATH\n`);
        return 1;
      }
    }
  } catch (e) {
    err(`oom-exporter: kills: ${(e as Error).message}\n`);
    return 1;
  }

  if (opts.json) {
    for (const k of kills) out(formatKillJson(k) + '\n');
  } else {
    out(formatKillsTable(kills));
  }
  return 0;
}
