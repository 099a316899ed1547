import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { havePromtool, promtoolCheckMetrics, requireTool } from '../helpers/promtool.js';

/**
 * What a user's CI lints first: the exporter's whole default output, the Node runtime metrics
 * included, on this host's real /proc and kernel log, must pass `promtool check metrics`.
 */
describe.runIf(requireTool(havePromtool(), 'promtool'))('the default output', () => {
  it('passes promtool check metrics, runtime metrics and all', async () => {
    const r = await runCli(['--once']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^nodejs_active_handles\{/m);
    expect(r.stdout).toMatch(/^process_resident_memory_bytes /m);
    expect(r.stdout).not.toMatch(/^nodejs_active_\w+_total/m);
    const lint = promtoolCheckMetrics(r.stdout);
    expect(lint.output).toBe('');
    expect(lint.status).toBe(0);
  });
});
