import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { killsIn } from '../../src/kernellog/backlog.js';
import { createLineReader } from '../../src/kernellog/envelope.js';
import { constraintLabel } from '../../src/kernellog/parse.js';
import { fileBacklog } from '../../src/kernellog/sources/file.js';
import type { LogRecord } from '../../src/kernellog/types.js';
import { golden } from '../helpers/golden.js';

/**
 * Every real kernel-log fixture, read whole, line by line and kill by kill, against a checked-in golden
 * file: the other tests assert what matters of each fixture; this one holds every field of every record
 * and every kill, so a change anywhere in the envelopes or the parser shows up as a diff of a real log
 * to review (UPDATE_GOLDEN=1 npm test rewrites it after an intended change).
 *
 * Lines without a year take the year of NOW; times without a zone are local time: UTC+05:30, the
 * zone the suite runs in (vitest.config.ts).
 */
const DIR = new URL('../fixtures/kernellog/', import.meta.url);
const NOW = Date.UTC(2026, 10, 27, 12, 0, 0);
const FIXTURES = readdirSync(DIR)
  .filter((f) => f.endsWith('.txt'))
  .sort();

/** One record on one line: where its message is in the line (or the message itself, when it is not a piece of it). */
function recordLine(index: number, line: string, r: LogRecord | null): string {
  if (r === null) return `${index} -`;
  const at = line.indexOf(r.message);
  const message = at === -1 || r.message === '' ? JSON.stringify(r.message) : `@${at}+${r.message.length}`;
  return [index, r.identifier ?? '-', r.fromKernel ? 'kernel' : 'user', r.time ?? '-', r.uptimeSeconds ?? '-', r.escapes ?? '-', message].join(' ');
}

async function corpus(): Promise<string> {
  const out: string[] = [];
  for (const name of FIXTURES) {
    const text = readFileSync(new URL(name, DIR), 'utf8');
    out.push(`## ${name}`);
    const read = createLineReader(NOW);
    text.split('\n').forEach((line, i) => out.push(recordLine(i + 1, line, read(line))));
    const kills = await killsIn(fileBacklog(Readable.from([text]), { nowMs: NOW }));
    for (const k of kills) out.push(`kill ${constraintLabel(k) || '-'} ${JSON.stringify(k)}`);
  }
  return out.join('\n') + '\n';
}

describe('the kernel-log fixtures, every record and every kill (golden)', () => {
  it('reads every fixture as test/golden/kernellog-corpus.txt says', async () => {
    expect(new Date(2026, 0, 1).getTimezoneOffset(), 'the suite runs in UTC+05:30 (vitest.config.ts)').toBe(-330);
    const got = await corpus();
    expect(got).toBe(golden(fileURLToPath(new URL('../golden/kernellog-corpus.txt', import.meta.url)), got));
  });
});
