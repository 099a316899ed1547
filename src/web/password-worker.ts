/**
 * bcrypt comparisons off the event loop. bcryptjs is pure JavaScript: one comparison at cost 10 is ~70 ms
 * of CPU here, and its async API runs it in slices of up to 100 ms on the calling thread, so /healthz and
 * every scrape would wait behind it. A worker thread runs them instead, one at a time (as the toolkit's
 * mutex does: bcrypt is meant to be slow, and two at once would only take both cores). The worker is
 * started on the first comparison and stopped after `idleMs` without one: with the cache of verified
 * credentials (basic-auth.ts) it runs for a few seconds after a start or a config change, not forever,
 * so its ~10 MB of RSS is not paid in the steady state.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

export interface PasswordChecker {
  /** Whether `password` matches the bcrypt `hash`; false for a malformed hash. Rejects if the worker dies. */
  check(password: string, hash: string): Promise<boolean>;
  /** Comparisons asked for and not yet answered. */
  pending(): number;
  /** Whether a worker thread is running now. */
  running(): boolean;
  close(): Promise<void>;
}

// The worker is a CommonJS script given as text (`eval`), so it runs the same from src/ under vitest and
// from dist/; it loads bcryptjs by the path this module resolves.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = require(workerData.bcryptjs);
parentPort.on('message', ({ id, password, hash }) => {
  let ok = false;
  try { ok = bcrypt.compareSync(password, hash); } catch { ok = false; }
  parentPort.postMessage({ id, ok });
});
`;

export function createPasswordChecker({ idleMs = 10_000 }: { idleMs?: number } = {}): PasswordChecker {
  const bcryptjs = createRequire(import.meta.url).resolve('bcryptjs');
  let worker: Worker | undefined;
  let nextId = 0;
  const waiting = new Map<number, { resolve: (ok: boolean) => void; reject: (err: Error) => void }>();
  let idle: NodeJS.Timeout | undefined;

  const failAll = (err: Error): void => {
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
  };

  const start = (): Worker => {
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { bcryptjs } });
    // Never what keeps the exporter alive: close() or the idle timer ends it.
    w.unref();
    w.on('message', ({ id, ok }: { id: number; ok: boolean }) => {
      const entry = waiting.get(id);
      waiting.delete(id);
      entry?.resolve(ok);
      if (waiting.size === 0) armIdle();
    });
    // Only the current worker has comparisons waiting: one stopped when idle had none, and close()
    // has answered all of them already.
    w.on('error', (err) => {
      if (worker !== w) return;
      worker = undefined;
      failAll(err);
    });
    w.on('exit', (code) => {
      if (worker !== w) return;
      worker = undefined;
      failAll(new Error(`password worker exited with code ${code}`));
    });
    return w;
  };

  const armIdle = (): void => {
    clearTimeout(idle);
    idle = setTimeout(() => {
      if (waiting.size > 0 || worker === undefined) return;
      const w = worker;
      worker = undefined;
      void w.terminate();
    }, idleMs);
    idle.unref();
  };

  return {
    check(password, hash) {
      clearTimeout(idle);
      worker ??= start();
      const id = nextId++;
      const w = worker;
      return new Promise<boolean>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        w.postMessage({ id, password, hash });
      });
    },
    pending: () => waiting.size,
    running: () => worker !== undefined,
    async close() {
      clearTimeout(idle);
      const w = worker;
      worker = undefined;
      failAll(new Error('password checker closed'));
      if (w !== undefined) await w.terminate();
    },
  };
}
