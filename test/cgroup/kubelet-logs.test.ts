import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parseCgroupPath } from '../../src/cgroup/info.js';
import { createKubeNames, NO_KUBE_NAME, parseContainerLogLink, parsePodLogDir } from '../../src/cgroup/kubelet-logs.js';

const FIX = fileURLToPath(new URL('../fixtures/kubelet', import.meta.url));
const varlog = (tree: string): string => `${FIX}/${tree}/var/log`;

describe('kubelet log names', () => {
  it('a pods directory: namespace, pod and UID (a dashed UUID, or a static pod’s 32-hex hash)', () => {
    expect(parsePodLogDir('kube-system_kube-proxy-6xsx9_81e09ae0-12ec-4ec5-94b8-51cda7906370')).toEqual({
      namespace: 'kube-system',
      pod: 'kube-proxy-6xsx9',
      uid: '81e09ae0-12ec-4ec5-94b8-51cda7906370',
    });
    expect(parsePodLogDir('kube-system_kube-apiserver-controlplane_33d556edd3ae8ef21980288cef77ae8b')?.uid).toBe('33d556edd3ae8ef21980288cef77ae8b');
    for (const bad of ['not-a-pod-dir', 'a_b', 'a_b_c_d', '_pod_81e09ae0-12ec-4ec5-94b8-51cda7906370', 'ns_pod_not-a-uid', '.keep'])
      expect(parsePodLogDir(bad), bad).toBeNull();
  });

  it('a containers link: pod, namespace, container (which may hold dashes) and the 64-hex ID', () => {
    expect(parseContainerLogLink('kube-proxy-6xsx9_kube-system_kube-proxy-c269a18400e27b14085c57f8e36f5b4d5471c140eb27e8b0f632c056547555de.log')).toEqual({
      pod: 'kube-proxy-6xsx9',
      namespace: 'kube-system',
      container: 'kube-proxy',
      containerId: 'c269a18400e27b14085c57f8e36f5b4d5471c140eb27e8b0f632c056547555de',
    });
    // Cut to 255 bytes by kubelet: the ID is gone, so is the link's use.
    expect(parseContainerLogLink(`${'p'.repeat(200)}_default_app-2032491dcae31e6746f47daa0ac74564f2843a.log`)).toBeNull();
    expect(parseContainerLogLink('.keep')).toBeNull();
  });
});

// Every cgroup-path form the owner parser knows, on a tree of the runtime that makes it.
const CASES: [string, string, string, { namespace: string; pod: string; container: string }][] = [
  [
    'containerd, systemd driver, burstable',
    'containerd',
    '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod55c6c714_b240_4dec_9a45_57b61696ab6e.slice/cri-containerd-2032491dcae31e6746f47daa0ac74564f2843a1bd847c5e6c4eb501ca132ac36.scope',
    { namespace: 'default', pod: 'api-7f9c6d5b8-x2kqz', container: 'gunicorn' },
  ],
  [
    'containerd, guaranteed pod under kubepods.slice',
    'containerd',
    '/kubepods.slice/kubepods-poddc430cd3_34b7_4ea6_be26_ddfd88d7ddff.slice/cri-containerd-8564224395a4fbf7f2792baa22ee16dfc8f8e862e20342d3b2bcc211a3939af6.scope',
    { namespace: 'shop', pod: 'checkout-0', container: 'worker' },
  ],
  [
    'a pod-level cgroup: the pod, no container',
    'containerd',
    '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod55c6c714_b240_4dec_9a45_57b61696ab6e.slice',
    { namespace: 'default', pod: 'api-7f9c6d5b8-x2kqz', container: '' },
  ],
  [
    'a static pod (config-hash UID)',
    'containerd',
    '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod8daa50c3a64c9ff60bb9eab7b44b56fd.slice/cri-containerd-2884d57c0e100d7a9a2f9487ce0bc2986bca3430e988af7a4865aff061f51ac5.scope',
    { namespace: 'kube-system', pod: 'kube-apiserver-controlplane', container: 'kube-apiserver' },
  ],
  [
    'runc on cgroupfs under a systemd kubelet (slice:cri-containerd:id)',
    'containerd',
    '/system.slice/containerd.service/kubepods-burstable-podff49d0be_16b7_4a49_bb9e_8ec1f1f4e27f.slice:cri-containerd:0f99ad5f45163ed14ab8eaf92ed34bb4a631d007f8755a7d79be614bcb0df0ef',
    { namespace: 'batch', pod: 'celery-beat-5d8f7', container: 'celery' },
  ],
  [
    'nested under /lxc.payload.X/',
    'containerd',
    '/lxc.payload.k8s-node1/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0125ec2f_b64a_4868_8f5b_94b56cbab864.slice/cri-containerd-ee4b20e90ac7f42a10bd004d05646b13d8ab5e2c5e7cbc01abf8006bac016459.scope',
    { namespace: 'monitoring', pod: 'node-exporter-4bq9t', container: 'node-exporter' },
  ],
  [
    'CRI-O, systemd driver',
    'crio',
    '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-poda5c1f8d5_1919_434d_add7_4afaafdaef89.slice/crio-5eed917563583925ffdbd40a64efb2aaffe58638e57add8becaf460fe74f5b1c.scope',
    { namespace: 'data', pod: 'etl-runner-6c4d9', container: 'spark-driver' },
  ],
  [
    'CRI-O in a kind node (/docker/ID/ above)',
    'crio',
    '/docker/d6701ec289c56e4391acb11d07474b3139466857a305490575508a8b7a9fcf22/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod2ca4a155_3599_498d_bb9d_4446693fa3ea.slice/crio-0ba8ac17e4e7a31fb82279503552fe94e64bab4745bf6fd2ff231e7c8ca8bed0.scope',
    { namespace: 'ml', pod: 'trainer-0', container: 'pytorch' },
  ],
  [
    'Docker (dockershim), cgroupfs driver',
    'docker',
    '/kubepods/burstable/pod7de2905f-d523-45a3-8dd9-8365a286a434/610228a731e860b5e593cfdf1ae6899eb73d7c5f947e6d69716d2c3351573c90',
    { namespace: 'default', pod: 'reports-6b7d8f9c4-qwz7n', container: 'duckdb' },
  ],
  [
    'Docker, cgroupfs driver, guaranteed pod under /kubepods',
    'docker',
    '/kubepods/pod18d34ce4-50c7-452c-9df8-53c4a3fdf363/a684bbdd0c4b6937b5ece9713bed661305ab0de570eb12b7c28a032aaf602937',
    { namespace: 'web', pod: 'frontend-7d4c9', container: 'node' },
  ],
  [
    'Docker, systemd driver (docker-ID.scope in a pod slice)',
    'docker',
    '/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod18d34ce4_50c7_452c_9df8_53c4a3fdf363.slice/docker-d0b3604b67ac7930dd34ba3a796627e3e4717d12309e90a4afe3f38b6816ac98.scope',
    { namespace: 'web', pod: 'frontend-7d4c9', container: 'nginx' },
  ],
  ['a systemd service: no names', 'containerd', '/system.slice/nginx.service', NO_KUBE_NAME],
  ['the kind node container itself: no names', 'crio', '/docker/d6701ec289c56e4391acb11d07474b3139466857a305490575508a8b7a9fcf22/kubepods.slice', NO_KUBE_NAME],
];

describe('createKubeNames on the fixture trees', () => {
  it.each(CASES)('%s', (_what, tree, cgroup, expected) => {
    const names = createKubeNames({ varlog: varlog(tree) });
    expect(names.lookup(parseCgroupPath(cgroup))).toEqual(expected);
  });

  it('without the directories: no names, said once at debug, and no error', () => {
    const said: string[] = [];
    const names = createKubeNames({ varlog: '/nonexistent-varlog', minIntervalMs: 0, debug: (m, f) => said.push(`${m} ${f.path}`) });
    const owner = parseCgroupPath(CASES[0]![2]);
    expect(names.lookup(owner)).toEqual(NO_KUBE_NAME);
    expect(names.lookup(owner)).toEqual(NO_KUBE_NAME);
    expect(said).toEqual([
      'no kubelet log directory here: no Kubernetes names for its pods /nonexistent-varlog/pods',
      'no kubelet log directory here: no Kubernetes names for its pods /nonexistent-varlog/containers',
    ]);
  });
});

describe('createKubeNames: lazily and cheaply', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('reads once for what it knows, again only for a new ID (at most every interval, and only a changed directory), never for a known one', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oom-varlog-'));
    fs.mkdirSync(`${dir}/pods`);
    fs.mkdirSync(`${dir}/containers`);
    let t = 0;
    const names = createKubeNames({ varlog: dir, minIntervalMs: 5000, askForMs: 60_000, now: () => t });
    const idA = 'a'.repeat(64);
    const idB = 'b'.repeat(64);
    const uid = '11111111-2222-3333-4444-555555555555';
    const ownerA = { pod_uid: uid, container_id: idA };
    const ownerB = { pod_uid: uid, container_id: idB };
    fs.mkdirSync(`${dir}/pods/ns_pod-a_${uid}`);
    fs.symlinkSync('/nowhere', `${dir}/containers/pod-a_ns_app-${idA}.log`);

    expect(names.lookup(ownerA)).toEqual({ namespace: 'ns', pod: 'pod-a', container: 'app' });
    expect(names.reads()).toBe(2);
    // Known: no look at all, however often asked.
    for (let i = 0; i < 100; i++) names.lookup(ownerA);
    t += 60_000;
    names.lookup(ownerA);
    expect(names.reads()).toBe(2);

    // A new container whose link is not there yet: the pod's names; a look, but nothing changed to read.
    t += 1;
    expect(names.lookup(ownerB)).toEqual({ namespace: 'ns', pod: 'pod-a', container: '' });
    expect(names.reads()).toBe(2);
    // Its link appears; asked again within the interval: no look yet.
    fs.symlinkSync('/nowhere', `${dir}/containers/pod-a_ns_sidecar-${idB}.log`);
    t += 1000;
    expect(names.lookup(ownerB).container).toBe('');
    // After the interval: the changed directory (only that one) is read.
    t += 5000;
    expect(names.lookup(ownerB)).toEqual({ namespace: 'ns', pod: 'pod-a', container: 'sidecar' });
    expect(names.reads()).toBe(3);
  });

  it('stops looking for an ID that never appears (a pause container has no log) after its asking time', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oom-varlog-'));
    fs.mkdirSync(`${dir}/pods`);
    fs.mkdirSync(`${dir}/containers`);
    let t = 0;
    const names = createKubeNames({ varlog: dir, minIntervalMs: 5000, askForMs: 60_000, now: () => t });
    const pause = { pod_uid: '', container_id: 'c'.repeat(64) };
    names.lookup(pause);
    const readsAtFirst = names.reads();
    // While it asks, each look finds the directories unchanged: no read.
    for (t = 5000; t < 60_000; t += 5000) names.lookup(pause);
    expect(names.reads()).toBe(readsAtFirst);
    // Past its asking time, a change to the tree is not even looked at for it.
    fs.mkdirSync(`${dir}/pods/ns_late_${'d'.repeat(32)}`);
    t = 120_000;
    names.lookup(pause);
    expect(names.reads()).toBe(readsAtFirst);
  });

  it('says once, at warn, naming the path, when a directory is there but cannot be listed', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oom-varlog-'));
    // A file where the directory should be: stat works, listing fails (as EACCES would for a non-root exporter).
    fs.writeFileSync(`${dir}/pods`, '');
    fs.writeFileSync(`${dir}/containers`, '');
    const warned: string[] = [];
    const names = createKubeNames({ varlog: dir, minIntervalMs: 0, warn: (m, f) => warned.push(`${m} ${f.path} ${f.err?.split(':')[0]}`) });
    const owner = { pod_uid: '11111111-2222-3333-4444-555555555555', container_id: 'e'.repeat(64) };
    expect(names.lookup(owner)).toEqual(NO_KUBE_NAME);
    fs.appendFileSync(`${dir}/pods`, 'x');
    names.lookup({ ...owner, container_id: 'f'.repeat(64) });
    expect(warned).toEqual([
      `cannot list the kubelet log directory: no Kubernetes names from it ${dir}/pods ENOTDIR`,
      `cannot list the kubelet log directory: no Kubernetes names from it ${dir}/containers ENOTDIR`,
    ]);
  });
});

describe('the kubelet log names, at their edges', () => {
  it('a pods entry has exactly three parts, none empty, and a whole UID or config hash last', () => {
    expect(parsePodLogDir('ns_pod_55c6c714-b240-4dec-9a45-57b61696ab6e')).toEqual({ namespace: 'ns', pod: 'pod', uid: '55c6c714-b240-4dec-9a45-57b61696ab6e' });
    for (const bad of [
      'ns_pod_55c6c714-b240-4dec-9a45-57b61696ab6e_x',
      'ns__55c6c714-b240-4dec-9a45-57b61696ab6e',
      '_pod_55c6c714-b240-4dec-9a45-57b61696ab6e',
      'ns_pod_55c6c714-b240-4dec-9a45-57b61696ab6e0',
      'ns_pod_055c6c714-b240-4dec-9a45-57b61696ab6e',
      'ns_pod_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      'ns_pod',
      'ns_pod_',
    ]) {
      expect(parsePodLogDir(bad), bad).toBeNull();
    }
  });

  it('a containers link is pod_namespace_container-ID.log, nothing around it', () => {
    expect(parseContainerLogLink('p_ns_c-2032491dcae31e6746f47daa0ac74564f2843a1bd847c5e6c4eb501ca132ac36.log')).toEqual({
      pod: 'p',
      namespace: 'ns',
      container: 'c',
      containerId: '2032491dcae31e6746f47daa0ac74564f2843a1bd847c5e6c4eb501ca132ac36',
    });
    for (const bad of [
      'x_p_ns_c-2032491dcae31e6746f47daa0ac74564f2843a1bd847c5e6c4eb501ca132ac36.log',
      'p_ns_c-2032491dcae31e6746f47daa0ac74564f2843a1bd847c5e6c4eb501ca132ac36.log.1',
      'p_ns_c-2032491dcae31e6746f47daa0ac74564f2843a1bd847c5e6c4eb501ca132ac360.log',
      'p_ns_c-2032491dcae31e6746f47daa0ac74564f2843a1bd847c5e6c4eb501ca132ac3.log',
    ]) {
      expect(parseContainerLogLink(bad), bad).toBeNull();
    }
  });

  it('no names is three empty strings', () => {
    expect(NO_KUBE_NAME).toEqual({ namespace: '', pod: '', container: '' });
    expect(Object.isFrozen(NO_KUBE_NAME)).toBe(true);
  });
});
