import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExporter, type RunningExporter } from '../helpers/cli.js';
import { golden } from '../helpers/golden.js';
import { havePromtool, promtoolCheckMetrics, requireTool } from '../helpers/promtool.js';

const GOLDEN = fileURLToPath(new URL('./golden/fixtures.prom', import.meta.url));
const PROCFS = fileURLToPath(new URL('../fixtures/proc', import.meta.url));
// A hybrid machine's cgroupfs (v1 memory controller + v2 unified), as on this kind of machine.
const SYSFS = fileURLToPath(new URL('../fixtures/cgroup/hybrid/sys', import.meta.url));

/** What legitimately differs between runs: collector timings and the Node.js version. */
export function normalize(text: string): string {
  return text.replace(/^(oom_scrape_collector_duration_seconds\{[^}]*\}) .*$/gm, '$1 <duration>').replace(/nodejs="v[^"]*"/g, 'nodejs="<node>"');
}

describe('golden: the real CLI on the fixture /proc', () => {
  let exp: RunningExporter;
  let body: string;

  beforeAll(async () => {
    exp = await startExporter([`--path.procfs=${PROCFS}`, `--path.sysfs=${SYSFS}`, '--web.disable-exporter-metrics', '--kernel-log.source=none']);
    const res = await fetch(`${exp.url}/metrics`, { headers: { 'accept-encoding': 'identity' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    body = await res.text();
  });
  afterAll(async () => {
    expect(await exp.stop()).toBe(0);
  });

  // A missing golden file fails (helpers/golden.ts): writing it then would make the test pass against itself.
  it('matches the checked-in golden file (UPDATE_GOLDEN=1 regenerates it)', () => {
    const got = normalize(body);
    expect(got).toBe(golden(GOLDEN, got));
  });

  // promtool is installed by .ci/run; requireTool throws in CI when it is missing, so there this never skips.
  it.runIf(requireTool(havePromtool(), 'promtool'))('passes promtool check metrics', () => {
    const r = promtoolCheckMetrics(body);
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  });
});
