/**
 * Who owns a cgroup, read from its path alone: the container, the Kubernetes pod and the systemd unit.
 *
 * Every field is '' when the path does not say: an unknown owner is the empty label value, never a
 * guess. Paths are walked segment by segment and the innermost match wins, so a cgroup nested inside
 * other prefixes (Kubernetes in LXD under /lxc.payload.NAME/, kind nodes under /docker/ID/, Docker in
 * Docker) is still named after the workload that owns it. A container outside a pod's cgroup is the
 * node the kubelet runs in, so a pod segment clears it: a pod-level cgroup inside a kind node has a
 * pod_uid and no container_id. systemd_unit is the innermost segment named like a unit (.service,
 * .scope, .slice, …), whatever sits above or below it.
 *
 * runtime is set only together with container_id, and only when the segment's name says which runtime
 * made it (docker-ID.scope, cri-containerd-ID.scope, crio-ID.scope, libpod-ID.scope, /docker/ID). A
 * bare 64-hex directory (kubelet's cgroupfs driver: /kubepods/burstable/pod<uid>/<id>) is a container
 * but its runtime is not in the path: there runtime is ''. A pod-level cgroup has pod_uid and no
 * container_id, so no runtime either.
 *
 * conmon (crio-conmon-ID.scope, libpod-conmon-ID.scope) is the runtime's monitor, not the container:
 * its memory is not the container's and a kill there is not a kill in the container, so it gets no
 * container_id; its systemd_unit still names it.
 */
export interface CgroupInfo {
  container_id: string;
  /** Lowercase dashed UUID, as kube-state-metrics' kube_pod_info{uid}; a static pod's 32-hex hash as is. */
  pod_uid: string;
  /** The innermost systemd unit (service, scope, slice, …) in the path. */
  systemd_unit: string;
  runtime: '' | 'docker' | 'containerd' | 'cri-o' | 'podman';
}

type Runtime = CgroupInfo['runtime'];

// Container IDs of these runtimes are 64 lowercase hex digits (sha256); requiring that keeps unit names
// that merely start with "docker-" (docker-compose@x.service) from being taken for containers.
const ID = '([0-9a-f]{64})';

/** Segment patterns that name a container and its runtime, tried in order. */
const CONTAINER_SEGMENTS: readonly [RegExp, Runtime][] = [
  // systemd cgroup driver: a transient scope per container.
  [new RegExp(`^docker-${ID}\\.scope$`), 'docker'],
  [new RegExp(`^cri-containerd-${ID}\\.scope$`), 'containerd'],
  [new RegExp(`^crio-${ID}\\.scope$`), 'cri-o'],
  [new RegExp(`^libpod-${ID}\\.scope$`), 'podman'],
  // nerdctl (containerd without Kubernetes) with the systemd driver.
  [new RegExp(`^nerdctl-${ID}\\.scope$`), 'containerd'],
  // CRI-O and Podman with the cgroupfs manager keep their prefix but have no .scope.
  [new RegExp(`^crio-${ID}$`), 'cri-o'],
  [new RegExp(`^libpod-${ID}$`), 'podman'],
  // containerd whose runc was not switched to the systemd driver while kubelet was: runc then takes
  // the "slice:prefix:id" cgroupsPath literally as one directory name.
  [new RegExp(`^[^:]+\\.slice:cri-containerd:${ID}$`), 'containerd'],
  [new RegExp(`^[^:]+\\.slice:docker:${ID}$`), 'docker'],
  [new RegExp(`^[^:]+\\.slice:crio:${ID}$`), 'cri-o'],
];

const BARE_ID = new RegExp(`^${ID}$`);

const UUID = /^([0-9a-f]{8})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{12})$/;

/**
 * systemd driver: kubepods-pod<uid>.slice (Guaranteed), kubepods-burstable-pod<uid>.slice,
 * kubepods-besteffort-pod<uid>.slice, with '_' standing for '-' (systemd would escape '-' as the slice
 * separator). A cgroup root other than / prefixes it (kind's kubelet-kubepods-…-pod<uid>.slice).
 * The same name also appears as the first part of containerd's "slice:prefix:id" directory.
 */
const POD_SLICE = /^(?:.*-)?kubepods(?:-burstable|-besteffort)?-pod([0-9a-fA-F_]+)\.slice(?::|$)/;
/** cgroupfs driver: /kubepods/pod<uid> (Guaranteed), /kubepods/burstable/pod<uid>, /kubepods/besteffort/pod<uid>. */
const POD_DIR = /^pod([0-9a-fA-F-]+)$/;

const UNIT = /^[A-Za-z0-9:_.\\@-]+\.(?:service|scope|slice|socket|mount|swap)$/;

/**
 * A pod UID in the form kube-state-metrics exports: the API server's UUIDs lowercase and dashed.
 * Static pods are named after a 32-hex config hash that has no dashes to restore: kept as the kubelet
 * wrote it (lowercased). Anything else is not a UID: ''.
 */
function canonicalPodUid(raw: string): string {
  const m = UUID.exec(raw.replace(/_/g, '-').toLowerCase());
  if (!m) return '';
  const hexOnly = !raw.includes('-') && !raw.includes('_');
  return hexOnly ? m.slice(1).join('') : m.slice(1).join('-');
}

export function parseCgroupPath(path: string): CgroupInfo {
  const info: CgroupInfo = { container_id: '', pod_uid: '', systemd_unit: '', runtime: '' };
  const segments = path.split('/');
  let underKubepods = false;
  // Empty and dot segments ('', '.', '..') match no pattern below, so they need no case of their own.
  for (const [i, seg] of segments.entries()) {
    let matched = false;
    for (const [re, runtime] of CONTAINER_SEGMENTS) {
      const m = re.exec(seg);
      if (m) {
        info.container_id = m[1] ?? '';
        info.runtime = runtime;
        matched = true;
        break;
      }
    }
    if (!matched && BARE_ID.test(seg)) {
      // Docker's cgroupfs driver puts containers at /docker/<id> (nested under another cgroup parent
      // with --cgroup-parent, or inside another container for Docker in Docker).
      info.container_id = seg;
      info.runtime = segments[i - 1] === 'docker' ? 'docker' : '';
    }

    let podUid = '';
    const slice = POD_SLICE.exec(seg);
    if (slice) {
      podUid = canonicalPodUid(slice[1] ?? '');
    } else if (seg === 'kubepods') {
      underKubepods = true;
    } else if (underKubepods) {
      const dir = POD_DIR.exec(seg);
      if (dir) podUid = canonicalPodUid(dir[1] ?? '');
    }
    if (podUid !== '') {
      info.pod_uid = podUid;
      // A container outside the pod is the node the kubelet runs in (kind's /docker/<node>/kubepods…),
      // not the pod's workload: only containers inside the pod cgroup belong to the pod.
      if (!matched) {
        info.container_id = '';
        info.runtime = '';
      }
    }

    if (UNIT.test(seg)) info.systemd_unit = seg;
  }
  return info;
}
