import { constraintLabel } from '../kernellog/parse.js';
import type { OomKill } from '../kernellog/types.js';
import { escapeForTerminal, whenOf } from '../kills/format.js';
import type { BootClock } from '../procfs/boot.js';
import { cgroupOf } from '../kills/store.js';

/**
 * What one screen of `oom-exporter top` shows, gathered by read.ts. Pure data: render() turns it into
 * lines, so the layout is tested without a terminal or a /proc.
 */
export interface TopSnapshot {
  host: string;
  /** Wall-clock time of the snapshot, seconds since the epoch. */
  nowSeconds: number;
  /** Host memory, or why it could not be read. */
  memory: { totalBytes: number; availableBytes: number; swapTotalBytes: number; swapUsedBytes: number } | { error: string };
  /** /proc/pressure/memory "some" avg10 (percent); undefined without PSI. */
  pressureSomeAvg10: number | undefined;
  victims: VictimRow[];
  kills: KillsState;
}

export interface VictimRow {
  pid: number;
  comm: string;
  /** Memory cgroup path as the kernel prints it; '' when unknown. */
  cgroup: string;
  rssBytes: number | undefined;
  swapBytes: number | undefined;
  oomScore: number | undefined;
  oomScoreAdj: number | undefined;
  /** Limit − usage of its memory cgroup; undefined when unlimited or unknown (shown "-"). */
  headroomBytes: number | undefined;
}

/** The latest kills (oldest first, as the log has them), or why the kernel log could not be read. */
export type KillsState = { kills: readonly OomKill[] } | { unreadable: string };

/** How many of the latest kills are kept and shown. */
export const KILLS_SHOWN = 5;

/** Lines of a screen that are not victim rows, when the kills section shows `kills` kill rows. */
export function fixedLines(kills: number): number {
  // Header, blank, title, column heads; blank, title, then column heads or the one "none" line; the kill rows.
  return 7 + kills;
}

/** Victims first: highest oom_score, then most RSS, then lowest PID; unknown scores last. */
export function byVictimOrder(a: VictimRow, b: VictimRow): number {
  const sa = a.oomScore ?? -1;
  const sb = b.oomScore ?? -1;
  if (sa !== sb) return sb - sa;
  const ra = a.rssBytes ?? -1;
  const rb = b.rssBytes ?? -1;
  if (ra !== rb) return rb - ra;
  return a.pid - b.pid;
}

/** Whether a process's cgroup is `filter` or below it ("/" matches every known cgroup). */
export function inCgroup(cgroup: string, filter: string): boolean {
  const f = filter.length > 1 && filter.endsWith('/') ? filter.slice(0, -1) : filter;
  return cgroup !== '' && (f === '/' || cgroup === f || cgroup.startsWith(f + '/'));
}

/** Bytes in a few cells, binary units as top and free show them: 812K, 95.3M, 12.0G; undefined: "-". */
export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined) return '-';
  const sign = bytes < 0 ? '-' : '';
  const b = Math.abs(bytes);
  if (b < 1024 * 1024) return `${sign}${Math.round(b / 1024)}K`;
  const units = ['M', 'G', 'T', 'P'];
  let v = b / (1024 * 1024);
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${sign}${v.toFixed(1)}${units[u]}`;
}

/** Cells padded to widths; `right` holds the indexes of right-aligned (numeric) columns; the last cell is not padded. */
function row(cells: readonly string[], widths: readonly number[], right: ReadonlySet<number>): string {
  return cells
    .map((cell, i) => {
      if (i === cells.length - 1 && !right.has(i)) return cell;
      return right.has(i) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0);
    })
    .join('  ');
}

function table(heads: readonly string[], rows: readonly string[][], right: ReadonlySet<number>): string[] {
  const widths = heads.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return [row(heads, widths, right), ...rows.map((r) => row(r, widths, right))];
}

const VICTIM_HEADS = ['PID', 'SCORE', 'ADJ', 'RSS', 'SWAP', 'COMM', 'CGROUP', 'HEADROOM'];
const VICTIM_RIGHT: ReadonlySet<number> = new Set([0, 1, 2, 3, 4, 7]);
const KILL_HEADS = ['TIME', 'PID', 'COMM', 'CGROUP', 'CONSTRAINT', 'ANON-RSS'];
const KILL_RIGHT: ReadonlySet<number> = new Set([1, 5]);

const num = (n: number | undefined): string => (n === undefined ? '-' : String(n));

function victimCells(v: VictimRow): string[] {
  return [
    String(v.pid),
    num(v.oomScore),
    num(v.oomScoreAdj),
    formatBytes(v.rssBytes),
    formatBytes(v.swapBytes),
    escapeForTerminal(v.comm),
    v.cgroup === '' ? '-' : escapeForTerminal(v.cgroup),
    formatBytes(v.headroomBytes),
  ];
}

function killCells(k: OomKill, clock: BootClock | null): string[] {
  const label = constraintLabel(k);
  const cgroup = cgroupOf(k)?.cgroup;
  return [
    whenOf(k, clock),
    num(k.pid ?? undefined),
    k.comm === null ? '-' : escapeForTerminal(k.comm),
    cgroup === undefined ? '-' : escapeForTerminal(cgroup),
    label === '' ? '-' : label,
    formatBytes(k.anonRssBytes ?? undefined),
  ];
}

function header(s: TopSnapshot, time: string): string {
  const parts = [`oom-exporter top  ${escapeForTerminal(s.host)}  ${time}`];
  if ('error' in s.memory) parts.push(`memory: ${s.memory.error}`);
  else {
    const m = s.memory;
    const pct = m.totalBytes > 0 ? ` (${((100 * m.availableBytes) / m.totalBytes).toFixed(0)}%)` : '';
    parts.push(`avail ${formatBytes(m.availableBytes)}/${formatBytes(m.totalBytes)}${pct}`);
    parts.push(m.swapTotalBytes > 0 ? `swap ${formatBytes(m.swapUsedBytes)}/${formatBytes(m.swapTotalBytes)}` : 'no swap');
  }
  if (s.pressureSomeAvg10 !== undefined) parts.push(`psi some avg10 ${s.pressureSomeAvg10.toFixed(2)}`);
  return parts.join('  ');
}

export interface RenderOptions {
  /** Victim rows shown at most. */
  limit: number;
  /** The boot clock that puts a wall-clock time on uptime stamps (kills/format.ts). */
  clock: BootClock | null;
  /** The wall-clock time as shown in the header (command.ts: localIsoTime). */
  time: string;
  /** Terminal columns: longer lines are cut (a wrapped line would scroll the screen); undefined: not cut. */
  columns?: number | undefined;
  /** The --cgroup filter, to say why the table is empty. */
  cgroup?: string | undefined;
}

/** The screen as lines: header, NEXT VICTIMS (sorted, at most `limit`), LATEST KILLS (newest first). */
export function renderScreen(s: TopSnapshot, opts: RenderOptions): string[] {
  const victims = [...s.victims].sort(byVictimOrder).slice(0, Math.max(0, opts.limit));
  const lines = [header(s, opts.time), ''];
  lines.push(`NEXT VICTIMS (${s.victims.length} processes, by oom_score)`);
  lines.push(...table(VICTIM_HEADS, victims.map(victimCells), VICTIM_RIGHT));
  if (s.victims.length === 0 && opts.cgroup !== undefined) {
    // Most often a path written otherwise than the kernel does (cgroup v1 memory paths are relative to
    // the memory hierarchy, with no /sys/fs/cgroup prefix).
    lines.push(`no process in cgroup ${escapeForTerminal(opts.cgroup)} or below it; paths are as /proc/PID/cgroup prints them, e.g. /system.slice/cron.service`);
  }
  lines.push('');
  if ('unreadable' in s.kills) {
    lines.push('LATEST KILLS');
    lines.push(`no kernel log readable (${s.kills.unreadable})`);
  } else if (s.kills.kills.length === 0) {
    lines.push('LATEST KILLS');
    lines.push('no OOM kill found in the kernel log');
  } else {
    const latest = s.kills.kills.slice(-KILLS_SHOWN).reverse();
    lines.push(`LATEST KILLS (newest first)`);
    lines.push(
      ...table(
        KILL_HEADS,
        latest.map((k) => killCells(k, opts.clock)),
        KILL_RIGHT,
      ),
    );
  }
  const cols = opts.columns;
  return cols === undefined ? lines : lines.map((l) => (l.length > cols ? l.slice(0, Math.max(0, cols)) : l));
}
