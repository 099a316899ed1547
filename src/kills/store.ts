import { constraintLabel } from '../kernellog/parse.js';
import type { LastKnownProcess, OomKill } from '../kernellog/types.js';
import type { KnownProcess } from '../procfs/known.js';

export interface KillSeriesLabels {
  killer: string;
  comm: string;
  constraint: string;
  cgroup: string;
}

export interface KillSeries {
  labels: KillSeriesLabels;
  count: number;
  lastTimestampSeconds: number;
}

/**
 * Kills counted since the exporter started, by the labels of oom_kill_events_total. The series set only
 * grows (a counter must not vanish and come back), bounded in practice by distinct victims. The last
 * 100 kills with all their fields are the follower's (kernellog/follower.ts, recent()).
 */
export interface KillStore {
  record(kill: OomKill, whenSeconds: number): void;
  series(): Iterable<KillSeries>;
  /** Every cgroup named in a kill seen (its cgroup label and oomMemcg), so the cgroup collector can show them. */
  cgroups(): ReadonlySet<string>;
}

/** Where a kill's cgroup label came from: the kernel's report, or the exporter's own view of /proc. */
export type CgroupSource = 'kernel' | 'proc';

/**
 * The victim's memory cgroup: the kernel's task_memcg= (or "Task in X") when the report has it, else the
 * cgroup the exporter last saw the victim in; null when neither says.
 */
export function cgroupOf(kill: OomKill): { cgroup: string; source: CgroupSource } | null {
  if (kill.memcg !== null) return { cgroup: kill.memcg, source: 'kernel' };
  if (kill.victim && kill.victim.cgroup !== '') return { cgroup: kill.victim.cgroup, source: 'proc' };
  return null;
}

export function labelsOf(kill: OomKill): KillSeriesLabels {
  return {
    killer: kill.killer,
    comm: kill.comm ?? '',
    constraint: constraintLabel(kill),
    cgroup: cgroupOf(kill)?.cgroup ?? '',
  };
}

/** Finds what the exporter last knew of a process by pid and name (ProcessScanner.lastKnown). */
export type LastKnownLookup = (pid: number, comm: string) => KnownProcess | undefined;

/**
 * Sets kill.victim from what the exporter last knew of the process with the kill's pid and comm, and
 * returns the kill. In place, on purpose: the follower hands every listener, and its recent list, the
 * same object, so whoever reads the kill later (a web page, an API) finds the victim's state on it. A
 * kill without a pid or comm (systemd-oomd names a cgroup) gets null.
 */
export function attributeKill(kill: OomKill, lookup: LastKnownLookup): OomKill {
  const p = kill.pid !== null && kill.comm !== null ? lookup(kill.pid, kill.comm) : undefined;
  kill.victim = p === undefined ? null : lastKnownOf(p);
  return kill;
}

function lastKnownOf(p: KnownProcess): LastKnownProcess {
  const s = p.sample;
  return {
    cgroup: s.cgroup,
    rssBytes: s.rssBytes ?? null,
    swapBytes: s.swapBytes ?? null,
    oomScore: s.oomScore ?? null,
    oomScoreAdj: s.oomScoreAdj ?? null,
    sampledAtSeconds: p.sampledMs / 1000,
    seenAtSeconds: p.seenMs / 1000,
  };
}

export function createKillStore(): KillStore {
  const bySeries = new Map<string, KillSeries>();
  const cgroups = new Set<string>();
  return {
    record(kill, whenSeconds) {
      const labels = labelsOf(kill);
      // JSON of a fixed-order tuple is an unambiguous key even when comm holds any character.
      const key = JSON.stringify([labels.killer, labels.comm, labels.constraint, labels.cgroup]);
      const s = bySeries.get(key);
      if (s) {
        s.count++;
        s.lastTimestampSeconds = Math.max(s.lastTimestampSeconds, whenSeconds);
      } else {
        bySeries.set(key, { labels, count: 1, lastTimestampSeconds: whenSeconds });
      }
      if (labels.cgroup !== '') cgroups.add(labels.cgroup);
      if (kill.oomMemcg) cgroups.add(kill.oomMemcg);
    },
    series: () => bySeries.values(),
    cgroups: () => cgroups,
  };
}
