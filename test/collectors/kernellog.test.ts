import { describe, expect, it } from 'vitest';
import { createKernelLogCollector, type KernelLogHealth } from '../../src/collectors/kernellog.js';
import { createKillStore } from '../../src/kills/store.js';
import { oomKill } from '../helpers/kill.js';
import { emitText, scrapeOf } from '../helpers/collect.js';
import { parseMetrics } from '../helpers/metrics.js';
import { havePromtool, promtoolCheckMetrics, requireTool } from '../helpers/promtool.js';

/**
 * Victims with names as hostile as the kernel allows (comm is any 15 bytes but NUL; prctl sets it) in
 * cgroups with quotes and backslashes: the kill families must carry them all, as they are, in a body
 * Prometheus can parse.
 */
const VICTIMS = [
  { comm: 'q"uo\'te', cgroup: '/a"b' },
  { comm: 'back\\sl\\x41', cgroup: '/c\\d' },
  { comm: 'nl\nname', cgroup: '/n\nl' },
  { comm: '{br}="x",y', cgroup: '/k="v"}' },
  { comm: 'emoji😀', cgroup: '/system.slice/x.service' },
];

const health: KernelLogHealth = { source: 'kmsg', up: () => true, recordsTotal: () => 120, lostTotal: () => 3, stateSaveErrors: () => 1 };

async function killFamilies(): Promise<string> {
  const kills = createKillStore();
  VICTIMS.forEach(({ comm, cgroup }, i) => {
    kills.record(oomKill({ pid: 100 + i, comm, constraint: 'CONSTRAINT_MEMCG', memcg: cgroup, oomMemcg: cgroup }), 1000 + i);
  });
  // The same victim killed again, later: one series, counted twice, the later time.
  kills.record(oomKill({ pid: 200, comm: VICTIMS[0]!.comm, constraint: 'CONSTRAINT_MEMCG', memcg: VICTIMS[0]!.cgroup }), 2000);
  return emitText([createKernelLogCollector({ kills, health })], scrapeOf([]));
}

describe('kernellog collector', () => {
  // Mutation it catches: a kill family's labels written without escaping (in this shape, the writer's
  // Family.render without escapeLabelValue, or a kill family rendered by hand): a victim named with a `"`
  // or a newline makes the whole body unparseable, every other series lost with it.
  it('writes each victim with any characters in comm and cgroup as a label Prometheus reads back exactly', async () => {
    const samples = parseMetrics(await killFamilies());
    const events = samples.filter((s) => s.name === 'oom_kill_events_total');
    const last = samples.filter((s) => s.name === 'oom_kill_last_timestamp_seconds');
    const expected = VICTIMS.map(({ comm, cgroup }, i) => ({
      labels: { killer: 'kernel', comm, constraint: 'memcg', cgroup },
      count: i === 0 ? 2 : 1,
      at: i === 0 ? 2000 : 1000 + i,
    }));
    expect(events).toEqual(expected.map((e) => ({ name: 'oom_kill_events_total', labels: e.labels, value: e.count })));
    expect(last).toEqual(expected.map((e) => ({ name: 'oom_kill_last_timestamp_seconds', labels: e.labels, value: e.at })));
  });

  it('writes the escapes of the exposition format, one sample per line', async () => {
    const text = await killFamilies();
    expect(text).toContain('oom_kill_events_total{killer="kernel",comm="q\\"uo\'te",constraint="memcg",cgroup="/a\\"b"} 2\n');
    expect(text).toContain('oom_kill_events_total{killer="kernel",comm="back\\\\sl\\\\x41",constraint="memcg",cgroup="/c\\\\d"} 1\n');
    expect(text).toContain('oom_kill_events_total{killer="kernel",comm="nl\\nname",constraint="memcg",cgroup="/n\\nl"} 1\n');
    // Every line is a comment or a sample: no label value broke a line.
    for (const line of text.split('\n').slice(0, -1)) expect(line).toMatch(/^(# (HELP|TYPE) \w+ .*|oom_\w+(\{.*\})? \S+)$/);
  });

  it.runIf(requireTool(havePromtool(), 'promtool'))('passes promtool check metrics', async () => {
    const lint = promtoolCheckMetrics(await killFamilies());
    expect(lint.output).toBe('');
    expect(lint.status).toBe(0);
  });

  it("says the follower's health by source, and declares the families without samples when there is no follower", async () => {
    const withFollower = parseMetrics(await killFamilies()).filter((s) => s.name.startsWith('oom_kernel_log_'));
    expect(withFollower).toEqual([
      { name: 'oom_kernel_log_up', labels: { source: 'kmsg' }, value: 1 },
      { name: 'oom_kernel_log_records_total', labels: { source: 'kmsg' }, value: 120 },
      { name: 'oom_kernel_log_records_lost_total', labels: { source: 'kmsg' }, value: 3 },
      { name: 'oom_kernel_log_state_save_errors_total', labels: { source: 'kmsg' }, value: 1 },
    ]);
    const down = await emitText([createKernelLogCollector({ kills: createKillStore(), health: { ...health, up: () => false } })], scrapeOf([]));
    expect(down).toContain('oom_kernel_log_up{source="kmsg"} 0\n');
    const none = await emitText([createKernelLogCollector({ kills: createKillStore(), health: null })], scrapeOf([]));
    expect(none.split('\n').filter((l) => l !== '' && !l.startsWith('#'))).toEqual([]);
    expect(none.match(/^# TYPE \S+/gm)).toEqual([
      '# TYPE oom_kill_events_total',
      '# TYPE oom_kill_last_timestamp_seconds',
      '# TYPE oom_kernel_log_up',
      '# TYPE oom_kernel_log_records_total',
      '# TYPE oom_kernel_log_records_lost_total',
      '# TYPE oom_kernel_log_state_save_errors_total',
    ]);
  });
});
