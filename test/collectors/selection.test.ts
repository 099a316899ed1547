import { describe, expect, it } from 'vitest';
import type { ProcessSample } from '../../src/procfs/processes.js';
import { selectProcesses, type SelectionOptions } from '../../src/collectors/selection.js';

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
