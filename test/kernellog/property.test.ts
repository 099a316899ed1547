import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseLine } from '../../src/kernellog/envelope.js';
import { unescape } from '../../src/kernellog/escapes.js';
import { parseJournalJson } from '../../src/kernellog/journal-record.js';
import { parseKmsgRecord } from '../../src/kernellog/kmsg-record.js';
import { createOomParser } from '../../src/kernellog/parse.js';
import type { OomKill } from '../../src/kernellog/types.js';

const dir = new URL('../fixtures/kernellog/', import.meta.url);
const realLines = readdirSync(dir)
  .filter((f) => f.endsWith('.txt'))
  .flatMap((f) => readFileSync(new URL(f, dir), 'utf8').split('\n'))
  .filter((l) => l !== '');

// Pieces of real report lines, so that random lines come near the parser's patterns often.
const FRAGMENTS = [
  'Killed process ',
  'Out of memory: ',
  'Memory cgroup out of memory: ',
  'Out of memory (oom_kill_allocating_task): ',
  ' invoked oom-killer: ',
  'oom-kill:constraint=CONSTRAINT_MEMCG,',
  'task_memcg=/a,task=',
  ',pid=',
  ',uid=',
  'Task in /x killed as a result of limit of /y',
  'Tasks in /g are going to be killed due to memory.oom.group set',
  ' total-vm:',
  '), UID ',
  ', UID ',
  ' (',
  ') ',
  '(',
  ')',
  'kB, anon-rss:',
  'sending SIGTERM to process ',
  ' uid ',
  '"',
  '": oom_score ',
  'Killed /',
  ' due to memory pressure for ',
  'Marked /',
  ' for killing due to ',
  '6,1,2,-;',
  '12,3,4,-;',
  '[ 1.5] ',
  'Mar  9 18:14:14 host kernel: ',
  'Mar  9 18:14:14 host earlyoom[1]: ',
  'Mar  9 18:14:14 host systemd-oomd[2]: ',
  '2024-04-29T14:55:41,679700+02:00 ',
  '{"MESSAGE":',
  // The envelopes and pasted forms of the issue "every log people have".
  'Sat Jan 25 09:40:15 2020 kern.err kernel: ',
  'Jan 25 09:40:15 router user.notice kernel: ',
  '<3>1 2026-11-30T15:46:13Z vm kernel - - - ',
  '<11>Nov 30 15:46:13 vm kernel: ',
  'Mon 2026-11-30 15:37:46 UTC vm kernel: ',
  '[ 8518.299089] vm kernel: ',
  '"msg": "',
  '"time":  8518.299089,',
  '> ',
  '```',
  '  12 ',
  '--',
  '#011',
  '\n',
  'Killing process: ',
  'Killing process 7981 ',
  '\\x',
  '\\x5c',
  '123',
  '-1',
  ' ',
  ',',
  ':',
];

const fragmentLine = fc
  .array(fc.oneof(fc.constantFrom(...FRAGMENTS), fc.string({ maxLength: 6 }), fc.nat({ max: 99999 }).map(String)), { maxLength: 14 })
  .map((a) => a.join(''));
const anyLine = fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 }), fragmentLine);

/** Edits a real line: insert, delete or replace characters, cut it, or splice in another line's tail. */
const mutatedRealLine = fc
  .tuple(
    fc.constantFrom(...realLines),
    fc.array(
      fc.record({
        op: fc.constantFrom('insert', 'delete', 'replace', 'cut', 'splice'),
        at: fc.nat(),
        text: fc.oneof(fc.string({ maxLength: 4 }), fc.constantFrom(...FRAGMENTS)),
        other: fc.constantFrom(...realLines),
      }),
      { minLength: 1, maxLength: 4 },
    ),
  )
  .map(([line, edits]) =>
    edits.reduce((s, e) => {
      const at = s.length === 0 ? 0 : e.at % (s.length + 1);
      switch (e.op) {
        case 'insert':
          return s.slice(0, at) + e.text + s.slice(at);
        case 'delete':
          return s.slice(0, at) + s.slice(at + e.text.length + 1);
        case 'replace':
          return s.slice(0, at) + e.text + s.slice(at + e.text.length);
        case 'cut':
          return s.slice(0, at);
        default:
          return s.slice(0, at) + e.other.slice(e.other.length > 0 ? e.at % e.other.length : 0);
      }
    }, line),
  );

/**
 * Reads the lines as the file source does and checks every kill against the records read so far: a kill
 * may come out a record late (a kill line held for its continuation, SPLIT LINES in parse.ts), but never
 * without its own line. A kernel kill needs a kernel record "Killed process PID", one each (a continuation
 * joins two records into one kill line, never two kills); what it says of COMM is in the kernel's text.
 * A userspace kill needs a record of that sender.
 */
function check(lines: string[]): void {
  const parser = createOomParser();
  const kernelText: string[] = [];
  const senders = new Set<string>();
  let killLines = 0;
  let kernelKills = 0;
  const verify = (k: OomKill, line: string): void => {
    if (k.killer === 'kernel') {
      kernelKills++;
      expect(kernelKills, `more kernel kills than kill lines, at ${JSON.stringify(line)}`).toBeLessThanOrEqual(killLines);
      const text = kernelText.join('\n');
      // The pid as the line wrote it: a mangled line may pad it with zeros ("Killed process 00329"), which
      // the parser reads as the number it is.
      expect(text, `kill of ${k.pid} from ${JSON.stringify(line)}`).toMatch(new RegExp(`Killed process 0*${k.pid}\\b`));
      if (k.comm !== null) expect(text).toContain(k.comm);
    } else {
      expect(senders.has(k.killer), `${k.killer} kill from ${JSON.stringify(line)}`).toBe(true);
    }
  };
  for (const line of lines) {
    parseKmsgRecord(line);
    parseJournalJson(line);
    const rec = parseLine(line, 0);
    if (rec === null) continue;
    if (rec.fromKernel) {
      // What the parser reads: the message with the escapes its envelope left in it decoded.
      kernelText.push(unescape(rec.message, rec.escapes));
      if (rec.message.includes('Killed process ')) killLines++;
    } else if (rec.identifier !== null) senders.add(rec.identifier);
    const k: OomKill | null = parser.push(rec);
    if (k !== null) verify(k, line);
  }
  for (const k of parser.flush()) verify(k, '(end)');
}

describe('property: arbitrary input', () => {
  it('never throws and never yields a kill without a kill line (random and fragment-built lines)', () => {
    fc.assert(
      fc.property(fc.array(anyLine, { maxLength: 30 }), (lines) => check(lines)),
      { numRuns: 2000 },
    );
  });

  it('never throws and never yields a kill without a kill line (mutated real lines, mixed with real ones)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(mutatedRealLine, fc.constantFrom(...realLines)), { maxLength: 30 }), (lines) => check(lines)),
      {
        numRuns: 2000,
        // Counterexamples random runs found once (a pid padded with zeros, which this check misread as a
        // kill without its line): always tried first, so the case does not depend on the seed.
        examples: [
          [
            [
              'Nov 30 10:17:01 !!!!iZuf601dofntkxgp7lyfi9Z kernel: Killed process 00329 (node), UID 1000, total-vm:623756kB, anon-rss:84900kB, file-rss:13660kB, shmem-rss:0kB',
            ],
          ],
          [['Killed process 012 (heapster) total-vm:327128kB, anon-rss:306328kB, file-rss:11132kB, shmem-rss:12345kB']],
        ],
      },
    );
  });

  it('counts as many kills in a shuffled concatenation of real kill lines as there are kill lines', () => {
    const killLines = realLines.filter((l) => {
      const rec = parseLine(l, 0);
      return rec !== null && rec.fromKernel && /(?:^|: )Killed process \d/.test(rec.message);
    });
    fc.assert(
      fc.property(fc.shuffledSubarray(killLines), (lines) => {
        const parser = createOomParser();
        const n = lines.map((l) => parser.push(parseLine(l, 0)!)).filter((k) => k !== null).length + parser.flush().length;
        expect(n).toBe(lines.length);
      }),
      { numRuns: 300 },
    );
  });
});
