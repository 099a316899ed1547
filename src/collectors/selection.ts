import { FlagError, type FlagSpec, type FlagValues } from '../flags.js';
import type { ProcessSample } from '../procfs/processes.js';
import { parseSize } from '../size.js';

export interface SelectionOptions {
  include: RegExp | undefined;
  exclude: RegExp | undefined;
  match: 'comm' | 'cmdline';
  minRssBytes: number;
  topN: number | undefined;
}

/** The --process.* flags: which processes the process collector exports (and whose cgroups the cgroup collector reads). */
export const SELECTION_FLAGS: readonly FlagSpec[] = [
  { name: 'process.include', arg: 'REGEX', help: 'Export only processes whose name (or command line) matches.' },
  { name: 'process.exclude', arg: 'REGEX', help: 'Do not export processes whose name (or command line) matches.' },
  { name: 'process.match', arg: 'comm|cmdline', default: 'comm', help: 'What include/exclude match against.' },
  { name: 'process.min-rss', arg: 'BYTES', default: '0', help: 'Export only processes with at least this RSS (e.g. 64MiB).' },
  { name: 'process.top-n', arg: 'N', help: 'Export only the N processes with the highest oom_score.' },
];

function compileRegex(flag: string, source: string): RegExp {
  try {
    // Anchored like process-exporter and Prometheus relabelling: the whole name must match.
    return new RegExp(`^(?:${source})$`, 'u');
  } catch (err) {
    throw new FlagError(`invalid regular expression for --${flag}: ${(err as Error).message}`);
  }
}

/** Reads the --process.* flags; throws FlagError naming the flag that is wrong. */
export function parseSelectionFlags(flags: FlagValues): SelectionOptions {
  const match = flags.get('process.match');
  if (match !== 'comm' && match !== 'cmdline') throw new FlagError(`invalid --process.match "${match}": want comm or cmdline`);

  const minRssText = flags.get('process.min-rss') ?? '0';
  const minRssBytes = parseSize(minRssText);
  if (minRssBytes === undefined) throw new FlagError(`invalid --process.min-rss "${minRssText}": want bytes, e.g. 67108864 or 64MiB`);

  const topNText = flags.given('process.top-n');
  let topN: number | undefined;
  if (topNText !== undefined) {
    if (!/^\d+$/.test(topNText) || Number(topNText) < 1) throw new FlagError(`invalid --process.top-n "${topNText}": want a whole number >= 1`);
    topN = Number(topNText);
  }
  const include = flags.given('process.include');
  const exclude = flags.given('process.exclude');
  return {
    include: include === undefined ? undefined : compileRegex('process.include', include),
    exclude: exclude === undefined ? undefined : compileRegex('process.exclude', exclude),
    match,
    minRssBytes,
    topN,
  };
}

/**
 * Applies --process.include/exclude/min-rss, then keeps the top N by oom_score: the processes the
 * OOM killer would take first. Ties go to the larger RSS, then the lower PID, so the set is stable
 * from one scrape to the next and series do not flap.
 */
export function selectProcesses(all: readonly ProcessSample[], opts: SelectionOptions): ProcessSample[] {
  const { include, exclude, match, minRssBytes, topN } = opts;
  let out = all.filter((p) => {
    // With --process.match=cmdline a process without a command line (it cleared it) falls back to comm.
    const subject = match === 'cmdline' ? p.cmdline || p.comm : p.comm;
    if (include && !include.test(subject)) return false;
    if (exclude && exclude.test(subject)) return false;
    // An unknown RSS counts as 0: kept with no minimum (0), dropped under any other.
    if ((p.rssBytes ?? 0) < minRssBytes) return false;
    return true;
  });
  // Without --process.top-n there is no cut. out is filter's fresh array: sorting it in place is safe.
  if (out.length > (topN ?? Infinity)) {
    out = out.sort((a, b) => (b.oomScore ?? -1) - (a.oomScore ?? -1) || (b.rssBytes ?? 0) - (a.rssBytes ?? 0) || a.pid - b.pid).slice(0, topN);
  }
  return out;
}
