import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parseConfig, type Config } from '../../src/config.js';
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

/**
 * What a shipped command line makes of the exporter: the real flag parser (it throws on a flag it does
 * not know or a bad value, as the exporter would at start), compared with what the defaults make, so a
 * test names every setting the command line changes and nothing else can change unnoticed.
 */
export function commandLine(args: readonly string[]): { config: Config; changed: Partial<Config> } {
  const config = parseConfig(args);
  const defaults = parseConfig([]) as unknown as Record<string, unknown>;
  const changed: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) if (JSON.stringify(v, mapsAsEntries) !== JSON.stringify(defaults[k], mapsAsEntries)) changed[k] = v;
  return { config, changed };
}

const mapsAsEntries = (_k: string, v: unknown): unknown => (v instanceof Map ? [...v.entries()] : v);
