import fs from 'node:fs';
import nodePath from 'node:path';

/**
 * Kubernetes names (namespace, pod, container) for the pod UIDs and container IDs that cgroup paths
 * carry, read from the log tree the kubelet keeps on every node, world-readable and with no API access:
 *
 *   /var/log/pods/<namespace>_<pod>_<pod uid>/<container>/<restart>.log      (kubelet >= 1.14)
 *   /var/log/containers/<pod>_<namespace>_<container>-<container id>.log     (a link into the above)
 *
 * (kubelet's kuberuntime helpers: BuildPodLogsDirectory joins namespace, name and UID with "_", and
 * logSymlink names the link "<pod>_<namespace>_<container>-<id>.log", cut to 255 bytes.) Namespaces
 * and pod names are DNS names and container names DNS labels: none holds "_", so the fields split
 * cleanly; the container ID is the 64-hex tail. A link cut to 255 bytes has lost its ID and is skipped.
 */
export interface KubeName {
  namespace: string;
  pod: string;
  /** '' for a pod-level cgroup, or when only the pod is known. */
  container: string;
}

export const NO_KUBE_NAME: Readonly<KubeName> = Object.freeze({ namespace: '', pod: '', container: '' });

const UUID_OR_HASH = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32})$/;
const CONTAINER_LINK = /^([^_]+)_([^_]+)_([^_]+)-([0-9a-f]{64})\.log$/;

/** A /var/log/pods entry: `<namespace>_<pod>_<uid>` (a static pod's UID is its 32-hex config hash). */
export function parsePodLogDir(name: string): { namespace: string; pod: string; uid: string } | null {
  const parts = name.split('_');
  if (parts.length !== 3) return null;
  const [namespace, pod, uid] = parts as [string, string, string];
  if (namespace === '' || pod === '' || !UUID_OR_HASH.test(uid)) return null;
  return { namespace, pod, uid };
}

/** A /var/log/containers entry: `<pod>_<namespace>_<container>-<64 hex>.log`. */
export function parseContainerLogLink(name: string): { pod: string; namespace: string; container: string; containerId: string } | null {
  const m = CONTAINER_LINK.exec(name);
  if (m === null) return null;
  return { pod: m[1]!, namespace: m[2]!, container: m[3]!, containerId: m[4]! };
}

export interface KubeNamesOptions {
  /** --path.varlog: the node's /var/log (mounted read-only in a container). */
  varlog: string;
  /** A directory is looked at again at most this often, and only when asked for a name it lacks. */
  minIntervalMs?: number;
  /** How long an unknown ID keeps asking: a container's log link may come a moment after its cgroup. */
  askForMs?: number;
  now?: () => number;
  /** Said once: a node without the kubelet's log tree simply has no names. */
  debug?: (msg: string, fields: Record<string, string>) => void;
  /** Said once per directory: it is there but cannot be listed (permissions). */
  warn?: (msg: string, fields: Record<string, string>) => void;
}

export interface KubeNames {
  /** The names of a cgroup's owner (its pod_uid and container_id, as parseCgroupPath gives them). */
  lookup(owner: { pod_uid: string; container_id: string }): KubeName;
  /** Directory reads so far (for tests and the bench: nothing new must mean none). */
  reads(): number;
}

export const KUBE_NAMES_MIN_INTERVAL_MS = 5_000;
export const KUBE_NAMES_ASK_FOR_MS = 60_000;
/** Unknown IDs remembered at most; past this the oldest are forgotten (and may ask once more). */
const UNKNOWN_KEPT = 10_000;

interface Dir {
  path: string;
  mtimeMs: number | null;
  missingSaid: boolean;
  unreadableSaid: boolean;
}

export function createKubeNames(opts: KubeNamesOptions): KubeNames {
  const now = opts.now ?? Date.now;
  const minInterval = opts.minIntervalMs ?? KUBE_NAMES_MIN_INTERVAL_MS;
  const askFor = opts.askForMs ?? KUBE_NAMES_ASK_FOR_MS;
  const podsDir: Dir = { path: nodePath.join(opts.varlog, 'pods'), mtimeMs: null, missingSaid: false, unreadableSaid: false };
  const containersDir: Dir = { path: nodePath.join(opts.varlog, 'containers'), mtimeMs: null, missingSaid: false, unreadableSaid: false };
  let pods = new Map<string, { namespace: string; pod: string }>();
  let containers = new Map<string, KubeName>();
  // ID → when first asked for in vain. Only IDs inside their asking time can cause a look: a pause
  // container (it has no log) or a container of another node's tree stops costing anything after it.
  const unknown = new Map<string, number>();
  let lastLook = -Infinity;
  let reads = 0;

  /** The entries of a directory whose mtime moved since the last read; null when unchanged or absent. */
  function changedEntries(dir: Dir): string[] | null {
    let mtimeMs: number;
    try {
      mtimeMs = fs.statSync(dir.path).mtimeMs;
    } catch (e) {
      if (!dir.missingSaid) {
        dir.missingSaid = true;
        opts.debug?.('no kubelet log directory here: no Kubernetes names for its pods', { path: dir.path, err: (e as Error).message });
      }
      return null;
    }
    if (mtimeMs === dir.mtimeMs) return null;
    try {
      const entries = fs.readdirSync(dir.path);
      dir.mtimeMs = mtimeMs;
      reads++;
      return entries;
    } catch (e) {
      // There but unreadable (a hardened /var/log, an exporter not allowed in): said once, at warn, with
      // the path, since the names then silently stay empty.
      if (!dir.unreadableSaid) {
        dir.unreadableSaid = true;
        opts.warn?.('cannot list the kubelet log directory: no Kubernetes names from it', { path: dir.path, err: (e as Error).message });
      }
      return null;
    }
  }

  function look(): void {
    const t = now();
    if (t - lastLook < minInterval) return;
    lastLook = t;
    const podEntries = changedEntries(podsDir);
    if (podEntries !== null) {
      const next = new Map<string, { namespace: string; pod: string }>();
      for (const e of podEntries) {
        const p = parsePodLogDir(e);
        if (p !== null) next.set(p.uid, { namespace: p.namespace, pod: p.pod });
      }
      pods = next;
    }
    const linkEntries = changedEntries(containersDir);
    if (linkEntries !== null) {
      const next = new Map<string, KubeName>();
      for (const e of linkEntries) {
        const c = parseContainerLogLink(e);
        if (c !== null) next.set(c.containerId, { namespace: c.namespace, pod: c.pod, container: c.container });
      }
      containers = next;
    }
  }

  /** Whether an ID not found should make a look now: it is new, or still within its asking time. */
  function stillAsking(id: string): boolean {
    const t = now();
    const first = unknown.get(id);
    if (first === undefined) {
      if (unknown.size >= UNKNOWN_KEPT) unknown.delete(unknown.keys().next().value as string);
      unknown.set(id, t);
      return true;
    }
    return t - first < askFor;
  }

  function find(owner: { pod_uid: string; container_id: string }): KubeName | null {
    if (owner.container_id !== '') {
      const c = containers.get(owner.container_id);
      if (c !== undefined) return c;
    }
    if (owner.pod_uid !== '') {
      const p = pods.get(owner.pod_uid);
      // The pod is known, its container (if any) not yet: the pod's names, and keep asking for it.
      if (p !== undefined) return owner.container_id === '' ? { ...p, container: '' } : null;
    }
    return null;
  }

  function lookup(owner: { pod_uid: string; container_id: string }): KubeName {
    if (owner.pod_uid === '' && owner.container_id === '') return NO_KUBE_NAME;
    const found = find(owner);
    if (found !== null) return found;
    const id = owner.container_id !== '' ? owner.container_id : owner.pod_uid;
    if (stillAsking(id)) look();
    const again = find(owner);
    if (again !== null) {
      unknown.delete(id);
      return again;
    }
    // Not (yet) in the tree: the pod's names when only they are known, else nothing invented.
    const p = owner.pod_uid === '' ? undefined : pods.get(owner.pod_uid);
    return p === undefined ? NO_KUBE_NAME : { ...p, container: '' };
  }

  return { lookup, reads: () => reads };
}
