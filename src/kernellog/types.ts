import type { ReportTables } from './report-tables.js';
/**
 * Shared shapes of the kernel-log pipeline: sources deliver LogRecords, the pure parser turns them
 * into OomKill events. Every field the log may not carry is `null`, never a made-up default.
 */

/** Who killed the process. */
export type Killer = 'kernel' | 'earlyoom' | 'systemd-oomd';

/**
 * One OOM kill. Every field but `prefixConstraint` is `oom-exporter kills --json`'s, exactly these keys
 * in this order (see OomKillJson; kills/format.ts prints them key by key).
 */
export interface OomKill {
  killer: Killer;
  pid: number | null;
  comm: string | null;
  uid: number | null;
  /** As printed by the kernel, e.g. CONSTRAINT_MEMCG; null when the log does not say. */
  constraint: string | null;
  /** task_memcg=, or the "Task in X" path; for systemd-oomd the cgroup it killed. */
  memcg: string | null;
  /** oom_memcg=, or the "limit of Y" path. */
  oomMemcg: string | null;
  /** The comm of the task that invoked the OOM killer (header line). */
  invoker: string | null;
  totalVmBytes: number | null;
  anonRssBytes: number | null;
  fileRssBytes: number | null;
  shmemRssBytes: number | null;
  pgtablesBytes: number | null;
  oomScoreAdj: number | null;
  /** ISO 8601 wall-clock time, when the line (or its envelope) carries one. */
  time: string | null;
  /** Seconds since boot, when the line carries the kernel's timestamp. */
  uptimeSeconds: number | null;
  /**
   * What the kill line's prefix alone implies ("Memory cgroup out of memory: Killed process" → memcg,
   * "Out of memory: ..." → global, also for a cpuset kill: CONSTRAINT_* wins where the report has it);
   * null when the line has no such prefix. constraintLabel() falls back on it. It travels in the kill,
   * so that every consumer (the kill store's labels, the `kills` table, a copy or a kill sent to another
   * thread) sees the same label, with no state beside it; it is not in the JSON, whose `constraint`
   * holds only what the kernel printed.
   */
  prefixConstraint: 'global' | 'memcg' | null;
  /**
   * Added by the exporter, never by the parser (and not in `kills --json`): the victim as the exporter's
   * own view of /proc last saw it, found by pid and comm. Absent when nobody looked it up (the `kills`
   * command); null when the exporter never saw that process.
   */
  victim?: LastKnownProcess | null;
  /**
   * The report's task table (the largest tasks) and Mem-Info summary, where the kernel printed them
   * before the kill line (rate-limited with the header: 10 reports in 5 s); null when it printed neither.
   * Not in `kills --json`, whose keys are fixed.
   */
  report?: ReportTables | null;
  /**
   * Added by the exporter: the Kubernetes names of the kill's cgroup when it was read (the kubelet's log
   * tree may lose the pod by the time anyone asks); null when none were known then. Not in the JSON as is.
   */
  kube?: { namespace: string; pod: string; container: string } | null;
}

/**
 * What the exporter knew of a process before it was killed. The kernel's report gives the cgroup only in
 * its rate-limited part (10 reports in 5 s): in a burst, this is where most victims' cgroups come from.
 */
export interface LastKnownProcess {
  /** Its memory cgroup as /proc/PID/cgroup gave it, in task_memcg='s form; '' when it had none. */
  cgroup: string;
  rssBytes: number | null;
  swapBytes: number | null;
  oomScore: number | null;
  oomScoreAdj: number | null;
  /**
   * When rss and swap were last read (seconds since the epoch). The scores come from the last scrape,
   * which may be older; a process born since the last scrape has none.
   */
  sampledAtSeconds: number;
  /** The last time the exporter saw it alive. */
  seenAtSeconds: number;
}

/** What `kills --json` prints of a kill: the log's fields, without the parser's prefixConstraint hint or the exporter's victim. */
export type OomKillJson = Omit<OomKill, 'prefixConstraint' | 'victim' | 'report' | 'kube'>;

/**
 * Escapes a log writer left in a message (escapes.ts): 'kmsg', the kernel's \xNN for bytes below 0x20 or
 * above 0x7e and "\" (dmesg's text, rsyslog's imkmsg); 'rsyslog', rsyslog's #NNN for control characters
 * (its imklog).
 */
export type Escapes = 'kmsg' | 'rsyslog';

/** The constraint label of the metrics: global | memcg | cpuset | mempolicy, or '' when unknown. */
export type ConstraintLabel = 'global' | 'memcg' | 'cpuset' | 'mempolicy' | '';

/**
 * One log record as a source delivers it, envelope already removed.
 * `facility` is the syslog facility when known: 0 is the kernel's own; anything a process writes
 * (into /dev/kmsg or syslog) has facility >= 1, and only facility 0 may carry kernel OOM reports.
 */
export interface LogRecord {
  message: string;
  /** true when the record surely comes from the kernel (kmsg facility 0, journald _TRANSPORT=kernel, syslog tag "kernel"). */
  fromKernel: boolean;
  /** Syslog identifier / tag of a userspace sender ("earlyoom", "systemd-oomd", "systemd"), or null. */
  identifier: string | null;
  time: string | null;
  uptimeSeconds: number | null;
  /**
   * Escapes still in `message`, which the parser decodes in the names and paths it takes from it: decoding
   * every line would cost each line of a syslog file a scan for the few that name a process. Absent: none
   * (a /dev/kmsg record comes decoded, journald decoded its own).
   */
  escapes?: Escapes | undefined;
}
