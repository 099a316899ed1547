import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { CgroupMemoryReader } from '../../src/cgroup/memory.js';
import { createKubeNames } from '../../src/cgroup/kubelet-logs.js';
import { cgroupProblem, createCgroupCollector, sampleCgroups } from '../../src/collectors/cgroup.js';
import type { ProcessSample } from '../../src/procfs/processes.js';
import { emit, scrapeOf } from '../helpers/collect.js';
import { find, one } from '../helpers/metrics.js';

const FIX = fileURLToPath(new URL('../fixtures/cgroup', import.meta.url));

function proc(pid: number, cgroup: string): ProcessSample {
  return { pid, comm: `p${pid}`, cgroup, cmdline: undefined, rssBytes: 1, swapBytes: 0, oomScore: 1, oomScoreAdj: 0 };
}

async function collectOn(kind: string, processes: ProcessSample[], killCgroups: string[], cgroupfs?: string) {
  const collector = createCgroupCollector({
    paths: { procfs: `${FIX}/${kind}/proc`, sysfs: `${FIX}/${kind}/sys`, cgroupfs },
    killCgroups: () => killCgroups,
    containers: null,
    // The containerd node's kubelet tree names the CRI pod's container.
    kubeNames: createKubeNames({ varlog: fileURLToPath(new URL('../fixtures/kubelet/containerd/var/log', import.meta.url)) }),
  });
  return emit([collector], scrapeOf(processes));
}

const CRI =
  '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod55c6c714_b240_4dec_9a45_57b61696ab6e.slice/cri-containerd-2032491dcae31e6746f47daa0ac74564f2843a1bd847c5e6c4eb501ca132ac36.scope';
const NGINX = '/system.slice/nginx.service';
const GONE_DOCKER = '/system.slice/docker-5dace3de0735f73d2b5048f12d41a71741a02e49668de921fdae62f7e65dc498.scope';

describe('sampleCgroups', () => {
  it('reads each cgroup once however many processes share it, and skips unknown ("") cgroups', async () => {
    const calls: string[] = [];
    const reader = { hierarchy: { version: 2, mount: { path: '/x', root: '/' } }, read: (p: string) => (calls.push(p), null) } as CgroupMemoryReader;
    const out = await sampleCgroups(['/a', '/b', '', '/a', '/a', '/b'], reader);
    expect(calls).toEqual(['/a', '/b']);
    expect(out.map((s) => s.cgroup)).toEqual(['/a', '/b']);
  });
  it('without a memory hierarchy, lists the cgroups with no memory', async () => {
    expect(await sampleCgroups(['/a'], undefined)).toEqual([{ cgroup: '/a', memory: null }]);
  });
  it('gives the event loop back between cgroups when the pause says so', async () => {
    let waits = 0;
    const pause = { due: () => true, wait: async () => void waits++ };
    await sampleCgroups(['/a', '/b', '/c'], undefined, pause);
    expect(waits).toBe(3);
  });
});

describe('the cgroup collector on the v2 fixture', () => {
  it('exports usage, limit, swap, kills and pressure of the cgroups of processes, once each', async () => {
    const s = await collectOn('v2', [proc(10, CRI), proc(11, CRI), proc(12, NGINX), proc(13, '')], []);
    expect(one(s, 'oom_cgroup_memory_usage_bytes', { cgroup: CRI })).toBe(534773760);
    expect(one(s, 'oom_cgroup_memory_limit_bytes', { cgroup: CRI })).toBe(536870912);
    expect(one(s, 'oom_cgroup_swap_usage_bytes', { cgroup: CRI })).toBe(0);
    expect(one(s, 'oom_cgroup_swap_limit_bytes', { cgroup: CRI })).toBe(0);
    expect(one(s, 'oom_cgroup_oom_kills_total', { cgroup: CRI })).toBe(3);
    expect(one(s, 'oom_cgroup_memory_pressure_waiting_seconds_total', { cgroup: CRI })).toBe(4.75);
    expect(one(s, 'oom_cgroup_memory_pressure_stalled_seconds_total', { cgroup: CRI })).toBe(2.875);
    expect(one(s, 'oom_cgroup_info', { cgroup: CRI })).toBe(1);
    expect(find(s, 'oom_cgroup_info', { cgroup: CRI })[0]?.labels).toEqual({
      cgroup: CRI,
      container_id: '2032491dcae31e6746f47daa0ac74564f2843a1bd847c5e6c4eb501ca132ac36',
      pod_uid: '55c6c714-b240-4dec-9a45-57b61696ab6e',
      systemd_unit: 'cri-containerd-2032491dcae31e6746f47daa0ac74564f2843a1bd847c5e6c4eb501ca132ac36.scope',
      runtime: 'containerd',
      namespace: 'default',
      pod: 'api-7f9c6d5b8-x2kqz',
      container: 'gunicorn',
    });
    // A systemd service: its names are empty, never invented.
    expect(find(s, 'oom_cgroup_info', { cgroup: NGINX })[0]?.labels).toMatchObject({ namespace: '', pod: '', container: '' });
    // What the cgroup's usage is made of, from memory.stat.
    expect(one(s, 'oom_cgroup_memory_working_set_bytes', { cgroup: CRI })).toBe(534773760 - 4096000);
    expect(one(s, 'oom_cgroup_memory_anon_bytes', { cgroup: CRI })).toBe(520093696);
    expect(one(s, 'oom_cgroup_memory_kernel_bytes', { cgroup: NGINX })).toBe(811008);
    // Unlimited: a usage series and no limit series.
    expect(one(s, 'oom_cgroup_memory_usage_bytes', { cgroup: NGINX })).toBe(12582912);
    expect(one(s, 'oom_cgroup_memory_limit_bytes', { cgroup: NGINX })).toBeUndefined();
    expect(one(s, 'oom_cgroup_swap_limit_bytes', { cgroup: NGINX })).toBeUndefined();
    // The two cgroups named and their ancestors that have a limit (kubepods.slice: the node's allocatable;
    // the pod's slice) but not the unlimited ones between (kubepods-burstable.slice, system.slice), and
    // no series with an empty cgroup. A container without its own limit runs into its pod's.
    const POD_SLICE = '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod55c6c714_b240_4dec_9a45_57b61696ab6e.slice';
    expect(new Set(find(s, 'oom_cgroup_info').map((x) => x.labels.cgroup))).toEqual(new Set([CRI, NGINX, '/kubepods.slice', POD_SLICE]));
    expect(one(s, 'oom_cgroup_memory_limit_bytes', { cgroup: '/kubepods.slice' })).toBe(15032385536);
    expect(one(s, 'oom_cgroup_memory_limit_bytes', { cgroup: '/kubepods.slice/kubepods-burstable.slice' })).toBeUndefined();
    expect(find(s, 'oom_cgroup_memory_usage_bytes', { cgroup: '/system.slice' })).toEqual([]);
  });

  it('shows cgroups named in kills; a removed one keeps only its info, silently', async () => {
    const s = await collectOn('v2', [], [GONE_DOCKER, NGINX]);
    expect(find(s, 'oom_cgroup_info', { cgroup: GONE_DOCKER })[0]?.labels).toMatchObject({
      container_id: '5dace3de0735f73d2b5048f12d41a71741a02e49668de921fdae62f7e65dc498',
      runtime: 'docker',
    });
    expect(find(s, 'oom_cgroup_memory_usage_bytes', { cgroup: GONE_DOCKER })).toEqual([]);
    expect(find(s, 'oom_cgroup_oom_kills_total', { cgroup: GONE_DOCKER })).toEqual([]);
    expect(one(s, 'oom_cgroup_oom_kills_total', { cgroup: NGINX })).toBe(0);
  });
});

describe('the cgroup collector on v1 and hybrid fixtures', () => {
  it('v1: kills and swap from memsw; no pressure series (PSI is v2 only)', async () => {
    const docker = '/docker/2403ccfe427f1dc7b6120dccb9ac58c2f8456950380d587a9f33ea7f00dd303d';
    const s = await collectOn('v1', [proc(1, docker)], []);
    expect(one(s, 'oom_cgroup_oom_kills_total', { cgroup: docker })).toBe(2);
    expect(one(s, 'oom_cgroup_swap_usage_bytes', { cgroup: docker })).toBe(20971520);
    expect(find(s, 'oom_cgroup_memory_pressure_waiting_seconds_total')).toEqual([]);
  });
  it("hybrid: the v1 memory cgroup is read, and the same-named v2 cgroup's pressure is not taken for it", async () => {
    const docker = '/system.slice/docker-898b44c4a066d2dc6343c21d8a5b7c6a77079367d23bcde8c88be0eb204d3a1e.scope';
    const s = await collectOn('hybrid', [proc(1, docker)], []);
    expect(one(s, 'oom_cgroup_memory_limit_bytes', { cgroup: docker })).toBe(4294967296);
    expect(find(s, 'oom_cgroup_swap_usage_bytes')).toEqual([]);
    expect(find(s, 'oom_cgroup_memory_pressure_waiting_seconds_total')).toEqual([]);
  });
  it('--path.cgroupfs points at a tree directly', async () => {
    const docker = '/system.slice/docker-898b44c4a066d2dc6343c21d8a5b7c6a77079367d23bcde8c88be0eb204d3a1e.scope';
    const s = await collectOn('v2', [proc(1, docker)], [], `${FIX}/hybrid/sys/fs/cgroup`);
    expect(one(s, 'oom_cgroup_memory_usage_bytes', { cgroup: docker })).toBe(5013504);
  });
});

describe('series of cgroups that no process holds any more', () => {
  it('disappear at the next scrape', async () => {
    const collector = createCgroupCollector({
      paths: { procfs: `${FIX}/v2/proc`, sysfs: `${FIX}/v2/sys`, cgroupfs: undefined },
      killCgroups: () => [],
      containers: null,
    });
    let procs = [proc(1, NGINX)];
    const scrape = scrapeOf(() => procs);
    expect(one(await emit([collector], scrape), 'oom_cgroup_memory_usage_bytes', { cgroup: NGINX })).toBe(12582912);
    procs = [proc(2, CRI)];
    const s = await emit([collector], scrape);
    expect(find(s, 'oom_cgroup_memory_usage_bytes', { cgroup: NGINX })).toEqual([]);
    expect(find(s, 'oom_cgroup_info', { cgroup: NGINX })).toEqual([]);
    expect(one(s, 'oom_cgroup_memory_usage_bytes', { cgroup: CRI })).toBe(534773760);
  });
});

describe('cgroupProblem', () => {
  it.each([['v1'], ['v2'], ['hybrid']])('finds the %s fixture hierarchy: no problem', (kind) => {
    expect(cgroupProblem({ procfs: `${FIX}/${kind}/proc`, sysfs: `${FIX}/${kind}/sys`, cgroupfs: undefined })).toBeNull();
  });

  it('names --path.sysfs when nothing is mounted under it', () => {
    expect(cgroupProblem({ procfs: `${FIX}/v1/proc`, sysfs: '/nonexistent/sys', cgroupfs: undefined })).toMatch(
      /^no memory cgroup hierarchy .* under --path\.sysfs \/nonexistent\/sys \(\/nonexistent\/sys\/fs\/cgroup\): no oom_cgroup_\* series/,
    );
  });

  it('names --path.cgroupfs when that is what was given', () => {
    expect(cgroupProblem({ procfs: `${FIX}/v1/proc`, sysfs: '/sys', cgroupfs: '/nonexistent/cgroup' })).toMatch(/under --path\.cgroupfs \/nonexistent\/cgroup:/);
  });
});

describe('Kubernetes names that come late', () => {
  it("a container whose link comes after its pod's directory gets its name at a later scrape", async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'oom-varlog-'));
    try {
      const uid = '55c6c714-b240-4dec-9a45-57b61696ab6e';
      const id = '2032491dcae31e6746f47daa0ac74564f2843a1bd847c5e6c4eb501ca132ac36';
      mkdirSync(join(tmp, 'pods', `default_api-0_${uid}`), { recursive: true });
      mkdirSync(join(tmp, 'containers'));
      let t = 0;
      const collector = createCgroupCollector({
        paths: { procfs: `${FIX}/v2/proc`, sysfs: `${FIX}/v2/sys`, cgroupfs: undefined },
        killCgroups: () => [],
        containers: null,
        kubeNames: createKubeNames({ varlog: tmp, minIntervalMs: 5000, now: () => t }),
      });
      const info = async () => find(await emit([collector], scrapeOf([proc(10, CRI)])), 'oom_cgroup_info', { cgroup: CRI })[0]?.labels;
      expect(await info()).toMatchObject({ namespace: 'default', pod: 'api-0', container: '' });
      symlinkSync('/nowhere', join(tmp, 'containers', `api-0_default_gunicorn-${id}.log`));
      t += 6000;
      expect(await info()).toMatchObject({ namespace: 'default', pod: 'api-0', container: 'gunicorn' });
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
