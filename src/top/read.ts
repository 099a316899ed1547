import os from 'node:os';
import { createCgroupMemoryReader, type CgroupMemoryReader } from '../cgroup/memory.js';
import { discoverCgroupMounts, memoryHierarchy } from '../cgroup/mounts.js';
import { readHostMemory } from '../collectors/memory.js';
import { streamKills } from '../kernellog/backlog.js';
import type { OomKill } from '../kernellog/types.js';
import { liveBacklog, type KillsSources } from '../kills/command.js';
import { createProcessScanner, type ProcessScanner } from '../procfs/processes.js';
import { FileReader } from '../procfs/read.js';
import { inCgroup, KILLS_SHOWN, type KillsState, type TopSnapshot, type VictimRow } from './screen.js';

/** "some avg10=1.23 ..." of /proc/pressure/memory: the share of the last 10 s some task waited on memory. */
export function parseSomeAvg10(text: string): number | undefined {
  const m = /^some\s.*\bavg10=(\d+(?:\.\d+)?)/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

export interface TopReaderOptions {
  procfs: string;
  sysfs: string;
  /** The cgroup filesystem's root; undefined: found in mountinfo. */
  cgroupfs?: string | undefined;
  /** Only processes in this cgroup or below (--cgroup); undefined: all. */
  cgroup: string | undefined;
}

export interface TopReader {
  /** One pass: host memory, pressure and every process with its cgroup's headroom; kills as given. */
  snapshot(kills: KillsState): Promise<TopSnapshot>;
}

/** Reads the machine for `top`: the exporter's own process scanner and cgroup reader, no exporter needed. */
export function createTopReader(opts: TopReaderOptions): TopReader {
  const scanner: ProcessScanner = createProcessScanner({ procfs: opts.procfs, wantCmdline: false });
  const hierarchy = memoryHierarchy(discoverCgroupMounts({ procfs: opts.procfs, sysfs: opts.sysfs, cgroupfs: opts.cgroupfs }));
  const cgroups: CgroupMemoryReader | undefined = hierarchy === undefined ? undefined : createCgroupMemoryReader(hierarchy);
  const files = new FileReader(4096);

  async function snapshot(kills: KillsState): Promise<TopSnapshot> {
    const scan = await scanner.scan();
    // Many processes share a cgroup: each is read once per pass.
    const headroom = new Map<string, number | undefined>();
    // The room left before a memcg OOM kill: the least of the cgroup's own and every ancestor's (a limit
    // set on a parent, a pod's, governs its children too); undefined when no level has a limit.
    const headroomOf = (cgroup: string): number | undefined => {
      if (cgroups === undefined || cgroup === '') return undefined;
      if (headroom.has(cgroup)) return headroom.get(cgroup);
      const mem = cgroups.read(cgroup);
      const own = mem?.limitBytes !== undefined && mem.usageBytes !== undefined ? mem.limitBytes - mem.usageBytes : undefined;
      const cut = cgroup.lastIndexOf('/');
      const parent = cut <= 0 ? (cgroup === '/' ? undefined : headroomOf('/')) : headroomOf(cgroup.slice(0, cut));
      const value = own === undefined ? parent : parent === undefined ? own : Math.min(own, parent);
      headroom.set(cgroup, value);
      return value;
    };
    const victims: VictimRow[] = [];
    for (const p of scan.processes) {
      if (opts.cgroup !== undefined && !inCgroup(p.cgroup, opts.cgroup)) continue;
      // Copied: the scanner reuses its sample objects on the next pass.
      victims.push({
        pid: p.pid,
        comm: p.comm,
        cgroup: p.cgroup,
        rssBytes: p.rssBytes,
        swapBytes: p.swapBytes,
        oomScore: p.oomScore,
        oomScoreAdj: p.oomScoreAdj,
        headroomBytes: headroomOf(p.cgroup),
      });
    }
    let memory: TopSnapshot['memory'];
    try {
      memory = readHostMemory(opts.procfs, files);
    } catch (e) {
      memory = { error: (e as Error).message };
    }
    const psi = files.text(`${opts.procfs}/pressure/memory`).text;
    return {
      host: os.hostname(),
      nowSeconds: Date.now() / 1000,
      memory,
      pressureSomeAvg10: psi === undefined ? undefined : parseSomeAvg10(psi),
      victims,
      kills,
    };
  }

  return { snapshot };
}

/**
 * The latest kills of the live kernel log (the source `kills` would pick), read to its current end
 * keeping only the last few; or why no log could be read.
 */
export async function readLatestKills(live: KillsSources = {}): Promise<KillsState> {
  const found = await liveBacklog(live);
  if ('none' in found) return { unreadable: found.none };
  const latest: OomKill[] = [];
  try {
    await streamKills(found, {
      kill(k) {
        latest.push(k);
        if (latest.length > KILLS_SHOWN) latest.shift();
      },
    });
  } catch (e) {
    // A list cut short by a read error would look complete: the error is shown instead.
    return { unreadable: (e as Error).message };
  }
  return { kills: latest };
}
