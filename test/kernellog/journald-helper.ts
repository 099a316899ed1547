import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';

const JOURNALD = '/lib/systemd/systemd-journald';

/** Whether a systemd-journald runs on this machine (its comm is cut to 15 bytes). */
export function journaldRunning(): boolean {
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'systemd-journal') return true;
    } catch {
      // The process exited while we looked.
    }
  }
  return false;
}

function journalHasKernelRecords(): boolean {
  try {
    return execFileSync('journalctl', ['-k', '-n', '1', '-o', 'json', '-q'], { encoding: 'utf8', timeout: 5000 }).startsWith('{');
  } catch {
    return false;
  }
}

/**
 * Makes sure a journald runs and has imported the kernel log; returns a stop function that ends only
 * the journald this helper started (by its pid), or does nothing when one was already running.
 */
export async function ensureJournald(): Promise<() => Promise<void>> {
  let child: ChildProcess | null = null;
  if (!journaldRunning()) {
    fs.mkdirSync('/run/systemd/journal', { recursive: true });
    child = spawn(JOURNALD, [], { stdio: 'ignore' });
  }
  for (let i = 0; i < 200 && !journalHasKernelRecords(); i++) await new Promise((r) => setTimeout(r, 50));
  if (!journalHasKernelRecords()) throw new Error('journald does not show kernel records');
  const started = child;
  return async () => {
    if (started === null || started.exitCode !== null) return;
    const gone = new Promise((r) => started.once('exit', r));
    started.kill('SIGTERM');
    await gone;
  };
}

/**
 * A unix stream socket that accepts and hangs up, as journald's stdout socket does for a client that
 * sends no header: the stand-in for a running journald where tests use a fake journalctl.
 */
export async function journaldSocketStandIn(socketPath: string): Promise<{ path: string; close(): Promise<void> }> {
  const server = net.createServer((c) => c.destroy());
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(socketPath, () => resolve()));
  return {
    path: socketPath,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
