import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

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
  const child = spawn(process.execPath, [CLI, '--web.listen-address=127.0.0.1:0', '--log.format=json', ...args], {
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
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}
