import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { cgroupDir, controllersInclude, discoverCgroupMounts, findCgroupMounts, memoryHierarchy, parseMountInfo, probeCgroupfs } from '../../src/cgroup/mounts.js';

const FIX = fileURLToPath(new URL('../fixtures/cgroup', import.meta.url));
const paths = (kind: string) => ({ procfs: `${FIX}/${kind}/proc`, sysfs: `${FIX}/${kind}/sys`, cgroupfs: undefined });

// This machine's own /proc/self/mountinfo (hybrid: v1 memory, v2 unified without memory).
const HERE = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;

// A container with a private cgroup namespace that bind-mounts the host's /sys at /host/sys: its own
// cgroupfs at /sys/fs/cgroup, and the host's below /host/sys with a root relative to its namespace.
const CONTAINER = `612 590 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime - cgroup2 cgroup rw,nsdelegate,memory_recursiveprot
700 590 0:22 / /host/sys rw,nosuid,nodev,noexec,relatime master:2 - sysfs sysfs rw
701 700 0:26 /../../.. /host/sys/fs/cgroup rw,nosuid,nodev,noexec,relatime master:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`;

describe('parseMountInfo', () => {
  it('reads root, mount point, type and super options past any number of optional fields', () => {
    const [e] = parseMountInfo('30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 master:1 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n');
    expect(e).toEqual({ root: '/', mountPoint: '/sys/fs/cgroup', fsType: 'cgroup2', superOptions: ['rw', 'nsdelegate', 'memory_recursiveprot'] });
  });
  it('unescapes the octal escapes of spaces and backslashes', () => {
    const [e] = parseMountInfo('40 31 0:35 /a\\040b /mnt/my\\040cgroups\\134x rw - cgroup cgroup rw,memory\n');
    expect(e?.root).toBe('/a b');
    expect(e?.mountPoint).toBe('/mnt/my cgroups\\x');
  });
  it('skips lines without the separator', () => {
    expect(parseMountInfo('garbage line\n\n')).toEqual([]);
  });
});

describe('findCgroupMounts', () => {
  it('finds the v1 memory controller and the unified mount of a hybrid machine as they are', () => {
    const m = findCgroupMounts(parseMountInfo(HERE), '/sys');
    expect(m.v1Memory).toEqual({ path: '/sys/fs/cgroup/memory', root: '/' });
    expect(m.v2).toEqual({ path: '/sys/fs/cgroup/unified', root: '/' });
  });
  it('does not take a named hierarchy (name=systemd) or co-mounted names for memory', () => {
    const m = findCgroupMounts(parseMountInfo('40 31 0:37 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd\n'), '/sys');
    expect(m.v1Memory).toBeUndefined();
  });
  it('in a container, prefers the host cgroupfs under --path.sysfs and keeps its namespace-relative root', () => {
    const m = findCgroupMounts(parseMountInfo(CONTAINER), '/host/sys');
    expect(m.v2).toEqual({ path: '/host/sys/fs/cgroup', root: '/../../..' });
    expect(m.v1Memory).toBeUndefined();
  });
  it('in a container left at --path.sysfs=/sys, uses its own cgroupfs', () => {
    expect(findCgroupMounts(parseMountInfo(CONTAINER), '/sys').v2).toEqual({ path: '/sys/fs/cgroup', root: '/' });
  });
  it("re-roots /sys at --path.sysfs when no cgroup mount lies under it (mountinfo in another namespace's terms)", () => {
    const m = findCgroupMounts(parseMountInfo(HERE), '/host/sys');
    expect(m.v1Memory).toEqual({ path: '/host/sys/fs/cgroup/memory', root: '/' });
    expect(m.v2).toEqual({ path: '/host/sys/fs/cgroup/unified', root: '/' });
  });
  it('takes cgroups mounted outside /sys as they are (old distributions used /cgroup)', () => {
    const m = findCgroupMounts(parseMountInfo('20 1 0:17 / /cgroup/memory rw - cgroup cgroup rw,memory\n'), '/host/sys');
    expect(m.v1Memory).toEqual({ path: '/cgroup/memory', root: '/' });
  });
  it('takes the last of two mounts on one mount point (the visible one)', () => {
    const text = '35 31 0:32 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n90 35 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n';
    expect(findCgroupMounts(parseMountInfo(text), '/sys').v1Memory).toEqual({ path: '/sys/fs/cgroup/memory', root: '/' });
  });
  it('of two mount points, takes the one that shows the most of the hierarchy', () => {
    const text = '35 31 0:32 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n91 31 0:32 / /sys/fs/cgroup/memory-all rw - cgroup cgroup rw,memory\n';
    expect(findCgroupMounts(parseMountInfo(text), '/sys').v1Memory).toEqual({ path: '/sys/fs/cgroup/memory-all', root: '/' });
  });
  it('finds nothing where nothing is mounted', () => {
    expect(findCgroupMounts(parseMountInfo('22 27 0:21 / /proc rw - proc proc rw\n'), '/sys')).toEqual({ v1Memory: undefined, v2: undefined });
  });
});

describe('cgroupDir', () => {
  const whole = { path: '/sys/fs/cgroup', root: '/' };
  it('joins a path to a whole-hierarchy mount', () => {
    expect(cgroupDir(whole, '/system.slice/nginx.service')).toBe('/sys/fs/cgroup/system.slice/nginx.service');
    expect(cgroupDir(whole, '/')).toBe('/sys/fs/cgroup');
  });
  it('subtracts the mount root, also a namespace-relative one', () => {
    const host = { path: '/host/sys/fs/cgroup', root: '/../../..' };
    expect(cgroupDir(host, '/../../../system.slice/nginx.service')).toBe('/host/sys/fs/cgroup/system.slice/nginx.service');
    expect(cgroupDir(host, '/../../..')).toBe('/host/sys/fs/cgroup');
    const sub = { path: '/sys/fs/cgroup/memory', root: '/docker/abc' };
    expect(cgroupDir(sub, '/docker/abc/inner')).toBe('/sys/fs/cgroup/memory/inner');
  });
  it('refuses paths the mount does not show, and paths that would step out of it', () => {
    expect(cgroupDir({ path: '/sys/fs/cgroup/memory', root: '/docker/abc' }, '/docker/abcdef')).toBeUndefined();
    expect(cgroupDir({ path: '/host/sys/fs/cgroup', root: '/../../..' }, '/system.slice/x.service')).toBeUndefined();
    expect(cgroupDir(whole, '/system.slice/../../etc')).toBeUndefined();
    expect(cgroupDir(whole, 'system.slice')).toBeUndefined();
    expect(cgroupDir(whole, '')).toBeUndefined();
  });
});

describe('discovering the fixtures', () => {
  it('v1: the memory controller, re-rooted under the fixture sysfs', () => {
    const m = discoverCgroupMounts(paths('v1'));
    expect(m.v1Memory).toEqual({ path: `${FIX}/v1/sys/fs/cgroup/memory`, root: '/' });
    expect(memoryHierarchy(m)?.version).toBe(1);
  });
  it('hybrid: v1 memory wins; the unified hierarchy has no memory controller', () => {
    const m = discoverCgroupMounts(paths('hybrid'));
    expect(m.v2).toEqual({ path: `${FIX}/hybrid/sys/fs/cgroup/unified`, root: '/' });
    expect(memoryHierarchy(m)).toEqual({ version: 1, mount: { path: `${FIX}/hybrid/sys/fs/cgroup/memory`, root: '/' } });
    expect(memoryHierarchy({ v1Memory: undefined, v2: m.v2 })).toBeUndefined();
  });
  it('v2: the unified hierarchy with memory in cgroup.controllers', () => {
    expect(memoryHierarchy(discoverCgroupMounts(paths('v2')))).toEqual({ version: 2, mount: { path: `${FIX}/v2/sys/fs/cgroup`, root: '/' } });
  });
  it('--path.cgroupfs is probed and wins over mountinfo', () => {
    const m = discoverCgroupMounts({ ...paths('v2'), cgroupfs: `${FIX}/hybrid/sys/fs/cgroup` });
    expect(m.v1Memory?.path).toBe(`${FIX}/hybrid/sys/fs/cgroup/memory`);
    expect(probeCgroupfs(`${FIX}/v2/sys/fs/cgroup`)).toEqual({ v1Memory: undefined, v2: { path: `${FIX}/v2/sys/fs/cgroup`, root: '/' } });
  });
  it('without a mountinfo, probes <sysfs>/fs/cgroup', () => {
    const m = discoverCgroupMounts({ procfs: `${FIX}/nonexistent`, sysfs: `${FIX}/v1/sys`, cgroupfs: undefined });
    expect(m.v1Memory?.path).toBe(`${FIX}/v1/sys/fs/cgroup/memory`);
  });
  it('reads cgroup.controllers as a word list', () => {
    expect(controllersInclude('cpuset cpu io memory hugetlb pids\n', 'memory')).toBe(true);
    expect(controllersInclude('cpuset cpu io hugetlb pids memory_recursiveprot\n', 'memory')).toBe(false);
    expect(controllersInclude('\n', 'memory')).toBe(false);
    expect(controllersInclude('memory', 'memory')).toBe(true);
    expect(controllersInclude('cpu  memory\n', 'memory')).toBe(true);
    expect(controllersInclude('cpu memoryx\n', 'memory')).toBe(false);
  });
});

describe('this machine', () => {
  it('finds the real cgroup v1 memory controller from /proc', () => {
    const h = memoryHierarchy(discoverCgroupMounts({ procfs: '/proc', sysfs: '/sys', cgroupfs: undefined }));
    expect(h).toBeDefined();
    // The memory controller of this machine is v1 at /sys/fs/cgroup/memory; on a pure v2 machine it
    // would be the unified root. Either way the root's accounting file must be there.
    const file = h?.version === 1 ? 'memory.usage_in_bytes' : 'cgroup.controllers';
    expect(probeCgroupfs('/sys/fs/cgroup').v1Memory !== undefined).toBe(h?.version === 1);
    expect(existsSync(`${h?.mount.path}/${file}`)).toBe(true);
  });
});

describe('a probe of a made-up tree', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  it('is empty for a directory that is no cgroupfs', () => {
    dir = mkdtempSync(`${tmpdir()}/oomx-probe-`);
    mkdirSync(`${dir}/memory`);
    expect(probeCgroupfs(dir)).toEqual({ v1Memory: undefined, v2: undefined });
  });
});

describe('mountinfo and mounts, at their edges', () => {
  let dir = '';
  afterEach(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
    dir = '';
  });

  it('skips lines without the separator, or with too few fields after it', () => {
    expect(parseMountInfo('1 2 0:1 / /a rw shared:1 master:2\n1 2 0:1 / /b rw - cgroup2\n1 2 0:1 / /c rw - cgroup2 cgroup2\n')).toEqual([]);
    expect(parseMountInfo('1 2 0:1 / /d rw - cgroup2 cgroup2 rw\n')).toEqual([{ root: '/', mountPoint: '/d', fsType: 'cgroup2', superOptions: ['rw'] }]);
  });

  it('takes only cgroup v1 mounts with the memory controller for v1 memory', () => {
    const m = findCgroupMounts(parseMountInfo('1 2 0:1 / /sys/fs/cgroup/memory rw - tmpfs tmpfs rw,memory\n'), '/sys');
    expect(m).toEqual({ v1Memory: undefined, v2: undefined });
  });

  it('with --path.sysfs=/ every mount lies under it; a mount at --path.sysfs itself counts', () => {
    expect(findCgroupMounts(parseMountInfo('1 2 0:1 / /cgroup/memory rw - cgroup cgroup rw,memory\n'), '/').v1Memory).toEqual({ path: '/cgroup/memory', root: '/' });
    const m = findCgroupMounts(parseMountInfo('1 2 0:1 / /host/cg rw - cgroup2 cgroup2 rw\n1 2 0:2 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n'), '/host/cg');
    expect(m.v2).toEqual({ path: '/host/cg', root: '/' });
  });

  it('re-rooting /sys at --path.sysfs leaves out mounts outside /sys, and a /sysx is not /sys', () => {
    // Listed first, so that taking them would win the tie with the mounts under /sys.
    const text = `50 1 0:40 / /cgroup/memory2 rw - cgroup cgroup rw,memory\n51 1 0:41 / /sysx/fs/cgroup rw - cgroup2 cgroup2 rw\n${HERE}`;
    const m = findCgroupMounts(parseMountInfo(text), '/host/sys');
    expect(m).toEqual({ v1Memory: { path: '/host/sys/fs/cgroup/memory', root: '/' }, v2: { path: '/host/sys/fs/cgroup/unified', root: '/' } });
    // Not under --path.sysfs either: a mount point that only begins like it.
    const n = findCgroupMounts(parseMountInfo('1 2 0:1 / /host/sysx/fs/cgroup rw - cgroup2 cgroup2 rw\n'), '/host/sys');
    expect(n.v2).toEqual({ path: '/host/sysx/fs/cgroup', root: '/' });
    // Nor under /sys: a /sysx mount alone is taken as it is, not re-rooted.
    expect(findCgroupMounts(parseMountInfo('51 1 0:41 / /sysx/fs/cgroup rw - cgroup2 cgroup2 rw\n'), '/host/sys')).toEqual({
      v1Memory: undefined,
      v2: { path: '/sysx/fs/cgroup', root: '/' },
    });
  });

  it('with --path.sysfs=/ takes the mounts under /sys as they are, not re-rooted', () => {
    expect(findCgroupMounts(parseMountInfo(HERE), '/')).toEqual({
      v1Memory: { path: '/sys/fs/cgroup/memory', root: '/' },
      v2: { path: '/sys/fs/cgroup/unified', root: '/' },
    });
  });

  it('of two mount points showing as much, keeps the first; a root of "/" shows more than "/a"', () => {
    const tie = '1 2 0:1 /a /m1 rw - cgroup cgroup rw,memory\n2 2 0:1 /b /m2 rw - cgroup cgroup rw,memory\n';
    expect(findCgroupMounts(parseMountInfo(tie), '/').v1Memory).toEqual({ path: '/m1', root: '/a' });
    const rootLast = '1 2 0:1 /a /m1 rw - cgroup cgroup rw,memory\n2 2 0:1 / /m2 rw - cgroup cgroup rw,memory\n';
    expect(findCgroupMounts(parseMountInfo(rootLast), '/').v1Memory).toEqual({ path: '/m2', root: '/' });
    const rootFirst = '2 2 0:1 / /m2 rw - cgroup cgroup rw,memory\n1 2 0:1 /a/b /m1 rw - cgroup cgroup rw,memory\n';
    expect(findCgroupMounts(parseMountInfo(rootFirst), '/').v1Memory).toEqual({ path: '/m2', root: '/' });
    // Depth counts directories, not characters: one long name shows more than two short ones.
    const longName = '1 2 0:1 /lxc/c1 /m1 rw - cgroup cgroup rw,memory\n2 2 0:1 /kubepods.slice /m2 rw - cgroup cgroup rw,memory\n';
    expect(findCgroupMounts(parseMountInfo(longName), '/').v1Memory).toEqual({ path: '/m2', root: '/kubepods.slice' });
  });

  it("takes mountinfo's answer over a probe of <sysfs>/fs/cgroup (a container's root is not the probe's /)", () => {
    dir = mkdtempSync(`${tmpdir()}/oomx-mi-`);
    mkdirSync(`${dir}/proc/self`, { recursive: true });
    mkdirSync(`${dir}/sys/fs/cgroup`, { recursive: true });
    writeFileSync(`${dir}/sys/fs/cgroup/cgroup.controllers`, 'cpu memory\n');
    writeFileSync(`${dir}/proc/self/mountinfo`, '612 590 0:26 /../.. /sys/fs/cgroup ro - cgroup2 cgroup rw\n');
    expect(discoverCgroupMounts({ procfs: `${dir}/proc`, sysfs: `${dir}/sys`, cgroupfs: undefined })).toEqual({
      v1Memory: undefined,
      v2: { path: `${dir}/sys/fs/cgroup`, root: '/../..' },
    });
    // A mountinfo with only a v1 memory mount (no v2): its answer too, not the probe's.
    writeFileSync(`${dir}/proc/self/mountinfo`, '35 31 0:32 /docker /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n');
    expect(discoverCgroupMounts({ procfs: `${dir}/proc`, sysfs: `${dir}/sys`, cgroupfs: undefined })).toEqual({
      v1Memory: { path: `${dir}/sys/fs/cgroup/memory`, root: '/docker' },
      v2: undefined,
    });
    // A mountinfo without any cgroup mount: the probe answers.
    writeFileSync(`${dir}/proc/self/mountinfo`, '22 27 0:21 / /proc rw - proc proc rw\n');
    expect(discoverCgroupMounts({ procfs: `${dir}/proc`, sysfs: `${dir}/sys`, cgroupfs: undefined })).toEqual({
      v1Memory: undefined,
      v2: { path: `${dir}/sys/fs/cgroup`, root: '/' },
    });
  });

  it('probes v1 memory and the unified v2 hierarchy beside it', () => {
    expect(probeCgroupfs(`${FIX}/hybrid/sys/fs/cgroup`)).toEqual({
      v1Memory: { path: `${FIX}/hybrid/sys/fs/cgroup/memory`, root: '/' },
      v2: { path: `${FIX}/hybrid/sys/fs/cgroup/unified`, root: '/' },
    });
  });

  it('has no memory hierarchy without mounts, or with a v2 root that has no cgroup.controllers', () => {
    expect(memoryHierarchy({ v1Memory: undefined, v2: undefined })).toBeUndefined();
    dir = mkdtempSync(`${tmpdir()}/oomx-v2-`);
    expect(memoryHierarchy({ v1Memory: undefined, v2: { path: dir, root: '/' } })).toBeUndefined();
  });

  it('refuses a "." segment as well as ".."', () => {
    expect(cgroupDir({ path: '/sys/fs/cgroup', root: '/' }, '/a/./b')).toBeUndefined();
    expect(cgroupDir({ path: '/sys/fs/cgroup', root: '/' }, '/a/.b/..c')).toBe('/sys/fs/cgroup/a/.b/..c');
  });
});
