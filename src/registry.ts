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

/** Every collector, in the order their metrics appear. --collector.NAME / --no-collector.NAME come from here. */
export const COLLECTORS: readonly CollectorDefinition[] = [processCollector, memoryCollector, vmstatCollector, pressureCollector, kernelLogCollector, cgroupCollector, dockerCollector];

const NEWLINE = Buffer.from('\n');

export const COLLECTOR_FLAGS: readonly CollectorFlag[] = COLLECTORS.map(({ name, defaultEnabled, help }) => ({ name, defaultEnabled, help }));

export interface Collection {
  /** The exposition text of one scrape, UTF-8. Concurrent callers share one collection. */
  scrape(): Promise<Buffer>;
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

  const env: CollectorEnv = { config, registry, log, kills: opts.kills };
  const enabled: { name: string; collector: Collector }[] = [];
  for (const def of [...COLLECTORS, ...(opts.extra ?? [])]) {
    if (!(config.collectors.get(def.name) ?? opts.extra?.includes(def) ?? false)) continue;
    enabled.push({ name: def.name, collector: await def.create(env) });
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

  async function collectOnce(): Promise<Buffer> {
    let selection: ProcessSelection | undefined;
    const scrape: Scrape = {
      processes() {
        if (!selection) {
          const scan = scanner.scan();
          selection = { visible: scan.visible, exported: selectProcesses(scan.processes, selectOpts) };
        }
        return selection;
      },
    };
    const rendered: Buffer[] = [];
    for (const { name, collector } of enabled) {
      const start = process.hrtime.bigint();
      let ok = 1;
      try {
        await collector.collect(scrape);
        if (collector.render) rendered.push(collector.render());
      } catch (err) {
        ok = 0;
        log.error('collector failed', { collector: name, err: (err as Error).message });
      }
      duration.set({ collector: name }, Number(process.hrtime.bigint() - start) / 1e9);
      success.set({ collector: name }, ok);
    }
    const parts: Buffer[] = [Buffer.from(await registry.metrics())];
    for (const r of rendered) parts.push(NEWLINE, r);
    if (!config.disableExporterMetrics) parts.push(NEWLINE, Buffer.from(await runtime.metrics()));
    // One copy: the rendered views are reused by the next scrape while this body may still be sending.
    return Buffer.concat(parts);
  }

  let inFlight: Promise<Buffer> | undefined;
  return {
    contentType: registry.contentType,
    scrape() {
      // Scrapes that arrive while one is being collected get the same answer: one pass over /proc.
      inFlight ??= collectOnce().finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    },
    async close() {
      for (const { collector } of enabled) await collector.close?.();
    },
  };
}
