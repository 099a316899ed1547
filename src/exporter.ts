import type { FastifyInstance } from 'fastify';
import { createKubeNames } from './cgroup/kubelet-logs.js';
import { createContainerNames, type ContainerNames, type ContainerRecord } from './cgroup/docker.js';
import { createCollection, DEFAULT_SLICE_MS, type Collection } from './collection.js';
import { createCollectors, type NamedCollector } from './collectors/index.js';
import { cgroupProblem } from './collectors/cgroup.js';
import type { Config } from './config.js';
import { startKernelLog, type Checkpoint, type KernelLog } from './kernellog/follower.js';
import { killLogFields, kubeNameOfKill } from './kills/format.js';
import { attributeKill, createKillStore } from './kills/store.js';
import { createLogger, type Logger } from './log.js';
import { checkProcfs } from './procfs/check.js';
import { createProcessScanner, refreshEvery, timeSlices } from './procfs/processes.js';
import { VERSION } from './version.js';
import { buildApp } from './web/app.js';
import { listen, listenFailure, stopSignal } from './web/listen.js';
import { openWebSecurity, type WebSecurity } from './web/security.js';
import { WebConfigError } from './web/web-config.js';

export interface ExporterIo {
  stdout: (s: string | Buffer) => Promise<void>;
  stderr: (s: string) => void;
  /** The logger's output (default: stderr). */
  logLine?: (line: string) => void;
  /** Docker's container list for --collector.docker (default: systeminformation on the Docker socket). */
  listContainers?: () => Promise<readonly ContainerRecord[]>;
  /** Resolves when the exporter should stop (default: SIGTERM or SIGINT). */
  stopped?: () => Promise<string>;
  /** Collectors added after the enabled ones (tests: a collector that fails, blocks or counts). */
  extraCollectors?: readonly NamedCollector[];
}

/** Everything the exporter is, built and not yet listening. */
export interface Exporter {
  log: Logger;
  collection: Collection;
  app: FastifyInstance;
  /** Closes everything built, in reverse order; false when some part failed to close (it was logged). */
  close(): Promise<boolean>;
}

/** How often the table of known processes is refreshed between scrapes (see build()). */
const KNOWN_PROCESSES_REFRESH_MS = 500;

/** The exporter cannot start; the message is the one line to print. */
export class StartupError extends Error {}

// all=true: an OOM-killed container has usually exited, and its name is what the operator wants.
// systeminformation answers [] when the socket is absent or refuses. Imported on first use: only
// --collector.docker pays for the module.
const dockerContainers = async (): Promise<readonly ContainerRecord[]> => (await import('systeminformation/lib/docker.js')).dockerContainers(true);

/**
 * The composition root: builds everything in order and closes it in reverse.
 *
 *   config → logger → procfs check → process scanner → kill store + kernel-log follower (+ the refresh of
 *   the scanner's known processes) → Docker names → collection (collectors with their typed
 *   dependencies) → web app → listen
 *
 * The follower is drained before each collection and committed after it: the collection's hooks are
 * the only place the follower meets a scrape. Not listening yet: runExporter (or a test) does that.
 */
export async function buildExporter(config: Config, io: ExporterIo): Promise<Exporter> {
  const log = createLogger(config.logLevel, config.logFormat, io.logLine);

  const procfsProblem = checkProcfs(config.procfs);
  // Said once, as the one line runExporter prints (a log line too would say it twice on a terminal).
  if (procfsProblem) throw new StartupError(procfsProblem);

  // Everything built is closed in reverse order, whatever stops us: a journalctl child left running
  // would keep this process alive.
  const closers: { name: string; close: () => Promise<void> }[] = [];
  const closeAll = async (): Promise<boolean> => {
    let ok = true;
    for (const { name, close } of closers.reverse()) {
      try {
        await close();
      } catch (err) {
        ok = false;
        log.error('error while shutting down', { part: name, err: (err as Error).message });
      }
    }
    closers.length = 0;
    return ok;
  };

  try {
    return await build();
  } catch (err) {
    // Whatever was started before the failure (a journalctl child) must not keep this process alive.
    await closeAll();
    throw err;
  }

  async function build(): Promise<Exporter> {
    // First of the parts: a bad web config stops the exporter before anything else has started.
    let security: WebSecurity | undefined;
    if (config.webConfigFile !== undefined) {
      try {
        security = openWebSecurity(config.webConfigFile, log);
      } catch (err) {
        throw err instanceof WebConfigError ? new StartupError(err.message) : err;
      }
      const s = security;
      closers.push({ name: 'web config', close: () => s.close() });
    }

    const scanner = createProcessScanner({ procfs: config.procfs, wantCmdline: config.selection.match === 'cmdline' });
    const kills = createKillStore();
    let containers: ContainerNames | null = null;
    if (config.collectors.get('docker') === true) {
      containers = createContainerNames({
        list: io.listContainers ?? dockerContainers,
        onError: (err) => log.debug('docker container list failed', { err: (err as Error).message }),
      });
      // Started now, so the first scrape likely has names already.
      containers.refreshIfDue();
    }

    // Kubernetes names from the kubelet's log tree: read lazily, when a cgroup or kill names a pod or
    // container not known yet; nothing on a node without that tree (said once at debug).
    const kubeNames = createKubeNames({ varlog: config.varlog, debug: (msg, fields) => log.debug(msg, fields), warn: (msg, fields) => log.warn(msg, fields) });

    let follower: KernelLog | null = null;
    if (config.kernelLogSource !== 'none') {
      // The kernel prints a kill's cgroup only in the rate-limited part of its report (10 in 5 s); the
      // Killed line, always printed, has the pid and comm. The scanner's table of known processes
      // (procfs/known.ts) fills the cgroup in from there: filled before the follower starts, so kills it
      // finds at start (resuming from the state file) are looked up too, then kept fresh between scrapes.
      await scanner.refresh(timeSlices(DEFAULT_SLICE_MS)).catch((err: unknown) => log.error('reading the known processes failed', { err: (err as Error).message }));
      const lastKnown = (pid: number, comm: string) => scanner.lastKnown(pid, comm);
      follower = await startKernelLog({
        source: config.kernelLogSource,
        file: config.kernelLogFile,
        stateFile: config.kernelLogStateFile,
        procfs: config.procfs,
        log,
        recentLimit: config.killsKeep,
        // The victim is set on the kill before its time is taken and anyone (or the recent list) reads it.
        // The Kubernetes names too, as they are now: the pod's log tree may be gone by the time anyone asks.
        attribute: (kill) => {
          attributeKill(kill, lastKnown);
          kill.kube = kubeNameOfKill(kill, kubeNames);
        },
        onKill: (kill, ts, id) => {
          kills.record(kill, ts);
          // Each kill is also a log line, at warn: log pipelines (journald, Loki) can alert on it too.
          log.warn('oom kill', killLogFields(kill, ts, id, { containers: containers?.names() ?? null, kube: kubeNames }));
        },
      });
      const f = follower;
      closers.push({ name: 'kernel log', close: () => f.stop() });
      // As often as the follower drains: a victim that lived half a second is in the table when its kill
      // line is read. It mostly reads just the PIDs born since: 0.4% of a core (README, Performance).
      const refresher = refreshEvery(scanner, {
        intervalMs: KNOWN_PROCESSES_REFRESH_MS,
        sliceMs: DEFAULT_SLICE_MS,
        onError: (err) => log.error('refreshing the known processes failed', { err: err.message }),
      });
      closers.push({ name: 'known processes', close: () => refresher.stop() });
    }

    const collectors = [
      ...createCollectors(config.collectors, {
        paths: { procfs: config.procfs, sysfs: config.sysfs, cgroupfs: config.cgroupfs },
        kills,
        kernelLog: follower,
        containers,
        kubeNames,
      }),
      ...(io.extraCollectors ?? []),
    ];
    log.info('collectors enabled', { collectors: collectors.map((c) => c.name).join(',') });
    if (config.collectors.get('cgroup') === true) {
      const problem = cgroupProblem({ procfs: config.procfs, sysfs: config.sysfs, cgroupfs: config.cgroupfs });
      if (problem !== null) log.warn(problem);
    }
    const collection = createCollection({
      collectors,
      scanner,
      selection: config.selection,
      log,
      version: VERSION,
      runtimeMetrics: !config.disableExporterMetrics,
    });
    closers.push({ name: 'collection', close: () => collection.close() });
    if (follower !== null) {
      const f = follower;
      // Drained first, so a kill the kernel reported a moment ago is in this very scrape; the position
      // then reached is what this collection shows at least. The collection gives the event loop back
      // while it runs, so the follower may read more meanwhile: only this checkpoint is committed, and
      // only when the body goes to a scraper (/metrics, --once), never for an API read or the console
      // that used the same collection: a restart never resumes past a kill no scrape has shown.
      collection.beforeScrape(() => {
        const checkpoint: Checkpoint = f.checkpoint();
        return () => f.commit(checkpoint);
      });
    }
    if (containers !== null) {
      const c = containers;
      collection.beforeScrape(() => c.refreshIfDue());
    }

    const app = buildApp({
      collection,
      telemetryPath: config.telemetryPath,
      version: VERSION,
      log,
      security,
      maxRequests: config.maxRequests,
      connections: { maxConnections: config.maxConnections },
      api: { kernelLog: follower, containers, kubeNames, cgroupPaths: { procfs: config.procfs, sysfs: config.sysfs, cgroupfs: config.cgroupfs } },
    });
    closers.push({ name: 'web', close: () => app.close() });
    return { log, collection, app, close: closeAll };
  }
}

/** Builds the exporter, serves until SIGTERM/SIGINT (or prints one scrape with --once), closes. Returns the exit code. */
export async function runExporter(config: Config, io: ExporterIo): Promise<number> {
  let exporter: Exporter;
  try {
    exporter = await buildExporter(config, io);
  } catch (err) {
    if (!(err instanceof StartupError)) throw err;
    io.stderr(`oom-exporter: ${err.message}\n`);
    return 1;
  }
  const { log, collection, app } = exporter;

  if (config.once) {
    const lease = await collection.scrape();
    lease.served();
    try {
      await io.stdout(lease.body);
    } finally {
      lease.release();
    }
    return (await exporter.close()) ? 0 : 1;
  }

  let address: string;
  try {
    address = await listen(app, config.listen);
  } catch (err) {
    const why = listenFailure(err);
    // A wrong address is a wrong flag: exit 2, naming it, as for any other flag error.
    const flag = why.badAddress ? 'invalid --web.listen-address: ' : '';
    io.stderr(`oom-exporter: ${flag}cannot listen on ${config.listen.host}:${config.listen.port}: ${why.message}\n`);
    await exporter.close();
    return why.badAddress ? 2 : 1;
  }
  // A TLS server (https or HTTP/2) is the only kind with a secure context.
  log.info('listening', { address, version: VERSION, tls: 'setSecureContext' in app.server });

  const signal = await (io.stopped ?? stopSignal)();
  log.info('shutting down', { signal });
  return (await exporter.close()) ? 0 : 1;
}
