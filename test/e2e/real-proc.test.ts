import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

  it('counts every user-space process it can see', async () => {
    const samples = await scrape();
    const listed = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).length;
    const visible = one(samples, 'oom_processes_visible') ?? 0;
    expect(visible).toBeGreaterThan(1);
    expect(visible).toBeLessThanOrEqual(listed + 5);
    expect(one(samples, 'oom_processes_exported')).toBe(visible);
  });

  it('leaks no file descriptors across 20 scrapes', async () => {
    const pid = exp.child.pid ?? -1;
    await scrape(); // first scrape opens what stays open (e.g. lazily created handles)
    const before = readdirSync(`/proc/${pid}/fd`).length;
    for (let i = 0; i < 20; i++) await scrape();
    expect(readdirSync(`/proc/${pid}/fd`).length).toBe(before);
  });
});
