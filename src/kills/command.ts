import { spawn } from 'node:child_process';
import { closeSync, constants, createReadStream, openSync, readSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { FlagError } from '../config.js';
import { parseLine } from '../kernellog/envelope.js';
import { createOomParser } from '../kernellog/parse.js';
import { chooseSource } from '../kernellog/sources/auto.js';
import { JOURNALCTL, JOURNAL_MATCHES } from '../kernellog/sources/journald.js';
import { KMSG_PATH } from '../kernellog/sources/kmsg.js';
import type { OomKill } from '../kernellog/types.js';
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

/** Feeds lines through the one parser every source uses; kills come out in log order. */
async function killsFromLines(lines: AsyncIterable<string> | Iterable<string>): Promise<OomKill[]> {
  const parser = createOomParser();
  const kills: OomKill[] = [];
  const now = Date.now();
  for await (const line of lines) {
    const rec = parseLine(line, now);
    if (rec === null) continue;
    const kill = parser.push(rec);
    if (kill !== null) kills.push(kill);
  }
  return kills;
}

function linesOf(stream: Readable): AsyncIterable<string> {
  return createInterface({ input: stream, crlfDelay: Infinity });
}

/** The whole /dev/kmsg ring buffer, read without blocking: one record per read(), EAGAIN at the end. */
function readKmsgBacklog(path: string): string[] {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const buf = Buffer.allocUnsafe(16 * 1024);
  const records: string[] = [];
  try {
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') break;
        // Overwritten while we read: the next read continues at the oldest record still there.
        if (code === 'EPIPE') continue;
        throw e;
      }
      if (n === 0) break;
      // A record's continuation lines (" KEY=VALUE") follow its first line; the parser skips them.
      records.push(...buf.toString('utf8', 0, n).split('\n').filter((l) => l !== ''));
    }
  } finally {
    closeSync(fd);
  }
  return records;
}

async function journalLines(): Promise<string[]> {
  const program = JOURNALCTL[0];
  const child = spawn(program, [...JOURNALCTL.slice(1), '-o', 'json', '-q', '--no-pager', ...JOURNAL_MATCHES], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  for await (const line of linesOf(child.stdout)) lines.push(line);
  const code: number | null = await new Promise((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', r)));
  if (code !== 0) throw new Error(`${program} exited with ${code}`);
  return lines;
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
      if (choice.source === 'kmsg') kills = await killsFromLines(readKmsgBacklog(KMSG_PATH));
      else if (choice.source === 'journald') kills = await killsFromLines(await journalLines());
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
