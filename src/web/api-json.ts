import { parseCgroupPath } from '../cgroup/info.js';
import type { CgroupMemory } from '../cgroup/memory.js';
import type { SnapshotProcess } from '../collection.js';
import type { RecentKill } from '../kernellog/follower.js';
import { constraintLabel } from '../kernellog/parse.js';
import type { OomKill } from '../kernellog/types.js';
import { reportPageBytes } from '../kernellog/report-tables.js';
import type { KubeNames } from '../cgroup/kubelet-logs.js';
import { killJsonFields, kubeNameOfKill } from '../kills/format.js';
import { cgroupOf } from '../kills/store.js';

/**
 * The JSON API's bodies, built from what the exporter holds; pure, so the contract (README, "JSON API")
 * is tested without a server. Unknown values are null, never '' or 0.
 */

const iso = (epochSeconds: number): string => new Date(epochSeconds * 1000).toISOString();
const orNull = (s: string): string | null => (s === '' ? null : s);

/** One kill as /api/v1/kills and the kill events give it. */
export function killJson(entry: RecentKill, containerNames: ReadonlyMap<string, string> | null, kubeNames: KubeNames | null = null): Record<string, unknown> {
  const { kill, id, timestampSeconds } = entry;
  const where = cgroupOf(kill);
  const owner = where === null ? null : parseCgroupPath(where.cgroup);
  const containerId = owner === null ? null : orNull(owner.container_id);
  const v = kill.victim;
  // The keys of `kills --json`, in its order; `time` is the wall-clock time always (the log's own, or
  // boot time plus the kernel's uptime stamp).
  const fields = { ...killJsonFields(kill, kubeNameOfKill(kill, kubeNames)), time: iso(timestampSeconds) };
  return {
    id,
    ...fields,
    // The `constraint` label of oom_kill_events_total: the kernel's CONSTRAINT_* where printed, else what
    // the kill line's prefix says (a rate-limited burst prints no CONSTRAINT_*).
    constraintLabel: constraintLabel(kill) === '' ? null : constraintLabel(kill),
    cgroup: where?.cgroup ?? null,
    cgroupSource: where?.source ?? null,
    container_id: containerId,
    container_name: containerId === null || containerNames === null ? null : (containerNames.get(containerId) ?? null),
    pod_uid: owner === null ? null : orNull(owner.pod_uid),
    systemd_unit: owner === null ? null : orNull(owner.systemd_unit),
    runtime: owner === null ? null : orNull(owner.runtime),
    victim:
      v === undefined || v === null
        ? null
        : { rssBytes: v.rssBytes, swapBytes: v.swapBytes, oomScore: v.oomScore, oomScoreAdj: v.oomScoreAdj, seenAt: iso(v.seenAtSeconds) },
    report: reportJson(kill),
  };
}

/** The report's tables as the API gives them (memory in pages, as the kernel printed them); null when it printed none. */
function reportJson(kill: OomKill): Record<string, unknown> | null {
  const r = kill.report;
  if (r === undefined || r === null) return null;
  return {
    taskCount: r.taskCount,
    tasks: r.tasks.map((t) => ({
      pid: t.pid,
      comm: t.name,
      uid: t.uid,
      tgid: t.tgid,
      totalVmPages: t.totalVmPages,
      rssPages: t.rssPages,
      swapEntries: t.swapEntries,
      pgtablesBytes: t.pgtablesBytes,
      oomScoreAdj: t.oomScoreAdj,
    })),
    memInfo: r.memInfo,
    pageBytes: kill.pid === null ? null : reportPageBytes(r, kill.pid, kill),
  };
}

/** Why a query parameter of /api/v1/processes is refused, naming it; null when fine. */
export type ProcessQuery = { limit: number; cgroup: string | null } | { error: string };

export const PROCESSES_DEFAULT_LIMIT = 20;
export const PROCESSES_MAX_LIMIT = 10_000;

export function parseProcessQuery(query: Record<string, unknown>): ProcessQuery {
  let limit = PROCESSES_DEFAULT_LIMIT;
  const l = query.limit;
  if (l !== undefined) {
    if (typeof l !== 'string' || !/^\d{1,5}$/.test(l) || Number(l) < 1 || Number(l) > PROCESSES_MAX_LIMIT) {
      return { error: `invalid limit: want a whole number from 1 to ${PROCESSES_MAX_LIMIT}` };
    }
    limit = Number(l);
  }
  let cgroup: string | null = null;
  const c = query.cgroup;
  if (c !== undefined) {
    // A cgroup path as the kernel prints it: absolute, no . or .. segment, no control character.
    // eslint-disable-next-line no-control-regex -- refusing control characters is the point
    if (typeof c !== 'string' || !c.startsWith('/') || c.length > 4096 || /[\x00-\x1f\x7f]/.test(c) || /(^|\/)\.\.?(\/|$)/.test(c)) {
      return { error: 'invalid cgroup: want an absolute cgroup path such as /system.slice/app.service' };
    }
    cgroup = c.length > 1 ? c.replace(/\/+$/, '') : c;
  }
  return { limit, cgroup };
}

/** Whether `cgroup` is `root` or inside it. */
export function within(cgroup: string, root: string): boolean {
  return root === '/' || cgroup === root || cgroup.startsWith(root + '/');
}

/** The cgroup itself, then each ancestor up to (not including) the root: /a/b/c, /a/b, /a. */
function lineage(cgroup: string): string[] {
  const out: string[] = [];
  for (let c = cgroup; c !== '' && c !== '/'; c = c.slice(0, c.lastIndexOf('/'))) out.push(c);
  return out;
}

/** Highest oom_score first (unknown last), then larger RSS, then lower PID: a stable order. */
function byBadness(a: SnapshotProcess, b: SnapshotProcess): number {
  return (b.oomScore ?? -1) - (a.oomScore ?? -1) || (b.rssBytes ?? -1) - (a.rssBytes ?? -1) || a.pid - b.pid;
}

/** A cgroup's memory as the API gives it: bytes, null when unknown; headroom is limit − usage. */
function memoryJson(m: CgroupMemory | null): { usageBytes: number | null; limitBytes: number | null; headroomBytes: number | null } {
  const usage = m?.usageBytes ?? null;
  const limit = m?.limitBytes ?? null;
  return { usageBytes: usage, limitBytes: limit, headroomBytes: usage !== null && limit !== null ? Math.max(0, limit - usage) : null };
}

/**
 * The body of /api/v1/processes: the `limit` processes the OOM killer would take first (by oom_score),
 * each with its cgroup's memory; and for each limited memory cgroup among theirs and their ancestors
 * (within the filter), the process with the highest oom_score inside it. The kernel ranks a cgroup's
 * own OOM by its badness relative to that cgroup; oom_score ranks against the whole machine, so that
 * victim is an approximation (oom_score_adj weighs differently).
 */
export function processesJson(
  processes: readonly SnapshotProcess[],
  takenAtMs: number,
  query: { limit: number; cgroup: string | null },
  readMemory: (cgroup: string) => CgroupMemory | null,
): Record<string, unknown> {
  const memo = new Map<string, CgroupMemory | null>();
  const memory = (cgroup: string): CgroupMemory | null => {
    let m = memo.get(cgroup);
    if (m === undefined && !memo.has(cgroup)) {
      m = cgroup === '' ? null : readMemory(cgroup);
      memo.set(cgroup, m);
    }
    return m ?? null;
  };
  const root = query.cgroup;
  const inScope = root === null ? processes : processes.filter((p) => p.cgroup !== '' && within(p.cgroup, root));
  const ranked = [...inScope].sort(byBadness);

  // Each cgroup's worst process: the first one met in ranked order, for it and every ancestor, also the
  // ancestors above `cgroup` (a pod's limit governs the container asked for).
  const worst = new Map<string, SnapshotProcess>();
  for (const p of ranked) {
    for (const c of lineage(p.cgroup)) if (!worst.has(c)) worst.set(c, p);
  }
  const cgroups: Record<string, unknown>[] = [];
  for (const [cgroup, p] of worst) {
    const m = memoryJson(memory(cgroup));
    if (m.limitBytes === null) continue;
    cgroups.push({ cgroup, ...m, victim: { pid: p.pid, comm: p.comm, score: p.oomScore, rssBytes: p.rssBytes } });
  }
  cgroups.sort((a, b) => ((a.headroomBytes as number | null) ?? Infinity) - ((b.headroomBytes as number | null) ?? Infinity));
  // `limit` bounds the answer's size: at most that many cgroups too, the nearest their limit.
  cgroups.length = Math.min(cgroups.length, query.limit);

  return {
    takenAt: new Date(takenAtMs).toISOString(),
    processes: ranked.slice(0, query.limit).map((p) => ({
      pid: p.pid,
      comm: p.comm,
      cgroup: orNull(p.cgroup),
      rssBytes: p.rssBytes,
      swapBytes: p.swapBytes,
      score: p.oomScore,
      scoreAdj: p.oomScoreAdj,
      ...memoryJson(memory(p.cgroup)),
    })),
    cgroups,
  };
}
