import type { MetricWriter } from '../exposition/metrics.js';
import type { FlagSpec } from '../flags.js';
import type { Pause, ProcessSample } from '../procfs/processes.js';

/** The processes of one scrape, after the --process.* selection. */
export interface ProcessSelection {
  /** User-space processes seen. */
  visible: number;
  /** The processes that pass --process.include/exclude/min-rss/top-n; valid until the scrape ends. */
  exported: readonly ProcessSample[];
}

/** What the collectors of one scrape share: computed at most once per scrape, on first use. */
export interface Scrape {
  /** The one pass over /proc of this scrape (it yields to the event loop as it goes). */
  processes(): Promise<ProcessSelection>;
  /** A collector that writes many samples gives the event loop back when this says so. */
  readonly pause: Pause;
}

/**
 * A collector reads and emits, nothing else: no timers, children or files kept open (those belong to
 * the services the composition root starts and hands in). Throwing marks only it as failed, and the
 * collection then serves none of its families.
 */
export interface Collector {
  collect(scrape: Scrape, out: MetricWriter): void | Promise<void>;
}

/** What --help and the --[no-]collector.NAME flags know of a collector. */
export interface CollectorInfo {
  name: string;
  defaultEnabled: boolean;
  help: string;
  /** Flags of this collector's own, parsed by the collector's module. */
  flags?: readonly FlagSpec[];
}
