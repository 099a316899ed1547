import { existsSync } from 'node:fs';
import { readText } from '../procfs/read.js';

/**
 * Where the memory controller's cgroup hierarchy can be opened.
 *
 * The rule, for a host and for a container alike:
 *  1. --path.cgroupfs DIR: DIR is what /sys/fs/cgroup is on a host; its layout is probed (a cgroup2 root
 *     has cgroup.controllers; a v1 layout has memory/ and maybe unified/), and it is taken to show each
 *     hierarchy from its root.
 *  2. Otherwise <procfs>/self/mountinfo: the mounts of the exporter's own mount namespace (procfs
 *     resolves "self" to the reader in whichever PID namespace it belongs to, so this holds for a host
 *     /proc mounted at /host/proc too), so its mount points are paths the exporter can open as they are.
 *     Of the cgroup mounts listed, those under --path.sysfs win (a container that mounts the host's /sys
 *     at /host/sys sees its own cgroupfs at /sys/fs/cgroup and the host's at /host/sys/fs/cgroup). When
 *     none lies under --path.sysfs but some lie under /sys, the mountinfo was written in another
 *     namespace's terms (a fixture tree, or a copy of the host's): /sys is re-rooted at --path.sysfs.
 *  3. No cgroup mount in mountinfo (or no mountinfo): <sysfs>/fs/cgroup is probed as in 1.
 *
 * A mount shows the hierarchy from its root field: a cgroup path P is at mountPoint + (P minus root).
 * /proc/PID/cgroup and mountinfo both print paths relative to the reader's cgroup namespace, so the
 * subtraction also works in a private cgroup namespace where both start with "/..". The kernel log
 * prints paths from the true root, so kill cgroups only resolve in the host's cgroup namespace.
 */

export interface MountInfoEntry {
  /** The directory (in the reader's cgroup namespace for cgroupfs) that the mount shows. */
  root: string;
  mountPoint: string;
  fsType: string;
  superOptions: string[];
}

/** The kernel escapes space, tab, newline and backslash in mountinfo paths as \ooo. */
function unescapeOctal(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** /proc/PID/mountinfo: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL…] - FSTYPE SOURCE SUPEROPTS". */
export function parseMountInfo(text: string): MountInfoEntry[] {
  const out: MountInfoEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    // The optional fields vary in number; " - " separates them from the filesystem part.
    const sep = fields.indexOf('-', 6);
    if (sep === -1 || fields.length < sep + 4) continue;
    out.push({
      root: unescapeOctal(fields[3] ?? ''),
      mountPoint: unescapeOctal(fields[4] ?? ''),
      fsType: fields[sep + 1] ?? '',
      superOptions: (fields[sep + 3] ?? '').split(','),
    });
  }
  return out;
}

export interface CgroupMount {
  /** The directory to open. */
  path: string;
  /** The cgroup path that directory shows ("/" for a whole hierarchy). */
  root: string;
}

export interface CgroupMounts {
  /** The cgroup v1 hierarchy the memory controller is bound to. */
  v1Memory: CgroupMount | undefined;
  /** The cgroup v2 (unified) hierarchy. */
  v2: CgroupMount | undefined;
}

export interface MemoryHierarchy {
  version: 1 | 2;
  mount: CgroupMount;
}

function under(path: string, dir: string): boolean {
  return dir === '/' || path === dir || path.startsWith(dir + '/');
}

/**
 * Picks the v1 memory and the v2 mounts from mountinfo entries, with the re-rooting rule above. Pure:
 * the same entries and sysfs always give the same answer.
 */
export function findCgroupMounts(entries: readonly MountInfoEntry[], sysfs: string): CgroupMounts {
  const v1 = entries.filter((e) => e.fsType === 'cgroup' && e.superOptions.includes('memory'));
  const v2 = entries.filter((e) => e.fsType === 'cgroup2');
  const all = [...v1, ...v2];
  let place: (e: MountInfoEntry) => string | undefined;
  if (all.some((e) => under(e.mountPoint, sysfs))) {
    place = (e) => (under(e.mountPoint, sysfs) ? e.mountPoint : undefined);
  } else if (all.some((e) => under(e.mountPoint, '/sys'))) {
    // (With --path.sysfs=/sys this is the test above, which failed: its else branch answers.)
    place = (e) => (under(e.mountPoint, '/sys') ? sysfs + e.mountPoint.slice('/sys'.length) : undefined);
  } else {
    place = (e) => e.mountPoint;
  }
  return { v1Memory: pick(v1, place), v2: pick(v2, place) };
}

function pick(candidates: readonly MountInfoEntry[], place: (e: MountInfoEntry) => string | undefined): CgroupMount | undefined {
  // A later mount on the same mount point hides the earlier one: keep the last per path.
  const byPath = new Map<string, CgroupMount>();
  for (const e of candidates) {
    const path = place(e);
    if (path === undefined) continue;
    byPath.delete(path);
    byPath.set(path, { path, root: e.root });
  }
  // Of distinct mounts, the one that shows the most of the hierarchy (the shortest root) resolves the most paths.
  let best: CgroupMount | undefined;
  for (const m of byPath.values()) {
    if (best === undefined || depth(m.root) < depth(best.root)) best = m;
  }
  return best;
}

function depth(root: string): number {
  return root.split('/').filter((s) => s !== '').length;
}

/** Probes a directory laid out like /sys/fs/cgroup: a cgroup2 root, or v1 controllers (and unified/) beneath it. */
export function probeCgroupfs(dir: string): CgroupMounts {
  const whole = (path: string): CgroupMount => ({ path, root: '/' });
  if (existsSync(`${dir}/cgroup.controllers`)) return { v1Memory: undefined, v2: whole(dir) };
  return {
    v1Memory: existsSync(`${dir}/memory/memory.usage_in_bytes`) ? whole(`${dir}/memory`) : undefined,
    v2: existsSync(`${dir}/unified/cgroup.controllers`) ? whole(`${dir}/unified`) : undefined,
  };
}

export interface CgroupPaths {
  procfs: string;
  sysfs: string;
  /** --path.cgroupfs, when given. */
  cgroupfs: string | undefined;
}

export function discoverCgroupMounts(paths: CgroupPaths): CgroupMounts {
  if (paths.cgroupfs !== undefined) return probeCgroupfs(paths.cgroupfs);
  const text = readText(`${paths.procfs}/self/mountinfo`).text;
  if (text !== undefined) {
    const found = findCgroupMounts(parseMountInfo(text), paths.sysfs);
    if (found.v1Memory !== undefined || found.v2 !== undefined) return found;
  }
  return probeCgroupfs(`${paths.sysfs}/fs/cgroup`);
}

/** "cgroup.controllers" of a v2 root lists the controllers bound to v2: "cpuset cpu io memory pids". */
export function controllersInclude(text: string, controller: string): boolean {
  // Blanks around or between the words give empty words, which never equal a controller's name.
  return text.split(/\s/).includes(controller);
}

/**
 * The hierarchy where memory is accounted: the v1 memory mount when there is one (a controller is bound
 * to one hierarchy only, so then v2 cannot have it), else v2 when its cgroup.controllers lists memory.
 * undefined: no memory controller (cgroup_disable=memory, or cgroups not mounted where we look).
 */
export function memoryHierarchy(mounts: CgroupMounts): MemoryHierarchy | undefined {
  if (mounts.v1Memory !== undefined) return { version: 1, mount: mounts.v1Memory };
  if (mounts.v2 === undefined) return undefined;
  const controllers = readText(`${mounts.v2.path}/cgroup.controllers`).text;
  if (controllers === undefined || !controllersInclude(controllers, 'memory')) return undefined;
  return { version: 2, mount: mounts.v2 };
}

/**
 * The directory of a cgroup (as /proc/PID/cgroup or task_memcg= print it) under a mount; undefined when
 * the mount does not show it (outside its root) or the path is not a plain cgroup path.
 */
export function cgroupDir(mount: CgroupMount, cgroupPath: string): string | undefined {
  if (!cgroupPath.startsWith('/')) return undefined;
  let rest: string;
  if (mount.root === '/') rest = cgroupPath;
  else if (cgroupPath === mount.root) rest = '';
  else if (cgroupPath.startsWith(mount.root + '/')) rest = cgroupPath.slice(mount.root.length);
  else return undefined;
  // Kernel cgroup names are never "." or ".."; one here would step outside the hierarchy.
  for (const seg of rest.split('/')) if (seg === '.' || seg === '..') return undefined;
  if (rest === '/') rest = '';
  return mount.path + rest;
}
