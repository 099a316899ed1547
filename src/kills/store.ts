import { constraintLabel } from '../kernellog/parse.js';
import type { OomKill } from '../kernellog/types.js';

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
  /** Every cgroup named in a kill seen (memcg and oomMemcg), so the cgroup collector can show them. */
  cgroups(): ReadonlySet<string>;
}

export function labelsOf(kill: OomKill): KillSeriesLabels {
  return {
    killer: kill.killer,
    comm: kill.comm ?? '',
    constraint: constraintLabel(kill),
    cgroup: kill.memcg ?? '',
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
      if (kill.memcg) cgroups.add(kill.memcg);
      if (kill.oomMemcg) cgroups.add(kill.oomMemcg);
    },
    series: () => bySeries.values(),
    cgroups: () => cgroups,
  };
}
