/**
 * The tables an OOM report prints before its kill line, read by the parser (pure): the task table ("who
 * else held memory at that moment") and the Mem-Info summary. Kernels differ in the task table's columns
 * (3.x: rss nr_ptes nr_pmds; 4.19: pgtables_bytes; 6.x: rss_anon rss_file rss_shmem), so the header line
 * names them and rows are read by position; the name is the rest of the line (it may hold spaces).
 */

/** One row of the task table. Memory values are in pages, as the kernel prints them (null: not a column of this kernel). */
export interface TaskRow {
  pid: number;
  uid: number | null;
  tgid: number | null;
  totalVmPages: number | null;
  rssPages: number | null;
  pgtablesBytes: number | null;
  swapEntries: number | null;
  oomScoreAdj: number | null;
  name: string;
}

/** What the parser keeps of a report's tables for its kill. */
export interface ReportTables {
  /** The largest tasks by RSS, largest first, at most TASKS_KEPT; [] when the report had no task table. */
  tasks: TaskRow[];
  /** How many rows the task table had. */
  taskCount: number;
  /** Mem-Info's first lines as key → number (pages, as printed: active_anon, free, ...); null when not printed. */
  memInfo: Record<string, number> | null;
}

export const TASKS_KEPT = 10;

/** The column names of a task-table header ("[  pid  ]   uid  tgid total_vm rss ... name"), or null. */
export function taskHeader(m: string): string[] | null {
  if (!/^\[\s*pid\s*\]/.test(m)) return null;
  const cols = m
    .slice(m.indexOf(']') + 1)
    .trim()
    .split(/\s+/);
  return cols.at(-1) === 'name' ? cols : null;
}

/** One task row under `columns` (those after the pid), or null when the line is not one. */
export function taskRow(m: string, columns: readonly string[]): TaskRow | null {
  const close = m.indexOf(']');
  if (m.charCodeAt(0) !== 91 /* [ */ || close < 2) return null;
  // Number() skips the padding on either side; '' (from "[]") is 0, no pid.
  const pid = Number(m.slice(1, close));
  if (!Number.isSafeInteger(pid) || pid <= 0) return null;
  // The numeric columns, then the name: the rest of the line after them.
  const numeric = columns.length - 1;
  let at = close + 1;
  const values = new Map<string, number>();
  for (let i = 0; i < numeric; i++) {
    while (m.charCodeAt(at) === 32) at++;
    const start = at;
    if (m.charCodeAt(at) === 45 /* - */) at++;
    // A number has digits: a "-" alone is none (it would read as NaN).
    const digits = at;
    // Past the end charCodeAt is NaN, no digit: the line's end stops this too.
    while (m.charCodeAt(at) >= 48 && m.charCodeAt(at) <= 57) at++;
    if (at === digits || m.charCodeAt(at) !== 32) return null;
    values.set(columns[i]!, Number(m.slice(start, at)));
  }
  const name = m.slice(at + 1).replace(/^ +/, '');
  const get = (k: string): number | null => values.get(k) ?? null;
  return {
    pid,
    uid: get('uid'),
    tgid: get('tgid'),
    totalVmPages: get('total_vm'),
    rssPages: get('rss'),
    pgtablesBytes: get('pgtables_bytes'),
    swapEntries: get('swapents'),
    oomScoreAdj: get('oom_score_adj'),
    name,
  };
}

/** Keeps `row` among the TASKS_KEPT largest by RSS in `kept` (largest first). */
export function keepLargest(kept: TaskRow[], row: TaskRow): void {
  const rss = row.rssPages ?? -1;
  // A row no larger than the last one kept goes in last and straight out again.
  let i = kept.length;
  while (i > 0 && (kept[i - 1]!.rssPages ?? -1) < rss) i--;
  kept.splice(i, 0, row);
  if (kept.length > TASKS_KEPT) kept.pop();
}

/** The key:number tokens of a Mem-Info line ("active_anon:1234 inactive_anon:56 ..."), or null when it is not one. */
export function memInfoTokens(m: string): [string, number][] | null {
  const tokens = m.trim().split(/\s+/);
  const out: [string, number][] = [];
  for (const t of tokens) {
    const match = /^([a-z_]+):(\d+)$/.exec(t);
    if (match === null) return out.length > 0 ? out : null;
    out.push([match[1]!, Number(match[2])]);
  }
  // split() gives at least one token, so every token matched and out holds one at least.
  return out;
}

/** Page sizes Linux runs with: 4 KiB (x86, most arm64), 8 KiB (sparc64), 16 and 64 KiB (arm64, ppc64). */
const PAGE_SIZES = [4096, 8192, 16384, 65536] as const;

/**
 * The page size of the kernel that printed a report, or null when the report cannot tell. The task
 * table counts pages and the kill line the same victim's RSS in kB, both taken within the same
 * moment: their ratio is the page size. A report printed elsewhere (a log copied from a 64 KiB-page
 * arm64 host) is read right, where assuming 4 KiB or the reading host's size would be 16 times off.
 * The two counts may differ by what the victim touched in between, so the ratio is matched within 20%.
 */
export function reportPageBytes(
  tables: ReportTables,
  pid: number,
  victim: { anonRssBytes: number | null; fileRssBytes: number | null; shmemRssBytes: number | null },
): number | null {
  if (victim.anonRssBytes === null) return null;
  // A victim not in the table, or without an RSS, counts 0 pages: the ratio is then Infinity or NaN, within
  // 20% of no page size (as is the negative ratio of a negative count).
  const pages = tables.tasks.find((t) => t.pid === pid)?.rssPages ?? 0;
  const bytes = victim.anonRssBytes + (victim.fileRssBytes ?? 0) + (victim.shmemRssBytes ?? 0);
  const ratio = bytes / pages;
  return PAGE_SIZES.find((size) => Math.abs(ratio / size - 1) <= 0.2) ?? null;
}
