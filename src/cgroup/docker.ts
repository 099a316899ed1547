/**
 * Docker container names by container ID, looked up in the background and at most once a minute.
 *
 * A scrape never waits for Docker: it takes the names the last finished look-up found (none at first,
 * none when Docker is absent) and, when a minute has passed and no look-up is running, starts the next
 * one without awaiting it. A look-up that hangs (a stuck daemon) blocks only later look-ups, never a
 * scrape. Names of exited containers are kept (the listing includes them), since an OOM-killed
 * container has usually exited by the time anyone asks whose cgroup it was.
 */
export interface ContainerRecord {
  id: string;
  name: string;
}

export interface ContainerNames {
  /** Full 64-hex container ID → name, from the last finished look-up. */
  names(): ReadonlyMap<string, string>;
  /** Containers the last finished look-up listed; undefined before the first one finishes. */
  listed(): number | undefined;
  /** Starts a look-up when the last one started at least `intervalMs` ago and none is running. */
  refreshIfDue(): void;
}

export interface ContainerNamesOptions {
  list: () => Promise<readonly ContainerRecord[]>;
  intervalMs?: number;
  now?: () => number;
  onError?: (err: unknown) => void;
}

export const DOCKER_REFRESH_MS = 60_000;

export function createContainerNames(opts: ContainerNamesOptions): ContainerNames {
  const interval = opts.intervalMs ?? DOCKER_REFRESH_MS;
  const now = opts.now ?? Date.now;
  let names: ReadonlyMap<string, string> = new Map();
  let listed: number | undefined;
  let lastStart: number | undefined;
  let running = false;

  function refreshIfDue(): void {
    const t = now();
    if (running || (lastStart !== undefined && t - lastStart < interval)) return;
    lastStart = t;
    running = true;
    opts.list().then(
      (containers) => {
        const next = new Map<string, string>();
        for (const c of containers) if (c.id && c.name) next.set(c.id, c.name);
        names = next;
        listed = containers.length;
        running = false;
      },
      (err: unknown) => {
        // Keep the last names: a container's name does not change while Docker is briefly unreachable.
        running = false;
        opts.onError?.(err);
      },
    );
  }

  return { names: () => names, listed: () => listed, refreshIfDue };
}
