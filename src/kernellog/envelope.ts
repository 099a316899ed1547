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
 *   dmesg --json        one field a line: "pri": 4, / "time": 7063.247407, / "msg": "..."   (see createLineReader)
 *   syslog RFC 3339     2026-02-08T00:40:07.136582+00:00 host tag: msg   (also journalctl short-iso, short-iso-precise)
 *   syslog RFC 3164     Mar  9 18:14:14 host tag: [295692.212175] msg   (also journalctl short, short-precise)
 *   BusyBox syslogd     Jan 25 09:40:15 host kern.err kernel: msg        (facility.level before the tag)
 *   OpenWrt logread     Sat Jan 25 09:40:15 2020 kern.err kernel: [22043.048568] msg
 *   journalctl          short-full       Mon 2024-04-29 14:55:41 CEST host tag: msg
 *                       short-monotonic  [ 7063.247407] host tag: msg   (host optional)
 *                       short-unix       1714395341.679700 host tag: msg
 *   remote syslog       <PRI> before any syslog form above, or RFC 5424: <3>1 2024-04-29T12:55:41Z host kernel - - - msg
 *   anything else       bare message                                 fromKernel (cadvisor's test lines, pasted logs)
 *
 * Text pasted from tickets and chats reads too: leading indentation, Markdown "> " quotes, code fences
 * (a ``` line, or ``` around one line) and line numbers (`cat -n`, an editor's) are taken off first.
 * grep's "--" between its matches and journalctl's "-- Boot ... --" lines become a record with the message
 * "--": the parser ends the report in progress there, as nothing says the lines after it are its own.
 *
 * Syslog and journal lines are from the kernel when their tag is "kernel", and only then: one whose tag
 * cannot be read is not the kernel's either. A facility (BusyBox, logread, <PRI>, RFC 5424) other than
 * kern also makes it not the kernel's. A process could log under the tag "kernel" where no facility is
 * written, which the text alone cannot reveal.
 *
 * Escaped bytes. /dev/kmsg writes every byte below 0x20 or above 0x7e, and "\", as \xNN; dmesg prints
 * what is not printable the same way; rsyslog's imkmsg writes the kernel's escapes as it got them. A syslog
 * line tagged "kernel" with the kernel's [uptime] came through the kernel's syslog interface (rsyslog's
 * imklog, klogd, OpenWrt's logd): raw bytes, except that rsyslog writes a control character as "#" and
 * three octal digits. A record says which of these its message holds (LogRecord.escapes: dmesg's forms and
 * "kernel" lines without [uptime] 'kmsg', with it 'rsyslog'), and the parser decodes them in the names and
 * paths it takes (escapes.ts, where invalid UTF-8 is rendered the same from every source). The price: a
 * name that really holds the text "\x41" (or "#011", through imklog) is read as the byte it spells.
 *
 * Wall-clock times without a zone (RFC 3164, dmesg -T, logread) are the local time of the machine reading
 * them; times without a year take the year of `nowMs`, or the year before when that would put the line more
 * than a day in the future (a December log read in January).
 */
export function parseLine(line: string, nowMs?: number): LogRecord | null {
  return readLine(line, nowMs, null);
}

/** Reads the lines of one stream in order: parseLine, plus what spans lines (dmesg --json's fields). */
export type LineReader = (line: string) => LogRecord | null;

/**
 * A reader for one stream (one file, one stdin). `dmesg --json` prints each record as an object with one
 * field a line, "msg" last: the reader keeps "fac", "pri" and "time" for the "msg" that follows, so the
 * record gets its uptime and its facility. Without -x, "pri" is facility * 8 + level; util-linux 2.38 printed
 * facility | level, which makes a user-facility record look like the kernel's: a "pri" below 8 counts as
 * the kernel's, as dmesg's plain text always does.
 */
export function createLineReader(nowMs?: number): LineReader {
  const fields: JsonFields = { pri: null, fac: null, time: null };
  return (line) => readLine(line, nowMs, fields);
}

interface JsonFields {
  pri: number | null;
  fac: string | null;
  time: number | null;
}

function readLine(line: string, nowMs: number | undefined, json: JsonFields | null): LogRecord | null {
  if (line.length === 0) return null;
  let last = line.charCodeAt(line.length - 1);
  // Files written on other systems, or pasted, may end lines in CRLF.
  if (last === 13) {
    line = line.slice(0, -1);
    if (line.length === 0) return null;
    last = line.charCodeAt(line.length - 1);
  }
  // A line pasted in a chat between ``` marks.
  if (last === 96 /* ` */ && line.endsWith('```')) {
    line = line.slice(0, -3).trimEnd();
    if (line.length === 0) return null;
  }
  return dispatch(line, nowMs, json);
}

function dispatch(line: string, nowMs: number | undefined, json: JsonFields | null): LogRecord | null {
  const c = line.charCodeAt(0);
  if (c >= 48 && c <= 57) return digitLine(line, nowMs);
  if (c === 91 /* [ */) return bracketed(line, nowMs) ?? bare(line);
  if (c === 123 /* { */) {
    if (json !== null) resetJson(json);
    return parseJournalJson(line)?.record ?? (JSON_PUNCTUATION.test(line) ? null : bare(line));
  }
  if (c === 60 /* < */) return priLine(line, nowMs) ?? bare(line);
  if (c === 32 || c === 9 /* tab */) {
    // A /dev/kmsg continuation line (" SUBSYSTEM=acpi") belongs to the record before it; anything else
    // indented is pasted text (or a call-trace line, which reads the same without its indentation).
    if (KMSG_CONTINUATION.test(line)) return null;
    const rest = line.trimStart();
    return rest.length === 0 ? null : dispatch(rest, nowMs, json);
  }
  if (c === 62 /* > */) return quoted(line, nowMs, json);
  if (c === 96 /* ` */ || c === 126 /* ~ */) return fenced(line, nowMs, json);
  if (c === 34 /* " */) return jsonMember(line, json);
  if (c === 125 /* } */ || c === 93 /* ] */) {
    if (json !== null) resetJson(json);
    return JSON_PUNCTUATION.test(line) ? null : bare(line);
  }
  if (c === 45 /* - */ && SEPARATOR.test(line)) return separator();
  // Letters (syslog files, the commonest input, start with the month) and the rest.
  return syslog3164(line, nowMs) ?? weekdayLine(line) ?? dmesgDecoded(line, nowMs) ?? bare(line);
}

const KMSG_CONTINUATION = /^ [A-Z_][A-Z0-9_]*=/;
const ISO_START = /^\d{4}-\d\d-\d\dT\d\d:\d\d/;
/** The lines of a pretty-printed JSON document that hold no field: "{", "},{", "]", "}". */
const JSON_PUNCTUATION = /^[[\]{},\s]*$/;
/** grep's "--" between groups of matches; journalctl's "-- Boot 0a1b... --", "-- Reboot --", "-- No entries --". */
const SEPARATOR = /^--(?: .* --)?\s*$/;

function bare(message: string): LogRecord {
  return { message, fromKernel: true, identifier: null, time: null, uptimeSeconds: null };
}

/** Where one report surely ends and the next lines belong to something else (see parse.ts). */
function separator(): LogRecord {
  return bare('--');
}

/** dmesg's text: what is not printable it prints as \xNN (util-linux, safe_fwrite). */
function dmesgRecord(message: string, uptime: number | null, time: string | null): LogRecord {
  return { message, fromKernel: true, identifier: null, time, uptimeSeconds: uptime, escapes: 'kmsg' };
}

// --- pasted text ----------------------------------------------------------------------------------

/**
 * "> " Markdown and e-mail quotes, nested ("> > "), before any of the forms: the mark goes, and what follows
 * is read as a line of its own (the blank after the mark as indentation, a nested quote's mark as a mark).
 */
function quoted(line: string, nowMs: number | undefined, json: JsonFields | null): LogRecord | null {
  return line.length === 1 ? null : dispatch(line.slice(1), nowMs, json);
}

/** A fence line ("```", "```console", "~~~") holds no record; "```Mar  9 ..." opens a fence on a log line. */
function fenced(line: string, nowMs: number | undefined, json: JsonFields | null): LogRecord | null {
  const mark = line.charCodeAt(0);
  let i = 0;
  while (line.charCodeAt(i) === mark) i++;
  if (i < 3) return syslog3164(line, nowMs) ?? bare(line);
  const rest = line.slice(i).trim();
  // An info string ("console", "text") is one word; a log line has spaces.
  if (rest.indexOf(' ') === -1) return null;
  return dispatch(rest, nowMs, json);
}

/** "  12\t[ 1.5] msg", "12 Mar  9 ...": an editor's or `cat -n`'s line number before a dmesg, syslog or journal line. */
function numbered(line: string, nowMs: number | undefined): LogRecord | null {
  const m = LINE_NUMBER.exec(line);
  if (!m) return null;
  const rest = line.slice(m[0].length);
  if (rest.charCodeAt(0) === 91) return bracketed(rest, nowMs);
  if (ISO_START.test(rest)) return isoLine(rest);
  // No form after the number ("204 total pagecache pages"): null, and the caller keeps the line whole.
  return syslog3164(rest, nowMs) ?? weekdayLine(rest) ?? dmesgDecoded(rest, nowMs) ?? unixLine(rest);
}

// grep -n writes "12:" before a match and "12-" before a context line.
const LINE_NUMBER = /^\d{1,7}[ \t:-]\s*/;

// --- lines starting with a digit ------------------------------------------------------------------

function digitLine(line: string, nowMs: number | undefined): LogRecord {
  const k = parseKmsgRecord(line);
  if (k) return { message: k.message, fromKernel: k.facility === 0, identifier: null, time: null, uptimeSeconds: k.usec / 1e6 };
  if (ISO_START.test(line)) return isoLine(line);
  return syslog3164(line, nowMs) ?? rfc5424(line, 0, null) ?? unixLine(line) ?? numbered(line, nowMs) ?? bare(line);
}

/** journalctl -o short-unix: "1714395341.679700 host tag: msg". */
function unixLine(line: string): LogRecord | null {
  const m = UNIX_TS.exec(line);
  if (!m) return null;
  const ms = Number(m[1]) * 1000 + Number((m[2] + '00').slice(0, 3));
  // Eleven digits of seconds stay far inside Date's range: the time is always valid.
  const time = new Date(ms).toISOString();
  return afterTimestamp(line, m[0].length, time) ?? untagged(line, m[0].length, time);
}

const UNIX_TS = /^(\d{9,11})\.(\d{1,9}) /;

// --- uptime "[ 7063.247407]" -----------------------------------------------------------------------

/** Parses "[  123.456789]" (optionally "[  123.456789 <    0.000003>]") at `at` into out.v; returns the index after "]" or -1. */
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
  out.v = whole / scale;
  if (s.charCodeAt(i) === 93 /* ] */) return i + 1;
  // dmesg -d: " <    0.000003>", the time since the record before, inside the brackets.
  if (s.charCodeAt(i) !== 32 || s.charCodeAt(i + 1) !== 60 /* < */) return -1;
  const close = s.indexOf('>]', i);
  return close === -1 ? -1 : close + 2;
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
    const uptime = scratch.v;
    const at = afterSpace(line, end);
    // journalctl -o short-monotonic puts a tag after the stamp, which dmesg never does.
    return journalAfterUptime(line, at, uptime) ?? dmesgRecord(line.slice(at), uptime, null);
  }
  const c1 = line.charCodeAt(1);
  if (c1 === 32 || c1 === 43 /* + */) {
    const m = DMESG_RELTIME.exec(line);
    if (m) return dmesgRecord(line.slice(m[0].length), null, null);
    return null;
  }
  let m = DMESG_CTIME.exec(line);
  if (m) {
    const time = localIso(Number(m[6]), englishMonth(m[1]!), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), 0);
    return dmesgRecord(line.slice(m[0].length), null, time);
  }
  m = DMESG_HUMAN.exec(line);
  if (m) {
    const time = yearlessIso(englishMonth(m[1]!), Number(m[2]), Number(m[3]), Number(m[4]), 0, 0, nowMs);
    return dmesgRecord(line.slice(m[0].length), null, time);
  }
  return null;
}

/**
 * journalctl -o short-monotonic: "[ 7063.247407] host kernel: msg", "host name[pid]: msg", the host left
 * out by --no-hostname. Only the tag "kernel" or a "name[pid]" tag counts: a kernel message's own
 * "subsystem: " or "usb 1-1: " prefix must not pass for one. The cost of the pid form: a record a process
 * wrote into /dev/kmsg as "name[pid]: ..." reads, in plain dmesg text, as that process's record.
 */
function journalAfterUptime(line: string, at: number, uptime: number): LogRecord | null {
  let sp = line.indexOf(' ', at);
  if (sp === -1) return null;
  let tagStart = at;
  if (line.charCodeAt(sp - 1) !== 58 /* : */) {
    tagStart = sp + 1;
    sp = line.indexOf(' ', tagStart);
    if (sp === -1 || line.charCodeAt(sp - 1) !== 58) return null;
  }
  const tagEnd = sp - 1;
  let identifier: string | null;
  if (tagEnd - tagStart === 6 && line.startsWith('kernel', tagStart)) identifier = 'kernel';
  else if (line.charCodeAt(tagEnd - 1) === 93 /* ] */) identifier = tagIdentifier(line, tagStart, tagEnd);
  else return null;
  if (identifier === null) return null;
  // journald decoded the kernel's escapes already.
  return { message: line.slice(sp + 1), fromKernel: identifier === 'kernel', identifier, time: null, uptimeSeconds: uptime };
}

/**
 * "<PRI>" and what follows: dmesg -r's "[uptime] msg" (then the kernel ring buffer's text, whose facility
 * PRI carries), or a syslog line as a remote-syslog receiver logs the raw message: RFC 5424, RFC 3164,
 * RFC 3339. Only facility 0 (kern) may be the kernel's.
 */
function priLine(line: string, nowMs: number | undefined): LogRecord | null {
  const close = line.indexOf('>');
  if (close < 2 || close > 4) return null;
  let pri = 0;
  for (let i = 1; i < close; i++) {
    const ch = line.charCodeAt(i);
    if (ch < 48 || ch > 57) return null;
    pri = pri * 10 + ch - 48;
  }
  if (pri > 191) return null;
  const facility = pri >> 3;
  let at = close + 1;
  const end = uptimeAt(line, at, scratch);
  if (end !== -1) {
    // dmesg -r: a record of the ring buffer. A "name[pid]:" in it is what a process wrote into /dev/kmsg.
    const r = dmesgRecord(line.slice(afterSpace(line, end)), scratch.v, null);
    r.fromKernel = facility === 0;
    return r;
  }
  // Some senders (BusyBox's remote logging among them) put a space after the PRI.
  if (line.charCodeAt(at) === 32) at++;
  const rest = line.slice(at);
  // "[" opens dmesg -r's other stamps (with -T, -e); anything else is a syslog line.
  const r =
    rest.charCodeAt(0) === 91
      ? bracketed(rest, nowMs)
      : (rfc5424(rest, 0, facility) ?? (ISO_START.test(rest) ? isoLine(rest) : (syslog3164(rest, nowMs) ?? weekdayLine(rest))));
  if (r === null) return { message: rest, fromKernel: facility === 0, identifier: null, time: null, uptimeSeconds: null };
  r.fromKernel &&= facility === 0;
  return r;
}

/**
 * RFC 5424 from `at`: "1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [MSG]", "-" for what is
 * not known. `facility` from the PRI before it, null when the line had none.
 */
function rfc5424(line: string, at: number, facility: number | null): LogRecord | null {
  if (line.charCodeAt(at) !== 49 /* 1 */ || line.charCodeAt(at + 1) !== 32) return null;
  let i = at + 2;
  const fields: string[] = [];
  for (let k = 0; k < 5; k++) {
    const sp = line.indexOf(' ', i);
    if (sp === -1 || sp === i) return null;
    fields.push(line.slice(i, sp));
    i = sp + 1;
  }
  const [stamp, , app] = fields as [string, string, string];
  let time: string | null = null;
  if (stamp !== '-') {
    const m = ISO_TS.exec(stamp + ' ');
    if (!m) return null;
    time = isoTime(m[0], m[1]!, m[3], m[4]);
  }
  if (line.charCodeAt(i) === 45 /* - */) i++;
  else if (line.charCodeAt(i) === 91 /* [ */) i = afterStructuredData(line, i);
  else return null;
  if (i === -1) return null;
  if (i < line.length) {
    if (line.charCodeAt(i) !== 32) return null;
    i++;
  }
  // MSG may begin with a UTF-8 byte order mark.
  if (line.charCodeAt(i) === 0xfeff) i++;
  const identifier = app === '-' ? null : app;
  if (identifier === 'kernel') return kernelMessage(line, i, time, facility === null || facility === 0);
  return { message: line.slice(i), fromKernel: false, identifier, time, uptimeSeconds: null };
}

/** The index after RFC 5424 STRUCTURED-DATA ("[id k=\"v\"][id2 ...]") starting at `i`, or -1. */
function afterStructuredData(line: string, i: number): number {
  while (line.charCodeAt(i) === 91) {
    let quoted = false;
    for (i++; ; i++) {
      if (i >= line.length) return -1;
      const ch = line.charCodeAt(i);
      if (ch === 92 /* \ */ && quoted) i++;
      else if (ch === 34 /* " */) quoted = !quoted;
      else if (ch === 93 && !quoted) break;
    }
    i++;
  }
  return i;
}

/** `dmesg -x`: "facility:level : " before any of the bracketed forms. */
const DMESG_DECODED = /^(kern|user|mail|daemon|auth|syslog|lpr|news|uucp|cron|authpriv|ftp|local[0-7]) *:(emerg|alert|crit|err|warn|notice|info|debug) *: /;

function dmesgDecoded(line: string, nowMs: number | undefined): LogRecord | null {
  const m = DMESG_DECODED.exec(line);
  if (!m) return null;
  const rest = line.slice(m[0].length);
  const r = bracketed(rest, nowMs) ?? dmesgRecord(rest, null, null);
  r.fromKernel &&= m[1] === 'kern';
  return r;
}

// --- dmesg --json ------------------------------------------------------------------------------------

function resetJson(json: JsonFields): void {
  json.pri = null;
  json.fac = null;
  json.time = null;
}

/**
 * A `"key": value` line of a pretty-printed JSON document. dmesg --json's "msg" is a record (its escapes
 * are JSON's: the text is what the kernel wrote); "pri", "fac" and "time" are kept for it by a reader;
 * any other field is no record.
 */
function jsonMember(line: string, json: JsonFields | null): LogRecord | null {
  const q = line.indexOf('"', 1);
  if (q === -1 || line.charCodeAt(q + 1) !== 58 /* : */) return bare(line);
  const key = line.slice(1, q);
  let text = line.slice(q + 2).trim();
  if (text.endsWith(',')) text = text.slice(0, -1);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // "dmesg": [ opens the array of records.
    return text === '[' || text === '{' ? null : bare(line);
  }
  if (key === 'msg') {
    if (typeof value !== 'string') return null;
    const r = bare(value);
    if (json !== null) {
      if (json.fac !== null) r.fromKernel = json.fac === 'kern';
      else if ((json.pri ?? 0) >= 8) r.fromKernel = false;
      r.uptimeSeconds = json.time;
      resetJson(json);
    }
    return r;
  }
  if (json !== null) {
    if (key === 'pri' && typeof value === 'number') json.pri = value;
    else if (key === 'fac' && typeof value === 'string') json.fac = value;
    else if (key === 'time' && typeof value === 'number') json.time = value;
  }
  return null;
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
  if (m[2] === ',') return dmesgRecord(line.slice(rest), null, time);
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
  const ms = m[6] === undefined ? 0 : Number((m[6] + '00').slice(0, 3));
  const time = yearlessIso(monthIndex(m[1]!), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), ms, nowMs);
  // Sub-second stamps (short-precise) differ on every line: caching them would only cost.
  if (m[6] === undefined) {
    last3164Key = stamp;
    last3164Now = nowMs;
    last3164Value = time;
  }
  return afterTimestamp(line, stamp.length, time) ?? untagged(line, stamp.length, time);
}

// OpenWrt's logread (ctime with the year) and journalctl -o short-full ("%a %Y-%m-%d %H:%M:%S %Z").
const LOGREAD_TS = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d\d):(\d\d):(\d\d) (\d{4}) /;
const SHORT_FULL_TS = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))? (\S+) /;

function weekdayLine(line: string): LogRecord | null {
  let m = LOGREAD_TS.exec(line);
  if (m) {
    const time = localIso(Number(m[6]), englishMonth(m[1]!), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), 0);
    return afterTimestamp(line, m[0].length, time) ?? untagged(line, m[0].length, time);
  }
  m = SHORT_FULL_TS.exec(line);
  if (m) {
    const time = zonedIso(m);
    return afterTimestamp(line, m[0].length, time) ?? untagged(line, m[0].length, time);
  }
  return null;
}

/**
 * short-full's zone is an abbreviation of the journalctl that printed it: UTC/GMT and numeric offsets
 * ("+03") are exact; any other ("CEST") is read as the local time of the machine reading the line, the
 * same bet as for zoneless stamps.
 */
function zonedIso(m: RegExpExecArray): string | null {
  const [, y, mo, d, h, mi, s, frac, zone] = m as unknown as [string, string, string, string, string, string, string, string | undefined, string];
  const ms = frac === undefined ? 0 : Number((frac + '00').slice(0, 3));
  let offset: number | null = null;
  if (zone === 'UTC' || zone === 'GMT' || zone === 'Z') offset = 0;
  else {
    const z = /^([+-])(\d\d):?(\d\d)?$/.exec(zone);
    if (z) offset = (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3] ?? 0));
  }
  if (offset === null) return localIso(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  const t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms) - offset * 60_000;
  // Four-digit years and two-digit fields keep Date.UTC finite (a day past the month's end rolls over).
  return new Date(t).toISOString();
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

const FACILITIES = new Set(['kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv', 'ftp', 'ntp', 'security', 'console']);
const LEVELS = new Set(['emerg', 'panic', 'alert', 'crit', 'err', 'error', 'warn', 'warning', 'notice', 'info', 'debug']);

/** "kern" from the token "kern.err" at [from, to) (BusyBox syslogd, logread); null when it is no facility.level. */
function facilityOf(line: string, from: number, to: number): string | null {
  // Runs on the host of nearly every line: look for the dot within the token only.
  let dot = from;
  while (dot < to && line.charCodeAt(dot) !== 46) dot++;
  if (dot === to) return null;
  const facility = line.slice(from, dot);
  if (!FACILITIES.has(facility) && !/^local[0-7]$/.test(facility)) return null;
  return LEVELS.has(line.slice(dot + 1, to)) ? facility : null;
}

/**
 * "[host] [facility.level] tag: msg" after the timestamp: "host kernel:", "kernel:" (journalctl without a
 * hostname), "host kern.err kernel:" (BusyBox syslogd), "kern.err kernel:" (OpenWrt logread). The tag is
 * "kernel" or "name[pid]". Returns null when the rest is not shaped like that (the caller makes it an
 * untagged record).
 */
function afterTimestamp(line: string, at: number, time: string | null): LogRecord | null {
  // The common shapes first, "host tag:" and "tag:", as cheaply as possible: this runs on every line.
  let tagStart = at;
  let sp = line.indexOf(' ', at);
  let end = sp === -1 ? line.length : sp;
  let facility: string | null = null;
  if (end - 1 <= at || line.charCodeAt(end - 1) !== 58 /* : */) {
    if (sp === -1) return null;
    tagStart = sp + 1;
    sp = line.indexOf(' ', tagStart);
    end = sp === -1 ? line.length : sp;
    if (line.charCodeAt(end - 1) !== 58) return afterFacility(line, at, time);
    // "kern.err kernel:" (OpenWrt logread) rather than "host kernel:"; "ftp.err" is the shortest of those.
    if (tagStart - 1 - at >= 7) facility = facilityOf(line, at, tagStart - 1);
  }
  return tagged(line, tagStart, end, facility, time);
}

/** "host kern.err kernel:" (BusyBox syslogd): the facility between the host and the tag. */
function afterFacility(line: string, at: number, time: string | null): LogRecord | null {
  const sp1 = line.indexOf(' ', at);
  const sp2 = line.indexOf(' ', sp1 + 1);
  if (sp2 === -1) return null;
  const facility = facilityOf(line, sp1 + 1, sp2);
  if (facility === null) return null;
  const sp3 = line.indexOf(' ', sp2 + 1);
  const end = sp3 === -1 ? line.length : sp3;
  if (line.charCodeAt(end - 1) !== 58) return null;
  return tagged(line, sp2 + 1, end, facility, time);
}

/** The record of a syslog line whose tag is [tagStart, end - 1) and message follows `end`. */
function tagged(line: string, tagStart: number, end: number, facility: string | null, time: string | null): LogRecord | null {
  // An empty tag (a lone ":") is none: tagIdentifier gives null.
  const identifier = tagIdentifier(line, tagStart, end - 1);
  if (identifier === null) return null;
  const msgStart = end + 1;
  if (identifier === 'kernel') return kernelMessage(line, msgStart, time, facility === null || facility === 'kern');
  // `escapes` present, if undefined, to give every record of a syslog file one shape.
  return { message: line.slice(msgStart), fromKernel: false, identifier, time, uptimeSeconds: null, escapes: undefined };
}

/**
 * The message of a syslog line tagged "kernel", from `at`. With the kernel's "[uptime] " it came through
 * the kernel's syslog interface (imklog, klogd, logd): raw bytes, rsyslog's "#NNN" for control characters.
 * Without, it may be rsyslog's imkmsg, which keeps the kernel's \xNN escapes.
 */
function kernelMessage(line: string, at: number, time: string | null, fromKernel: boolean): LogRecord {
  const end = uptimeAt(line, at, scratch);
  if (end !== -1) {
    return { message: line.slice(afterSpace(line, end)), fromKernel, identifier: 'kernel', time, uptimeSeconds: scratch.v, escapes: 'rsyslog' };
  }
  return { message: line.slice(at), fromKernel, identifier: 'kernel', time, uptimeSeconds: null, escapes: 'kmsg' };
}

/** "kernel" from "kernel", "earlyoom" from "earlyoom[123]"; null when [from, colon) is not a syslog tag. */
function tagIdentifier(line: string, from: number, colon: number): string | null {
  if (colon <= from) return null;
  let end = colon;
  if (line.charCodeAt(colon - 1) === 93 /* ] */) {
    const open = line.lastIndexOf('[', colon);
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

// Both month maps are filled by plain loops, not a map/flatMap callback: a mutant that blanks such a callback
// makes `new Map` throw on import, and Stryker's vitest runner counts a module that fails to load as survived.
const ENGLISH_MONTHS = new Map<string, number>();
for (const [i, m] of ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'].entries()) ENGLISH_MONTHS.set(m, i);

// %b in locales whose logs show up in bug reports; a month we cannot read leaves the time unknown, not wrong.
// One row a month, each name once (lower case): Russian (genitive and nominative), French, German,
// Spanish, Italian, Portuguese, Polish, Chinese and Japanese.
const LOCAL_MONTH_ROWS: readonly (readonly string[])[] = [
  ['янв', 'janv.', 'jan', 'ene', 'gen', 'sty', '1月'],
  ['фев', 'févr.', 'feb', 'fev', 'lut', '2月'],
  ['мар', 'mars', 'mär', 'mar', '3月'],
  ['апр', 'avril', 'apr', 'abr', 'kwi', '4月'],
  ['мая', 'май', 'mai', 'may', 'mag', 'maj', '5月'],
  ['июн', 'juin', 'jun', 'giu', 'cze', '6月'],
  ['июл', 'juil.', 'jul', 'lug', 'lip', '7月'],
  ['авг', 'août', 'aug', 'ago', 'sie', '8月'],
  ['сен', 'sept.', 'sep', 'set', 'wrz', '9月'],
  ['окт', 'oct.', 'okt', 'oct', 'ott', 'out', 'paź', '10月'],
  ['ноя', 'nov.', 'nov', 'lis', '11月'],
  ['дек', 'déc.', 'dez', 'dic', 'gru', '12月'],
];
const LOCAL_MONTHS = new Map<string, number>();
for (const [month, names] of LOCAL_MONTH_ROWS.entries()) for (const n of names) LOCAL_MONTHS.set(n, month);

// A month is 0 to 11, or NaN for a word that is none: the date it makes is invalid, and localIso's time null.
function englishMonth(token: string): number {
  return ENGLISH_MONTHS.get(token) ?? NaN;
}

function monthIndex(token: string): number {
  return ENGLISH_MONTHS.get(token) ?? LOCAL_MONTHS.get(token.toLowerCase()) ?? NaN;
}

function localIso(year: number, month: number, day: number, h: number, mi: number, s: number, ms: number): string | null {
  const d = new Date(year, month, day, h, mi, s, ms);
  // Reject what Date silently rolls over (Feb 31, hour 25, minute 75) and what it cannot make (NaN).
  if (d.getDate() !== day || d.getHours() !== h) return null;
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
