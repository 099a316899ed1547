import { describe, expect, it } from 'vitest';
import type { ProcessSample } from '../../src/procfs/processes.js';
import { selectProcesses, type SelectionOptions } from '../../src/collectors/selection.js';
import { parseConfig } from '../../src/config.js';

const proc = (pid: number, comm: string, rssMiB: number, score: number, cmdline?: string): ProcessSample => ({
  pid,
  comm,
  cgroup: '',
  cmdline,
  rssBytes: rssMiB * 2 ** 20,
  swapBytes: 0,
  oomScore: score,
  oomScoreAdj: 0,
});
const all = [
  proc(1, 'systemd', 10, 0),
  proc(2, 'python3', 500, 600, 'python3 app.py'),
  proc(3, 'java', 2000, 900, 'java -jar x.jar'),
  proc(4, 'bash', 5, 3),
  proc(5, 'python3', 100, 600),
];
const base: SelectionOptions = { include: undefined, exclude: undefined, match: 'comm', minRssBytes: 0, topN: undefined };
const pids = (o: Partial<SelectionOptions>) => selectProcesses(all, { ...base, ...o }).map((p) => p.pid);

describe('selectProcesses', () => {
  it('keeps everything by default', () => {
    expect(pids({})).toEqual([1, 2, 3, 4, 5]);
  });
  it('includes and excludes by comm or by command line', () => {
    expect(pids({ include: /^(?:py.*)$/ })).toEqual([2, 5]);
    expect(pids({ exclude: /^(?:bash|systemd)$/ })).toEqual([2, 3, 5]);
    expect(pids({ include: /^(?:.*app\.py)$/, match: 'cmdline' })).toEqual([2]);
  });
  it('drops small processes with min-rss', () => {
    expect(pids({ minRssBytes: 100 * 2 ** 20 })).toEqual([2, 3, 5]);
  });
  it('keeps the top N by oom_score, ties by RSS then PID', () => {
    expect(pids({ topN: 2 })).toEqual([3, 2]);
    expect(pids({ topN: 3 })).toEqual([3, 2, 5]);
  });
});

describe('selectProcesses, each rule at its edge', () => {
  it('keeps a process of exactly --process.min-rss, drops one a byte under, and one whose RSS is unknown', () => {
    const edge = [proc(1, 'a', 64, 0), { ...proc(2, 'b', 64, 0), rssBytes: 64 * 2 ** 20 - 1 }, { ...proc(3, 'c', 1, 0), rssBytes: undefined }];
    expect(selectProcesses(edge, { ...base, minRssBytes: 64 * 2 ** 20 }).map((p) => p.pid)).toEqual([1]);
    // 0 is no minimum: a process whose RSS the kernel did not give is kept.
    expect(selectProcesses(edge, base).map((p) => p.pid)).toEqual([1, 2, 3]);
  });

  it('keeps all, in their order, when --process.top-n is no fewer than they are', () => {
    expect(pids({ topN: 5 })).toEqual([1, 2, 3, 4, 5]);
    expect(pids({ topN: 6 })).toEqual([1, 2, 3, 4, 5]);
  });

  it('ranks an unknown oom_score below 0 and an unknown RSS as 0; equal ones by the lower PID', () => {
    const ranked = [
      { ...proc(10, 'x', 1, 0), oomScore: undefined },
      proc(11, 'x', 1, 0),
      { ...proc(12, 'x', 1, 5), rssBytes: undefined },
      proc(13, 'x', 2, 5),
      proc(15, 'x', 3, 7),
      proc(14, 'x', 3, 7),
    ];
    expect(selectProcesses(ranked, { ...base, topN: 5 }).map((p) => p.pid)).toEqual([14, 15, 13, 12, 11]);
    expect(selectProcesses(ranked, { ...base, topN: 1 }).map((p) => p.pid)).toEqual([14]);
    // Either way round, a score the kernel did not give ranks below a score of 0.
    const unknownFirst = [{ ...proc(20, 'x', 1, 0), oomScore: undefined }, proc(21, 'x', 1, 0)];
    expect(selectProcesses(unknownFirst, { ...base, topN: 1 }).map((p) => p.pid)).toEqual([21]);
    expect(selectProcesses(unknownFirst.slice().reverse(), { ...base, topN: 1 }).map((p) => p.pid)).toEqual([21]);
  });

  it('matches the comm when a process has no command line (it cleared it), with --process.match=cmdline', () => {
    expect(pids({ include: /^(?:bash)$/, match: 'cmdline' })).toEqual([4]);
    // With --process.match=comm the command line is not looked at.
    expect(pids({ include: /^(?:java -jar x\.jar)$/, match: 'comm' })).toEqual([]);
    expect(pids({ include: /^(?:java -jar x\.jar)$/, match: 'cmdline' })).toEqual([3]);
  });
});

describe('parseSelectionFlags (through parseConfig)', () => {
  it('anchors the expressions, in Unicode mode, and names the flag of a bad one', () => {
    const s = parseConfig(['--process.include=py|ja', '--process.exclude=ja.a']).selection;
    expect(['python3', 'py', 'ja', 'java', 'jav'].filter((n) => s.include?.test(n))).toEqual(['py', 'ja']);
    expect(['java', 'jaxa', 'javac'].filter((n) => s.exclude?.test(n))).toEqual(['java', 'jaxa']);
    // Unicode mode: an emoji in a name is one character.
    expect(parseConfig(['--process.include=.x']).selection.include?.test('😀x')).toBe(true);
    expect(() => parseConfig(['--process.exclude=(('])).toThrow(/^invalid regular expression for --process\.exclude: /);
    expect(() => parseConfig(['--process.include=a{'])).toThrow(/^invalid regular expression for --process\.include: /);
    expect(parseConfig([]).selection).toEqual({ include: undefined, exclude: undefined, match: 'comm', minRssBytes: 0, topN: undefined });
  });

  it('says what each flag wants', () => {
    expect(() => parseConfig(['--process.match=argv'])).toThrow('invalid --process.match "argv": want comm or cmdline');
    expect(parseConfig(['--process.match=cmdline']).selection.match).toBe('cmdline');
    expect(() => parseConfig(['--process.min-rss=lots'])).toThrow('invalid --process.min-rss "lots": want bytes, e.g. 67108864 or 64MiB');
    expect(parseConfig(['--process.min-rss=1k']).selection.minRssBytes).toBe(1024);
    for (const bad of ['0', '-1', '1.5', 'x', '1x', 'x1']) {
      expect(() => parseConfig([`--process.top-n=${bad}`]), bad).toThrow(`invalid --process.top-n "${bad}": want a whole number >= 1`);
    }
    expect(parseConfig(['--process.top-n=1']).selection.topN).toBe(1);
  });
});
