import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { ProcessSelection, Scrape } from './collectors/collector.js';
import type { NamedCollector } from './collectors/index.js';
import { selectProcesses, type SelectionOptions } from './collectors/selection.js';
import { ByteWriter } from './exposition/bytes.js';
import { gauge, MetricWriter } from './exposition/metrics.js';
import type { Logger } from './log.js';
import { timeSlices, type ProcessScan, type ProcessScanner } from './procfs/processes.js';

const gzipAsync = promisify(gzip);

/** prom-client's runtime gauges whose names end in _total (see createCollection). */
export const MISNAMED_RUNTIME_GAUGES = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'] as const;

/** The exposition format every body is in. */
export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const DURATION = gauge('oom_scrape_collector_duration_seconds', 'How long each collector took in the last scrape.', ['collector']);
const SUCCESS = gauge('oom_scrape_collector_success', '1 when the collector succeeded in the last scrape, 0 when it failed.', ['collector']);
const BUILD_INFO = gauge('oom_exporter_build_info', 'Always 1; labelled with the exporter version and the Node.js version it runs on.', ['version', 'nodejs']);

/**
 * One caller's hold on the body of a collection. The identity body and its gzip are made at most once
 * per collection, however many requests share it, and served without a copy: the body is the pooled
 * buffer it was written into, valid until release().
 */
export interface ScrapeBody {
  readonly body: Buffer;
  /** The body gzipped: compressed once per collection (off the event loop, in libuv's pool), on first ask. */
  gzip(): Promise<Buffer>;
  /** Call once the response is sent or dropped; the buffer then serves a later collection. */
  release(): void;
  /**
   * Call when this body is about to be sent to a scraper (/metrics, --once): runs, once per collection,
   * what its beforeScrape hooks asked to run then (the follower's commit). An API read or the console's
   * use of the same collection never calls it: Prometheus did not get that body.
   */
  served(): void;
}

export interface Collection {
  /**
   * The body of one collection. A call while a collection runs joins it (one pass over /proc however
   * many scrapers ask at once); a call after it finished starts a fresh one.
   */
  scrape(): Promise<ScrapeBody>;
  /**
   * Runs at the start of each collection, before any collector (drain the kernel log, refresh Docker
   * names). A hook may return a function: it runs once this collection's body is first served().
   */
  beforeScrape(hook: () => void | (() => void)): void;
  /** Runs once a collection's body is complete: what it shows has been collected (the follower's commit point). */
  afterScrape(hook: () => void): void;
  /** Each collector's last result: how the last collection went, and when it last succeeded. */
  results(): readonly CollectorResult[];
  /**
   * The processes of a collection at most `maxAgeMs` old: the last one's when young enough, else those of
   * the next collection (joining one in flight), so a reader never makes a pass over /proc of its own.
   * A collection copies its processes only while someone asked within the last minute.
   */
  processSnapshot(maxAgeMs: number): Promise<ProcessSnapshot>;
  /** Waits for a collection in flight; scrape() fails from now on. */
  close(): Promise<void>;
}

export interface CollectorResult {
  name: string;
  /** Whether it succeeded in the last collection. */
  ok: boolean;
  seconds: number;
  /** When it last succeeded (seconds since the epoch); null when never. */
  lastSuccessSeconds: number | null;
}

/** One process of a snapshot: the few fields a reader needs, copied (the scanner reuses its objects). */
export interface SnapshotProcess {
  pid: number;
  comm: string;
  cgroup: string;
  rssBytes: number | null;
  swapBytes: number | null;
  oomScore: number | null;
  oomScoreAdj: number | null;
}

/** Every process one collection's pass over /proc saw, before the --process.* selection. */
export interface ProcessSnapshot {
  /** When the collection that took it ended (Date.now()). */
  takenAtMs: number;
  processes: readonly SnapshotProcess[];
}

/** How long after a request for it collections keep copying their processes. */
const SNAPSHOT_WANTED_MS = 60_000;

export interface CollectionOptions {
  collectors: readonly NamedCollector[];
  scanner: ProcessScanner;
  selection: SelectionOptions;
  log: Logger;
  version: string;
  /** Serve the exporter's own Node runtime metrics (prom-client's default metrics). */
  runtimeMetrics: boolean;
  /**
   * The longest the collection keeps the event loop before giving it back, so /healthz, the console
   * page and requests that join this collection are answered while a pass over 10,000 processes runs.
   */
  sliceMs?: number;
}

/**
 * Five milliseconds: a probe on a new connection waits for about two slices (the accept, then the
 * request), and a pass over 10,000 processes yields ~70 times, a few µs each.
 */
export const DEFAULT_SLICE_MS = 5;

/** Requests resumed per turn of the event loop when a collection ends (see handOut). */
export const HANDOUT_PER_TURN = 8;

interface Shared {
  out: ByteWriter;
  body: Buffer;
  /** Requests (and a gzip in progress) still using `out`. */
  holders: number;
  gzipped: Promise<Buffer> | undefined;
  /** What the beforeScrape hooks asked to run when the body is first served; emptied then. */
  onServed: (() => void)[];
}

export function createCollection(opts: CollectionOptions): Collection {
  const { collectors, scanner, selection, log } = opts;
  const sliceMs = opts.sliceMs ?? DEFAULT_SLICE_MS;
  const runtime = opts.runtimeMetrics ? new Registry() : null;
  if (runtime !== null) {
    collectDefaultMetrics({ register: runtime });
    // Gauges named like counters: `promtool check metrics` (and so many a CI lint) refuses them. The
    // same counts are in nodejs_active_handles, nodejs_active_requests and nodejs_active_resources.
    for (const name of MISNAMED_RUNTIME_GAUGES) runtime.removeSingleMetric(name);
  }
  const buildInfo = { version: opts.version, nodejs: process.version };
  const before: (() => void | (() => void))[] = [];
  const after: (() => void)[] = [];

  // A body is written into a pooled buffer, kept from one collection to the next: one, since a scraper
  // alone (the usual case) has sent the last body before it asks again. When collections overlap their
  // sends, the next is written into a new buffer of the last body's size, garbage once sent: at 10,000
  // processes a second pooled buffer would be 5 MB resident all the time for a moment's saving.
  const pool: ByteWriter[] = [];
  const POOL_MAX = 1;

  let lastBodyBytes = 0;
  const lastResults = new Map<string, CollectorResult>();
  let snapshot: ProcessSnapshot | undefined;
  let snapshotWantedUntilMs = 0;

  function hold(shared: Shared): () => void {
    shared.holders++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--shared.holders === 0 && pool.length < POOL_MAX) pool.push(shared.out);
    };
  }

  function lease(shared: Shared): ScrapeBody {
    const release = hold(shared);
    return {
      body: shared.body,
      gzip() {
        if (shared.gzipped === undefined) {
          // The compression reads the pooled buffer: hold it until done.
          const done = hold(shared);
          shared.gzipped = gzipAsync(shared.body).finally(done);
        }
        return shared.gzipped;
      },
      release,
      served() {
        runHooks(shared.onServed.splice(0), 'on-served');
      },
    };
  }

  /** Runs the hooks; returns what they handed back to run later. */
  function runHooks(hooks: readonly (() => void | (() => void))[], when: string): (() => void)[] {
    const later: (() => void)[] = [];
    for (const h of hooks) {
      try {
        const then = h();
        if (typeof then === 'function') later.push(then);
      } catch (err) {
        log.error(`${when} hook failed`, { err: (err as Error).message });
      }
    }
    return later;
  }

  async function collectOnce(): Promise<Shared> {
    // Start on the next turn of the loop, not now: requests that arrived in the same batch of I/O as
    // this one are then handled first and join it. A small /proc is collected within one slice, never
    // yielding, and without this each of 20 simultaneous requests would make a pass of its own.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const onServed = runHooks(before, 'before-scrape');
    // A new buffer (all pooled ones still being sent) starts at the last body's size: growing one by
    // copies to 5 MB (10,000 processes) would leave ~4 times that in garbage.
    const out = pool.pop() ?? new ByteWriter(Math.max(64 * 1024, Math.ceil(lastBodyBytes * 1.1)));
    out.reset();
    const writer = new MetricWriter(out);
    const pause = timeSlices(sliceMs);
    let scanned: Promise<ProcessScan> | undefined;
    const scan = (): Promise<ProcessScan> => (scanned ??= scanner.scan(pause));
    let selected: Promise<ProcessSelection> | undefined;
    const scrape: Scrape = {
      pause,
      processes() {
        selected ??= scan().then((s) => ({ visible: s.visible, exported: selectProcesses(s.processes, selection) }));
        return selected;
      },
    };

    const results: { name: string; seconds: number; ok: boolean }[] = [];
    for (const { name, collector } of collectors) {
      const start = process.hrtime.bigint();
      const mark = writer.mark();
      let ok = true;
      try {
        await collector.collect(scrape, writer);
      } catch (err) {
        // A failed collector serves none of its families, rather than half of them or stale values.
        writer.rollback(mark);
        ok = false;
        log.error('collector failed', { collector: name, err: (err as Error).message });
      }
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      results.push({ name, seconds, ok });
      lastResults.set(name, { name, ok, seconds, lastSuccessSeconds: ok ? Date.now() / 1000 : (lastResults.get(name)?.lastSuccessSeconds ?? null) });
      if (pause.due()) await pause.wait();
    }

    writer.family(DURATION);
    for (const r of results) writer.sample(DURATION, { collector: r.name }, r.seconds);
    writer.family(SUCCESS);
    for (const r of results) writer.sample(SUCCESS, { collector: r.name }, r.ok ? 1 : 0);
    writer.family(BUILD_INFO);
    writer.sample(BUILD_INFO, buildInfo, 1);
    if (runtime !== null) out.string(await runtime.metrics());
    // Checked last, with no wait after it unless wanted: a reader that joined this collection asked before.
    if (Date.now() < snapshotWantedUntilMs) {
      try {
        snapshot = copyProcesses(await scan());
      } catch (err) {
        log.error('reading the processes for the API failed', { err: (err as Error).message });
      }
    }
    runHooks(after, 'after-scrape');
    lastBodyBytes = out.length;
    return { out, body: out.view(), holders: 0, gzipped: undefined, onServed };
  }

  // When a collection ends, every request that joined it would resume at once and write its body in
  // one turn of the loop: 50 bodies of 1-5 MB each is tens of ms in which no probe is read. They are
  // handed out HANDOUT_PER_TURN at a time instead, with the loop's I/O polled between turns.
  const waiting: (() => void)[] = [];
  let handing = false;
  const handOut = (): void => {
    for (const resume of waiting.splice(0, HANDOUT_PER_TURN)) resume();
    if (waiting.length > 0) setImmediate(handOut);
    else handing = false;
  };
  const myTurn = (): Promise<void> =>
    new Promise((resolve) => {
      waiting.push(resolve);
      if (!handing) {
        handing = true;
        setImmediate(handOut);
      }
    });

  let inFlight: Promise<Shared> | undefined;
  let closed = false;
  const fresh = (maxAgeMs: number): ProcessSnapshot | undefined => (snapshot !== undefined && Date.now() - snapshot.takenAtMs <= maxAgeMs ? snapshot : undefined);
  const collection: Collection = {
    async scrape() {
      if (closed) throw new Error('the collection is closed');
      inFlight ??= collectOnce().finally(() => {
        inFlight = undefined;
      });
      // Held as soon as the collection is done, before waiting for a turn: a request served in an earlier
      // turn must not hand the buffer back to the pool while this one has yet to send it.
      const held = lease(await inFlight);
      await myTurn();
      return held;
    },
    beforeScrape: (hook) => void before.push(hook),
    afterScrape: (hook) => void after.push(hook),
    results: () => [...lastResults.values()],
    async processSnapshot(maxAgeMs) {
      snapshotWantedUntilMs = Date.now() + SNAPSHOT_WANTED_MS;
      const before = snapshot;
      if (fresh(maxAgeMs) !== undefined) return snapshot!;
      (await collection.scrape()).release();
      // A collection that had passed its snapshot step when this was asked took none: one more.
      if (snapshot === before) (await collection.scrape()).release();
      if (snapshot === undefined) throw new Error('no pass over /proc succeeded');
      return snapshot;
    },
    async close() {
      closed = true;
      await inFlight?.catch(() => undefined);
    },
  };
  return collection;
}

function copyProcesses(scan: ProcessScan): ProcessSnapshot {
  const processes: SnapshotProcess[] = new Array<SnapshotProcess>(scan.processes.length);
  for (let i = 0; i < scan.processes.length; i++) {
    const p = scan.processes[i]!;
    processes[i] = {
      pid: p.pid,
      comm: p.comm,
      cgroup: p.cgroup,
      rssBytes: p.rssBytes ?? null,
      swapBytes: p.swapBytes ?? null,
      oomScore: p.oomScore ?? null,
      oomScoreAdj: p.oomScoreAdj ?? null,
    };
  }
  return { takenAtMs: Date.now(), processes };
}
