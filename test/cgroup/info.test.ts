import { describe, expect, it } from 'vitest';
import { parseCgroupPath, type CgroupInfo } from '../../src/cgroup/info.js';

// Paths are real ones from public reports (test/fixtures/cgroup/SOURCES.md), except where marked composed.
const none: CgroupInfo = { container_id: '', pod_uid: '', systemd_unit: '', runtime: '' };
const info = (o: Partial<CgroupInfo>): CgroupInfo => ({ ...none, ...o });

const cases: [string, string, CgroupInfo][] = [
  // Docker
  [
    'docker, cgroupfs driver',
    '/docker/2403ccfe427f1dc7b6120dccb9ac58c2f8456950380d587a9f33ea7f00dd303d',
    info({ container_id: '2403ccfe427f1dc7b6120dccb9ac58c2f8456950380d587a9f33ea7f00dd303d', runtime: 'docker' }),
  ],
  [
    'docker, systemd driver',
    '/system.slice/docker-898b44c4a066d2dc6343c21d8a5b7c6a77079367d23bcde8c88be0eb204d3a1e.scope',
    info({
      container_id: '898b44c4a066d2dc6343c21d8a5b7c6a77079367d23bcde8c88be0eb204d3a1e',
      runtime: 'docker',
      systemd_unit: 'docker-898b44c4a066d2dc6343c21d8a5b7c6a77079367d23bcde8c88be0eb204d3a1e.scope',
    }),
  ],
  ['docker daemon itself is a unit, not a container', '/system.slice/docker.service', info({ systemd_unit: 'docker.service' })],
  [
    'docker in docker: the innermost container',
    '/docker/2403ccfe427f1dc7b6120dccb9ac58c2f8456950380d587a9f33ea7f00dd303d/docker/5dace3de0735f73d2b5048f12d41a71741a02e49668de921fdae62f7e65dc498',
    info({ container_id: '5dace3de0735f73d2b5048f12d41a71741a02e49668de921fdae62f7e65dc498', runtime: 'docker' }),
  ],
  // Kubernetes + containerd
  [
    'containerd, burstable pod, systemd driver',
    '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod55c6c714_b240_4dec_9a45_57b61696ab6e.slice/cri-containerd-2032491dcae31e6746f47daa0ac74564f2843a1bd847c5e6c4eb501ca132ac36.scope',
    info({
      container_id: '2032491dcae31e6746f47daa0ac74564f2843a1bd847c5e6c4eb501ca132ac36',
      pod_uid: '55c6c714-b240-4dec-9a45-57b61696ab6e',
      runtime: 'containerd',
      systemd_unit: 'cri-containerd-2032491dcae31e6746f47daa0ac74564f2843a1bd847c5e6c4eb501ca132ac36.scope',
    }),
  ],
  [
    'containerd, guaranteed pod directly under kubepods.slice',
    '/kubepods.slice/kubepods-poddc430cd3_34b7_4ea6_be26_ddfd88d7ddff.slice/cri-containerd-8564224395a4fbf7f2792baa22ee16dfc8f8e862e20342d3b2bcc211a3939af6.scope',
    info({
      container_id: '8564224395a4fbf7f2792baa22ee16dfc8f8e862e20342d3b2bcc211a3939af6',
      pod_uid: 'dc430cd3-34b7-4ea6-be26-ddfd88d7ddff',
      runtime: 'containerd',
      systemd_unit: 'cri-containerd-8564224395a4fbf7f2792baa22ee16dfc8f8e862e20342d3b2bcc211a3939af6.scope',
    }),
  ],
  [
    'a pod-level cgroup: pod, no container',
    '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod55c6c714_b240_4dec_9a45_57b61696ab6e.slice',
    info({ pod_uid: '55c6c714-b240-4dec-9a45-57b61696ab6e', systemd_unit: 'kubepods-burstable-pod55c6c714_b240_4dec_9a45_57b61696ab6e.slice' }),
  ],
  [
    'a static pod keeps its 32-hex config-hash UID',
    '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod8daa50c3a64c9ff60bb9eab7b44b56fd.slice/cri-containerd-2884d57c0e100d7a9a2f9487ce0bc2986bca3430e988af7a4865aff061f51ac5.scope',
    info({
      container_id: '2884d57c0e100d7a9a2f9487ce0bc2986bca3430e988af7a4865aff061f51ac5',
      pod_uid: '8daa50c3a64c9ff60bb9eab7b44b56fd',
      runtime: 'containerd',
      systemd_unit: 'cri-containerd-2884d57c0e100d7a9a2f9487ce0bc2986bca3430e988af7a4865aff061f51ac5.scope',
    }),
  ],
  [
    'containerd with runc on cgroupfs under a systemd kubelet ("slice:prefix:id" as one directory)',
    '/system.slice/containerd.service/kubepods-burstable-podff49d0be_16b7_4a49_bb9e_8ec1f1f4e27f.slice:cri-containerd:0f99ad5f45163ed14ab8eaf92ed34bb4a631d007f8755a7d79be614bcb0df0ef',
    info({
      container_id: '0f99ad5f45163ed14ab8eaf92ed34bb4a631d007f8755a7d79be614bcb0df0ef',
      pod_uid: 'ff49d0be-16b7-4a49-bb9e-8ec1f1f4e27f',
      runtime: 'containerd',
      systemd_unit: 'containerd.service',
    }),
  ],
  [
    'the same, as the cpuset controller prints it',
    '/kubepods-besteffort-pod0125ec2f_b64a_4868_8f5b_94b56cbab864.slice:cri-containerd:ee4b20e90ac7f42a10bd004d05646b13d8ab5e2c5e7cbc01abf8006bac016459',
    info({ container_id: 'ee4b20e90ac7f42a10bd004d05646b13d8ab5e2c5e7cbc01abf8006bac016459', pod_uid: '0125ec2f-b64a-4868-8f5b-94b56cbab864', runtime: 'containerd' }),
  ],
  // Kubernetes, cgroupfs driver: the runtime is not in the path
  [
    'cgroupfs driver, burstable',
    '/kubepods/burstable/pod7de2905f-d523-45a3-8dd9-8365a286a434/610228a731e860b5e593cfdf1ae6899eb73d7c5f947e6d69716d2c3351573c90',
    info({ container_id: '610228a731e860b5e593cfdf1ae6899eb73d7c5f947e6d69716d2c3351573c90', pod_uid: '7de2905f-d523-45a3-8dd9-8365a286a434' }),
  ],
  [
    'cgroupfs driver, besteffort',
    '/kubepods/besteffort/pod18d34ce4-50c7-452c-9df8-53c4a3fdf363/a684bbdd0c4b6937b5ece9713bed661305ab0de570eb12b7c28a032aaf602937',
    info({ container_id: 'a684bbdd0c4b6937b5ece9713bed661305ab0de570eb12b7c28a032aaf602937', pod_uid: '18d34ce4-50c7-452c-9df8-53c4a3fdf363' }),
  ],
  [
    'cgroupfs driver, guaranteed pod directly under /kubepods (composed)',
    '/kubepods/pod18d34ce4-50c7-452c-9df8-53c4a3fdf363/a684bbdd0c4b6937b5ece9713bed661305ab0de570eb12b7c28a032aaf602937',
    info({ container_id: 'a684bbdd0c4b6937b5ece9713bed661305ab0de570eb12b7c28a032aaf602937', pod_uid: '18d34ce4-50c7-452c-9df8-53c4a3fdf363' }),
  ],
  ['cgroupfs driver, pod level', '/kubepods/burstable/pod1ff47ee6-9685-4726-ac6f-0ff070c452d6', info({ pod_uid: '1ff47ee6-9685-4726-ac6f-0ff070c452d6' })],
  [
    'an upper-case UID is lowercased (composed)',
    '/kubepods/burstable/pod1FF47EE6-9685-4726-AC6F-0FF070C452D6',
    info({ pod_uid: '1ff47ee6-9685-4726-ac6f-0ff070c452d6' }),
  ],
  // CRI-O
  [
    'cri-o, systemd driver',
    '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-poda5c1f8d5_1919_434d_add7_4afaafdaef89.slice/crio-5eed917563583925ffdbd40a64efb2aaffe58638e57add8becaf460fe74f5b1c.scope',
    info({
      container_id: '5eed917563583925ffdbd40a64efb2aaffe58638e57add8becaf460fe74f5b1c',
      pod_uid: 'a5c1f8d5-1919-434d-add7-4afaafdaef89',
      runtime: 'cri-o',
      systemd_unit: 'crio-5eed917563583925ffdbd40a64efb2aaffe58638e57add8becaf460fe74f5b1c.scope',
    }),
  ],
  [
    'cri-o conmon is not the container',
    '/system.slice/crio-conmon-e0c85fe7644a858988d9687c2e0736a7d31922740d0f3e001c6b2e0aa7e5f528.scope',
    info({ systemd_unit: 'crio-conmon-e0c85fe7644a858988d9687c2e0736a7d31922740d0f3e001c6b2e0aa7e5f528.scope' }),
  ],
  [
    "kind/minikube: a pod inside a node container names the pod's container, not the node",
    '/docker/d6701ec289c56e4391acb11d07474b3139466857a305490575508a8b7a9fcf22/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod2ca4a155_3599_498d_bb9d_4446693fa3ea.slice/crio-0ba8ac17e4e7a31fb82279503552fe94e64bab4745bf6fd2ff231e7c8ca8bed0.scope',
    info({
      container_id: '0ba8ac17e4e7a31fb82279503552fe94e64bab4745bf6fd2ff231e7c8ca8bed0',
      pod_uid: '2ca4a155-3599-498d-bb9d-4446693fa3ea',
      runtime: 'cri-o',
      systemd_unit: 'crio-0ba8ac17e4e7a31fb82279503552fe94e64bab4745bf6fd2ff231e7c8ca8bed0.scope',
    }),
  ],
  [
    "a pod-level cgroup inside a node container is the pod's, not the node container's",
    '/docker/d6701ec289c56e4391acb11d07474b3139466857a305490575508a8b7a9fcf22/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod2ca4a155_3599_498d_bb9d_4446693fa3ea.slice',
    info({ pod_uid: '2ca4a155-3599-498d-bb9d-4446693fa3ea', systemd_unit: 'kubepods-besteffort-pod2ca4a155_3599_498d_bb9d_4446693fa3ea.slice' }),
  ],
  [
    "a kind node's own services stay in the node container",
    '/docker/d6701ec289c56e4391acb11d07474b3139466857a305490575508a8b7a9fcf22/kubepods.slice',
    info({ container_id: 'd6701ec289c56e4391acb11d07474b3139466857a305490575508a8b7a9fcf22', runtime: 'docker', systemd_unit: 'kubepods.slice' }),
  ],
  // Docker under Kubernetes (dockershim), systemd driver
  [
    'docker in a burstable pod',
    '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod7d4424e6_bb13_42f4_a47a_45a4828bf54d.slice/docker-d0b3604b67ac7930dd34ba3a796627e3e4717d12309e90a4afe3f38b6816ac98.scope',
    info({
      container_id: 'd0b3604b67ac7930dd34ba3a796627e3e4717d12309e90a4afe3f38b6816ac98',
      pod_uid: '7d4424e6-bb13-42f4-a47a-45a4828bf54d',
      runtime: 'docker',
      systemd_unit: 'docker-d0b3604b67ac7930dd34ba3a796627e3e4717d12309e90a4afe3f38b6816ac98.scope',
    }),
  ],
  // Podman
  [
    'podman, systemd',
    '/machine.slice/libpod-0411a2a82311fbc65b137ca550d5f7e6b6863bc734759be2f515b0b67062d49a.scope',
    info({
      container_id: '0411a2a82311fbc65b137ca550d5f7e6b6863bc734759be2f515b0b67062d49a',
      runtime: 'podman',
      systemd_unit: 'libpod-0411a2a82311fbc65b137ca550d5f7e6b6863bc734759be2f515b0b67062d49a.scope',
    }),
  ],
  [
    'podman conmon is not the container',
    '/machine.slice/libpod-conmon-0411a2a82311fbc65b137ca550d5f7e6b6863bc734759be2f515b0b67062d49a.scope',
    info({ systemd_unit: 'libpod-conmon-0411a2a82311fbc65b137ca550d5f7e6b6863bc734759be2f515b0b67062d49a.scope' }),
  ],
  [
    'rootless podman with its "container" sub-cgroup (composed)',
    '/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-0411a2a82311fbc65b137ca550d5f7e6b6863bc734759be2f515b0b67062d49a.scope/container',
    info({
      container_id: '0411a2a82311fbc65b137ca550d5f7e6b6863bc734759be2f515b0b67062d49a',
      runtime: 'podman',
      systemd_unit: 'libpod-0411a2a82311fbc65b137ca550d5f7e6b6863bc734759be2f515b0b67062d49a.scope',
    }),
  ],
  [
    'podman, cgroupfs manager',
    '/libpod_parent/libpod-0411a2a82311fbc65b137ca550d5f7e6b6863bc734759be2f515b0b67062d49a',
    info({ container_id: '0411a2a82311fbc65b137ca550d5f7e6b6863bc734759be2f515b0b67062d49a', runtime: 'podman' }),
  ],
  [
    "podman's own process scope is not a container",
    '/user.slice/user-1000.slice/user@1000.service/user.slice/podman-6696.scope',
    info({ systemd_unit: 'podman-6696.scope' }),
  ],
  // systemd units and user sessions
  ['a system service', '/system.slice/nginx.service', info({ systemd_unit: 'nginx.service' })],
  ['a login session', '/user.slice/user-1000.slice/session-2.scope', info({ systemd_unit: 'session-2.scope' })],
  ['the user manager', '/user.slice/user-1000.slice/user@1000.service', info({ systemd_unit: 'user@1000.service' })],
  ["the user manager's init scope: the innermost unit", '/user.slice/user-1000.slice/user@1000.service/init.scope', info({ systemd_unit: 'init.scope' })],
  [
    'an app scope of the user manager',
    '/user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-firefox-3823.scope',
    info({ systemd_unit: 'app-gnome-firefox-3823.scope' }),
  ],
  ['a slice', '/user.slice/user-1000.slice', info({ systemd_unit: 'user-1000.slice' })],
  [
    'escaped unit names are kept as systemd wrote them',
    '/system.slice/system-serial\\x2dgetty.slice/serial-getty@ttyS0.service',
    info({ systemd_unit: 'serial-getty@ttyS0.service' }),
  ],
  // nested in other prefixes
  [
    'kubernetes in LXD (composed)',
    '/lxc.payload.k8s-node1/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0125ec2f_b64a_4868_8f5b_94b56cbab864.slice/cri-containerd-ee4b20e90ac7f42a10bd004d05646b13d8ab5e2c5e7cbc01abf8006bac016459.scope',
    info({
      container_id: 'ee4b20e90ac7f42a10bd004d05646b13d8ab5e2c5e7cbc01abf8006bac016459',
      pod_uid: '0125ec2f-b64a-4868-8f5b-94b56cbab864',
      runtime: 'containerd',
      systemd_unit: 'cri-containerd-ee4b20e90ac7f42a10bd004d05646b13d8ab5e2c5e7cbc01abf8006bac016459.scope',
    }),
  ],
  [
    "kind's kubelet cgroup root prefixes the slices (composed)",
    '/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod0125ec2f_b64a_4868_8f5b_94b56cbab864.slice',
    info({ pod_uid: '0125ec2f-b64a-4868-8f5b-94b56cbab864', systemd_unit: 'kubelet-kubepods-besteffort-pod0125ec2f_b64a_4868_8f5b_94b56cbab864.slice' }),
  ],
  ['a private cgroup namespace prints "/.." first', '/../../system.slice/nginx.service', info({ systemd_unit: 'nginx.service' })],
  // paths that match nothing: only `cgroup` is set by the collector
  ['the root', '/', none],
  ['empty', '', none],
  ["this machine's sandbox cgroup", '/process_api/7b7b1d431ca46e39d03fcd61354122c8', none],
  ['a QoS-level cgroup', '/kubepods/besteffort', none],
  ['a 32-hex directory is not a container id', '/docker/7b7b1d431ca46e39d03fcd61354122c8', none],
  ['"pod…" outside kubepods is not a pod', '/system.slice/pod1ff47ee6-9685-4726-ac6f-0ff070c452d6', info({ systemd_unit: 'system.slice' })],
  [
    'a pod slice with a non-UID tail is not a pod',
    '/kubepods.slice/kubepods-podmatching-vcluster-namespace.slice',
    info({ systemd_unit: 'kubepods-podmatching-vcluster-namespace.slice' }),
  ],
  ['a unit that only starts like a runtime', '/system.slice/docker-compose@web.service', info({ systemd_unit: 'docker-compose@web.service' })],
  ['a too-short id after docker-', '/system.slice/docker-898b44c4a066.scope', info({ systemd_unit: 'docker-898b44c4a066.scope' })],
  ["an upper-case id is no runtime's", '/docker/2403CCFE427F1DC7B6120DCCB9AC58C2F8456950380D587A9F33EA7F00DD303D', none],
  // Each runtime's form, and what only resembles one.
  [
    'nerdctl with the systemd driver',
    '/system.slice/nerdctl-2403ccfe427f1dc7b6120dccb9ac58c2f8456950380d587a9f33ea7f00dd303d.scope',
    info({
      container_id: '2403ccfe427f1dc7b6120dccb9ac58c2f8456950380d587a9f33ea7f00dd303d',
      runtime: 'containerd',
      systemd_unit: 'nerdctl-2403ccfe427f1dc7b6120dccb9ac58c2f8456950380d587a9f33ea7f00dd303d.scope',
    }),
  ],
  [
    'CRI-O with the cgroupfs manager',
    '/kubepods/besteffort/pod55c6c714-b240-4dec-9a45-57b61696ab6e/crio-2403ccfe427f1dc7b6120dccb9ac58c2f8456950380d587a9f33ea7f00dd303d',
    info({ container_id: '2403ccfe427f1dc7b6120dccb9ac58c2f8456950380d587a9f33ea7f00dd303d', runtime: 'cri-o', pod_uid: '55c6c714-b240-4dec-9a45-57b61696ab6e' }),
  ],
  [
    'Podman with the cgroupfs manager',
    '/machine.slice/libpod-2403ccfe427f1dc7b6120dccb9ac58c2f8456950380d587a9f33ea7f00dd303d',
    info({ container_id: '2403ccfe427f1dc7b6120dccb9ac58c2f8456950380d587a9f33ea7f00dd303d', runtime: 'podman', systemd_unit: 'machine.slice' }),
  ],
  [
    "runc given docker's slice:prefix:id as one name",
    '/kubepods.slice/kubepods-pod55c6c714_b240_4dec_9a45_57b61696ab6e.slice:docker:2403ccfe427f1dc7b6120dccb9ac58c2f8456950380d587a9f33ea7f00dd303d',
    info({
      container_id: '2403ccfe427f1dc7b6120dccb9ac58c2f8456950380d587a9f33ea7f00dd303d',
      runtime: 'docker',
      pod_uid: '55c6c714-b240-4dec-9a45-57b61696ab6e',
      systemd_unit: 'kubepods.slice',
    }),
  ],
  [
    "runc given CRI-O's slice:prefix:id as one name",
    '/kubepods.slice/kubepods-pod55c6c714_b240_4dec_9a45_57b61696ab6e.slice:crio:2403ccfe427f1dc7b6120dccb9ac58c2f8456950380d587a9f33ea7f00dd303d',
    info({
      container_id: '2403ccfe427f1dc7b6120dccb9ac58c2f8456950380d587a9f33ea7f00dd303d',
      runtime: 'cri-o',
      pod_uid: '55c6c714-b240-4dec-9a45-57b61696ab6e',
      systemd_unit: 'kubepods.slice',
    }),
  ],
  ['a crio- name with more after the id', '/crio-2403ccfe427f1dc7b6120dccb9ac58c2f8456950380d587a9f33ea7f00dd303dx', none],
  ['a pod slice whose hex is no UID', '/kubepods.slice/kubepods-podabc123.slice', info({ systemd_unit: 'kubepods-podabc123.slice' })],
  [
    'a pod slice with 33 hex digits',
    '/kubepods.slice/kubepods-podaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.slice',
    info({ systemd_unit: 'kubepods-podaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.slice' }),
  ],
  [
    'a pod slice with a UID and more hex after it',
    '/kubepods.slice/kubepods-pod55c6c714_b240_4dec_9a45_57b61696ab6e0.slice',
    info({ systemd_unit: 'kubepods-pod55c6c714_b240_4dec_9a45_57b61696ab6e0.slice' }),
  ],
  [
    'a pod slice whose underscores are not where a UID has its dashes (composed)',
    '/kubepods.slice/kubepods-pod55c6c71_4b240_4dec_9a45_57b61696ab6e.slice',
    info({ systemd_unit: 'kubepods-pod55c6c71_4b240_4dec_9a45_57b61696ab6e.slice' }),
  ],
  [
    'a name that only ends like a pod slice',
    '/xkubepods-pod55c6c714_b240_4dec_9a45_57b61696ab6e.slice',
    info({ systemd_unit: 'xkubepods-pod55c6c714_b240_4dec_9a45_57b61696ab6e.slice' }),
  ],
  ['a pod directory with more after the UID', '/kubepods/burstable/pod55c6c714-b240-4dec-9a45-57b61696ab6e.old', none],
  ['a pod directory with more before "pod"', '/kubepods/burstable/apod55c6c714-b240-4dec-9a45-57b61696ab6e', none],
  ['a pod directory outside kubepods', '/other/pod55c6c714-b240-4dec-9a45-57b61696ab6e', none],
  ['a unit name with a space is no unit', '/system.slice/my unit.service', info({ systemd_unit: 'system.slice' })],
  ['a unit type systemd does not have', '/system.slice/x.target', info({ systemd_unit: 'system.slice' })],
  ['a unit with more after its type', '/system.slice/x.service.d', info({ systemd_unit: 'system.slice' })],
  [
    'dot segments change nothing',
    '/./docker/../docker/2403ccfe427f1dc7b6120dccb9ac58c2f8456950380d587a9f33ea7f00dd303d',
    info({ container_id: '2403ccfe427f1dc7b6120dccb9ac58c2f8456950380d587a9f33ea7f00dd303d', runtime: 'docker' }),
  ],
];

describe('parseCgroupPath', () => {
  it.each(cases)('%s', (_name, path, want) => {
    expect(parseCgroupPath(path)).toEqual(want);
  });

  it('sets runtime only together with container_id', () => {
    for (const [, path] of cases) {
      const got = parseCgroupPath(path);
      if (got.runtime !== '') expect(got.container_id).not.toBe('');
    }
  });
});
