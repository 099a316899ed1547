import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { createCollection, HANDOUT_PER_TURN, type Collection, type CollectionOptions } from '../src/collection.js';
import { createCollectors, type NamedCollector } from '../src/collectors/index.js';
import { gauge } from '../src/exposition/metrics.js';
import { createKubeNames } from '../src/cgroup/kubelet-logs.js';
import { createKillStore } from '../src/kills/store.js';
import { createLogger } from '../src/log.js';
import { createProcessScanner } from '../src/procfs/processes.js';
import { FileReader, type ReadMode } from '../src/procfs/read.js';
import { one, parseMetrics } from './helpers/metrics.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/proc', import.meta.url));
const quiet = createLogger('error', 'logfmt', () => {});
const ALL_DEFAULT = new Map([
  ['process', true],
  ['memory', true],
  ['vmstat', true],
]);

/** A reader that counts the files it opens, by path: the pass over /proc, seen from below. */
class CountingReader extends FileReader {
  readonly opened = new Map<string, number>();
  override read(path: string, mode?: ReadMode): number {
    this.opened.set(path, (this.opened.get(path) ?? 0) + 1);
    return super.read(path, mode);
  }
}

let tmp: string | undefined;
let collection: Collection | undefined;
afterEach(async () => {
  await collection?.close();
  collection = undefined;
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  tmp = undefined;
});

function build(procfs: string, opts: Partial<CollectionOptions> & { reader?: FileReader } = {}): Collection {
  const collectors = createCollectors(ALL_DEFAULT, {
    paths: { procfs, sysfs: '/sys', cgroupfs: undefined },
    kills: createKillStore(),
    kubeNames: createKubeNames({ varlog: '/nonexistent-varlog' }),
    kernelLog: null,
    containers: null,
  });
  collection = createCollection({
    collectors: [...collectors, ...(opts.collectors ?? [])],
    scanner: createProcessScanner({ procfs, wantCmdline: false, ...(opts.reader ? { reader: opts.reader } : {}) }),
    selection: { include: undefined, exclude: undefined, match: 'comm', minRssBytes: 0, topN: undefined },
    log: opts.log ?? quiet,
    version: 'test',
    runtimeMetrics: false,
    ...(opts.sliceMs !== undefined ? { sliceMs: opts.sliceMs } : {}),
  });
  return collection;
}

describe('collection', () => {
  it('makes one pass over the real /proc for 20 simultaneous scrapes, one body and one gzip for all', async () => {
    const reader = new CountingReader();
    const c = build('/proc', { reader });
    const own = `/proc/${process.pid}/status`;
    const leases = await Promise.all(Array.from({ length: 20 }, () => c.scrape()));
    expect(reader.opened.get(own)).toBe(1);
    // Every status file was opened once, not 20 times.
    expect(Math.max(...reader.opened.values())).toBe(1);
    const first = leases[0]!;
    for (const l of leases) expect(l.body).toBe(first.body);
    const zipped = await Promise.all(leases.map((l) => l.gzip()));
    for (const z of zipped) expect(z).toBe(zipped[0]);
    expect(gunzipSync(zipped[0]!).equals(first.body)).toBe(true);
    expect(one(parseMetrics(first.body.toString()), 'oom_process_score', { pid: String(process.pid) })).toBeDefined();
    for (const l of leases) l.release();

    // A scrape that starts after that collection finished gets a pass of its own.
    const later = await c.scrape();
    expect(reader.opened.get(own)).toBe(2);
    later.release();
  });

  it('hands a collection out a few requests per turn, and never recycles a body one of them has yet to send', async () => {
    let n = 0;
    const counter = gauge('oom_test_collection', 'which collection this is');
    const numbered: NamedCollector = { name: 'numbered', collector: { collect: (_s, out) => out.single(counter, ++n) } };
    const c = build(FIXTURE, { collectors: [numbered] });
    const texts: string[] = [];
    let next: Promise<unknown> | undefined;
    const all = Array.from({ length: 20 }, () =>
      c.scrape().then((lease) => {
        // The first ones served are sent and released at once, and a new collection starts meanwhile:
        // it must get a buffer of its own, not the one later requests of this collection still hold.
        if (texts.length === 0) next = c.scrape().then((l) => l.release());
        const text = lease.body.toString();
        lease.release();
        return text;
      }),
    );
    texts.push(...(await Promise.all(all)));
    await next;
    expect(new Set(texts).size).toBe(1);
    expect(texts[0]).toContain('oom_test_collection 1\n');
    expect(HANDOUT_PER_TURN).toBeLessThan(20);
  });

  it('gives a scrape that starts after a collection finished fresh data', async () => {
    tmp = mkdtempSync(join(tmpdir(), 'oom-coll-'));
    cpSync(FIXTURE, tmp, { recursive: true });
    const c = build(tmp);
    const a = await c.scrape();
    expect(one(parseMetrics(a.body.toString()), 'oom_process_score', { pid: '100' })).toBe(667);
    a.release();
    writeFileSync(join(tmp, '100', 'oom_score'), '321\n');
    const b = await c.scrape();
    expect(one(parseMetrics(b.body.toString()), 'oom_process_score', { pid: '100' })).toBe(321);
    b.release();
  });

  it('gives the event loop back during a pass, so other requests are answered meanwhile', async () => {
    // sliceMs 0: yield at every chance; the real pass then spans many turns of the loop.
    const c = build('/proc', { sliceMs: 0 });
    let turns = 0;
    let done = false;
    const spin = (): void => {
      if (done) return;
      turns++;
      setImmediate(spin);
    };
    setImmediate(spin);
    const lease = await c.scrape();
    done = true;
    lease.release();
    expect(turns).toBeGreaterThan(10);
  });

  it('runs before-hooks before any collector and after-hooks once the body is complete', async () => {
    const order: string[] = [];
    const probe: NamedCollector = { name: 'probe', collector: { collect: () => void order.push('collect') } };
    const c = build(FIXTURE, { collectors: [probe] });
    c.beforeScrape(() => void order.push('before'));
    c.afterScrape(() => void order.push('after'));
    c.beforeScrape(() => {
      throw new Error('a broken hook costs nothing but a log line');
    });
    const lease = await c.scrape();
    expect(order).toEqual(['before', 'collect', 'after']);
    expect(lease.body.toString()).toContain('oom_scrape_collector_success{collector="probe"} 1');
    lease.release();
  });

  it('runs what a before-hook hands back only when the body is served, once per collection, never for an API read', async () => {
    const c = build(FIXTURE, { collectors: [] });
    const served: number[] = [];
    let collection = 0;
    c.beforeScrape(() => {
      const n = ++collection;
      return () => void served.push(n);
    });
    // An API read (the console, /api/v1/processes) uses a collection without serving it: nothing runs.
    await c.processSnapshot(0);
    expect(collection).toBeGreaterThan(0);
    expect(served).toEqual([]);
    // Two scrapers share the next collection: its hook runs on the first served(), not again.
    const [a, b] = await Promise.all([c.scrape(), c.scrape()]);
    a.served();
    b.served();
    expect(served).toEqual([collection]);
    a.release();
    b.release();
  });

  it('waits for a collection in flight on close, and refuses scrapes after', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const slow: NamedCollector = { name: 'slow', collector: { collect: () => gate } };
    const c = build(FIXTURE, { collectors: [slow] });
    const pending = c.scrape();
    let closed = false;
    const closing = c.close().then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(closed).toBe(false);
    release();
    await closing;
    (await pending).release();
    await expect(c.scrape()).rejects.toThrow(/closed/);
  });
});
