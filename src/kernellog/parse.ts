import type { ConstraintLabel, Killer, LogRecord, OomKill } from './types.js';

/**
 * The OOM-report parser: fed records in log order, it returns an OomKill for each kill line and null
 * for everything else. It keeps just enough state to join a kill with the lines of the same report that
 * come before it (header, 5.0+ summary, "Task in ... limit of ...").
 *
 * Kernel report, newest kernels (mm/oom_kill.c), every line optional except the kill itself, because the
 * kernel rate-limits dump_header() and a reader may lose records:
 *
 *   COMM invoked oom-killer: gfp_mask=..., order=N, oom_score_adj=N          header: invoker
 *   Task in X killed as a result of limit of Y                               < 5.0 memcg: memcg, oomMemcg
 *   oom-kill:constraint=C,...,oom_memcg=Y|global_oom,task_memcg=X,task=COMM,pid=P,uid=U   >= 4.19
 *   PREFIX: Kill process P (COMM) score N or sacrifice child                 < 5.1 (may name the parent)
 *   [PREFIX: ]Killed process P (COMM) total-vm:..., anon-rss:..., ...        the kill
 *   Tasks in X are going to be killed due to memory.oom.group set            more kills follow
 *
 * Context never crosses reports: it is dropped after each kill, on each header, on the report endings
 * that kill nothing ("no killable processes", "OOM victim ... is already exiting"), when a summary
 * names another pid than the kill line, when it is older than one report takes to print, and on
 * reset() (sources call it when they lost records).
 *
 * Userspace killers (earlyoom, systemd-oomd) count only from records that are not the kernel's and carry
 * that identifier; journal-record.ts and envelope.ts make sure a line written into /dev/kmsg never does.
 */
export interface OomParser {
  push(rec: LogRecord): OomKill | null;
  /** Forget the report in progress: records were lost, so what follows may belong to another report. */
  reset(): void;
}

const KB = 1024;

const KILLED = 'Killed process ';
const INVOKED = ' invoked oom-killer: ';
const SUMMARY = 'oom-kill:';
const TASK_IN = 'Task in ';
const LIMIT_OF = ' killed as a result of limit of ';
const GROUP_TAIL = ' are going to be killed due to memory.oom.group set';
const NO_KILLABLE = 'Out of memory and no killable processes';
const ALREADY_EXITING = ' is already exiting. Skip killing the task';

/** The longest a single OOM report takes to print, and so the oldest context a kill line may join. */
const REPORT_SPAN_SECONDS = 300;

interface Clock {
  uptime: number | null;
  wall: number | null;
}

/** The record's clocks in seconds: uptime (kmsg, dmesg, syslog with [uptime]) and wall clock (syslog, journal). */
function clockOf(rec: LogRecord): Clock {
  let wall: number | null = null;
  if (rec.time !== null) {
    const t = Date.parse(rec.time);
    if (!Number.isNaN(t)) wall = t / 1000;
  }
  return { uptime: rec.uptimeSeconds, wall };
}

/**
 * Whether `later` can belong to the report last seen at `earlier`: compared on a clock both carry. Time
 * running backwards (another boot, an interleaved older file) separates reports too; a second of slack
 * absorbs whole-second syslog stamps.
 */
function sameReport(earlier: Clock, later: Clock): boolean {
  let d: number | null = null;
  if (earlier.uptime !== null && later.uptime !== null) d = later.uptime - earlier.uptime;
  else if (earlier.wall !== null && later.wall !== null) d = later.wall - earlier.wall;
  return d === null || (d <= REPORT_SPAN_SECONDS && d >= -1);
}

/** What the Killed line's prefix says when no summary names the constraint (OomKill.prefixConstraint). */
const PREFIX_LABEL: ReadonlyMap<string, NonNullable<OomKill['prefixConstraint']>> = new Map([
  ['Out of memory', 'global'],
  ['Memory cgroup out of memory', 'memcg'],
  // The sysctl only applies outside memcg OOMs; cpuset/mempolicy cannot be told from global without a summary.
  ['Out of memory (oom_kill_allocating_task)', 'global'],
]);

const BY_CONSTRAINT: Readonly<Record<string, ConstraintLabel>> = {
  CONSTRAINT_NONE: 'global',
  CONSTRAINT_MEMCG: 'memcg',
  CONSTRAINT_CPUSET: 'cpuset',
  CONSTRAINT_MEMORY_POLICY: 'mempolicy',
};

/**
 * The metrics' constraint label: from CONSTRAINT_* when the summary was there; else from the kill line's
 * prefix ("Memory cgroup out of memory" → memcg, "Out of memory" → global); else from the "Task in ...
 * limit of Y" path (a memcg OOM); else ''.
 */
export function constraintLabel(kill: OomKill): ConstraintLabel {
  if (kill.constraint !== null) return BY_CONSTRAINT[kill.constraint] ?? '';
  if (kill.killer !== 'kernel') return '';
  if (kill.prefixConstraint !== null) return kill.prefixConstraint;
  if (kill.oomMemcg !== null) return kill.oomMemcg === '/' ? 'global' : 'memcg';
  return '';
}

interface Summary {
  constraint: string | null;
  oomMemcg: string | null;
  /** "task_memcg,task=COMM" as printed: split once the kill line gives COMM (both may hold commas). */
  memcgAndTask: string;
  pid: number;
  uid: number | null;
}

/** What the Killed line itself says: the kill's own fields, with pid and comm always present. */
type Victim = Pick<OomKill, 'uid' | 'totalVmBytes' | 'anonRssBytes' | 'fileRssBytes' | 'shmemRssBytes' | 'pgtablesBytes' | 'oomScoreAdj'> & {
  pid: number;
  comm: string;
  prefix: string;
};

interface GroupContext {
  invoker: string | null;
  constraint: string | null;
  oomMemcg: string | null;
}

export function createOomParser(): OomParser {
  let invoker: string | null = null;
  let taskIn: { memcg: string; oomMemcg: string } | null = null;
  let summary: Summary | null = null;
  // The report of the last kill, while only kill lines follow it (memory.oom.group kills its members next).
  let lastReport: GroupContext | null = null;
  let group: GroupContext | null = null;
  let choicePrefix = '';
  let choicePid = -1;
  // When the report in progress was last seen, on the records' own clock (null when they carry none).
  let contextAt: Clock | null = null;
  let lastEarlyoom: { pid: number; comm: string } | null = null;

  function clear(): void {
    contextAt = null;
    invoker = null;
    choicePrefix = '';
    choicePid = -1;
    taskIn = null;
    summary = null;
    lastReport = null;
    group = null;
  }

  function kernelRecord(rec: LogRecord): OomKill | null {
    const m = rec.message;
    const c = m.charCodeAt(0);
    // Cheap first-character dispatch: nearly every line of a kernel log leaves here after one indexOf.
    if (c === 75 /* K */ || c === 79 /* O */ || c === 77 /* M */) {
      if (m.startsWith(KILLED)) return killLine(rec, '', KILLED.length);
      const colon = m.indexOf(': ');
      if (colon > 0 && colon <= 64) {
        const prefix = m.slice(0, colon);
        if (PREFIX_LABEL.has(prefix) || /out of memory/i.test(prefix)) {
          if (m.startsWith(KILLED, colon + 2)) return killLine(rec, prefix, colon + 2 + KILLED.length);
          if (m.endsWith(ALREADY_EXITING)) {
            clear();
            return null;
          }
          // "PREFIX: Kill process P (COMM) score N or sacrifice child" (< 5.1) belongs to the report in
          // progress; its prefix is the only constraint hint the unprefixed Killed line after it gets.
          if (m.startsWith('Kill process ', colon + 2)) {
            choicePrefix = prefix;
            const pidAt = colon + 2 + 'Kill process '.length;
            const pidEnd = digitsAt(m, pidAt);
            choicePid = pidEnd > pidAt ? Number(m.slice(pidAt, pidEnd)) : -1;
          }
          return null;
        }
      }
      if (m.startsWith(NO_KILLABLE)) {
        clear();
        return null;
      }
    } else if (c === 111 /* o */) {
      if (m.startsWith(SUMMARY)) {
        const s = parseSummary(m);
        // A summary opens the kill of its report: whatever an earlier report left is not this one's.
        taskIn = null;
        summary = s;
        contextAt = clockOf(rec);
        lastReport = null;
        group = null;
        return null;
      }
      if (m.startsWith('oom_reaper: ')) return null;
    } else if (c === 84 /* T */) {
      if (m.startsWith(TASK_IN)) {
        const at = m.lastIndexOf(LIMIT_OF);
        if (at > TASK_IN.length) {
          taskIn = { memcg: m.slice(TASK_IN.length, at), oomMemcg: m.slice(at + LIMIT_OF.length) };
          contextAt = clockOf(rec);
        }
        lastReport = null;
        group = null;
        return null;
      }
      if (m.startsWith('Tasks in ') && m.endsWith(GROUP_TAIL)) {
        group = lastReport === null ? null : { ...lastReport, oomMemcg: m.slice('Tasks in '.length, m.length - GROUP_TAIL.length) };
        lastReport = null;
        return null;
      }
    }
    const inv = m.indexOf(INVOKED);
    if (inv > 0) {
      clear();
      invoker = m.slice(0, inv);
      contextAt = clockOf(rec);
      return null;
    }
    // Interleaved lines from other CPUs end a group early: that only costs context, never invents it.
    lastReport = null;
    group = null;
    return null;
  }

  function killLine(rec: LogRecord, prefix: string, at: number): OomKill | null {
    const v = parseVictim(rec.message, at, prefix === '' ? choicePrefix : prefix);
    if (v === null) return null;
    // Before 4.19 nothing ties a kill line to its header; a report whose own kill line was lost would
    // lend its header to the next kill. A report is printed in one go (minutes at worst, behind a slow
    // serial console), so context older than that belongs to another report.
    if (contextAt !== null && !sameReport(contextAt, clockOf(rec))) {
      const keepGroup = group;
      clear();
      group = keepGroup;
    }
    let constraint: string | null = null;
    let memcg: string | null = null;
    let oomMemcg: string | null = null;
    let uid = v.uid;
    let inv = invoker;
    if (summary !== null && summary.pid !== v.pid && summary.pid !== choicePid) {
      // The summary is another victim's: so is the header printed just before it.
      summary = null;
      inv = null;
    }
    if (summary !== null) {
      constraint = summary.constraint;
      oomMemcg = summary.oomMemcg;
      // 4.19 and 5.0 print the summary for the chosen task, then may kill one of its children instead:
      // the report is the child's, but the task_memcg and uid are the parent's.
      if (summary.pid === v.pid) {
        memcg = splitTaskMemcg(summary.memcgAndTask, v.comm);
        uid ??= summary.uid;
      }
    } else if (taskIn !== null) {
      memcg = taskIn.memcg;
      oomMemcg = taskIn.oomMemcg;
    } else if (group !== null && inv === null) {
      inv = group.invoker;
      constraint = group.constraint;
      oomMemcg = group.oomMemcg;
    }
    const groupKeep = group;
    clear();
    // Only a kill with a report of its own starts a group; group members pass the group on.
    lastReport = groupKeep === null ? { invoker: inv, constraint, oomMemcg } : null;
    group = groupKeep;
    const kill: OomKill = {
      killer: 'kernel',
      pid: v.pid,
      comm: v.comm,
      uid,
      constraint,
      memcg,
      oomMemcg,
      invoker: inv,
      totalVmBytes: v.totalVmBytes,
      anonRssBytes: v.anonRssBytes,
      fileRssBytes: v.fileRssBytes,
      shmemRssBytes: v.shmemRssBytes,
      pgtablesBytes: v.pgtablesBytes,
      oomScoreAdj: v.oomScoreAdj,
      time: rec.time,
      uptimeSeconds: rec.uptimeSeconds,
      prefixConstraint: PREFIX_LABEL.get(v.prefix) ?? null,
    };
    return kill;
  }

  function userspaceRecord(rec: LogRecord): OomKill | null {
    if (rec.identifier === 'earlyoom') {
      const e = parseEarlyoom(rec.message);
      if (e === null) return null;
      // earlyoom repeats the line when the victim ignores SIGTERM or exits slowly, then escalates to
      // SIGKILL: one victim, one kill.
      if (lastEarlyoom !== null && lastEarlyoom.pid === e.pid && lastEarlyoom.comm === e.comm) return null;
      lastEarlyoom = { pid: e.pid, comm: e.comm };
      return userspaceKill('earlyoom', rec, { pid: e.pid, comm: e.comm, uid: e.uid, oomScoreAdj: e.oomScoreAdj });
    }
    if (rec.identifier === 'systemd-oomd') {
      const cgroup = parseOomdKill(rec.message);
      if (cgroup === null) return null;
      return userspaceKill('systemd-oomd', rec, { memcg: cgroup });
    }
    return null;
  }

  return {
    push(rec) {
      if (rec.fromKernel) return kernelRecord(rec);
      if (rec.identifier === null) return null;
      return userspaceRecord(rec);
    },
    reset() {
      clear();
      lastEarlyoom = null;
    },
  };
}

function userspaceKill(killer: Killer, rec: LogRecord, f: { pid?: number; comm?: string; uid?: number | null; memcg?: string; oomScoreAdj?: number | null }): OomKill {
  return {
    killer,
    pid: f.pid ?? null,
    comm: f.comm ?? null,
    uid: f.uid ?? null,
    constraint: null,
    memcg: f.memcg ?? null,
    oomMemcg: null,
    invoker: null,
    totalVmBytes: null,
    anonRssBytes: null,
    fileRssBytes: null,
    shmemRssBytes: null,
    pgtablesBytes: null,
    oomScoreAdj: f.oomScoreAdj ?? null,
    time: rec.time,
    uptimeSeconds: rec.uptimeSeconds,
    prefixConstraint: null,
  };
}

// --- kernel lines ---------------------------------------------------------------------------------

function digitsAt(s: string, at: number): number {
  let i = at;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
    i++;
  }
  return i;
}

/** The number right after `key` in s[from..], or null. Integers only (kB values, uid, oom_score_adj). */
function field(s: string, key: string, from: number): number | null {
  const at = s.indexOf(key, from);
  if (at === -1) return null;
  let i = at + key.length;
  const neg = s.charCodeAt(i) === 45;
  if (neg) i++;
  const end = digitsAt(s, i);
  if (end === i) return null;
  const n = Number(s.slice(i, end));
  return neg ? -n : n;
}

function kbField(s: string, key: string, from: number): number | null {
  const n = field(s, key, from);
  return n === null ? null : n * KB;
}

/** Markers that end COMM in the kill line's forms, searched from the right: COMM comes first and may hold anything. */
const COMM_ENDS = [') total-vm:', ') vsz:', '), UID '] as const;

/**
 * "P (COMM) total-vm:..." (mainline; "vsz:" in 2.6.32), "P (COMM), UID U, total-vm:..." (RHEL 7),
 * "P, UID U, (COMM) total-vm:..." (RHEL 6) and "P (COMM)" alone (before 2.6.32), from `at` on.
 */
function parseVictim(m: string, at: number, prefix: string): Victim | null {
  const pidEnd = digitsAt(m, at);
  if (pidEnd === at || pidEnd - at > 10) return null;
  const pid = Number(m.slice(at, pidEnd));
  let uid: number | null = null;
  let open: number;
  if (m.startsWith(', UID ', pidEnd)) {
    const uidEnd = digitsAt(m, pidEnd + 6);
    if (uidEnd === pidEnd + 6 || !m.startsWith(', (', uidEnd)) return null;
    uid = Number(m.slice(pidEnd + 6, uidEnd));
    open = uidEnd + 2;
  } else if (m.startsWith(' (', pidEnd)) {
    open = pidEnd + 1;
  } else {
    return null;
  }
  let close = -1;
  for (const end of COMM_ENDS) {
    const i = m.lastIndexOf(end);
    if (i > close) close = i;
  }
  let tail: number;
  if (close > open) {
    tail = close + 1;
  } else {
    // Only the oldest form ends at COMM's ")".
    const trimmed = m.trimEnd();
    if (trimmed.charCodeAt(trimmed.length - 1) !== 41 || trimmed.length - 1 <= open) return null;
    close = trimmed.length - 1;
    tail = close + 1;
  }
  const comm = m.slice(open + 1, close);
  if (uid === null && m.startsWith('), UID ', close)) uid = field(m, '), UID ', close);
  return {
    pid,
    comm,
    uid: uid ?? field(m, ' UID:', tail),
    prefix,
    totalVmBytes: kbField(m, 'total-vm:', tail) ?? kbField(m, 'vsz:', tail),
    anonRssBytes: kbField(m, 'anon-rss:', tail),
    fileRssBytes: kbField(m, 'file-rss:', tail),
    shmemRssBytes: kbField(m, 'shmem-rss:', tail),
    pgtablesBytes: kbField(m, 'pgtables:', tail),
    oomScoreAdj: field(m, 'oom_score_adj:', tail),
  };
}

/** Value of `key=` up to the next comma (fields printed before any path or name). */
function commaField(m: string, key: string): string | null {
  const at = m.indexOf(key);
  if (at === -1) return null;
  const end = m.indexOf(',', at + key.length);
  return m.slice(at + key.length, end === -1 ? m.length : end);
}

function parseSummary(m: string): Summary | null {
  // pid= and uid= are the last fields: search from the right, past whatever COMM holds.
  const uidAt = m.lastIndexOf(',uid=');
  const pidAt = m.lastIndexOf(',pid=', uidAt === -1 ? m.length : uidAt);
  if (pidAt === -1) return null;
  const pidEnd = digitsAt(m, pidAt + 5);
  if (pidEnd === pidAt + 5) return null;
  const pid = Number(m.slice(pidAt + 5, pidEnd));
  let uid: number | null = null;
  if (uidAt > pidAt) {
    const uidEnd = digitsAt(m, uidAt + 5);
    if (uidEnd > uidAt + 5) uid = Number(m.slice(uidAt + 5, uidEnd));
  }
  const memcgAt = m.indexOf(',task_memcg=');
  let oomMemcg: string | null = null;
  const oomAt = m.indexOf(',oom_memcg=');
  if (oomAt !== -1 && (memcgAt === -1 || oomAt < memcgAt)) oomMemcg = m.slice(oomAt + 11, memcgAt === -1 ? pidAt : memcgAt);
  return {
    constraint: commaField(m, 'constraint='),
    oomMemcg,
    memcgAndTask: memcgAt === -1 ? '' : m.slice(memcgAt + 12, pidAt),
    pid,
    uid,
  };
}

/** Splits "task_memcg,task=COMM" knowing COMM from the kill line; both parts may contain ",task=". */
function splitTaskMemcg(memcgAndTask: string, comm: string): string | null {
  if (memcgAndTask === '') return null;
  const suffix = ',task=' + comm;
  if (memcgAndTask.endsWith(suffix)) return memcgAndTask.slice(0, memcgAndTask.length - suffix.length);
  const at = memcgAndTask.indexOf(',task=');
  return at === -1 ? memcgAndTask : memcgAndTask.slice(0, at);
}

// --- userspace killers ----------------------------------------------------------------------------

interface EarlyoomKill {
  pid: number;
  comm: string;
  uid: number | null;
  oomScoreAdj: number | null;
}

// earlyoom's kill lines over its versions (kill.c):
//   sending SIGTERM to process 1024668 uid 1000 "Web Content": oom_score 823, oom_score_adj 0, VmRSS 79 MiB, cmdline "..."
//   sending SIGTERM to process 29410 uid 1000 "cluster": badness 1264, VmRSS 23964 MiB
//   sending SIGTERM to process 12006 "python3": badness 209, VmRSS 2891 MiB
//   killing process 27541 "bash" with signal 15: badness 550, VmRSS 7609 MiB
//   Killing process 'bash' with signal 15, pid: 5874, badness: 538, VmRSS: 3160 MiB
const EARLYOOM_SENDING = /^sending SIG[A-Z0-9]+ to process (\d+)(?: uid (\d+))? "/;
const EARLYOOM_KILLING = /^killing process (\d+) "/;
const EARLYOOM_OLDEST = /^Killing process '(.*)' with signal \d+, pid: (\d+),/;

function parseEarlyoom(m: string): EarlyoomKill | null {
  const c = m.charCodeAt(0);
  if (c === 115 /* s */) {
    const r = EARLYOOM_SENDING.exec(m);
    if (!r) return null;
    // COMM is quoted but not escaped; what follows it is fixed text, the cmdline at the end is not.
    const start = r[0].length;
    let end = m.indexOf('": oom_score ', start);
    if (end === -1) end = m.indexOf('": badness ', start);
    if (end === -1) return null;
    return { pid: Number(r[1]), comm: m.slice(start, end), uid: r[2] === undefined ? null : Number(r[2]), oomScoreAdj: field(m, ', oom_score_adj ', end) };
  }
  if (c === 107 /* k */) {
    const r = EARLYOOM_KILLING.exec(m);
    if (!r) return null;
    const start = r[0].length;
    const end = m.indexOf('" with signal ', start);
    if (end === -1) return null;
    return { pid: Number(r[1]), comm: m.slice(start, end), uid: null, oomScoreAdj: null };
  }
  if (c === 75 /* K */) {
    const r = EARLYOOM_OLDEST.exec(m);
    if (!r) return null;
    return { pid: Number(r[2]), comm: r[1]!, uid: null, oomScoreAdj: null };
  }
  return null;
}

// systemd-oomd (src/oom/oomd-manager.c): "Killed CGROUP due to memory pressure for ..." and "Killed CGROUP
// due to swap used (...)" up to v255; "Marked CGROUP for killing due to memory pressure for ..." and
// "Marked CGROUP for killing due to memory used (...) and swap used (...)" since.
function parseOomdKill(m: string): string | null {
  let start: number;
  let marker: string;
  if (m.startsWith('Killed /')) {
    start = 7;
    marker = ' due to ';
  } else if (m.startsWith('Marked /')) {
    start = 7;
    marker = ' for killing due to ';
  } else {
    return null;
  }
  const end = m.indexOf(marker, start);
  if (end === -1) return null;
  const reason = end + marker.length;
  if (!m.startsWith('memory pressure for ', reason) && !m.startsWith('swap used (', reason) && !m.startsWith('memory used (', reason)) {
    return null;
  }
  return m.slice(start, end);
}
