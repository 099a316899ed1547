/**
 * What the console shows of each value, as plain text: the server renders these into its first view
 * (escaped) and the page's script, which carries these very functions (page/assets.ts serializes them
 * with Function.prototype.toString), puts them into the page with textContent. One formatting, two
 * renderers; so every function here is a self-contained declaration that uses nothing but its
 * arguments, the other functions here, and the language's built-ins.
 */

export interface KillView {
  id: number;
  time: string;
  pid: number;
  comm: string;
  killer: string;
  constraint: string | null;
  /** The label (global, memcg, …), also where the kernel printed no CONSTRAINT_*. */
  constraintLabel?: string | null;
  cgroup: string | null;
  container_id: string | null;
  container_name: string | null;
  pod_uid: string | null;
  systemd_unit: string | null;
  /** Kubernetes names from the kubelet's log tree; null off a node or outside a pod. */
  namespace?: string | null;
  pod?: string | null;
  container?: string | null;
  anonRssBytes: number | null;
  fileRssBytes: number | null;
  shmemRssBytes: number | null;
  victim: { rssBytes: number | null; swapBytes: number | null } | null;
  /** The report's task table (the API's `report`), when the kernel printed it. */
  report?: { taskCount: number; tasks: { pid: number; comm: string; rssPages: number | null }[]; pageBytes: number | null } | null;
}

export interface ProcessView {
  pid: number;
  comm: string;
  cgroup: string | null;
  rssBytes: number | null;
  swapBytes: number | null;
  score: number | null;
}

export interface CgroupView {
  cgroup: string;
  usageBytes: number | null;
  limitBytes: number | null;
  headroomBytes: number | null;
  victim: { pid: number; comm: string; score: number | null };
}

export interface StatusView {
  version: string;
  kernelLog: { source: string; up: boolean; recordsRead: number; recordsLost: number };
  collectors: { name: string; ok: boolean }[];
  host?: {
    memTotalBytes: number | null;
    memAvailableBytes: number | null;
    swapTotalBytes: number | null;
    swapFreeBytes: number | null;
    pressureSomeAvg10: number | null;
    pressureFullAvg10: number | null;
  };
}

/**
 * A process name as text a person can read: control characters (a newline, a tab, an escape) would show
 * as blanks or nothing in a cell, so they are written as \xNN, as `top` and `kills` do (and the
 * backslash itself, so the form is unambiguous). Markup needs nothing here: it goes in as text.
 */
export function visible(name: string): string {
  // eslint-disable-next-line no-control-regex -- matching the control characters is the point
  return name.replace(/[\x00-\x1f\x7f-\x9f\\]/g, (ch) => '\\x' + ch.charCodeAt(0).toString(16).padStart(2, '0'));
}

/** Bytes in binary units, one decimal; an en dash when unknown. */
export function fmtBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

/** An ISO time as `2026-11-30 12:00:00 UTC`: the same on every screen, whatever its time zone. */
export function fmtTime(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

/** Who owns a kill's cgroup, most specific first; the bare cgroup path when nobody known does. */
export function fmtWhere(k: KillView): string {
  const parts: string[] = [];
  // Kubernetes names first: "which pod, in which namespace" is the first question on a node.
  const named = k.pod !== undefined && k.pod !== null;
  if (named) parts.push(`pod ${k.namespace ?? '?'}/${k.pod}${k.container ? ` container ${k.container}` : ''}`);
  else if (k.container_name !== null) parts.push(`container ${k.container_name}`);
  else if (k.container_id !== null) parts.push(`container ${k.container_id.slice(0, 12)}`);
  if (k.pod_uid !== null && !named) parts.push(`pod ${k.pod_uid}`);
  // A container's scope is a unit too; naming it again says nothing new.
  if (k.systemd_unit !== null && parts.length === 0) parts.push(`unit ${k.systemd_unit}`);
  if (k.cgroup !== null) parts.push(k.cgroup);
  return parts.length === 0 ? '–' : parts.join(' · ');
}

/** Memory at death: the kernel's RSS (anon + file + shmem), and what the exporter saw last (RSS, swap). */
export function fmtDeathMemory(k: KillView): string {
  const kernel = k.anonRssBytes === null ? null : k.anonRssBytes + (k.fileRssBytes ?? 0) + (k.shmemRssBytes ?? 0);
  const parts: string[] = [];
  if (kernel !== null) parts.push(`RSS ${fmtBytes(kernel)}`);
  if (k.victim !== null) parts.push(`seen ${fmtBytes(k.victim.rssBytes)} + swap ${fmtBytes(k.victim.swapBytes)}`);
  return parts.length === 0 ? '–' : parts.join(', ');
}

/**
 * Who else held memory then: the report's three largest tasks with their RSS, and how many rows the
 * table had. The kernel prints pages: shown in bytes at the report's own page size, which the API
 * derives from the victim's row; in pages when it could not.
 */
export function fmtLargestTasks(k: KillView): string {
  const r = k.report;
  if (r === undefined || r === null || r.tasks.length === 0) return '–';
  const rss = (pages: number | null): string => (pages === null ? '–' : r.pageBytes === null ? `${pages} pages` : fmtBytes(pages * r.pageBytes));
  const top = r.tasks.slice(0, 3).map((t) => `${visible(t.comm)} (${t.pid}) ${rss(t.rssPages)}`);
  return top.join(', ') + (r.taskCount > 3 ? `, of ${r.taskCount} tasks` : '');
}

export function killCells(k: KillView): string[] {
  return [fmtTime(k.time), `${visible(k.comm)} (${k.pid})`, fmtWhere(k), k.constraintLabel ?? k.constraint ?? '–', k.killer, fmtDeathMemory(k), fmtLargestTasks(k)];
}

export function processCells(p: ProcessView): string[] {
  return [String(p.pid), visible(p.comm), p.cgroup ?? '–', p.score === null ? '–' : String(p.score), fmtBytes(p.rssBytes), fmtBytes(p.swapBytes)];
}

export function cgroupCells(c: CgroupView): string[] {
  return [c.cgroup, `${fmtBytes(c.usageBytes)} / ${fmtBytes(c.limitBytes)}`, fmtBytes(c.headroomBytes), `${visible(c.victim.comm)} (${c.victim.pid})`];
}

/** Share of `part` in `whole` as ` (12%)`, or '' when either is unknown. */
export function fmtShare(part: number | null, whole: number | null): string {
  return part === null || whole === null || whole === 0 ? '' : ` (${Math.round((100 * part) / whole)}%)`;
}

export function hostItems(s: StatusView): string[][] {
  const h = s.host;
  if (h === undefined) return [];
  const used = h.memTotalBytes === null || h.memAvailableBytes === null ? null : h.memTotalBytes - h.memAvailableBytes;
  const swapUsed = h.swapTotalBytes === null || h.swapFreeBytes === null ? null : h.swapTotalBytes - h.swapFreeBytes;
  const pct = (v: number | null): string => (v === null ? '–' : `${v.toFixed(2)}%`);
  return [
    ['Memory used', `${fmtBytes(used)} of ${fmtBytes(h.memTotalBytes)}${fmtShare(used, h.memTotalBytes)}`],
    ['Available', fmtBytes(h.memAvailableBytes)],
    ['Swap used', h.swapTotalBytes === 0 ? 'no swap' : `${fmtBytes(swapUsed)} of ${fmtBytes(h.swapTotalBytes)}${fmtShare(swapUsed, h.swapTotalBytes)}`],
    ['Pressure (10 s)', h.pressureSomeAvg10 === null ? 'no PSI on this kernel' : `some ${pct(h.pressureSomeAvg10)}, full ${pct(h.pressureFullAvg10)}`],
  ];
}

export function logItems(s: StatusView): string[][] {
  const failing = s.collectors.filter((c) => !c.ok).map((c) => c.name);
  return [
    ['Kernel log', `${s.kernelLog.source}, ${s.kernelLog.up ? 'up' : 'DOWN'}`],
    ['Records read', String(s.kernelLog.recordsRead)],
    ['Records lost', String(s.kernelLog.recordsLost)],
    ['Collectors failing', failing.length === 0 ? 'none' : failing.join(', ')],
  ];
}

/** Every function above, in an order where each comes after those it calls (for the script). */
export const VIEW_FUNCTIONS = [
  visible,
  fmtBytes,
  fmtTime,
  fmtWhere,
  fmtDeathMemory,
  fmtLargestTasks,
  killCells,
  processCells,
  cgroupCells,
  fmtShare,
  hostItems,
  logItems,
] as const;
