import { FlagError } from '../flags.js';
import { killsIn } from '../kernellog/backlog.js';
import { chooseSource } from '../kernellog/sources/auto.js';
import { fileBacklog } from '../kernellog/sources/file.js';
import { SOURCES, sourceNamed, type AnySourceDefinition } from '../kernellog/sources/index.js';
import type { Backlog, SourceSettings } from '../kernellog/sources/source.js';
import type { OomKill } from '../kernellog/types.js';
import { formatKillJson, formatKillsTable } from './format.js';

export interface KillsOptions {
  /** A file to read, '-' for stdin; undefined: the live kernel log's backlog. */
  file: string | undefined;
  json: boolean;
}

export const KILLS_USAGE = `usage: oom-exporter kills [--file PATH|-] [--json]

Lists the OOM kills in a kernel log: the live one (/dev/kmsg, else journald, else a syslog file) or
--file PATH (- for stdin) in any format, detected line by line: raw /dev/kmsg records, dmesg (plain,
-r, -T, -e, -x, --time-format iso, --json), syslog files (RFC 3164, RFC 3339, BusyBox, OpenWrt
logread), remote syslog with <PRI> or RFC 5424, journalctl (short, short-precise, short-iso,
short-full, short-monotonic, short-unix, -o json), and text pasted with quotes, fences or indentation.

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

/** Where the live log is looked for: the registered sources and their settings; tests replace them. */
export interface KillsSources {
  sources?: readonly AnySourceDefinition[];
  settings?: SourceSettings;
}

/**
 * The live kernel log's backlog: the source `auto` picks (/dev/kmsg, else journald, else a syslog
 * file), read once through its own backlog mode; or why there is none.
 */
async function liveBacklog(live: KillsSources): Promise<Backlog | { none: string }> {
  const table = live.sources ?? SOURCES;
  const settings = live.settings ?? {};
  const choice = await chooseSource({ ...settings, requested: 'auto' }, table);
  const backlog = choice.source === 'none' ? null : (sourceNamed(choice.source, table)?.backlog({ ...settings, file: choice.file ?? undefined }) ?? null);
  return backlog ?? { none: choice.rejected.map((r) => r.reason).join('; ') };
}

/** Runs `oom-exporter kills`; returns the exit code. */
export async function runKills(argv: readonly string[], out: (s: string) => void, err: (s: string) => void, live: KillsSources = {}): Promise<number> {
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
    let backlog: Backlog;
    if (opts.file !== undefined) {
      // Any file in any envelope, as the file source reads its backlog; - is standard input.
      backlog = fileBacklog(opts.file === '-' ? process.stdin : opts.file);
    } else {
      const found = await liveBacklog(live);
      if ('none' in found) {
        err(`oom-exporter: no kernel log to read (${found.none}); use --file PATH\n`);
        return 1;
      }
      backlog = found;
    }
    kills = await killsIn(backlog);
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
