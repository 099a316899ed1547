import type { Registry } from 'prom-client';
import type { ByteWriter } from '../exposition.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { ProcessSample } from '../procfs/processes.js';
import type { KillStore } from '../kills/store.js';

/** What a scrape shares between collectors: computed at most once per scrape, on first use. */
export interface Scrape {
  /** The one pass over /proc of this scrape, with the --process.* selection applied. */
  processes(): ProcessSelection;
  /**
   * The body of this scrape. Collectors of hot, high-cardinality families write exposition text here
   * themselves; the prom-client registry's text is appended after all collectors ran. What a
   * collector wrote is removed again if it then throws.
   */
  out: ByteWriter;
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
  /** Releases timers, file descriptors, child processes. */
  close?(): void | Promise<void>;
}

export interface CollectorDefinition {
  name: string;
  defaultEnabled: boolean;
  help: string;
  create(env: CollectorEnv): Collector | Promise<Collector>;
}
