import type { ProcessSample } from './procfs/processes.js';

export interface SelectionOptions {
  include: RegExp | undefined;
  exclude: RegExp | undefined;
  match: 'comm' | 'cmdline';
  minRssBytes: number;
  topN: number | undefined;
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
    const subject = match === 'cmdline' ? (p.cmdline || p.comm) : p.comm;
    if (include && !include.test(subject)) return false;
    if (exclude && exclude.test(subject)) return false;
    if (minRssBytes > 0 && (p.rssBytes ?? 0) < minRssBytes) return false;
    return true;
  });
  if (topN !== undefined && out.length > topN) {
    out = out
      .slice()
      .sort((a, b) => (b.oomScore ?? -1) - (a.oomScore ?? -1) || (b.rssBytes ?? 0) - (a.rssBytes ?? 0) || a.pid - b.pid)
      .slice(0, topN);
  }
  return out;
}
