import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
const CLI_PATH = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

/** The first module of src/ whose build in dist/ is missing or older than it; undefined when dist/ is current. */
export function staleBuild(repo: string = REPO): string | undefined {
  const src = join(repo, 'src');
  for (const entry of readdirSync(src, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts') || entry.name.endsWith('.d.ts')) continue;
    const ts = join(entry.parentPath, entry.name);
    const js = join(repo, 'dist', relative(src, ts)).replace(/\.ts$/, '.js');
    let built: number;
    try {
      built = statSync(js).mtimeMs;
    } catch {
      return `${relative(repo, js)} is missing`;
    }
    if (built < statSync(ts).mtimeMs) return `${relative(repo, ts)} changed after ${relative(repo, js)} was built`;
  }
  return undefined;
}

let checked = false;

/**
 * dist/cli.js, the built CLI that the end-to-end tests run, once it is known to be built from the
 * src/ of this checkout: `npx vitest run` alone does not build, and a stale dist/ would test old code.
 */
export function builtCli(): string {
  if (!checked) {
    const stale = staleBuild();
    if (stale !== undefined) throw new Error(`dist/ is older than src/ (${stale}): run \`npm run build\` first (npm test builds before it tests)`);
    checked = true;
  }
  return CLI_PATH;
}

export interface RunningExporter {
  child: ChildProcess;
  port: number;
  url: string;
  stderr: () => string;
  stop(): Promise<number | null>;
}

/**
 * Starts the real, built CLI (npm test builds dist/ first) on 127.0.0.1 and a port the kernel picks,
 * and resolves once it logs the address it listens on.
 */
export function startExporter(args: string[], opts: { uid?: number; gid?: number; env?: NodeJS.ProcessEnv } = {}): Promise<RunningExporter> {
  const child = spawn(process.execPath, [builtCli(), '--web.listen-address=127.0.0.1:0', '--log.format=json', ...args], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: opts.env ?? process.env,
    ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
    ...(opts.gid !== undefined ? { gid: opts.gid } : {}),
  });
  let err = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      err += chunk.toString();
      const m = /"msg":"listening","address":"[^"]*:(\d+)"/.exec(err);
      if (m) {
        const port = Number(m[1]);
        resolve({
          child,
          port,
          url: `http://127.0.0.1:${port}`,
          stderr: () => err,
          stop: () =>
            new Promise((res) => {
              if (child.exitCode !== null) return res(child.exitCode);
              child.once('exit', (code) => res(code));
              child.kill('SIGTERM');
            }),
        });
      }
    };
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exporter exited with ${code} before listening:\n${err}`)));
  });
}

/** Runs the CLI to completion and returns its exit code and output. */
export function runCli(args: string[], opts: { input?: string } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [builtCli(), ...args], { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}
