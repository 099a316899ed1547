import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Config, CollectorFlag } from './config.js';
import type { Logger } from './log.js';
import { createProcessScanner } from './procfs/processes.js';
import { selectProcesses } from './selection.js';
import type { Collector, CollectorDefinition, CollectorEnv, ProcessSelection, Scrape } from './collectors/types.js';
import { processCollector } from './collectors/process.js';
import { memoryCollector } from './collectors/memory.js';
import { vmstatCollector } from './collectors/vmstat.js';
import { pressureCollector } from './collectors/pressure.js';
import { cgroupCollector, dockerCollector } from './collectors/cgroup.js';
import { kernelLogCollector } from './collectors/kernellog.js';
import type { KillStore } from './kills/store.js';
import { VERSION } from './version.js';
import { ByteWriter } from './exposition.js';

/** Every collector, in the order their metrics appear. --collector.NAME / --no-collector.NAME come from here. */
export const COLLECTORS: readonly CollectorDefinition[] = [processCollector, memoryCollector, vmstatCollector, pressureCollector, kernelLogCollector, cgroupCollector, dockerCollector];

export const COLLECTOR_FLAGS: readonly CollectorFlag[] = COLLECTORS.map(({ name, defaultEnabled, help }) => ({ name, defaultEnabled, help }));

/** One caller's hold on a scrape body: the bytes stay valid until release(). */
export interface ScrapeLease {
  body: Buffer;
  /** Call once the body is sent (or dropped); the buffer then serves a later scrape. */
  release(): void;
}

export interface Collection {
  /** The exposition text of one scrape, UTF-8. Concurrent callers share one collection. */
  scrape(): Promise<ScrapeLease>;
  contentType: string;
  close(): Promise<void>;
}

export interface CollectionOptions {
  config: Config;
  log: Logger;
  kills: KillStore;
  /** Extra collector definitions (tests); they are enabled. */
  extra?: readonly CollectorDefinition[];
}

export async function createCollection(opts: CollectionOptions): Promise<Collection> {
  const { config, log } = opts;
  const registry = new Registry();
  const runtime = new Registry();
  if (!config.disableExporterMetrics) collectDefaultMetrics({ register: runtime });

  const duration = new Gauge({ name: 'oom_scrape_collector_duration_seconds', help: 'How long each collector took in the last scrape.', labelNames: ['collector'] as const, registers: [registry] });
  const success = new Gauge({ name: 'oom_scrape_collector_success', help: '1 when the collector succeeded in the last scrape, 0 when it failed.', labelNames: ['collector'] as const, registers: [registry] });
  const buildInfo = new Gauge({ name: 'oom_exporter_build_info', help: 'Always 1; labelled with the exporter version and the Node.js version it runs on.', labelNames: ['version', 'nodejs'] as const, registers: [registry] });
  buildInfo.set({ version: VERSION, nodejs: process.version }, 1);

  // Each collector registers its metrics in a registry of its own, so that a collector that fails
  // serves nothing (as in node_exporter) instead of its values from the last scrape that worked.
  const enabled: { name: string; collector: Collector; registry: Registry }[] = [];
  for (const def of [...COLLECTORS, ...(opts.extra ?? [])]) {
    if (!(config.collectors.get(def.name) ?? opts.extra?.includes(def) ?? false)) continue;
    const own = new Registry();
    const env: CollectorEnv = { config, registry: own, log, kills: opts.kills };
    enabled.push({ name: def.name, collector: await def.create(env), registry: own });
  }
  log.info('collectors enabled', { collectors: enabled.map((c) => c.name).join(',') });

  const scanner = createProcessScanner({ procfs: config.procfs, wantCmdline: config.processMatch === 'cmdline' });
  const selectOpts = {
    include: config.processInclude,
    exclude: config.processExclude,
    match: config.processMatch,
    minRssBytes: config.processMinRssBytes,
    topN: config.processTopN,
  };

  // Scrape bodies are written into pooled buffers and served from them without a copy; a buffer goes
  // back to the pool when every response that shares it has been sent. Two cover a scrape being
  // served while the next one is collected.
  const pool: ByteWriter[] = [];
  const POOL_MAX = 2;

  interface Shared {
    out: ByteWriter;
    body: Buffer;
    holders: number;
  }

  function lease(shared: Shared): ScrapeLease {
    shared.holders++;
    let released = false;
    return {
      body: shared.body,
      release() {
        if (released) return;
        released = true;
        if (--shared.holders === 0 && pool.length < POOL_MAX) pool.push(shared.out);
      },
    };
  }

  async function collectOnce(): Promise<Shared> {
    const out = pool.pop() ?? new ByteWriter();
    out.reset();
    let selection: ProcessSelection | undefined;
    const scrape: Scrape = {
      out,
      processes() {
        if (!selection) {
          const scan = scanner.scan();
          selection = { visible: scan.visible, exported: selectProcesses(scan.processes, selectOpts) };
        }
        return selection;
      },
    };
    const succeeded: Registry[] = [];
    for (const { name, collector, registry: own } of enabled) {
      const start = process.hrtime.bigint();
      const mark = out.length;
      let ok = 1;
      try {
        await collector.collect(scrape);
        succeeded.push(own);
      } catch (err) {
        // Drop what it wrote itself; its registry is left out below.
        out.truncate(mark);
        ok = 0;
        log.error('collector failed', { collector: name, err: (err as Error).message });
      }
      duration.set({ collector: name }, Number(process.hrtime.bigint() - start) / 1e9);
      success.set({ collector: name }, ok);
    }
    // Families order is free in the exposition format: the hand-written ones come first.
    for (const own of succeeded) {
      if (own.getMetricsAsArray().length > 0) out.string(await own.metrics());
    }
    out.string(await registry.metrics());
    if (!config.disableExporterMetrics) out.string('\n' + (await runtime.metrics()));
    return { out, body: out.view(), holders: 0 };
  }

  let inFlight: Promise<Shared> | undefined;
  return {
    contentType: registry.contentType,
    async scrape() {
      // Scrapes that arrive while one is being collected get the same answer: one pass over /proc.
      inFlight ??= collectOnce().finally(() => {
        inFlight = undefined;
      });
      return lease(await inFlight);
    },
    async close() {
      for (const { collector } of enabled) await collector.close?.();
    },
  };
}
