import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { createCgroupMemoryReader } from '../../src/cgroup/memory.js';
import { cgroupDir, discoverCgroupMounts, memoryHierarchy, type MemoryHierarchy } from '../../src/cgroup/mounts.js';
import { createCgroupCollector } from '../../src/collectors/cgroup.js';
import { parseMemoryCgroup } from '../../src/procfs/cgroup.js';
import { createProcessScanner } from '../../src/procfs/processes.js';
import { emit, scrapeOf } from '../helpers/collect.js';
import { one } from '../helpers/metrics.js';
import { requireRoot } from '../helpers/root.js';

/**
 * On this machine's kernel: a memory cgroup of our own with a 64 MiB limit, a process in it, and a real
 * OOM kill. Needs root; as root (and always in CI) it runs, elsewhere it is skipped.
 */
const isRoot = requireRoot();

const MiB = 1024 * 1024;
const LIMIT = 64 * MiB;

const hierarchy: MemoryHierarchy | undefined = isRoot ? memoryHierarchy(discoverCgroupMounts({ procfs: '/proc', sysfs: '/sys', cgroupfs: undefined })) : undefined;
const v1 = hierarchy?.version === 1;
const file = {
  usage: v1 ? 'memory.usage_in_bytes' : 'memory.current',
  limit: v1 ? 'memory.limit_in_bytes' : 'memory.max',
  swapLimit: v1 ? 'memory.memsw.limit_in_bytes' : 'memory.swap.max',
};

const made: string[] = [];
const children: ChildProcess[] = [];

/** Makes a memory cgroup named after this test process with a 64 MiB limit (and no swap on top). */
function makeCgroup(h: MemoryHierarchy): { path: string; dir: string } {
  const path = `/oomx-test-${process.pid}-${randomBytes(4).toString('hex')}`;
  const dir = cgroupDir(h.mount, path) ?? '';
  mkdirSync(dir);
  made.push(dir);
  writeFileSync(`${dir}/${file.limit}`, String(LIMIT));
  // Without this a machine with swap would page the hog out instead of killing it. v1's memsw limit
  // must not go below the memory limit, so it is set after it, to the same value: no swap at all.
  if (existsSync(`${dir}/${file.swapLimit}`)) writeFileSync(`${dir}/${file.swapLimit}`, v1 ? String(LIMIT) : '0');
  return { path, dir };
}

/**
 * perl (essential on Debian) rather than node: node's own 40+ MiB would not fit the limit. It waits for
 * a line on stdin, so it can be moved into the cgroup before it allocates, then touches `mib` MiB (the
 * size comes from argv so perl cannot fold the string at compile time) and sleeps.
 */
function startHog(mib: number): ChildProcess {
  const child = spawn('perl', ['-e', '$| = 1; my $go = <STDIN>; my $x = "x" x ($ARGV[0] * 1048576); print "ready\\n"; sleep 600;', String(mib)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.push(child);
  return child;
}

const exited = (c: ChildProcess): Promise<NodeJS.Signals | null> =>
  c.exitCode !== null || c.signalCode !== null ? Promise.resolve(c.signalCode) : new Promise((res) => c.once('exit', (_code, sig) => res(sig)));

const readNumber = (path: string): number => Number(readFileSync(path, 'utf8').trim());
const oomKillsOf = (dir: string): number => {
  const text = readFileSync(`${dir}/${v1 ? 'memory.oom_control' : 'memory.events'}`, 'utf8');
  return Number(/^oom_kill (\d+)$/m.exec(text)?.[1]);
};

/** The cgroup collector on the real /proc and /sys, with the processes the real scanner finds. */
function collectorOn(pids: number[], killCgroups: string[]) {
  const collector = createCgroupCollector({ paths: { procfs: '/proc', sysfs: '/sys', cgroupfs: undefined }, killCgroups: () => killCgroups, containers: null });
  const scanner = createProcessScanner({ procfs: '/proc', wantCmdline: false });
  return {
    async scrape() {
      const exported = (await scanner.scan()).processes.filter((p) => pids.includes(p.pid));
      return { exported, samples: await emit([collector], scrapeOf(exported)) };
    },
  };
}

afterAll(async () => {
  // Clean up by our own ids only: the children we spawned, then the cgroups we made.
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await exited(c);
  }
  for (const dir of made.reverse()) {
    if (existsSync(dir)) rmdirSync(dir);
  }
});

describe.skipIf(!isRoot)('a real memory cgroup on this machine', () => {
  it('has the memory controller', () => {
    expect(hierarchy).toBeDefined();
  });

  it("reads usage and limit equal to the kernel's files for a process holding 20 MiB", async () => {
    const h = hierarchy as MemoryHierarchy;
    const { path, dir } = makeCgroup(h);
    const hog = startHog(20);
    const ready = new Promise((res) => hog.stdout?.once('data', res));
    writeFileSync(`${dir}/cgroup.procs`, String(hog.pid));
    hog.stdin?.write('go\n');
    await ready;

    // The process's cgroup label, as the process collector derives it, is this cgroup.
    expect(parseMemoryCgroup(readFileSync(`/proc/${hog.pid}/cgroup`, 'utf8'))).toBe(path);

    const reader = createCgroupMemoryReader(h);
    const before = readNumber(`${dir}/${file.usage}`);
    const m = reader.read(path);
    const after = readNumber(`${dir}/${file.usage}`);
    expect(m).not.toBeNull();
    expect(before).toBeGreaterThanOrEqual(20 * MiB);
    expect(m?.usageBytes).toBeGreaterThanOrEqual(Math.min(before, after));
    expect(m?.usageBytes).toBeLessThanOrEqual(Math.max(before, after));
    expect(readNumber(`${dir}/${file.limit}`)).toBe(LIMIT);
    expect(m?.limitBytes).toBe(LIMIT);
    expect(m?.oomKills).toBe(oomKillsOf(dir));

    // Through the collector: the process found by the real scanner leads to this cgroup's series.
    const { exported, samples } = await collectorOn([hog.pid ?? -1], []).scrape();
    expect(exported.map((p) => p.cgroup)).toEqual([path]);
    expect(one(samples, 'oom_cgroup_memory_limit_bytes', { cgroup: path })).toBe(LIMIT);
    const usage = one(samples, 'oom_cgroup_memory_usage_bytes', { cgroup: path }) ?? 0;
    expect(usage).toBeGreaterThanOrEqual(20 * MiB);
    expect(usage).toBeLessThanOrEqual(LIMIT);
    expect(one(samples, 'oom_cgroup_info', { cgroup: path, container_id: '', pod_uid: '', systemd_unit: '', runtime: '' })).toBe(1);

    hog.kill('SIGKILL');
    await exited(hog);
  });

  it("counts a real OOM kill: the kernel's oom_kill and oom_cgroup_oom_kills_total go up by one", async () => {
    const h = hierarchy as MemoryHierarchy;
    const { path, dir } = makeCgroup(h);
    // The kill names the cgroup in the kernel log: the collector must still show it after the victim is gone.
    const collector = collectorOn([], [path]);
    const { samples: first } = await collector.scrape();
    const kernelBefore = oomKillsOf(dir);
    expect(one(first, 'oom_cgroup_oom_kills_total', { cgroup: path })).toBe(kernelBefore);

    const hog = startHog(400);
    writeFileSync(`${dir}/cgroup.procs`, String(hog.pid));
    hog.stdin?.write('go\n');
    expect(await exited(hog)).toBe('SIGKILL');

    expect(oomKillsOf(dir)).toBe(kernelBefore + 1);
    expect(createCgroupMemoryReader(h).read(path)?.oomKills).toBe(kernelBefore + 1);
    const { samples } = await collector.scrape();
    expect(one(samples, 'oom_cgroup_oom_kills_total', { cgroup: path })).toBe(kernelBefore + 1);
    expect(one(samples, 'oom_cgroup_memory_limit_bytes', { cgroup: path })).toBe(LIMIT);
  });

  it('drops the series of a cgroup removed between scrapes, and keeps its info', async () => {
    const h = hierarchy as MemoryHierarchy;
    const { path, dir } = makeCgroup(h);
    const collector = collectorOn([], [path]);
    expect(one((await collector.scrape()).samples, 'oom_cgroup_memory_limit_bytes', { cgroup: path })).toBe(LIMIT);
    rmdirSync(dir);
    const { samples } = await collector.scrape();
    expect(one(samples, 'oom_cgroup_memory_limit_bytes', { cgroup: path })).toBeUndefined();
    expect(one(samples, 'oom_cgroup_memory_usage_bytes', { cgroup: path })).toBeUndefined();
    expect(one(samples, 'oom_cgroup_info', { cgroup: path })).toBe(1);
  });
});
