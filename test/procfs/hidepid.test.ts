import { spawn } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { builtCli, REPO } from '../helpers/cli.js';
import { find, one, parseMetrics } from '../helpers/metrics.js';
import { NOBODY, requireRoot } from '../helpers/root.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/proc', import.meta.url));

/** Runs `oom-exporter --once` as nobody, the way a non-root exporter sees a protected /proc. */
function onceAsNobody(procfs: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [builtCli(), '--once', `--path.procfs=${procfs}`, '--kernel-log.source=none', '--web.disable-exporter-metrics'], {
      cwd: REPO,
      ...NOBODY,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

let cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.reverse()) f();
  cleanup = [];
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'oom-hidepid-'));
  chmodSync(dir, 0o755);
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function mountProc(option: string): string {
  const dir = tempDir();
  mkdirSync(join(dir, 'proc'));
  const at = join(dir, 'proc');
  const r = spawnSync('mount', ['-t', 'proc', '-o', option, 'proc', at], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mount -o ${option} failed: ${r.stderr}`);
  cleanup.push(() => spawnSync('umount', [at]));
  return at;
}

// Mounting procfs and running as nobody need root; CI runs as root, so there this never skips.
describe.runIf(requireRoot())('a protected /proc, seen by a non-root exporter', () => {
  for (const option of ['hidepid=2', 'hidepid=1']) {
    it(`${option}: only its own processes appear, and nothing errors`, async () => {
      const proc = mountProc(option);
      const r = await onceAsNobody(proc);
      expect(r.stderr).not.toContain('level=error');
      expect(r.code).toBe(0);
      const s = parseMetrics(r.stdout);
      const pids = find(s, 'oom_process_score').map((x) => x.labels.pid);
      // The exporter itself runs as nobody and is the only process of nobody's it can read.
      expect(pids.length).toBeGreaterThanOrEqual(1);
      expect(pids).not.toContain('1');
      expect(one(s, 'oom_processes_visible')).toBe(pids.length);
      expect(one(s, 'oom_scrape_collector_success', { collector: 'process' })).toBe(1);
    });
  }

  it('EACCES on one file of one process drops only that value', async () => {
    const dir = tempDir();
    cpSync(FIXTURE, dir, { recursive: true });
    rmSync(join(dir, '104'), { recursive: true });
    chmodSync(join(dir, '100', 'oom_score'), 0o000);
    const r = await onceAsNobody(dir);
    expect(r.code).toBe(0);
    const s = parseMetrics(r.stdout);
    expect(one(s, 'oom_process_score', { pid: '100' })).toBeUndefined();
    expect(one(s, 'oom_process_score_adj', { pid: '100' })).toBe(500);
    expect(one(s, 'oom_process_resident_memory_bytes', { pid: '100' })).toBe(102400 * 1024);
    expect(one(s, 'oom_process_score', { pid: '107' })).toBe(700);
  });

  it('the hidepid fixture view exports just what is listed, and no PSI series', async () => {
    const r = await onceAsNobody(fileURLToPath(new URL('../fixtures/proc-hidepid', import.meta.url)));
    expect(r.code).toBe(0);
    const s = parseMetrics(r.stdout);
    expect(find(s, 'oom_process_score').map((x) => x.labels.pid)).toEqual(['4242']);
    expect(find(s, 'oom_memory_pressure_waiting_seconds_total')).toEqual([]);
    expect(one(s, 'oom_scrape_collector_success', { collector: 'pressure' })).toBe(1);
  });
});
