import type { Writable } from 'node:stream';
import { createKubeNames } from '../cgroup/kubelet-logs.js';
import { FlagError } from '../flags.js';
import { streamKills, type KillSink } from '../kernellog/backlog.js';
import { chooseSource } from '../kernellog/sources/auto.js';
import { fileBacklog } from '../kernellog/sources/file.js';
import { SOURCES, sourceNamed, type AnySourceDefinition } from '../kernellog/sources/index.js';
import type { Backlog, SourceSettings } from '../kernellog/sources/source.js';
import { readBootClock, type BootClock } from '../procfs/boot.js';
import { createKillsTable, formatKillJson, TABLE_WINDOW } from './format.js';
import { streamOutput } from './output.js';

export interface KillsOptions {
  /** A file to read, '-' for stdin; undefined: the live kernel log's backlog. */
  file: string | undefined;
  json: boolean;
  /** The node's /var/log, for Kubernetes names (--path.varlog). */
  varlog: string;
}

export const KILLS_USAGE = `usage: oom-exporter kills [--file PATH|-] [--json] [--path.varlog PATH]

Lists the OOM kills in a kernel log: the live one (/dev/kmsg, else journald, else a syslog file) or
--file PATH (- for stdin) in any format, detected line by line: raw /dev/kmsg records, dmesg (plain,
-r, -T, -e, -x, --time-format iso, --json), syslog files (RFC 3164, RFC 3339, BusyBox, OpenWrt
logread), remote syslog with <PRI> or RFC 5424, journalctl (short, short-precise, short-iso,
short-full, short-monotonic, short-unix, -o json), and text pasted with quotes, fences or indentation.

  --file PATH   read this file instead of the live log (- for standard input)
  --json        one JSON object per kill per line, in log order
  --path.varlog PATH  the node's /var/log (default /var/log): on a Kubernetes node, the kubelet's
                log tree there names each kill's namespace, pod and container (POD column; JSON
                keys namespace, pod, container, null elsewhere)

The table shows an uptime stamp (/dev/kmsg, plain dmesg) as this boot's wall-clock time, as dmesg -T
does (early by any time spent suspended), when it can be this boot's; --json keeps time and uptime as
the log gave them.

Kills are printed as they are found: any size of log is read in the same memory. The table's columns
are sized on its first ${TABLE_WINDOW.toLocaleString('en')} rows. A gzip file (kern.log.2.gz) is read as such.
`;

export function parseKillsArgs(argv: readonly string[]): KillsOptions {
  let file: string | undefined;
  let json = false;
  let varlog = '/var/log';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '--json') json = true;
    else if (a === '--path.varlog' || a.startsWith('--path.varlog=')) {
      const v = a === '--path.varlog' ? argv[++i] : a.slice('--path.varlog='.length);
      if (v === undefined || !v.startsWith('/')) throw new FlagError(`kills: --path.varlog needs an absolute path (got "${v ?? ''}")`);
      varlog = v;
    } else if (a === '--file') {
      file = argv[++i];
      if (file === undefined || file === '') throw new FlagError('kills: --file needs a path (or - for stdin)');
    } else if (a.startsWith('--file=')) {
      file = a.slice(7);
      if (file === '') throw new FlagError('kills: --file needs a path (or - for stdin)');
    } else throw new FlagError(`kills: unknown argument "${a}"`);
  }
  return { file, json, varlog };
}

/** Where the live log is looked for: the registered sources and their settings; tests replace them. */
export interface KillsSources {
  sources?: readonly AnySourceDefinition[];
  settings?: SourceSettings;
  /** This boot's clock (default: read from /proc); null: show uptime stamps as they are. */
  clock?: BootClock | null;
}

/**
 * The live kernel log's backlog: the source `auto` picks (/dev/kmsg, else journald, else a syslog
 * file), read once through its own backlog mode; or why there is none.
 */
export async function liveBacklog(live: KillsSources): Promise<Backlog | { none: string }> {
  const table = live.sources ?? SOURCES;
  const settings = live.settings ?? {};
  const choice = await chooseSource({ ...settings, requested: 'auto' }, table);
  const backlog = choice.source === 'none' ? null : (sourceNamed(choice.source, table)?.backlog({ ...settings, file: choice.file ?? undefined }) ?? null);
  return backlog ?? { none: choice.rejected.map((r) => r.reason).join('; ') };
}

/** Thrown from the kill sink once the reader of the output went away: it stops reading the log. */
class OutputClosed extends Error {}

/** Held table rows are printed once the input has been quiet this long (a log piped in live). */
const QUIET_MS = 250;

/**
 * Runs `oom-exporter kills`; returns the exit code. Kills are printed as they are found, so memory stays
 * flat however long the log, and the log is read only as fast as `stdout` takes the output. A reader
 * that goes away (`| head`) ends the run quietly, exit code 0.
 */
export async function runKills(argv: readonly string[], stdout: Writable, err: (s: string) => void, live: KillsSources = {}): Promise<number> {
  const output = streamOutput(stdout);
  if (argv.includes('--help') || argv.includes('-h')) {
    output.write(KILLS_USAGE);
    await output.end();
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

  // --json keeps the records' own time and uptime; the table puts this boot's wall clock on uptime stamps.
  const names = createKubeNames({ varlog: opts.varlog });
  const table = opts.json ? null : createKillsTable(TABLE_WINDOW, live.clock === undefined ? readBootClock('/proc') : live.clock, names);
  // While the table holds rows to size its columns: chunks read since the last look, to tell a log that
  // is still pouring in from one that paused (a pipe left open).
  let quiet: NodeJS.Timeout | null = null;
  let chunks = 0;
  const stopQuiet = (): void => {
    if (quiet !== null) clearInterval(quiet);
    quiet = null;
  };
  let killsFound = 0;
  const sink: KillSink = {
    kill(kill) {
      if (output.closed()) throw new OutputClosed();
      killsFound++;
      if (table === null) {
        output.write(formatKillJson(kill, names) + '\n');
        return;
      }
      const text = table.row(kill);
      if (text !== '') {
        stopQuiet();
        output.write(text);
      } else if (quiet === null) {
        chunks = 0;
        quiet = setInterval(() => {
          if (chunks === 0) {
            stopQuiet();
            output.write(table.flush());
          }
          chunks = 0;
        }, QUIET_MS).unref();
      }
    },
    ready() {
      // Asked after every chunk read: a reader that left stops the read even where no kill comes.
      if (output.closed()) throw new OutputClosed();
      chunks++;
      return output.ready();
    },
  };

  let failure: string | null = null;
  // Whether the log was read to its end: not when the reader left first (`| head`) or a read failed.
  let readAll = false;
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
    await streamKills(backlog, sink);
    readAll = true;
  } catch (e) {
    if (!(e instanceof OutputClosed)) failure = (e as Error).message;
  } finally {
    stopQuiet();
  }
  // The kills found before a read error are printed too; the error (and exit code 1) says the list is cut short.
  if (table !== null) output.write(table.flush());
  await output.end();
  const writeError = output.error();
  if (writeError !== null) {
    err(`oom-exporter: kills: writing the output: ${writeError.message}\n`);
    return 1;
  }
  if (failure !== null) {
    // Some read errors (EISDIR) do not name the file; the user needs to know which input failed.
    const file = opts.file !== undefined && opts.file !== '-' && !failure.includes(opts.file) ? `${opts.file}: ` : '';
    err(`oom-exporter: kills: ${file}${failure}\n`);
    return 1;
  }
  // On standard error, so a script reading the output still gets nothing: an empty screen alone does
  // not tell "no kills" from "nothing was read".
  if (readAll && killsFound === 0)
    err(`oom-exporter: kills: no OOM kills in ${opts.file === undefined ? 'the kernel log' : opts.file === '-' ? 'standard input' : opts.file}\n`);
  return 0;
}
