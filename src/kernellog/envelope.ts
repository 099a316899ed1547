import { parseJournalJson } from './journal-record.js';
import { parseKmsgRecord } from './kmsg-record.js';
import type { LogRecord } from './types.js';

/**
 * Removes the envelope of one kernel-log line, whatever tool wrote it, detected per line so that a file
 * mixing formats (a pasted dmesg after a syslog excerpt) still reads:
 *
 *   raw /dev/kmsg       6,423,1298497674,-;msg                      fromKernel = facility 0
 *   journalctl -o json  {"MESSAGE":...}                              see journal-record.ts
 *   dmesg               [ 7063.247407] msg   (-d adds " <delta>")     fromKernel
 *   dmesg -r            <6>[ 7063.247407] msg                        fromKernel = facility 0
 *   dmesg -T            [Thu Dec  7 00:05:15 2017] msg               fromKernel
 *   dmesg -e            [Dec 7 00:05] msg, [  +0.007186] msg         fromKernel
 *   dmesg -x            kern  :err   : [ 7063.247407] msg            fromKernel = facility "kern"
 *   dmesg iso           2024-04-29T14:55:41,679685+02:00 msg         fromKernel (the comma tells it from syslog)
 *   syslog RFC 3339     2026-02-08T00:40:07.136582+00:00 host tag: msg
 *   syslog RFC 3164     Mar  9 18:14:14 host tag: [295692.212175] msg   (also journalctl short, short-precise)
 *   anything else       bare message                                 fromKernel (cadvisor's test lines, pasted logs)
 *
 * Syslog and journal lines are from the kernel when their tag is "kernel", and only then: one whose tag
 * cannot be read is not the kernel's either. A process could log under the tag "kernel", which the text
 * alone cannot reveal (the facility is not in the file).
 *
 * Wall-clock times without a zone (RFC 3164, dmesg -T) are the local time of the machine reading them;
 * times without a year take the year of `nowMs`, or the year before when that would put the line more
 * than a day in the future (a December log read in January).
 */
export function parseLine(line: string, nowMs?: number): LogRecord | null {
  if (line.length === 0) return null;
  // Files written on other systems, or pasted, may end lines in CRLF.
  if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
  const c = line.charCodeAt(0);
  if (c >= 48 && c <= 57) {
    const k = parseKmsgRecord(line);
    if (k) return { message: k.message, fromKernel: k.facility === 0, identifier: null, time: null, uptimeSeconds: k.usec / 1e6 };
    if (ISO_START.test(line)) return isoLine(line);
    return syslog3164(line, nowMs) ?? bare(line);
  }
  if (c === 91 /* [ */) return bracketed(line, nowMs) ?? bare(line);
  if (c === 123 /* { */) return parseJournalJson(line)?.record ?? bare(line);
  if (c === 60 /* < */) return dmesgRaw(line) ?? bare(line);
  if (c === 32 /* space */) {
    // A /dev/kmsg continuation line (" SUBSYSTEM=acpi") belongs to the record before it; a call-trace
    // line (" dump_header+0x43/0x1c0") is bare text.
    if (KMSG_CONTINUATION.test(line)) return null;
    return bare(line);
  }
  return syslog3164(line, nowMs) ?? dmesgDecoded(line, nowMs) ?? bare(line);
}

const KMSG_CONTINUATION = /^ [A-Z_][A-Z0-9_]*=/;
const ISO_START = /^\d{4}-\d\d-\d\dT\d\d:\d\d/;

function bare(message: string): LogRecord {
  return { message, fromKernel: true, identifier: null, time: null, uptimeSeconds: null };
}

// --- uptime "[ 7063.247407]" -----------------------------------------------------------------------

/** Parses "[  123.456789]" (optionally "[  123.456789 <    0.000003>]") at `at`; returns the index after "]" or -1. */
function uptimeAt(s: string, at: number, out: { v: number }): number {
  if (s.charCodeAt(at) !== 91) return -1;
  let i = at + 1;
  while (s.charCodeAt(i) === 32) i++;
  // Digits are accumulated rather than sliced and parsed: this runs on nearly every line. Dividing the
  // exact integer of all digits by an exact power of ten rounds the same as parsing the decimal text.
  let whole = 0;
  let intDigits = 0;
  for (let ch = s.charCodeAt(i); ch >= 48 && ch <= 57; ch = s.charCodeAt(++i)) {
    whole = whole * 10 + (ch - 48);
    intDigits++;
  }
  if (intDigits === 0 || s.charCodeAt(i) !== 46) return -1;
  i++;
  let scale = 1;
  for (let ch = s.charCodeAt(i); ch >= 48 && ch <= 57 && scale < 1e9; ch = s.charCodeAt(++i)) {
    whole = whole * 10 + (ch - 48);
    scale *= 10;
  }
  if (scale === 1 || intDigits > 10) return -1;
  if (s.charCodeAt(i) === 32 && s.charCodeAt(i + 1) === 60 /* < */) {
    const close = s.indexOf('>', i);
    if (close === -1) return -1;
    i = close + 1;
  }
  if (s.charCodeAt(i) !== 93 /* ] */) return -1;
  out.v = whole / scale;
  return i + 1;
}

const scratch = { v: 0 };

/** Skips the single space the kernel/dmesg put between the timestamp and the message. */
function afterSpace(s: string, i: number): number {
  return s.charCodeAt(i) === 32 ? i + 1 : i;
}

// --- dmesg forms starting with "[" -----------------------------------------------------------------

const DMESG_CTIME = /^\[(?:[A-Z][a-z]{2}) ([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d\d):(\d\d):(\d\d) (\d{4})\] ?/;
const DMESG_RELTIME = /^\[ *[+-]?\d+\.\d+\] ?/;
const DMESG_HUMAN = /^\[([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d\d):(\d\d)\] ?/;

function bracketed(line: string, nowMs: number | undefined): LogRecord | null {
  const end = uptimeAt(line, 0, scratch);
  if (end !== -1) {
    return { message: line.slice(afterSpace(line, end)), fromKernel: true, identifier: null, time: null, uptimeSeconds: scratch.v };
  }
  const c1 = line.charCodeAt(1);
  if (c1 === 32 || c1 === 43 /* + */) {
    const m = DMESG_RELTIME.exec(line);
    if (m) return bare(line.slice(m[0].length));
    return null;
  }
  let m = DMESG_CTIME.exec(line);
  if (m) {
    const month = ENGLISH_MONTHS.get(m[1]!);
    const time = month === undefined ? null : localIso(Number(m[6]), month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), 0);
    return { message: line.slice(m[0].length), fromKernel: true, identifier: null, time, uptimeSeconds: null };
  }
  m = DMESG_HUMAN.exec(line);
  if (m) {
    const month = ENGLISH_MONTHS.get(m[1]!);
    const time = month === undefined ? null : yearlessIso(month, Number(m[2]), Number(m[3]), Number(m[4]), 0, 0, nowMs);
    return { message: line.slice(m[0].length), fromKernel: true, identifier: null, time, uptimeSeconds: null };
  }
  return null;
}

/** `dmesg -r`: "<PRI>[uptime] msg" — the raw level prefix carries the facility. */
function dmesgRaw(line: string): LogRecord | null {
  const close = line.indexOf('>');
  if (close < 2 || close > 5) return null;
  let pri = 0;
  for (let i = 1; i < close; i++) {
    const ch = line.charCodeAt(i);
    if (ch < 48 || ch > 57) return null;
    pri = pri * 10 + ch - 48;
  }
  const end = uptimeAt(line, close + 1, scratch);
  const uptime = end === -1 ? null : scratch.v;
  const msgStart = end === -1 ? close + 1 : afterSpace(line, end);
  return { message: line.slice(msgStart), fromKernel: pri >> 3 === 0, identifier: null, time: null, uptimeSeconds: uptime };
}

/** `dmesg -x`: "facility:level : " before any of the bracketed forms. */
const DMESG_DECODED = /^(kern|user|mail|daemon|auth|syslog|lpr|news|uucp|cron|authpriv|ftp|local[0-7]) *:(emerg|alert|crit|err|warn|notice|info|debug) *: /;

function dmesgDecoded(line: string, nowMs: number | undefined): LogRecord | null {
  const m = DMESG_DECODED.exec(line);
  if (!m) return null;
  const rest = line.slice(m[0].length);
  const r = (rest.charCodeAt(0) === 91 ? bracketed(rest, nowMs) : null) ?? bare(rest);
  r.fromKernel = m[1] === 'kern';
  return r;
}

// --- ISO 8601 timestamps: dmesg --time-format iso, RFC 3339 syslog, journalctl short-iso ---------------

const ISO_TS = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:([.,])(\d{1,9}))?(Z|[+-]\d\d:?\d\d)? /;

// Consecutive lines mostly share their timestamp: remember the last conversion.
let lastIsoKey = '';
let lastIsoValue: string | null = null;

function isoTime(key: string, date: string, frac: string | undefined, zone: string | undefined): string | null {
  if (key === lastIsoKey) return lastIsoValue;
  const ms = frac === undefined ? '' : '.' + (frac + '00').slice(0, 3);
  let z = zone ?? '';
  // journalctl short-iso prints +0000; Date.parse wants +00:00.
  if (z.length === 5) z = z.slice(0, 3) + ':' + z.slice(3);
  const t = zone === undefined ? new Date(date + ms) : new Date(date + ms + z);
  lastIsoKey = key;
  lastIsoValue = Number.isNaN(t.getTime()) ? null : t.toISOString();
  return lastIsoValue;
}

function isoLine(line: string): LogRecord {
  const m = ISO_TS.exec(line);
  if (!m) return bare(line);
  const time = isoTime(m[0], m[1]!, m[3], m[4]);
  const rest = m[0].length;
  // dmesg --time-format iso prints the fraction after a comma and no host or tag.
  if (m[2] === ',') return { message: line.slice(rest), fromKernel: true, identifier: null, time, uptimeSeconds: null };
  return afterTimestamp(line, rest, time) ?? untagged(line, rest, time);
}

// --- RFC 3164 / journalctl short -------------------------------------------------------------------

// The month is whatever the C library's %b gave: English, or a localised word ("июл", "avril", "févr.").
const SYSLOG_TS = /^([^\s\d]{1,12}|\d{1,2}月) {1,2}(\d{1,2}) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))? /;

let last3164Key = '';
let last3164Now: number | undefined;
let last3164Value: string | null = null;

function syslog3164(line: string, nowMs: number | undefined): LogRecord | null {
  // Lines of one second share their stamp: skip the regex when this line starts with the last one's.
  if (last3164Key !== '' && nowMs === last3164Now && line.startsWith(last3164Key)) {
    return afterTimestamp(line, last3164Key.length, last3164Value) ?? untagged(line, last3164Key.length, last3164Value);
  }
  const m = SYSLOG_TS.exec(line);
  if (!m) return null;
  const stamp = m[0];
  const month = monthIndex(m[1]!);
  const ms = m[6] === undefined ? 0 : Number((m[6] + '00').slice(0, 3));
  const time = month === undefined ? null : yearlessIso(month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), ms, nowMs);
  // Sub-second stamps (short-precise) differ on every line: caching them would only cost.
  if (m[6] === undefined) {
    last3164Key = stamp;
    last3164Now = nowMs;
    last3164Value = time;
  }
  return afterTimestamp(line, stamp.length, time) ?? untagged(line, stamp.length, time);
}

/**
 * A syslog or journal line whose tag cannot be read: `logger -t "Out of memory" "Killed process ..."`
 * makes rsyslog write "TIME host Out of memory: Killed process ...". The timestamp already says a
 * daemon wrote this line, and only the tag "kernel" makes it the kernel's, so it is never read as bare
 * kernel text: a record nobody's parser rule matches (no identifier to claim a userspace killer either).
 */
function untagged(line: string, at: number, time: string | null): LogRecord {
  return { message: line.slice(at), fromKernel: false, identifier: null, time, uptimeSeconds: null };
}

/**
 * "host tag: msg" or, when journalctl had no hostname, "tag: msg". The tag is "kernel" or "name[pid]".
 * Returns null when the rest is not shaped like that (the caller makes it an untagged record).
 */
function afterTimestamp(line: string, at: number, time: string | null): LogRecord | null {
  let sp = line.indexOf(' ', at);
  if (sp === -1) return null;
  let tagStart = at;
  if (line.charCodeAt(sp - 1) !== 58 /* : */) {
    tagStart = sp + 1;
    sp = line.indexOf(' ', tagStart);
    if (sp === -1) {
      // "host tag:" with an empty message.
      if (line.charCodeAt(line.length - 1) !== 58) return null;
      sp = line.length;
    } else if (line.charCodeAt(sp - 1) !== 58) return null;
  }
  // Nearly every line of a kernel log has this tag: no need to cut it out of the line.
  const identifier = sp - 1 - tagStart === 6 && line.startsWith('kernel', tagStart) ? 'kernel' : tagIdentifier(line, tagStart, sp - 1);
  if (identifier === null) return null;
  let msgStart = sp + 1;
  if (msgStart > line.length) msgStart = line.length;
  let uptime: number | null = null;
  if (identifier === 'kernel') {
    // Syslog daemons reading /proc/kmsg keep the kernel's "[uptime] " in the message.
    const end = uptimeAt(line, msgStart, scratch);
    if (end !== -1) {
      uptime = scratch.v;
      msgStart = afterSpace(line, end);
    }
  }
  return { message: line.slice(msgStart), fromKernel: identifier === 'kernel', identifier, time, uptimeSeconds: uptime };
}

/** "kernel" from "kernel", "earlyoom" from "earlyoom[123]"; null when [from, colon) is not a syslog tag. */
function tagIdentifier(line: string, from: number, colon: number): string | null {
  if (colon <= from) return null;
  let end = colon;
  if (line.charCodeAt(colon - 1) === 93 /* ] */) {
    const open = line.lastIndexOf('[', colon - 1);
    if (open <= from) return null;
    for (let i = open + 1; i < colon - 1; i++) {
      const ch = line.charCodeAt(i);
      if (ch < 48 || ch > 57) return null;
    }
    end = open;
  }
  for (let i = from; i < end; i++) {
    const ch = line.charCodeAt(i);
    if (ch === 91 || ch === 93 || ch === 58) return null;
  }
  return line.slice(from, end);
}

// --- months and local time -------------------------------------------------------------------------

const ENGLISH_MONTHS = new Map(['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'].map((m, i) => [m, i]));

// %b in locales whose logs show up in bug reports; a month we cannot read leaves the time unknown, not wrong.
const LOCAL_MONTHS: ReadonlyMap<string, number> = new Map(
  [
    ['янв', 'фев', 'мар', 'апр', 'мая', 'июн', 'июл', 'авг', 'сен', 'окт', 'ноя', 'дек'],
    ['янв', 'фев', 'мар', 'апр', 'май', 'июн', 'июл', 'авг', 'сен', 'окт', 'ноя', 'дек'],
    ['janv.', 'févr.', 'mars', 'avril', 'mai', 'juin', 'juil.', 'août', 'sept.', 'oct.', 'nov.', 'déc.'],
    ['Jan', 'Feb', 'Mär', 'Apr', 'Mai', 'Jun', 'Jul', 'Aug', 'Sep', 'Okt', 'Nov', 'Dez'],
    ['ene', 'feb', 'mar', 'abr', 'may', 'jun', 'jul', 'ago', 'sep', 'oct', 'nov', 'dic'],
    ['gen', 'feb', 'mar', 'apr', 'mag', 'giu', 'lug', 'ago', 'set', 'ott', 'nov', 'dic'],
    ['jan', 'fev', 'mar', 'abr', 'mai', 'jun', 'jul', 'ago', 'set', 'out', 'nov', 'dez'],
    ['sty', 'lut', 'mar', 'kwi', 'maj', 'cze', 'lip', 'sie', 'wrz', 'paź', 'lis', 'gru'],
    ['1月', '2月', '3月', '4月', '5月', '6月', '7月', '8月', '9月', '10月', '11月', '12月'],
  ].flatMap((names) => names.map((n, i): [string, number] => [n.toLowerCase(), i])),
);

function monthIndex(token: string): number | undefined {
  return ENGLISH_MONTHS.get(token) ?? LOCAL_MONTHS.get(token.toLowerCase());
}

function localIso(year: number, month: number, day: number, h: number, mi: number, s: number, ms: number): string | null {
  const d = new Date(year, month, day, h, mi, s, ms);
  // Reject what Date silently rolls over (Feb 31, hour 25).
  if (d.getDate() !== day || d.getHours() !== h || Number.isNaN(d.getTime())) return null;
  return d.toISOString();
}

const DAY_MS = 86_400_000;

function yearlessIso(month: number, day: number, h: number, mi: number, s: number, ms: number, nowMs: number | undefined): string | null {
  const now = nowMs ?? Date.now();
  const year = new Date(now).getFullYear();
  const t = new Date(year, month, day, h, mi, s, ms);
  if (t.getTime() - now > DAY_MS) return localIso(year - 1, month, day, h, mi, s, ms);
  return localIso(year, month, day, h, mi, s, ms);
}
