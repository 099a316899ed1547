import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createCgroupMemoryReader, parseKeyedValue, v1Limit, type CgroupMemory } from '../../src/cgroup/memory.js';

const FIX = fileURLToPath(new URL('../fixtures/cgroup', import.meta.url));
const MiB = 1024 * 1024;

const v1 = createCgroupMemoryReader({ version: 1, mount: { path: `${FIX}/v1/sys/fs/cgroup/memory`, root: '/' } });
const hybrid = createCgroupMemoryReader({ version: 1, mount: { path: `${FIX}/hybrid/sys/fs/cgroup/memory`, root: '/' } });
const v2 = createCgroupMemoryReader({ version: 2, mount: { path: `${FIX}/v2/sys/fs/cgroup`, root: '/' } });

const nothing: CgroupMemory = {
  usageBytes: undefined,
  workingSetBytes: undefined,
  anonBytes: undefined,
  fileBytes: undefined,
  inactiveFileBytes: undefined,
  shmemBytes: undefined,
  kernelBytes: undefined,
  sockBytes: undefined,
  limitBytes: undefined,
  swapUsageBytes: undefined,
  swapLimitBytes: undefined,
  oomKills: undefined,
  pressureWaitingSeconds: undefined,
  pressureStalledSeconds: undefined,
};

describe('limit parsers', () => {
  it('v1: the page-counter maximum of 4 KiB and 64 KiB pages and the pre-3.19 LLONG_MAX are no limit', () => {
    expect(v1Limit(9223372036854771712)).toBeUndefined();
    expect(v1Limit(9223372036854710272)).toBeUndefined();
    expect(v1Limit(Number('9223372036854775807'))).toBeUndefined(); // LLONG_MAX, as the kernel prints it
    expect(v1Limit(67108864)).toBe(64 * MiB);
    expect(v1Limit(undefined)).toBeUndefined();
  });
  it("v1: a 32-bit kernel's maximum (2 GiB − 4 KiB) is no limit once the root told us so", () => {
    expect(v1Limit(2147479552, 2147479552)).toBeUndefined();
    expect(v1Limit(2147479552)).toBe(2147479552);
    expect(v1Limit(1073741824, 2147479552)).toBe(1073741824);
  });
  it('keyed files: the value of a key, absent when the kernel predates it', () => {
    expect(parseKeyedValue('oom_kill_disable 0\nunder_oom 0\noom_kill 7\n', 'oom_kill')).toBe(7);
    expect(parseKeyedValue('oom_kill_disable 0\nunder_oom 0\n', 'oom_kill')).toBeUndefined();
    expect(parseKeyedValue('low 0\nhigh 0\nmax 9\noom 4\noom_kill 3\noom_group_kill 0\n', 'oom')).toBe(4);
    expect(parseKeyedValue('low 0\nhigh 0\nmax 9\noom 4\noom_kill 3\noom_group_kill 0\n', 'oom_kill')).toBe(3);
  });
});

describe('cgroup v1 (cgroupfs drivers, swap accounting on)', () => {
  it('a limited Docker container: usage, limit, swap from memsw minus memory, kills, what the usage is made of', () => {
    expect(v1.read('/docker/2403ccfe427f1dc7b6120dccb9ac58c2f8456950380d587a9f33ea7f00dd303d')).toEqual({
      usageBytes: 209715200,
      // Mostly inactive page cache: 20 MiB of the 200 MiB used is the working set.
      workingSetBytes: 209715200 - 188743680,
      anonBytes: 11010048,
      fileBytes: 196608000,
      inactiveFileBytes: 188743680,
      shmemBytes: 1048576,
      kernelBytes: 2097152,
      sockBytes: undefined,
      limitBytes: 256 * MiB,
      swapUsageBytes: 20 * MiB,
      swapLimitBytes: 256 * MiB,
      oomKills: 2,
      pressureWaitingSeconds: undefined,
      pressureStalledSeconds: undefined,
    });
  });
  it('memsw read a moment after memory can be the smaller: swap usage is 0, not negative', () => {
    const m = v1.read('/system.slice/memory-swap-limit.service');
    expect(m?.usageBytes).toBe(126976);
    expect(m?.swapUsageBytes).toBe(0);
    expect(m?.swapLimitBytes).toBe(5242880);
  });
  it('an unlimited cgroup has no limit and no swap limit', () => {
    const m = v1.read('/kubepods/besteffort/pod18d34ce4-50c7-452c-9df8-53c4a3fdf363/a684bbdd0c4b6937b5ece9713bed661305ab0de570eb12b7c28a032aaf602937');
    expect(m).toEqual({ ...nothing, usageBytes: 405504, swapUsageBytes: 0, oomKills: 0 });
  });
  it('the root cgroup', () => {
    expect(v1.read('/')).toEqual({ ...nothing, usageBytes: 3172245504, swapUsageBytes: 0, oomKills: 5, kernelBytes: 41943040 });
  });
  it('a cgroup directory with a ":" in its name', () => {
    const m = v1.read(
      '/system.slice/containerd.service/kubepods-burstable-pod7a875b5c_4d3c_4345_ac0f_5c847d8d7129.slice:cri-containerd:ee05f876e981d258209f91f25f139f7abc13a0246a5f343298572602fea8c7bb',
    );
    expect(m?.limitBytes).toBe(128 * MiB);
    expect(m?.swapLimitBytes).toBe(0);
  });
  it('a cgroup removed before the scan reached it is null, silently', () => {
    expect(v1.read('/docker/5dace3de0735f73d2b5048f12d41a71741a02e49668de921fdae62f7e65dc498')).toBeNull();
  });
});

describe('hybrid (v1 memory, swap accounting off)', () => {
  it('a systemd-driver Docker container: no memsw files, so no swap series; no v2 pressure either', () => {
    expect(hybrid.read('/system.slice/docker-898b44c4a066d2dc6343c21d8a5b7c6a77079367d23bcde8c88be0eb204d3a1e.scope')).toEqual({
      ...nothing,
      usageBytes: 5013504,
      limitBytes: 4294967296,
      oomKills: 0,
    });
  });
  it('swap accounting is asked of the hierarchy once: without memsw at its top, no cgroup is asked for memsw', () => {
    const dir = mkdtempSync(`${tmpdir()}/oom-memsw-`);
    try {
      const cg = `${dir}/memory/app.scope`;
      mkdirSync(cg, { recursive: true });
      writeFileSync(`${dir}/memory/memory.limit_in_bytes`, '9223372036854771712\n');
      for (const [f, v] of [
        ['memory.usage_in_bytes', '1000'],
        ['memory.limit_in_bytes', '4096000'],
        ['memory.memsw.usage_in_bytes', '5000'],
        ['memory.memsw.limit_in_bytes', '8192000'],
      ]) {
        writeFileSync(`${cg}/${f}`, `${v}\n`);
      }
      const reader = createCgroupMemoryReader({ version: 1, mount: { path: `${dir}/memory`, root: '/' } });
      expect(reader.read('/app.scope')).toEqual({ ...nothing, usageBytes: 1000, limitBytes: 4096000 });
      // With memsw at the top, the same cgroup's swap is read.
      writeFileSync(`${dir}/memory/memory.memsw.usage_in_bytes`, '0\n');
      const withSwap = createCgroupMemoryReader({ version: 1, mount: { path: `${dir}/memory`, root: '/' } });
      expect(withSwap.read('/app.scope')).toMatchObject({ swapUsageBytes: 4000, swapLimitBytes: 4096000 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('a CRI-O container at its limit, with the kill it had: anonymous memory, so the working set is near the limit too', () => {
    const m = hybrid.read(
      '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-poda5c1f8d5_1919_434d_add7_4afaafdaef89.slice/crio-5eed917563583925ffdbd40a64efb2aaffe58638e57add8becaf460fe74f5b1c.scope',
    );
    expect(m).toEqual({
      ...nothing,
      usageBytes: 258000000,
      limitBytes: 268435456,
      oomKills: 1,
      workingSetBytes: 258000000 - 4001792,
      anonBytes: 239992832,
      fileBytes: 15007744,
      inactiveFileBytes: 4001792,
      shmemBytes: 0,
      kernelBytes: 2999424,
    });
  });
});

describe('cgroup v2', () => {
  it("a burstable pod's container at its limit, no swap allowed, 3 kills, pressure in seconds", () => {
    expect(
      v2.read(
        '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod55c6c714_b240_4dec_9a45_57b61696ab6e.slice/cri-containerd-2032491dcae31e6746f47daa0ac74564f2843a1bd847c5e6c4eb501ca132ac36.scope',
      ),
    ).toEqual({
      usageBytes: 534773760,
      workingSetBytes: 534773760 - 4096000,
      anonBytes: 520093696,
      fileBytes: 12288000,
      inactiveFileBytes: 4096000,
      shmemBytes: 0,
      kernelBytes: 669344 + 294912 + 1708032 + 14400,
      sockBytes: 0,
      limitBytes: 512 * MiB,
      swapUsageBytes: 0,
      swapLimitBytes: 0,
      oomKills: 3,
      pressureWaitingSeconds: 4.75,
      pressureStalledSeconds: 2.875,
    });
  });
  it('an unlimited service: "max" gives no limit, and no swap limit', () => {
    expect(v2.read('/system.slice/nginx.service')).toEqual({
      usageBytes: 12582912,
      workingSetBytes: 12582912 - 6250496,
      anonBytes: 2293760,
      fileBytes: 9474048,
      inactiveFileBytes: 6250496,
      shmemBytes: 4096,
      kernelBytes: 811008,
      sockBytes: 12288,
      limitBytes: undefined,
      swapUsageBytes: 0,
      swapLimitBytes: undefined,
      oomKills: 0,
      pressureWaitingSeconds: 0,
      pressureStalledSeconds: 0,
    });
  });
  it('a limited Docker container that swapped', () => {
    const m = v2.read('/system.slice/docker-d0b3604b67ac7930dd34ba3a796627e3e4717d12309e90a4afe3f38b6816ac98.scope');
    expect(m?.swapUsageBytes).toBe(4 * MiB);
    expect(m?.swapLimitBytes).toBe(256 * MiB);
    expect(m?.oomKills).toBe(2);
  });
  it('the root has no memory.current or memory.max, only pressure', () => {
    // Its memory.stat holds only `anon 0`; no usage, so no working set.
    expect(v2.read('/')).toEqual({ ...nothing, anonBytes: 0, pressureWaitingSeconds: 81.234567, pressureStalledSeconds: 40.123456 });
  });
  it('without swap files and without oom_kill in memory.events, those stay undefined and the rest is read', () => {
    const m = v2.read(
      '/lxc.payload.k8s-node1/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0125ec2f_b64a_4868_8f5b_94b56cbab864.slice/cri-containerd-ee4b20e90ac7f42a10bd004d05646b13d8ab5e2c5e7cbc01abf8006bac016459.scope',
    );
    expect(m).toEqual({ ...nothing, usageBytes: 20000000, pressureWaitingSeconds: 0, pressureStalledSeconds: 0 });
  });
  it('a removed cgroup is null; a path outside the mount root is null', () => {
    expect(v2.read('/system.slice/docker-5dace3de0735f73d2b5048f12d41a71741a02e49668de921fdae62f7e65dc498.scope')).toBeNull();
    const sub = createCgroupMemoryReader({ version: 2, mount: { path: `${FIX}/v2/sys/fs/cgroup/system.slice`, root: '/system.slice' } });
    expect(sub.read('/user.slice')).toBeNull();
    expect(sub.read('/system.slice/nginx.service')?.usageBytes).toBe(12582912);
  });
});

describe("a 32-bit kernel's v1 tree", () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  it('takes the root cgroup\'s limit as "no limit"', () => {
    dir = mkdtempSync(`${tmpdir()}/oomx-v1-32-`);
    const files = { 'memory.usage_in_bytes': '1000\n', 'memory.limit_in_bytes': '2147479552\n', 'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n' };
    for (const d of [dir, `${dir}/a`, `${dir}/b`]) {
      mkdirSync(d, { recursive: true });
      for (const [f, t] of Object.entries(files)) writeFileSync(`${d}/${f}`, t);
    }
    writeFileSync(`${dir}/b/memory.limit_in_bytes`, '536870912\n');
    const r = createCgroupMemoryReader({ version: 1, mount: { path: dir, root: '/' } });
    expect(r.read('/a')?.limitBytes).toBeUndefined();
    expect(r.read('/b')?.limitBytes).toBe(512 * MiB);
  });
});
