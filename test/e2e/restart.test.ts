import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startExporter } from '../helpers/cli.js';
import { one, parseMetrics } from '../helpers/metrics.js';
import { realOomKillWithReport } from '../helpers/oom.js';
import { requireRoot } from '../helpers/root.js';

const dir = mkdtempSync(join(tmpdir(), 'oom-restart-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Starts the exporter on /dev/kmsg, scrapes once, stops it, and returns the kill events seen for `cgroup`. */
async function runOnce(args: string[], cgroup: string): Promise<number | undefined> {
  const exp = await startExporter(['--kernel-log.source=kmsg', ...args]);
  try {
    const s = parseMetrics(await (await fetch(`${exp.url}/metrics`)).text());
    expect(one(s, 'oom_kernel_log_up', { source: 'kmsg' })).toBe(1);
    return one(s, 'oom_kill_events_total', { killer: 'kernel', comm: 'oom (restart)', constraint: 'memcg', cgroup });
  } finally {
    expect(await exp.stop()).toBe(0);
  }
}

/**
 * A real OOM kill while no exporter runs, with its whole report (no exporter saw the victim, so only the
 * report can name its cgroup); returns its cgroup path (the cgroup is removed).
 */
async function killWhileDown(): Promise<string> {
  const kill = await realOomKillWithReport('oom (restart)', 'oomrestart');
  await kill.cgroup.remove();
  return kill.cgroup.path;
}

// Root makes the cgroups and reads /dev/kmsg; CI runs as root, so there this never skips.
describe.runIf(requireRoot())('restarting the exporter', () => {
  it('with a state file: a kill while it was down is counted once after the restart, and not again after the next', async () => {
    const state = [`--kernel-log.state-file=${join(dir, 'state.json')}`];
    expect(await runOnce(state, '/none')).toBeUndefined();
    const cgroup = await killWhileDown();
    expect(await runOnce(state, cgroup)).toBe(1);
    expect(await runOnce(state, cgroup)).toBeUndefined();
  });

  it('without a state file: it starts at the end of the log and never counts an older kill', async () => {
    expect(await runOnce([], '/none')).toBeUndefined();
    const cgroup = await killWhileDown();
    expect(await runOnce([], cgroup)).toBeUndefined();
  });

  it('with a corrupt state file: it says why, starts at the end, and keeps serving', async () => {
    const path = join(dir, 'corrupt.json');
    writeFileSync(path, '{"version": 1, "bootId": ');
    const exp = await startExporter(['--kernel-log.source=kmsg', `--kernel-log.state-file=${path}`]);
    try {
      const s = parseMetrics(await (await fetch(`${exp.url}/metrics`)).text());
      expect(one(s, 'oom_kernel_log_up', { source: 'kmsg' })).toBe(1);
      expect(exp.stderr()).toMatch(/state not used, starting at the end of the log/);
      expect(exp.stderr()).toContain(path);
    } finally {
      expect(await exp.stop()).toBe(0);
    }
  });
});
