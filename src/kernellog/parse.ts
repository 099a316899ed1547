import { unescape } from './escapes.js';
import { keepLargest, memInfoTokens, taskHeader, taskRow, type ReportTables, type TaskRow } from './report-tables.js';
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
 * that kill nothing ("no killable processes", "OOM victim ... is already exiting"), on a "--" record (a
 * grep separator, a journalctl boot line: envelope.ts), when the kernel's clock jumps by more than
 * REPORT_GAP_SECONDS between two records, when a summary names another pid than the kill line, when it
 * is older than one report takes to print, and on reset() (sources call it when they lost records).
 *
 * CUT LINES. A log shipper's line limit may cut a line short. A field counts only when what the kernel
 * prints after it is there too ("kB", the next field's name), so a cut summary still gives its constraint
 * and oom_memcg, and nothing from the field it was cut in; a kill line cut inside COMM is still a kill.
 *
 * SPLIT LINES. The kernel's syslog interface (/proc/kmsg, syslog(2): rsyslog's imklog, klogd, dmesg -S)
 * prints a record holding a newline as one line per part, each with the record's prefix; COMM may hold a
 * newline. So a kill line whose COMM does not close is held for the record after it: if that one shares
 * its stamp and completes it, the two are one kill line, else the held line is a cut one and counts as
 * such. The summary and the header are joined the same way. A held kill comes out at the next record, or
 * from flush() at the end of the input.
 *
 * Userspace killers (earlyoom, systemd-oomd) count only from records that are not the kernel's and carry
 * that identifier; journal-record.ts and envelope.ts make sure a line written into /dev/kmsg never does.
 */
export interface OomParser {
  push(rec: LogRecord): OomKill | null;
  /** Forget the report in progress: records were lost, so what follows may belong to another report. */
  reset(): void;
  /** The end of the input: the kills the parser still holds (a kill line whose continuation never came). */
  flush(): OomKill[];
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
  /** "task_memcg,task=COMM" as printed: split once the kill line gives COMM (both may hold commas); '' when cut before ",task=". */
  memcgAndTask: string;
  /** COMM of a whole summary; null when cut. */
  task: string | null;
  /** null when the line was cut before the pid was whole. */
  pid: number | null;
  uid: number | null;
  /** The line ends as the kernel ends it, with ",pid=P,uid=U". */
  whole: boolean;
  /** Cut inside COMM, with room left for more of it (a newline at least): the rest may come in the next record (SPLIT LINES). */
  openTask: boolean;
}

/** What the Killed line itself says: the kill's own fields, with pid always present. */
type Victim = Pick<OomKill, 'uid' | 'totalVmBytes' | 'anonRssBytes' | 'fileRssBytes' | 'shmemRssBytes' | 'pgtablesBytes' | 'oomScoreAdj'> & {
  pid: number;
  /** null when the line ends inside COMM. */
  comm: string | null;
  prefix: string;
  /**
   * How the line ends: with the fields after COMM; at COMM's ")" (before 2.6.32, or a COMM holding ")"
   * then a newline); or inside COMM (cut, or split at a newline in COMM).
   */
  ending: 'fields' | 'paren' | 'open';
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
  // The last kernel record of the report in progress, to notice a jump of the clock between two of its records.
  let previous: LogRecord | null = null;
  // A kill line that a newline in its COMM may have split (see SPLIT LINES); a summary still waiting for the rest of its COMM.
  let pendingKill: PendingKill | null = null;
  let summaryTail: { text: string; rec: LogRecord } | null = null;
  // The short kernel records right before this one: the first lines of a name holding newlines, when a
  // header follows. Kept apart so that the long records, nearly all, cost one store of a small integer.
  const shortRun: LogRecord[] = [];
  let shortRunLength = 0;
  // Kills decided together (a cut kill line found out by the record after it, which is a kill too): one per push.
  const outbox: OomKill[] = [];
  // The report's task table (columns from its header line; the largest rows) and Mem-Info summary.
  let taskColumns: string[] | null = null;
  let tasks: TaskRow[] = [];
  let taskCount = 0;
  let memInfo: Record<string, number> | null = null;
  let memInfoOpen = false;

  function clearTables(): void {
    taskColumns = null;
    tasks = [];
    taskCount = 0;
    memInfo = null;
    memInfoOpen = false;
  }

  function clear(): void {
    clearTables();
    contextAt = null;
    invoker = null;
    choicePrefix = '';
    choicePid = -1;
    taskIn = null;
    summary = null;
    lastReport = null;
    group = null;
    summaryTail = null;
  }

  /**
   * `part` (the start of a header line) with the short records right before it (the `run` first of
   * shortRun) that share its uptime stamp and, with it, fit in one COMM: the parts of a name the kernel's
   * syslog interface printed as lines of their own. null when `part` alone is already too long for a COMM.
   */
  function namePrefix(part: string, rec: LogRecord, run: number): string | null {
    if (part.length > COMM_MAX) return null;
    const up = rec.uptimeSeconds;
    let name = part;
    if (up === null) {
      // journalctl (or dmesg) prints the lines of a record after the first indented, without a stamp: the
      // line right before is the first part (a name of three parts or more keeps its last two only).
      if (rec.time !== null || run === 0) return part;
      const prev = shortRun[run - 1]!;
      const text = unescape(prev.message, prev.escapes);
      return text.length + 1 + name.length <= COMM_MAX ? text + '\n' + name : name;
    }
    for (let i = run - 1; i >= 0; i--) {
      const prev = shortRun[i]!;
      if (prev.uptimeSeconds !== up) break;
      const text = unescape(prev.message, prev.escapes);
      if (text.length + 1 + name.length > COMM_MAX) break;
      name = text + '\n' + name;
    }
    return name;
  }

  /** A kill line held for its continuation is a kill all the same: out with what it says whole. */
  function settle(): void {
    const p = pendingKill;
    if (p === null) return;
    pendingKill = null;
    outbox.push(kill(p.rec, p.victim));
  }

  /**
   * Whether the kernel's clock jumped since the last kernel record: a report is printed in one go, so a
   * pause of more than REPORT_GAP_SECONDS (or time running backwards: another boot) means the report in
   * progress lost its end, and what follows is another's.
   */
  function jumped(before: LogRecord, rec: LogRecord): boolean {
    const up = rec.uptimeSeconds;
    const last = before.uptimeSeconds;
    if (up !== null && last !== null) return up - last > REPORT_GAP_SECONDS || up < last - 1;
    // Else on the wall clock, as sameReport() does: a record with the kernel's clock after one without it too.
    const t = rec.time;
    const lastTime = before.time;
    if (t === null || lastTime === null || t === lastTime) return false;
    const d = (Date.parse(t) - Date.parse(lastTime)) / 1000;
    return d > REPORT_GAP_SECONDS || d < -1;
  }

  function kernelRecord(rec: LogRecord): OomKill | null {
    const m = rec.message;
    const run = shortRunLength;
    // Only a line of a text form (the kernel's syslog interface, journalctl's indented lines: records with
    // escapes of their own) is ever a part of a record, and a part of a name is short: up to 15 bytes,
    // which rsyslog's #NNN stretches; twice that leaves room for five control characters, and spares the
    // longer lines a store.
    if (m.length > 2 * COMM_MAX || rec.escapes === undefined) shortRunLength = 0;
    else {
      if (shortRunLength === RECENT) shortRunLength = 0;
      shortRun[shortRunLength++] = rec;
    }
    if (pendingKill !== null || summaryTail !== null) {
      const done = continuation(rec);
      if (done !== undefined) return done;
    }
    // Tables and a choice line are a report in progress too, even when its header was lost or rate-limited.
    if (contextAt !== null || lastReport !== null || group !== null || taskColumns !== null || memInfoOpen || memInfo !== null || choicePrefix !== '') {
      // Only inside a report: the one store a record would cost is spared to all the others.
      if (previous !== null && jumped(previous, rec)) clear();
      previous = rec;
    }
    const c = m.charCodeAt(0);
    if (memInfoOpen) {
      // Mem-Info's summary lines follow it; the per-node lines ("Node 0 ...") end them.
      const tokens = memInfoTokens(m);
      if (tokens !== null) {
        memInfo ??= {};
        for (const [k, v] of tokens) memInfo[k] = v;
        return null;
      }
      memInfoOpen = false;
    }
    // Cheap first-character dispatch: nearly every line of a kernel log leaves here after one indexOf.
    if (c === 91 /* [ */) {
      // The task table of the report in progress ("Tasks state (memory values in pages):").
      if (taskColumns !== null) {
        const row = taskRow(m, taskColumns);
        if (row !== null) {
          taskCount++;
          keepLargest(tasks, { ...row, name: unescape(row.name, rec.escapes) });
          return null;
        }
      }
      const header = taskHeader(m);
      if (header !== null) {
        taskColumns = header;
        previous = rec;
        tasks = [];
        taskCount = 0;
        return null;
      }
    } else if (c === 75 /* K */ || c === 79 /* O */ || c === 77 /* M */) {
      if (c === 77 && m === 'Mem-Info:') {
        memInfo = null;
        memInfoOpen = true;
        previous = rec;
        return null;
      }
      if (m.startsWith(KILLED)) return killLine(rec, '', KILLED.length);
      const colon = m.indexOf(': ');
      if (colon > 0 && colon <= 64) {
        const prefix = m.slice(0, colon);
        if (PREFIX_LABEL.has(prefix) || /out of memory/i.test(prefix)) {
          // `at` in the decoded text: an escape in the prefix (kmsg's "\x5c" for a backslash) makes that shorter.
          if (m.startsWith(KILLED, colon + 2)) return killLine(rec, prefix, unescape(prefix, rec.escapes).length + 2 + KILLED.length);
          if (m.endsWith(ALREADY_EXITING)) {
            clear();
            return null;
          }
          // "PREFIX: Kill process P (COMM) score N or sacrifice child" (< 5.1) belongs to the report in
          // progress; its prefix is the only constraint hint the unprefixed Killed line after it gets.
          if (m.startsWith('Kill process ', colon + 2)) {
            choicePrefix = prefix;
            previous = rec;
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
        const text = unescape(m, rec.escapes);
        const s = parseSummary(text);
        // A summary opens the kill of its report: whatever an earlier report left is not this one's.
        taskIn = null;
        summary = s;
        contextAt = clockOf(rec);
        previous = rec;
        lastReport = null;
        group = null;
        // openTask is only ever true of a summary that is not whole.
        if (s.openTask) summaryTail = { text, rec };
        return null;
      }
      if (m.startsWith('oom_reaper: ')) return null;
    } else if (c === 84 /* T */) {
      if (m.startsWith(TASK_IN)) {
        const text = unescape(m, rec.escapes);
        const at = text.lastIndexOf(LIMIT_OF);
        if (at > TASK_IN.length) {
          taskIn = { memcg: text.slice(TASK_IN.length, at), oomMemcg: text.slice(at + LIMIT_OF.length) };
          contextAt = clockOf(rec);
          previous = rec;
        }
        lastReport = null;
        group = null;
        return null;
      }
      if (m.startsWith('Tasks in ') && m.endsWith(GROUP_TAIL)) {
        const path = unescape(m.slice('Tasks in '.length, m.length - GROUP_TAIL.length), rec.escapes);
        group = lastReport === null ? null : { ...lastReport, oomMemcg: path };
        lastReport = null;
        return null;
      }
    } else if (c === 45 /* - */ && m === '--') {
      // A grep separator or a journalctl boot line (envelope.ts): the lines after it are not this report's.
      clear();
      return null;
    }
    const inv = m.indexOf(INVOKED);
    if (inv >= 0) {
      // The first lines of a name with newlines, split off by the kernel's syslog interface (SPLIT LINES);
      // a name ending in a newline leaves the header line starting with " invoked".
      const name = namePrefix(unescape(m.slice(0, inv), rec.escapes), rec, run);
      if (name !== null && name !== '') {
        clear();
        invoker = name;
        contextAt = clockOf(rec);
        previous = rec;
        return null;
      }
    }
    // Interleaved lines from other CPUs end a group early: that only costs context, never invents it.
    lastReport = null;
    group = null;
    return null;
  }

  /**
   * The record after a held kill line or an unfinished summary: its continuation (returns the kill, or
   * null when it was consumed), or not (returns undefined: the held line is settled as it is, and the
   * record read like any other).
   */
  function continuation(rec: LogRecord): OomKill | null | undefined {
    const p = pendingKill;
    if (p !== null) {
      pendingKill = null;
      if (continues(p.rec, rec)) {
        const text = p.text + '\n' + unescape(rec.message, rec.escapes);
        const v = parseVictim(text, p.at, p.prefix);
        if (v !== null && v.ending === 'fields') return kill(p.rec, v);
        if (v !== null) {
          pendingKill = { ...p, text, victim: v };
          return null;
        }
      }
      outbox.push(kill(p.rec, p.victim));
      return undefined;
    }
    const t = summaryTail;
    if (t !== null) {
      summaryTail = null;
      if (continues(t.rec, rec)) {
        const text = t.text + '\n' + unescape(rec.message, rec.escapes);
        const s = parseSummary(text);
        if (s.whole) {
          summary = s;
          return null;
        }
        if (s.openTask) {
          summaryTail = { text, rec: t.rec };
          return null;
        }
      }
    }
    return undefined;
  }

  function killLine(rec: LogRecord, prefix: string, at: number): OomKill | null {
    // `at` is in the decoded text (the caller decoded the prefix before it; "Killed process " is plain ASCII).
    const text = unescape(rec.message, rec.escapes);
    const v = parseVictim(text, at, prefix === '' ? choicePrefix : prefix);
    if (v === null) return null;
    if (v.ending !== 'fields') {
      pendingKill = { text, rec, at, prefix: v.prefix, victim: v };
      return null;
    }
    return kill(rec, v);
  }

  function kill(rec: LogRecord, v: Victim): OomKill {
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
    let comm = v.comm;
    let inv = invoker;
    if (summary !== null && summary.pid !== null && summary.pid !== v.pid && summary.pid !== choicePid) {
      // The summary is another victim's: so is the header printed just before it.
      summary = null;
      inv = null;
    }
    if (summary !== null) {
      constraint = summary.constraint;
      oomMemcg = summary.oomMemcg;
      // 4.19 and 5.0 print the summary for the chosen task, then may kill one of its children instead:
      // the report is the child's, but the task_memcg and uid are the parent's. A summary cut before its
      // pid cannot say; a choice line naming another pid can.
      if (summary.pid === v.pid) {
        comm ??= summary.task;
        memcg = splitTaskMemcg(summary.memcgAndTask, comm);
        uid ??= summary.uid;
      } else if (summary.pid === null && (choicePid === -1 || choicePid === v.pid)) {
        memcg = splitTaskMemcg(summary.memcgAndTask, comm);
      }
    } else if (taskIn !== null) {
      memcg = taskIn.memcg;
      oomMemcg = taskIn.oomMemcg;
    } else if (group !== null && inv === null) {
      inv = group.invoker;
      constraint = group.constraint;
      oomMemcg = group.oomMemcg;
    }
    const report: ReportTables | null = taskColumns !== null || memInfo !== null ? { tasks, taskCount, memInfo } : null;
    const groupKeep = group;
    clear();
    // Only a kill with a report of its own starts a group; group members pass the group on.
    lastReport = groupKeep === null ? { invoker: inv, constraint, oomMemcg } : null;
    group = groupKeep;
    previous = rec;
    return {
      killer: 'kernel',
      pid: v.pid,
      comm,
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
      // Only where the report had tables: most kills (the rate-limited ones, userspace killers') have none.
      ...(report !== null ? { report } : {}),
    };
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
      let k: OomKill | null = null;
      if (rec.fromKernel) k = kernelRecord(rec);
      else if (rec.identifier !== null) k = userspaceRecord(rec);
      if (outbox.length === 0) return k;
      if (k !== null) outbox.push(k);
      return outbox.shift() ?? null;
    },
    reset() {
      settle();
      clear();
      shortRunLength = 0;
      previous = null;
      lastEarlyoom = null;
    },
    flush() {
      settle();
      summaryTail = null;
      return outbox.splice(0);
    },
  };
}

/** How many short records before a header are kept: a COMM holds at most 15 newlines. */
const RECENT = 16;

/** The longest COMM: TASK_COMM_LEN 16 with its NUL. In characters, which bytes never outnumber. */
const COMM_MAX = 15;

/** The longest pause between two records of one report (see jumped()). */
const REPORT_GAP_SECONDS = 30;

interface PendingKill {
  /** The kill line so far: the record's message, then each continuation after a newline. */
  text: string;
  rec: LogRecord;
  at: number;
  prefix: string;
  /** What the line says so far: the kill if no continuation comes. */
  victim: Victim;
}

/**
 * Whether `next` can be the rest of a record that the kernel's syslog interface split at a newline: it
 * prints each line of a record with the record's own prefix, so the parts share the record's [uptime]
 * (or, where a syslog daemon replaced it, the time it stamped), and dmesg indents the parts after the
 * first without a stamp of their own.
 */
function continues(first: LogRecord, next: LogRecord): boolean {
  if (next.uptimeSeconds === null && next.time === null) return true;
  if (first.uptimeSeconds !== null || next.uptimeSeconds !== null) return first.uptimeSeconds === next.uptimeSeconds;
  return first.time === next.time;
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

/** A "NkB" value, only when whole: a number cut by a line limit is not followed by its unit. */
function kbField(s: string, key: string, from: number): number | null {
  const at = s.indexOf(key, from);
  if (at === -1) return null;
  const start = at + key.length;
  const end = digitsAt(s, start);
  if (end === start || !s.startsWith('kB', end)) return null;
  return Number(s.slice(start, end)) * KB;
}

/** Markers that end COMM in the kill line's forms, searched from the right: COMM comes first and may hold anything. */
const COMM_ENDS = [') total-vm:', ') vsz:', '), UID '] as const;

/**
 * "P (COMM) total-vm:..." (mainline; "vsz:" in 2.6.32), "P (COMM), UID U, total-vm:..." (RHEL 7),
 * "P, UID U, (COMM) total-vm:..." (RHEL 6) and "P (COMM)" alone (before 2.6.32), from `at` on; or a
 * line that ends inside COMM, when what follows "(" could still be the start of one.
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
  let ending: Victim['ending'] = 'fields';
  if (close <= open) {
    const trimmed = m.trimEnd();
    // The "(" at `open` survives trimEnd(), so a ")" last is after it.
    if (trimmed.charCodeAt(trimmed.length - 1) === 41) {
      // Only the oldest form ends at COMM's ")".
      close = trimmed.length - 1;
      ending = 'paren';
    } else {
      // Cut or split inside COMM: a kill all the same, if what is there fits in a COMM.
      if (m.length - open - 1 > COMM_MAX) return null;
      return { ...NO_FIELDS, pid, comm: null, uid, prefix, ending: 'open' };
    }
  }
  const comm = m.slice(open + 1, close);
  if (comm.length > COMM_MAX && m.indexOf('\n', open) !== -1) return null;
  const tail = close + 1;
  if (uid === null && m.startsWith('), UID ', close)) uid = field(m, '), UID ', close);
  return {
    pid,
    comm,
    uid: uid ?? field(m, ' UID:', tail),
    prefix,
    ending,
    totalVmBytes: kbField(m, 'total-vm:', tail) ?? kbField(m, 'vsz:', tail),
    anonRssBytes: kbField(m, 'anon-rss:', tail),
    fileRssBytes: kbField(m, 'file-rss:', tail),
    shmemRssBytes: kbField(m, 'shmem-rss:', tail),
    pgtablesBytes: kbField(m, 'pgtables:', tail),
    oomScoreAdj: field(m, 'oom_score_adj:', tail),
  };
}

const NO_FIELDS = { totalVmBytes: null, anonRssBytes: null, fileRssBytes: null, shmemRssBytes: null, pgtablesBytes: null, oomScoreAdj: null } as const;

/** Value of `key=` up to the next comma (fields printed before any path or name); null when no comma follows: cut. */
function commaField(m: string, key: string): string | null {
  const at = m.indexOf(key);
  if (at === -1) return null;
  const end = m.indexOf(',', at + key.length);
  return end === -1 ? null : m.slice(at + key.length, end);
}

const SUMMARY_END = /,pid=(\d+),uid=(\d+)\s*$/;

function parseSummary(m: string): Summary {
  const end = SUMMARY_END.exec(m);
  let pid: number | null = null;
  let uid: number | null = null;
  // Where "task=COMM" ends: at ",pid=", or the end of a line cut inside COMM.
  let taskEnd = m.length;
  if (end) {
    pid = Number(end[1]);
    uid = Number(end[2]);
    taskEnd = end.index;
  } else {
    // Cut: a pid is whole only when ",uid=" follows it.
    const pidAt = m.lastIndexOf(',pid=');
    // Not found (-1) is never after ',task=' either.
    if (pidAt > m.lastIndexOf(',task=')) {
      taskEnd = pidAt;
      const pidEnd = digitsAt(m, pidAt + 5);
      if (pidEnd > pidAt + 5 && m.startsWith(',uid=', pidEnd)) pid = Number(m.slice(pidAt + 5, pidEnd));
    }
  }
  const memcgAt = m.indexOf(',task_memcg=');
  let oomMemcg: string | null = null;
  const oomAt = m.indexOf(',oom_memcg=');
  // oom_memcg is whole when task_memcg follows it.
  if (oomAt !== -1 && memcgAt !== -1 && oomAt < memcgAt) oomMemcg = m.slice(oomAt + 11, memcgAt);
  let memcgAndTask = memcgAt === -1 ? '' : m.slice(memcgAt + 12, taskEnd);
  const taskAt = memcgAndTask.lastIndexOf(',task=');
  // task_memcg is whole when ",task=" follows it.
  if (taskAt === -1) memcgAndTask = '';
  const task = end && taskAt !== -1 ? memcgAndTask.slice(taskAt + 6) : null;
  return {
    constraint: commaField(m, 'constraint='),
    oomMemcg,
    memcgAndTask,
    task,
    pid,
    uid,
    whole: end !== null,
    openTask: end === null && taskEnd === m.length && taskAt !== -1 && memcgAndTask.length - taskAt - 6 < COMM_MAX,
  };
}

/** Splits "task_memcg,task=COMM" knowing COMM from the kill line; both parts may contain ",task=". */
function splitTaskMemcg(memcgAndTask: string, comm: string | null): string | null {
  if (memcgAndTask === '') return null;
  if (comm !== null) {
    const suffix = ',task=' + comm;
    if (memcgAndTask.endsWith(suffix)) return memcgAndTask.slice(0, memcgAndTask.length - suffix.length);
  }
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
//   sending SIGTERM to process 1024668 uid 1000 "Web Content": oom_score 823, oom_score_adj 0, VmRSS 79 MiB, cmdline "..."   1.8+
//   sending SIGTERM to process 29410 uid 1000 "cluster": badness 1264, VmRSS 23964 MiB      1.6, 1.7
//   sending SIGTERM to process 12006 "python3": badness 209, VmRSS 2891 MiB                 1.3 to 1.5
//   killing process 27541 "bash" with signal 15: badness 550, VmRSS 7609 MiB                1.2
//   Killing process 'bash' with signal 15, pid: 5874, badness: 538, VmRSS: 3160 MiB         1.1
//   Killing process: tail, pid: 5476, badness: 367, VmRSS: 719 MiB                          1.0
//   Killing process 7981 htop      (NAME from /proc/PID/stat, with or without its parentheses;
//   Killing process 7981 (htop) with badness 12 time_running=3.5m          or the cmdline)  0.x
// and the selection it printed before a kill ("Selected process ...") is not one.
const EARLYOOM_SENDING = /^sending SIG[A-Z0-9]+ to process (\d+)(?: uid (\d+))? "/;
const EARLYOOM_KILLING = /^killing process (\d+) "/;
const EARLYOOM_1_1 = /^Killing process '(.*)' with signal \d+, pid: (\d+),/;
const EARLYOOM_1_0_TAIL = /, pid: (\d+), badness: -?\d+, VmRSS: \d+ MiB$/;
const EARLYOOM_0 = /^Killing process (\d+) (.+?)(?: with badness -?\d+ time_running=[\d.]+m)?$/;

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
    let r = EARLYOOM_1_1.exec(m);
    if (r) return { pid: Number(r[2]), comm: r[1]!, uid: null, oomScoreAdj: null };
    if (m.startsWith('Killing process: ')) {
      // NAME first, unquoted: everything up to the fixed tail.
      r = EARLYOOM_1_0_TAIL.exec(m);
      if (!r || r.index <= 17) return null;
      return { pid: Number(r[1]), comm: m.slice(17, r.index), uid: null, oomScoreAdj: null };
    }
    r = EARLYOOM_0.exec(m);
    if (!r) return null;
    let comm = r[2]!;
    if (comm.length > 2 && comm.startsWith('(') && comm.endsWith(')')) comm = comm.slice(1, -1);
    return { pid: Number(r[1]), comm, uid: null, oomScoreAdj: null };
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
