// @ts-check
// A kernel log of N full OOM reports for `oom-exporter kills`, built from real reports (the fixtures
// test/kernellog/parse.test.ts reads; their provenance is in test/fixtures/kernellog/SOURCES.md), each
// with its own pid, comm and memory cgroup, in a syslog file's envelope with the kernel's [uptime]:
//
//   6.18 memcg v1 (this machine)      80 lines: header, call trace, memcg stats, task list, summary, kill
//   3.13 global (google/cadvisor)     81 lines: header, call trace, Mem-Info, task list, choice, kill
//   4.8 docker memcg (google/cadvisor) 47 lines: veth chatter, header, trace, "Task in", choice, kill, reaper
//
// node bench/kills-input.mjs --kills N [--format syslog|kmsg] [--report-bytes] > kern.log   (to standard output;
// --report-bytes then writes "bytes N" to standard error)
// bench/kills-memory.mjs pipes it into the CLI; expectedKill(i) is what the i-th kill must read.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';

/** @param {string} name */
const fixture = (name) => readFileSync(new URL(`../test/fixtures/kernellog/${name}`, import.meta.url), 'utf8').split('\n');

/** The message of each raw /dev/kmsg record ("PRI,SEQ,USEC,FLAGS;message"). */
const kmsgMessages = (/** @type {string[]} */ lines) => lines.map((l) => l.slice(l.indexOf(';') + 1));

// Each report with its victim's own values turned into placeholders.
/** @type {{ name: string, lines: string[], subst: [string, string][] }[]} */
const SOURCES = [
  {
    name: '6.18-memcg-v1',
    lines: kmsgMessages(fixture('kmsg-memcg-v1-6.18.txt').slice(412, 492)),
    subst: [
      ['oom (test) 1', '\u0000COMM\u0000'],
      ['1928', '\u0000PID\u0000'],
      ['/oomprobe', '\u0000MEMCG\u0000'],
    ],
  },
  {
    name: '3.13-global',
    lines: fixture('bare-cadvisor-3.13-global.txt').slice(0, 81),
    subst: [
      ['badsysprogram', '\u0000COMM\u0000'],
      ['1532', '\u0000PID\u0000'],
    ],
  },
  {
    name: '4.8-docker',
    lines: fixture('bare-cadvisor-4.8-docker.txt').slice(0, 47),
    subst: [
      ['gunpowder-memho', '\u0000COMM\u0000'],
      ['1381', '\u0000PID\u0000'],
      ['2e088fe462e25e60be1dafafe2c05c47bda1a97978648d10ad2b7484fc0b8f50', '\u0000CID\u0000'],
    ],
  },
];

/**
 * A report compiled for speed: its text split at the placeholders, and where each placeholder sits, so
 * that a report is a few array stores and one join.
 * @typedef {{ parts: string[], slots: Record<string, number[]>, lines: number }} Template
 */

/**
 * @param {{ lines: string[], subst: [string, string][] }} src
 * @param {'syslog' | 'kmsg'} format
 * @returns {Template}
 */
function compile(src, format) {
  /** @type {string[]} */
  const parts = [];
  /** @type {Record<string, number[]>} */
  const slots = { PREFIX: [], PID: [], COMM: [], MEMCG: [], CID: [], SEQ: [] };
  const slot = (/** @type {string} */ name) => {
    /** @type {number[]} */ (slots[name]).push(parts.length);
    parts.push('');
  };
  for (let line of src.lines) {
    for (const [from, to] of src.subst) line = line.split(from).join(to);
    if (format === 'kmsg') {
      // "PRI,SEQ,USEC,-;": the kill line at level 3 (err), the rest at 6; SEQ and USEC per line.
      parts.push(line.includes('Killed process') ? '3,' : '6,');
      slot('SEQ');
      slot('PREFIX');
    } else {
      slot('PREFIX');
    }
    line.split('\u0000').forEach((piece, j) => {
      if (j % 2 === 1) slot(piece);
      else if (piece !== '') parts.push(piece);
    });
    parts.push('\n');
  }
  return { parts, slots, lines: src.lines.length };
}

const COMMS = ['java', 'Web Content', 'oom (test) 1', 'python3', 'postgres', 'node', 'chrome', 'mysqld', 'Isolated Web Co', 'celery', 'ruby', 'stress-ng-vm'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The i-th kill's victim: what the CLI must print for it. */
export function expectedKill(/** @type {number} */ i) {
  return {
    pid: 1000 + ((i * 7919) % 4_000_000),
    comm: /** @type {string} */ (COMMS[i % COMMS.length]),
    report: /** @type {{ name: string }} */ (SOURCES[i % SOURCES.length]).name,
  };
}

const hex64 = (/** @type {number} */ i) => (i.toString(16).padStart(8, '0') + '5c99d4f7b71cc426c0cde01415b6e0c6').repeat(2).slice(0, 64);

/**
 * The log as chunks of about `chunkBytes` characters, in log order (ASCII but for the names, which are too).
 * @param {{ kills: number, format?: 'syslog' | 'kmsg', chunkBytes?: number }} opts
 * @returns {Generator<string>}
 */
export function* killsLog({ kills, format = 'syslog', chunkBytes = 1 << 20 }) {
  const templates = SOURCES.map((s) => compile(s, format));
  let wallMs = Date.UTC(2026, 2, 9, 18, 14, 14);
  let uptimeUs = 295_692_212_175;
  let seq = 0;
  /** @type {string[]} */
  let chunk = [];
  let size = 0;
  for (let i = 0; i < kills; i++) {
    const t = /** @type {Template} */ (templates[i % templates.length]);
    const k = expectedKill(i);
    // One kill every 0.7 s of log; one stamp for all the lines of a report, which the kernel prints
    // within milliseconds.
    wallMs += 700;
    uptimeUs += 700_000;
    const d = new Date(wallMs);
    const s = Math.floor(uptimeUs / 1e6);
    const us = String(uptimeUs % 1e6).padStart(6, '0');
    const prefix =
      format === 'kmsg'
        ? `,${uptimeUs},-;`
        : `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2)} ${d.toISOString().slice(11, 19)} host kernel: [${String(s).padStart(6)}.${us}] `;
    const { parts, slots } = t;
    for (const at of /** @type {number[]} */ (slots.PREFIX)) parts[at] = prefix;
    for (const at of /** @type {number[]} */ (slots.PID)) parts[at] = String(k.pid);
    for (const at of /** @type {number[]} */ (slots.COMM)) parts[at] = k.comm;
    for (const at of /** @type {number[]} */ (slots.MEMCG)) parts[at] = `/kubepods/burstable/pod${i % 997}/${hex64(i)}`;
    for (const at of /** @type {number[]} */ (slots.CID)) parts[at] = hex64(i);
    for (const at of /** @type {number[]} */ (slots.SEQ)) parts[at] = String(seq++);
    const report = parts.join('');
    chunk.push(report);
    size += report.length;
    if (size >= chunkBytes) {
      yield chunk.join('');
      chunk = [];
      size = 0;
    }
  }
  if (chunk.length > 0) yield chunk.join('');
}

/** Lines per kill on average over the three reports (what lines/s figures are computed from). */
export function linesPerKill() {
  const total = SOURCES.reduce((n, s) => n + s.lines.length, 0);
  return total / SOURCES.length;
}

/**
 * Exactly the lines killsLog writes for `kills` kills.
 * @param {number} kills
 */
export function linesFor(kills) {
  let n = 0;
  for (let i = 0; i < SOURCES.length; i++) n += Math.ceil((kills - i) / SOURCES.length) * /** @type {{ lines: string[] }} */ (SOURCES[i]).lines.length;
  return n;
}

/**
 * Writes the log to a stream, waiting for 'drain' when the stream asks: memory stays flat however big N is.
 * @param {NodeJS.WritableStream} out
 * @param {{ kills: number, format?: 'syslog' | 'kmsg' }} opts
 */
export async function writeKillsLog(out, opts) {
  let bytes = 0;
  for (const chunk of killsLog(opts)) {
    bytes += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await once(out, 'drain');
  }
  return bytes;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (/** @type {string} */ name, /** @type {string} */ def) => {
    const i = process.argv.indexOf(`--${name}`);
    return i !== -1 && process.argv[i + 1] !== undefined ? /** @type {string} */ (process.argv[i + 1]) : def;
  };
  const format = arg('format', 'syslog');
  if (format !== 'syslog' && format !== 'kmsg') throw new Error(`--format syslog|kmsg, not ${format}`);
  process.stdout.on('error', (e) => {
    // The reader went away (a pipe into head): nothing left to write for.
    if (/** @type {NodeJS.ErrnoException} */ (e).code === 'EPIPE') process.exit(0);
    throw e;
  });
  const bytes = await writeKillsLog(process.stdout, { kills: Number(arg('kills', '1000')), format });
  // For bench/kills-memory.mjs, which reports the size of what it piped into the CLI.
  if (process.argv.includes('--report-bytes')) process.stderr.write(`bytes ${bytes}\n`);
}
