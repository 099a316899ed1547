import { existsSync } from 'node:fs';
import { parsePressure } from '../procfs/pressure.js';
import { FileReader, READ_GONE, SINGLE_SHOT, intAt } from '../procfs/read.js';
import { parseMemoryStat, workingSet, type MemoryStatParts } from './memory-stat.js';
import { cgroupDir, type MemoryHierarchy } from './mounts.js';

/**
 * One memory cgroup's usage, limits, OOM kills and pressure, read with the synchronous reused-buffer
 * reader of procfs/read.ts: a scrape reads a handful of small files per cgroup, and a promise per file
 * would cost more than the reads. Every value the kernel may not provide stays undefined.
 */
export interface CgroupMemory extends MemoryStatParts {
  usageBytes: number | undefined;
  /** Usage minus inactive file (memory-stat.ts): what reclaim cannot easily give back. */
  workingSetBytes: number | undefined;
  /** undefined when unlimited (v2 "max", v1's page-counter maximum) or unreadable. */
  limitBytes: number | undefined;
  /** v2 memory.swap.current; v1 memsw.usage − usage. undefined without swap accounting. */
  swapUsageBytes: number | undefined;
  /** v2 memory.swap.max; v1 memsw.limit − limit. undefined when unlimited or without swap accounting. */
  swapLimitBytes: number | undefined;
  /** oom_kill of v2 memory.events (this cgroup and its descendants) or v1 memory.oom_control (this cgroup only); Linux 4.13+. */
  oomKills: number | undefined;
  /** v2 memory.pressure "some" total, in seconds. */
  pressureWaitingSeconds: number | undefined;
  /** v2 memory.pressure "full" total, in seconds. */
  pressureStalledSeconds: number | undefined;
}

/**
 * v1 prints "no limit" as the page counter's maximum, PAGE_COUNTER_MAX × PAGE_SIZE: 9223372036854771712
 * with 4 KiB pages, a little less with 64 KiB pages, 2^63−1 on kernels before 3.19's page counters.
 * No real limit comes near 2^62 bytes (4 EiB).
 */
export const V1_UNLIMITED_THRESHOLD = 2 ** 62;

function parseNumber(text: string): number | undefined {
  const t = text.trim();
  return /^\d+$/.test(t) ? Number(t) : undefined;
}

/**
 * A v1 limit_in_bytes value, or undefined when it means "no limit": at or above `unlimited` (this
 * kernel's page-counter maximum, when known) or 2^62.
 */
export function v1Limit(n: number | undefined, unlimited: number = V1_UNLIMITED_THRESHOLD): number | undefined {
  return n === undefined || n >= Math.min(unlimited, V1_UNLIMITED_THRESHOLD) ? undefined : n;
}

/** A "key value" per line file (memory.events, memory.oom_control): the value of `key`, if present. */
export function parseKeyedValue(text: string, key: string): number | undefined {
  const prefix = key + ' ';
  for (const line of text.split('\n')) {
    if (line.startsWith(prefix)) return parseNumber(line.slice(prefix.length));
  }
  return undefined;
}

export interface CgroupMemoryReader {
  readonly hierarchy: MemoryHierarchy;
  /**
   * Reads a cgroup by its path as the kernel prints it. null: the cgroup is not there (removed, even
   * between two of its files, or outside what the mount shows): nothing to export, and no error.
   */
  read(cgroupPath: string): CgroupMemory | null;
}

export function createCgroupMemoryReader(hierarchy: MemoryHierarchy): CgroupMemoryReader {
  const { mount } = hierarchy;
  const files = new FileReader(4096);
  // On a 32-bit kernel the page-counter maximum is 2 GiB − 4 KiB, far below 2^62. The root cgroup's
  // limit cannot be set, so where the mount shows the root, its value is exactly this kernel's "no limit".
  let v1Unlimited = V1_UNLIMITED_THRESHOLD;
  if (hierarchy.version === 1 && mount.root === '/') {
    const root = parseNumber(files.text(`${mount.path}/memory.limit_in_bytes`).text ?? '');
    if (root !== undefined) v1Unlimited = root;
  }

  // Swap accounting (memsw) is on or off for the whole v1 hierarchy (swapaccount=, CONFIG_MEMCG_SWAP):
  // ask once, where the mount's top cgroup shows it, instead of two failed opens and a stat per
  // cgroup on every scrape of a kernel without it.
  const v1Memsw = hierarchy.version === 1 && existsSync(`${mount.path}/memory.memsw.usage_in_bytes`);
  // Likewise kernel-memory accounting (gone with CONFIG_MEMCG_KMEM off or cgroup.memory=nokmem).
  const v1Kmem = hierarchy.version === 1 && existsSync(`${mount.path}/memory.kmem.usage_in_bytes`);

  function read(cgroupPath: string): CgroupMemory | null {
    const dir = cgroupDir(mount, cgroupPath);
    if (dir === undefined) return null;
    let missing = false;
    // Every file read here is printed by one show() call, so the first read() returns all of it.
    const cgroupFiles: CgroupFiles = {
      number(name) {
        const n = files.read(`${dir}/${name}`, SINGLE_SHOT);
        if (n === READ_GONE) missing = true;
        return n < 0 ? undefined : intAt(files.buffer, 0, n);
      },
      text(name) {
        const res = files.text(`${dir}/${name}`, SINGLE_SHOT);
        if (res.failure === 'gone') missing = true;
        return res.text;
      },
    };
    const sample = hierarchy.version === 2 ? readV2(cgroupFiles) : readV1(cgroupFiles, v1Unlimited, v1Memsw, v1Kmem);
    // ENOENT is either the cgroup removed (before or while we read it) or a file this kernel or this
    // cgroup does not have (memsw without swapaccount, memory.current in the v2 root): the directory
    // tells which, and one stat per scrape is only paid where a file was missing.
    if (missing && !existsSync(dir)) return null;
    return sample;
  }

  return { hierarchy, read };
}

const NO_PARTS: MemoryStatParts = {
  anonBytes: undefined,
  fileBytes: undefined,
  inactiveFileBytes: undefined,
  shmemBytes: undefined,
  kernelBytes: undefined,
  sockBytes: undefined,
};

interface CgroupFiles {
  /** The decimal number a file starts with; undefined when missing, unreadable or not a number ("max"). */
  number(name: string): number | undefined;
  text(name: string): string | undefined;
}

function readV2(files: CgroupFiles): CgroupMemory {
  const events = files.text('memory.events');
  const pressureText = files.text('memory.pressure');
  const pressure = pressureText === undefined ? undefined : parsePressure(pressureText);
  const usage = files.number('memory.current');
  const stat = files.text('memory.stat');
  const parts = stat === undefined ? NO_PARTS : parseMemoryStat(stat, 2);
  return {
    ...parts,
    usageBytes: usage,
    workingSetBytes: workingSet(usage, parts.inactiveFileBytes),
    // "max" is no number: no limit.
    limitBytes: files.number('memory.max'),
    swapUsageBytes: files.number('memory.swap.current'),
    swapLimitBytes: files.number('memory.swap.max'),
    oomKills: events === undefined ? undefined : parseKeyedValue(events, 'oom_kill'),
    pressureWaitingSeconds: pressure?.someSeconds,
    pressureStalledSeconds: pressure?.fullSeconds,
  };
}

function readV1(files: CgroupFiles, unlimited: number, memsw: boolean, kmemAccounting: boolean): CgroupMemory {
  const usage = files.number('memory.usage_in_bytes');
  const limit = v1Limit(files.number('memory.limit_in_bytes'), unlimited);
  const memswUsage = memsw ? files.number('memory.memsw.usage_in_bytes') : undefined;
  const memswLimit = memsw ? v1Limit(files.number('memory.memsw.limit_in_bytes'), unlimited) : undefined;
  const oomControl = files.text('memory.oom_control');
  const stat = files.text('memory.stat');
  const parts = stat === undefined ? NO_PARTS : parseMemoryStat(stat, 1);
  // v1 keeps kernel memory (slab, stacks, page tables) in its own counter, charged into usage too.
  const kmem = kmemAccounting ? files.number('memory.kmem.usage_in_bytes') : undefined;

  // memsw counts memory + swap together. The two files are read one after the other, so usage can
  // move in between: a negative difference is that race, not negative swap.
  const swapUsage = usage !== undefined && memswUsage !== undefined ? Math.max(0, memswUsage - usage) : undefined;
  // The kernel refuses a memsw limit below the memory limit, so a limited memsw implies a limited memory.
  const swapLimit = limit !== undefined && memswLimit !== undefined ? memswLimit - limit : undefined;
  return {
    ...parts,
    kernelBytes: kmem,
    usageBytes: usage,
    workingSetBytes: workingSet(usage, parts.inactiveFileBytes),
    limitBytes: limit,
    swapUsageBytes: swapUsage,
    swapLimitBytes: swapLimit,
    oomKills: oomControl === undefined ? undefined : parseKeyedValue(oomControl, 'oom_kill'),
    // PSI lives in the v2 hierarchy; on hybrid machines its cgroups are not the v1 memory cgroups.
    pressureWaitingSeconds: undefined,
    pressureStalledSeconds: undefined,
  };
}
