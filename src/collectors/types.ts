import type { Registry } from 'prom-client';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { ProcessSample } from '../procfs/processes.js';
import type { KillStore } from '../kills/store.js';

/** What a scrape shares between collectors: computed at most once per scrape, on first use. */
export interface Scrape {
  /** The one pass over /proc of this scrape, with the --process.* selection applied. */
  processes(): ProcessSelection;
}

export interface ProcessSelection {
  /** User-space processes seen. */
  visible: number;
  /** The processes that pass --process.include/exclude/min-rss/top-n. */
  exported: ProcessSample[];
}

export interface CollectorEnv {
  config: Config;
  /** The registry every oom_* metric is registered in. */
  registry: Registry;
  log: Logger;
  /** OOM kills seen in the kernel log (and by userspace killers), shared by kill and cgroup collectors. */
  kills: KillStore;
}

/** One collector has one job: read, convert, set its metrics. Throwing marks only it as failed. */
export interface Collector {
  collect(scrape: Scrape): void | Promise<void>;
  /**
   * Exposition text of families the collector renders itself (hot, high-cardinality ones), served
   * after the prom-client registry's. Called after collect() of the same scrape succeeded; the
   * bytes need only stay valid until the next collect().
   */
  render?(): Buffer;
  /** Releases timers, file descriptors, child processes. */
  close?(): void | Promise<void>;
}

export interface CollectorDefinition {
  name: string;
  defaultEnabled: boolean;
  help: string;
  create(env: CollectorEnv): Collector | Promise<Collector>;
}
