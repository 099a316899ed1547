import { spawnSync } from 'node:child_process';

/** Whether promtool is on PATH. In CI it must be (.ci/run installs Debian's prometheus). */
export function havePromtool(): boolean {
  return spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Tests that need a tool may skip on a developer machine without it, never in CI. */
export function requireTool(have: boolean, name: string): boolean {
  if (have) return true;
  if (process.env.CI === 'true') throw new Error(`${name} is required in CI but missing`);
  return false;
}

export function promtoolCheckMetrics(text: string): { status: number | null; output: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}
