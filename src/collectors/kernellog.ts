import { counter, gauge } from '../exposition/metrics.js';
import type { KillStore } from '../kills/store.js';
import type { Collector, CollectorInfo } from './collector.js';

export const kernelLogInfo: CollectorInfo = {
  name: 'kernellog',
  defaultEnabled: true,
  help: 'OOM kills from the kernel log (/dev/kmsg, journald or a syslog file), by victim, cgroup and constraint.',
};

const KILL_LABELS = ['killer', 'comm', 'constraint', 'cgroup'] as const;
const EVENTS = counter('oom_kill_events_total', 'OOM kills seen in the kernel log (or reported by a userspace OOM killer) since the exporter started.', KILL_LABELS);
const LAST = gauge('oom_kill_last_timestamp_seconds', 'When the last OOM kill with these labels happened (the log record time).', KILL_LABELS);
const UP = gauge('oom_kernel_log_up', '1 while the kernel log follower is reading its source, 0 when it cannot.', ['source']);
const RECORDS = counter('oom_kernel_log_records_total', 'Kernel log records read since the exporter started.', ['source']);
const LOST = counter(
  'oom_kernel_log_records_lost_total',
  'Kernel log records lost before we could read them (kmsg ring buffer overrun, journald "Missed N kernel messages").',
  ['source'],
);

const SAVE_ERRORS = counter(
  'oom_kernel_log_state_save_errors_total',
  'Failed writes of --kernel-log.state-file; after one, a restart counts again the kills since the last good write.',
  ['source'],
);

/** What this collector reads of the follower: its health, never its records. */
export interface KernelLogHealth {
  readonly source: string;
  up(): boolean;
  recordsTotal(): number;
  lostTotal(): number;
  stateSaveErrors(): number;
}

/**
 * OOM kills followed live in the kernel log (and userspace killers' reports), counted by victim,
 * cgroup and constraint, plus the health of the follower. Next to oom_kills_total (the kernel's own
 * count) this shows kills the log missed. The follower is started, drained before each scrape and
 * committed after it by the composition root; this only reads what it has counted.
 *
 * `health` is null with --kernel-log.source=none, a choice: no follower series. "auto" finding
 * nothing is a problem worth an alert, and shows as up{source="none"} 0.
 */
export function createKernelLogCollector(deps: { kills: KillStore; health: KernelLogHealth | null }): Collector {
  const { kills, health } = deps;
  return {
    collect(_scrape, out) {
      // comm and cgroup may hold any character: the store keys series unambiguously, the writer escapes.
      out.family(EVENTS);
      for (const s of kills.series()) out.sample(EVENTS, s.labels, s.count);
      out.family(LAST);
      for (const s of kills.series()) out.sample(LAST, s.labels, s.lastTimestampSeconds);
      // Declared either way (as before the metric writer, and so a dashboard query finds the family),
      // with a sample only when there is a follower.
      out.family(UP);
      if (health !== null) out.sample(UP, { source: health.source }, health.up() ? 1 : 0);
      out.family(RECORDS);
      if (health !== null) out.sample(RECORDS, { source: health.source }, health.recordsTotal());
      out.family(LOST);
      if (health !== null) out.sample(LOST, { source: health.source }, health.lostTotal());
      out.family(SAVE_ERRORS);
      if (health !== null) out.sample(SAVE_ERRORS, { source: health.source }, health.stateSaveErrors());
    },
  };
}
