import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO } from '../helpers/cli.js';
import { requireTool } from '../helpers/promtool.js';

export { REPO };

/** Whether a command runs (`CMD --version` exits 0). */
function runs(cmd: string): boolean {
  return spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Whether a Prometheus tool is here. In CI (CI=true) a missing tool throws, so the suite fails instead of
 * skipping; on a developer machine the caller skips and says why.
 */
export function tool(cmd: 'promtool' | 'amtool'): boolean {
  return requireTool(runs(cmd), cmd);
}

export function run(cmd: string, args: string[], cwd = REPO): { status: number | null; output: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

export function readRepo(path: string): string {
  return readFileSync(join(REPO, path), 'utf8');
}

export function readYaml<T = unknown>(path: string): T {
  return parse(readRepo(path)) as T;
}
