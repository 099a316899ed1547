import { parseCgroupPath } from '../cgroup/info.js';
import type { KubeName, KubeNames } from '../cgroup/kubelet-logs.js';
import { constraintLabel } from '../kernellog/parse.js';
import type { OomKill, OomKillJson } from '../kernellog/types.js';
import type { LogFields } from '../log.js';
import type { BootClock } from '../procfs/boot.js';
import { cgroupOf } from './store.js';

/** The kill's fields of `kills --json`: the log's (OomKillJson) and the Kubernetes names of its cgroup. */
export interface KillJson extends OomKillJson {
  /** From the kubelet's log tree (--path.varlog) for the kill's cgroup; null when unknown (off a node, not a pod). */
  namespace: string | null;
  pod: string | null;
  container: string | null;
}

/**
 * The Kubernetes names of the kill's cgroup (the report's, else where the exporter last saw the victim);
 * null without a cgroup, without names, or when the cgroup is no pod's.
 */
export function kubeNameOfKill(kill: OomKill, names: KubeNames | null): KubeName | null {
  // The names it had when read stay its names; looked up now only when it had none then.
  if (kill.kube !== undefined && kill.kube !== null) return kill.kube;
  if (names === null) return null;
  const where = cgroupOf(kill);
  if (where === null) return null;
  const n = names.lookup(parseCgroupPath(where.cgroup));
  return n.pod === '' ? null : n;
}

/** One kill as one JSON line: exactly KillJson's keys, in OomKill's order, null where the log did not say. */
export function formatKillJson(kill: OomKill, names: KubeNames | null = null): string {
  return JSON.stringify(killJsonFields(kill, kubeNameOfKill(kill, names)));
}

/**
 * The fields of `kills --json` (and the first ones of the API's kills), key by key so that the order and
 * the key set are the contract's even if a caller hands in an object with extra or reordered properties.
 * prefixConstraint is left out on purpose: it is the parser's hint for constraintLabel(), and
 * `constraint` holds only what the kernel printed.
 */
export function killJsonFields(kill: OomKill, kube: KubeName | null = null): KillJson {
  const orNull = (s: string | undefined): string | null => (s === undefined || s === '' ? null : s);
  return {
    killer: kill.killer,
    pid: kill.pid,
    comm: kill.comm,
    uid: kill.uid,
    constraint: kill.constraint,
    memcg: kill.memcg,
    oomMemcg: kill.oomMemcg,
    invoker: kill.invoker,
    totalVmBytes: kill.totalVmBytes,
    anonRssBytes: kill.anonRssBytes,
    fileRssBytes: kill.fileRssBytes,
    shmemRssBytes: kill.shmemRssBytes,
    pgtablesBytes: kill.pgtablesBytes,
    oomScoreAdj: kill.oomScoreAdj,
    time: kill.time,
    uptimeSeconds: kill.uptimeSeconds,
    namespace: orNull(kube?.namespace),
    pod: orNull(kube?.pod),
    container: orNull(kube?.container),
  } satisfies Record<keyof KillJson, unknown>;
}

/**
 * One kill as the fields of one log line (logfmt or JSON, per --log.format), so journald, Loki and other
 * log pipelines can search and alert on kills: the labels of oom_kill_events_total (the cgroup with where
 * it came from), every field the log gave, the wall-clock time of the kill, and what the exporter last
 * knew of the victim. Names are as the kernel printed them; the logger quotes and escapes.
 */
export function killLogFields(
  kill: OomKill,
  timestampSeconds: number,
  id: number,
  names: { containers: ReadonlyMap<string, string> | null; kube: KubeNames | null } = { containers: null, kube: null },
): LogFields {
  const cgroup = cgroupOf(kill);
  const owner = cgroup === null ? null : parseCgroupPath(cgroup.cgroup);
  const kube = kubeNameOfKill(kill, names.kube);
  const orNull = (s: string | undefined): string | null => (s === undefined || s === '' ? null : s);
  const v = kill.victim;
  return {
    // The API's id of this kill (/api/v1/kills/{id}), for as long as the exporter runs.
    id,
    killer: kill.killer,
    comm: kill.comm,
    pid: kill.pid,
    uid: kill.uid,
    constraint: constraintLabel(kill),
    cgroup: cgroup?.cgroup ?? null,
    cgroup_source: cgroup?.source ?? null,
    memcg: kill.memcg,
    oom_memcg: kill.oomMemcg,
    container_id: orNull(owner?.container_id),
    container_name: owner === null || names.containers === null ? null : (names.containers.get(owner.container_id) ?? null),
    pod_uid: orNull(owner?.pod_uid),
    systemd_unit: orNull(owner?.systemd_unit),
    runtime: orNull(owner?.runtime),
    namespace: orNull(kube?.namespace),
    pod: orNull(kube?.pod),
    container: orNull(kube?.container),
    invoker: kill.invoker,
    // Not `time`: that key is the log line's own (when it was written), first on every line.
    kill_time: new Date(timestampSeconds * 1000).toISOString(),
    uptime_seconds: kill.uptimeSeconds,
    total_vm_bytes: kill.totalVmBytes,
    anon_rss_bytes: kill.anonRssBytes,
    file_rss_bytes: kill.fileRssBytes,
    shmem_rss_bytes: kill.shmemRssBytes,
    pgtables_bytes: kill.pgtablesBytes,
    oom_score_adj: kill.oomScoreAdj,
    last_rss_bytes: v?.rssBytes ?? null,
    last_swap_bytes: v?.swapBytes ?? null,
    last_oom_score: v?.oomScore ?? null,
    last_oom_score_adj: v?.oomScoreAdj ?? null,
    last_seen: v ? new Date(v.seenAtSeconds * 1000).toISOString() : null,
  };
}

/**
 * Names come from the kernel and may hold any byte: a terminal must not interpret them. Control
 * characters (C0, DEL, C1) and the backslash itself are shown as \xNN, so the output is unambiguous.
 */
export function escapeForTerminal(s: string): string {
  // eslint-disable-next-line no-control-regex -- matching the control characters is the point
  return s.replace(/[\x00-\x1f\x7f-\x9f\\]/g, (ch) => '\\x' + ch.charCodeAt(0).toString(16).padStart(2, '0'));
}

const COLUMNS = ['TIME', 'PID', 'COMM', 'KILLER', 'CONSTRAINT', 'MEMCG', 'POD', 'ANON-RSS', 'INVOKER'] as const;

/**
 * A local wall-clock time with its offset, to the second: 2026-11-30T15:00:01+01:00. `offsetMinutes` is
 * the zone's offset east of UTC at that time: this machine's zone unless given (tests give others).
 */
export function localIsoTime(epochSeconds: number, offsetMinutes?: number): string {
  const ms = Math.round(epochSeconds * 1000);
  const off = offsetMinutes ?? -new Date(ms).getTimezoneOffset();
  // The wall clock of that zone: UTC's fields of the instant moved by the offset.
  const d = new Date(ms + off * 60_000);
  const two = (n: number): string => String(Math.trunc(Math.abs(n))).padStart(2, '0');
  const zone = `${off < 0 ? '-' : '+'}${two(off / 60)}:${two(off % 60)}`;
  return `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}T${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}${zone}`;
}

/** When a kill happened, as the table shows it: the log's time, else its uptime stamp on this boot's clock, else '-'. */
export function whenOf(kill: OomKill, clock: BootClock | null): string {
  if (kill.time !== null) return kill.time;
  if (kill.uptimeSeconds === null) return '-';
  if (clock !== null && kill.uptimeSeconds <= clock.uptimeSeconds) return localIsoTime(clock.bootTimeSeconds + kill.uptimeSeconds);
  return `+${kill.uptimeSeconds.toFixed(6)}s`;
}

function mib(bytes: number | null): string {
  return bytes === null ? '-' : `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** Display width: wide (CJK) characters take two cells. Good enough for names; not a full wcwidth. */
function width(s: string): number {
  // Nearly every cell is narrower than U+1100 throughout: its length is its width.
  let i = 0;
  while (i < s.length && s.charCodeAt(i) < 0x1100) i++;
  if (i === s.length) return s.length;
  let w = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    w +=
      (cp >= 0x1100 && cp <= 0x115f) ||
      (cp >= 0x2e80 && cp <= 0xa4cf) ||
      (cp >= 0xac00 && cp <= 0xd7a3) ||
      (cp >= 0xf900 && cp <= 0xfaff) ||
      (cp >= 0xff00 && cp <= 0xff60) ||
      (cp >= 0x20000 && cp <= 0x3fffd)
        ? 2
        : 1;
  }
  return w;
}

/** namespace/pod/container, as people say it; '-' off a node or outside a pod. */
function podCell(kube: KubeName | null): string {
  if (kube === null) return '-';
  return escapeForTerminal(`${kube.namespace}/${kube.pod}${kube.container === '' ? '' : `/${kube.container}`}`);
}

/** The cells of one kill's row; names escaped, unknowns "-". */
function cellsOf(k: OomKill, clock: BootClock | null, names: KubeNames | null): string[] {
  const label = constraintLabel(k);
  return [
    whenOf(k, clock),
    k.pid === null ? '-' : String(k.pid),
    k.comm === null ? '-' : escapeForTerminal(k.comm),
    k.killer,
    label === '' ? '-' : label,
    k.memcg === null ? '-' : escapeForTerminal(k.memcg),
    podCell(kubeNameOfKill(k, names)),
    mib(k.anonRssBytes),
    k.invoker === null ? '-' : escapeForTerminal(k.invoker),
  ];
}

/** PID and ANON-RSS are right-aligned. */
const NUMERIC: ReadonlySet<number> = new Set([1, 7]);

/** One row padded to the column widths; a cell wider than its column pushes the rest of its row right. */
function line(cells: readonly string[], widths: readonly number[]): string {
  const padded = cells.map((cell, c) => {
    if (c === cells.length - 1) return cell;
    const pad = ' '.repeat(Math.max(0, widths[c]! - width(cell)));
    return NUMERIC.has(c) ? pad + cell : cell + pad;
  });
  // join() makes one flat string: the row waits in the output's batch as one object, not a rope of pieces.
  return padded.join('  ') + '\n';
}

/** How many rows are held to size the table's columns before the first is printed. */
export const TABLE_WINDOW = 1000;

/**
 * The table for people, printed as the kills come: one row per kill, in log order, under a header; time is
 * the wall clock when the log has it, else boot time plus the uptime stamp when `clock` is given and the
 * stamp can be this boot's (as dmesg -T), else "+uptime s"; unknown values are "-". The columns are sized on
 * the first rows (up to `window` of them, or fewer if the caller flushes earlier: input that pauses), which
 * are held until then; later rows are printed at once in those widths, so memory does not grow with the
 * log. A later cell wider than its column pushes the rest of its own row right, and only that row.
 */
export interface KillsTable {
  /** The text to print for this kill now: '' while rows are held. */
  row(kill: OomKill): string;
  /**
   * The rows held, under the header, sized on them: at the end of the log, or when the input pauses. ''
   * when nothing is held (so a log without kills prints nothing at all).
   */
  flush(): string;
}

export function createKillsTable(window: number = TABLE_WINDOW, clock: BootClock | null = null, names: KubeNames | null = null): KillsTable {
  // Rows held until the widths are known; after that nothing is held.
  let held: string[][] = [];
  let widths: number[] | null = null;
  const table: KillsTable = {
    row(kill) {
      const cells = cellsOf(kill, clock, names);
      if (widths !== null) return line(cells, widths);
      held.push(cells);
      return held.length >= window ? table.flush() : '';
    },
    flush() {
      if (held.length === 0) return '';
      const rows: (readonly string[])[] = [COLUMNS, ...held];
      const w = COLUMNS.map((_, c) => rows.reduce((m, r) => Math.max(m, width(r[c]!)), 0));
      widths = w;
      held = [];
      return rows.map((r) => line(r, w)).join('');
    },
  };
  return table;
}
