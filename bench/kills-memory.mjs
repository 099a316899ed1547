// @ts-check
// `oom-exporter kills` at any size: peak RSS and throughput of the real CLI reading N full OOM reports
// (bench/kills-input.mjs, about 69 lines and 7 KB a kill, syslog envelope) from a pipe on standard
// input (`--file -`), as a table and as --json. The generator runs as its own process, so the CLI reads
// as fast as it can; its CPU time (user + system, from its own getrusage) gives a figure that other
// load on the machine moves less than the wall clock does. Every run checks the output: exactly N kills,
// the first and the last the generator wrote.
//
// node bench/kills-memory.mjs [--kills-sizes 10000,100000,1000000] [--kills-outputs table,json]
// (npm run bench runs it as `kills-memory`; OOM_BENCH_CLI=path/to/cli.js measures another build)
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expectedKill, killsLog, linesFor } from './kills-input.mjs';

const CLI = process.env.OOM_BENCH_CLI || fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const GENERATOR = fileURLToPath(new URL('./kills-input.mjs', import.meta.url));
const PROBE = fileURLToPath(new URL('./maxrss-probe.mjs', import.meta.url));

/** The goal of the issue: 1,000,000 kills in at most 150 MB. */
const MAX_RSS_BYTES = 150e6;

/** @param {string} name */
function sflag(name) {
  const i = process.argv.indexOf(`--${name}`);
  if (i !== -1 && process.argv[i + 1] !== undefined) return process.argv[i + 1];
  const eq = process.argv.find((a) => a.startsWith(`--${name}=`));
  return eq ? eq.slice(name.length + 3) : undefined;
}

/**
 * What the CLI wrote, kept in bounded memory: the line count and the first and last lines.
 * @param {import('node:stream').Readable} stream
 */
function tally(stream) {
  let lines = 0;
  let first = '';
  let last = '';
  let partial = '';
  let firstDone = false;
  stream.setEncoding('utf8');
  stream.on('data', (/** @type {string} */ chunk) => {
    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl !== -1; nl = chunk.indexOf('\n', start)) {
      const line = partial + chunk.slice(start, nl);
      partial = '';
      if (!firstDone) {
        first = line;
        firstDone = true;
      }
      last = line;
      lines++;
      start = nl + 1;
    }
    partial += chunk.slice(start);
  });
  return new Promise((resolve) => stream.once('end', () => resolve({ lines, first, last, partial })));
}

/**
 * Whether a table row is this kill's: its PID, COMM and KILLER cells (columns are two or more spaces apart).
 * @param {string} row
 * @param {{ pid: number, comm: string } | undefined} kill
 */
function tableRow(row, kill) {
  const [, pid, comm, killer] = row.trim().split(/ {2,}/);
  return kill !== undefined && pid === String(kill.pid) && comm === kill.comm && killer === 'kernel';
}

/**
 * @param {number} kills
 * @param {'table' | 'json'} output
 * @param {string} dir
 */
async function runOnce(kills, output, dir) {
  const rssFile = path.join(dir, `rss-${kills}-${output}.json`);
  const generator = spawn(process.execPath, [GENERATOR, '--kills', String(kills), '--report-bytes'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let generated = '';
  generator.stderr.setEncoding('utf8').on('data', (/** @type {string} */ c) => (generated += c));
  const generatorExit = new Promise((resolve) => generator.once('exit', resolve));
  const t0 = process.hrtime.bigint();
  const cli = spawn(process.execPath, ['--import', PROBE, CLI, 'kills', '--file', '-', ...(output === 'json' ? ['--json'] : [])], {
    stdio: [generator.stdout, 'pipe', 'pipe'],
    env: { ...process.env, OOM_MAXRSS_FILE: rssFile },
  });
  let stderr = '';
  cli.stderr.setEncoding('utf8');
  cli.stderr.on('data', (/** @type {string} */ c) => (stderr = (stderr + c).slice(-2000)));
  const out = tally(cli.stdout);
  const [code, signal] = await new Promise((resolve) => cli.once('exit', (c, s) => resolve([c, s])));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const seen = /** @type {{ lines: number, first: string, last: string, partial: string }} */ (await out);
  // The generator ends once the CLI has read all it wrote; if the CLI failed, it is stopped here.
  if (code !== 0) generator.kill();
  await generatorExit;
  const inputBytes = Number(/bytes (\d+)/.exec(generated)?.[1] ?? NaN);
  let usage = null;
  try {
    usage = /** @type {{ maxRssBytes: number, cpuSeconds: number }} */ (JSON.parse(readFileSync(rssFile, 'utf8')));
  } catch {
    // No file: the CLI did not exit normally (V8 out of memory aborts it).
  }
  // Exactly the generated kills, in order: the first and the last.
  const rows = output === 'json' ? seen.lines : seen.lines - 1;
  const want = [expectedKill(0), expectedKill(kills - 1)];
  /** @param {string} l */
  const victimOf = (l) => {
    try {
      const k = JSON.parse(l);
      return { pid: k.pid, comm: k.comm };
    } catch {
      return null;
    }
  };
  const got = output === 'json' ? [seen.first, seen.last].map(victimOf) : [];
  const correct =
    code === 0 &&
    seen.partial === '' &&
    rows === kills &&
    (output === 'json'
      ? got.every((k, i) => k !== null && k.pid === want[i]?.pid && k.comm === want[i]?.comm)
      : seen.first.startsWith('TIME') && tableRow(seen.last, want[1]));
  return { kills, output, code, signal, stderr, seconds, usage, rows, correct, inputBytes };
}

/**
 * What the CLI's throughput is measured against: the parser alone (parseLine + OomParser.push, as
 * bench/parser.mjs runs it) over the same generated lines, already split in memory; best of 5 runs.
 * @param {number} kills
 */
async function parserAlone(kills) {
  const { parseLine } = await import(new URL('../dist/kernellog/envelope.js', `file://${CLI}`).href);
  const { createOomParser } = await import(new URL('../dist/kernellog/parse.js', `file://${CLI}`).href);
  const lines = [...killsLog({ kills })].join('').split('\n');
  lines.pop();
  let best = Infinity;
  let found = 0;
  for (let round = 0; round < 5; round++) {
    const parser = createOomParser();
    found = 0;
    const t0 = process.hrtime.bigint();
    for (const line of lines) {
      const rec = parseLine(line);
      if (rec !== null && parser.push(rec) !== null) found++;
    }
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return { lines: lines.length, rate: lines.length / best, found };
}

export default async function benchKillsMemory() {
  const sizes = (sflag('kills-sizes') ?? '10000,100000,1000000').split(',').map(Number);
  const outputs = /** @type {('table' | 'json')[]} */ ((sflag('kills-outputs') ?? 'table,json').split(','));
  const dir = mkdtempSync(path.join(tmpdir(), 'oom-bench-kills-'));
  let ok = true;
  const alone = await parserAlone(20_000);
  console.log(
    `kills-memory: the parser alone on the same kind of log (${alone.lines.toLocaleString('en')} lines in memory, best of 5): ` +
      `${Math.round(alone.rate).toLocaleString('en')} lines/s, ${alone.found} kills of 20000`,
  );
  try {
    for (const kills of sizes) {
      for (const output of outputs) {
        const r = await runOnce(kills, output, dir);
        const lines = linesFor(kills);
        if (r.usage === null || r.code !== 0) {
          ok = false;
          console.log(
            `kills-memory ${output}: ${kills.toLocaleString('en')} kills: FAILED (exit ${r.code ?? r.signal} after ${r.seconds.toFixed(1)} s): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`,
          );
          continue;
        }
        const mb = r.usage.maxRssBytes / 1e6;
        const cpuRate = lines / r.usage.cpuSeconds;
        // The memory goal holds at every size: it is the same process at 10,000 kills as at 1,000,000.
        const bounded = r.usage.maxRssBytes <= MAX_RSS_BYTES;
        ok &&= r.correct && bounded;
        console.log(
          `kills-memory ${output}: ${kills.toLocaleString('en')} kills (${lines.toLocaleString('en')} lines, ${(r.inputBytes / 1e9).toFixed(2)} GB) in ${r.seconds.toFixed(1)} s: ` +
            `peak RSS ${mb.toFixed(0)} MB (goal <= ${MAX_RSS_BYTES / 1e6}${bounded ? '' : ': FAIL'}), ` +
            `${Math.round(lines / r.seconds).toLocaleString('en')} lines/s wall, ${Math.round(cpuRate).toLocaleString('en')} lines per CPU-second ` +
            `(${((100 * cpuRate) / alone.rate).toFixed(0)}% of the parser alone), ${Math.round(kills / r.seconds).toLocaleString('en')} kills/s; ` +
            `output ${r.correct ? 'ok' : `WRONG (${r.rows} rows)`}`,
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (!ok) process.exitCode = 1;
}

if (import.meta.url === `file://${process.argv[1]}`) await benchKillsMemory();
