import { describe, expect, it } from 'vitest';
import { createProcessCollector } from '../../src/collectors/process.js';
import { NEVER_PAUSE, type ProcessSample } from '../../src/procfs/processes.js';
import { emit, scrapeOf } from '../helpers/collect.js';
import { find, type Sample } from '../helpers/metrics.js';

const proc = (pid: number, comm: string, cgroup: string, over: Partial<ProcessSample> = {}): ProcessSample => ({
  pid,
  comm,
  cgroup,
  cmdline: undefined,
  rssBytes: 4096 * pid,
  swapBytes: 0,
  oomScore: pid,
  oomScoreAdj: 0,
  ...over,
});

/** Each process's labels, by family, as one scrape wrote them. */
const labelsOf = (samples: Sample[], name: string): Record<string, string>[] => find(samples, name).map((s) => s.labels);

describe('process collector', () => {
  it('writes the four families of each process with pid, comm and cgroup, and the counts', async () => {
    const list = [proc(1, 'init', '/'), proc(42, 'java', '/app', { swapBytes: undefined })];
    // Five seen, two left after the --process.* selection.
    const s = await emit([createProcessCollector()], { pause: NEVER_PAUSE, processes: async () => ({ visible: 5, exported: list }) });
    expect(find(s, 'oom_process_resident_memory_bytes')).toEqual([
      { name: 'oom_process_resident_memory_bytes', labels: { pid: '1', comm: 'init', cgroup: '/' }, value: 4096 },
      { name: 'oom_process_resident_memory_bytes', labels: { pid: '42', comm: 'java', cgroup: '/app' }, value: 4096 * 42 },
    ]);
    // A value the kernel did not give is no sample, not a 0.
    expect(labelsOf(s, 'oom_process_swap_bytes')).toEqual([{ pid: '1', comm: 'init', cgroup: '/' }]);
    expect(find(s, 'oom_process_score', { pid: '42' })[0]?.value).toBe(42);
    expect(find(s, 'oom_process_score_adj')).toHaveLength(2);
    expect(find(s, 'oom_processes_visible')[0]?.value).toBe(5);
    expect(find(s, 'oom_processes_exported')[0]?.value).toBe(2);
  });

  // Mutation it catches: the label cache never refreshed (`if (entry === undefined)` alone, without
  // comparing comm and cgroup): after an exec or a move to another cgroup, the same PID would keep
  // the labels of its first scrape, in every family, for as long as it lives.
  it('labels a process with its comm and cgroup of this scrape after an exec or a cgroup move, in every family', async () => {
    const collector = createProcessCollector();
    let now = [proc(7, 'bash', '/user.slice/session-1.scope'), proc(8, 'sleep', '/a')];
    const scrape = scrapeOf(() => now);
    await emit([collector], scrape);
    // PID 7 exec'd python3 (same PID, new comm); PID 8 was moved by systemd-run into another cgroup.
    now = [proc(7, 'python3', '/user.slice/session-1.scope'), proc(8, 'sleep', '/system.slice/run-u5.scope')];
    const s = await emit([collector], scrape);
    for (const family of ['oom_process_resident_memory_bytes', 'oom_process_swap_bytes', 'oom_process_score', 'oom_process_score_adj']) {
      expect(labelsOf(s, family), family).toEqual([
        { pid: '7', comm: 'python3', cgroup: '/user.slice/session-1.scope' },
        { pid: '8', comm: 'sleep', cgroup: '/system.slice/run-u5.scope' },
      ]);
    }
  });

  it('gives a PID reused by another process, after the first exited, the new labels', async () => {
    const collector = createProcessCollector();
    let now = [proc(9, 'old', '/x')];
    const scrape = scrapeOf(() => now);
    await emit([collector], scrape);
    now = [];
    expect(find(await emit([collector], scrape), 'oom_process_score')).toEqual([]);
    now = [proc(9, 'new', '/y')];
    expect(labelsOf(await emit([collector], scrape), 'oom_process_score')).toEqual([{ pid: '9', comm: 'new', cgroup: '/y' }]);
  });

  it('escapes comm and cgroup once for all families', async () => {
    const s = await emit([createProcessCollector()], scrapeOf([proc(3, 'a"b\\c\nd', '/q"')]));
    expect(labelsOf(s, 'oom_process_score_adj')).toEqual([{ pid: '3', comm: 'a"b\\c\nd', cgroup: '/q"' }]);
  });
});
