import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startExporter, type RunningExporter } from '../helpers/cli.js';
import { one, parseMetrics } from '../helpers/metrics.js';

/** A child that allocates and touches 100 MiB, sets its own oom_score_adj, and waits. */
function startHog(adj: number): Promise<ChildProcess> {
  const code = `
    const fs = require('node:fs');
    fs.writeFileSync('/proc/self/oom_score_adj', '${adj}');
    globalThis.hog = Buffer.alloc(100 * 1024 * 1024, 1);
    process.stdout.write('ready\\n');
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve) => child.stdout?.once('data', () => resolve(child)));
}

function statusRssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1]) * 1024;
}

function meminfoBytes(key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/meminfo', 'utf8'));
  return Number(m?.[1]) * 1024;
}

/** The one-letter state of /proc/PID/status ('' when gone). */
function stateOf(pid: number): string {
  try {
    return /^State:\s+(\S)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '';
  } catch {
    return '';
  }
}

/** A kernel thread now: kthreadd or its child, without the Vm* lines of an address space (false when gone). */
function isKernelThreadNow(pid: number): boolean {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return (pid === 2 || /^PPid:\s+2$/m.test(status)) && !/^VmSize:/m.test(status);
  } catch {
    return false;
  }
}

const vmstatOomKill = (): number => Number(/^oom_kill (\d+)/m.exec(readFileSync('/proc/vmstat', 'utf8'))?.[1]);

describe('the real exporter on the real /proc', () => {
  let exp: RunningExporter;
  let hog: ChildProcess;

  beforeAll(async () => {
    hog = await startHog(345);
    exp = await startExporter(['--kernel-log.source=none']);
  });
  afterAll(async () => {
    hog.kill('SIGKILL');
    await exp.stop();
  });

  const scrape = async () => parseMetrics(await (await fetch(`${exp.url}/metrics`)).text());

  it('reports a 100 MiB child within 10% of its /proc status, with the oom_score_adj it wrote', async () => {
    const pid = hog.pid ?? -1;
    const before = statusRssBytes(pid);
    const samples = await scrape();
    const after = statusRssBytes(pid);
    const rss = one(samples, 'oom_process_resident_memory_bytes', { pid: String(pid) });
    expect(rss).toBeDefined();
    expect(before).toBeGreaterThan(100 * 1024 * 1024);
    expect(Math.abs((rss ?? 0) - (before + after) / 2)).toBeLessThanOrEqual(0.1 * before);
    expect(one(samples, 'oom_process_score_adj', { pid: String(pid) })).toBe(345);
    expect(one(samples, 'oom_process_score', { pid: String(pid) })).toBe(Number(readFileSync(`/proc/${pid}/oom_score`, 'utf8')));
    const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    expect(samples.find((s) => s.name === 'oom_process_score_adj' && s.labels.pid === String(pid))?.labels.comm).toBe(comm);
  });

  it('reports host totals equal to /proc/meminfo and the kernel OOM kill count of /proc/vmstat', async () => {
    const killsBefore = vmstatOomKill();
    const samples = await scrape();
    const killsAfter = vmstatOomKill();
    expect(one(samples, 'oom_memory_total_bytes')).toBe(meminfoBytes('MemTotal'));
    expect(one(samples, 'oom_swap_total_bytes')).toBe(meminfoBytes('SwapTotal'));
    const avail = one(samples, 'oom_memory_available_bytes') ?? 0;
    // MemAvailable moves while we look; the same within 1% of RAM is the same reading.
    expect(Math.abs(avail - meminfoBytes('MemAvailable'))).toBeLessThan(meminfoBytes('MemTotal') * 0.01);
    // Read between our two readings: other processes on this host may be OOM-killed meanwhile.
    const kills = one(samples, 'oom_kills_total') ?? NaN;
    expect(kills).toBeGreaterThanOrEqual(killsBefore);
    expect(kills).toBeLessThanOrEqual(killsAfter);
  });

  it('counts the user-space processes it exports, and neither kernel threads nor zombies', async () => {
    // A zombie of our own: `sleep 0` exits and its parent, exec'd into a long sleep, never reaps it.
    const parent = spawn('/bin/sh', ['-c', 'sleep 0 & echo $!; exec sleep 300'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const zombie = Number(await new Promise<string>((resolve) => parent.stdout?.once('data', (d: Buffer) => resolve(d.toString().trim()))));
      await vi.waitFor(() => expect(stateOf(zombie)).toBe('Z'), { timeout: 10_000, interval: 20 });
      // Kernel threads, as the kernel says (kthreadd, pid 2, and its children, with no address space):
      // they outlive any scrape.
      const kthreads = readdirSync('/proc')
        .filter((d) => /^\d+$/.test(d))
        .map(Number)
        .filter(isKernelThreadNow);
      expect(kthreads).toContain(2);
      const samples = await scrape();
      const pids = new Set(samples.filter((x) => x.name === 'oom_process_resident_memory_bytes').map((x) => Number(x.labels.pid)));
      // Every process counted is exported (no --process.* selection), each with its RSS: the count is
      // the series, not a number of its own.
      expect(one(samples, 'oom_processes_visible')).toBe(pids.size);
      expect(one(samples, 'oom_processes_exported')).toBe(pids.size);
      expect(pids.has(parent.pid ?? -1)).toBe(true);
      expect(pids.has(zombie)).toBe(false);
      expect(kthreads.filter((pid) => pids.has(pid))).toEqual([]);
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('leaks no file descriptors across 20 scrapes', async () => {
    const pid = exp.child.pid ?? -1;
    await scrape(); // first scrape opens what stays open (e.g. lazily created handles)
    const before = readdirSync(`/proc/${pid}/fd`).length;
    for (let i = 0; i < 20; i++) await scrape();
    expect(readdirSync(`/proc/${pid}/fd`).length).toBe(before);
  });
});
