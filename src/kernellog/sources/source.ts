import type { LogRecord } from '../types.js';

/** Where a source has read up to, in the source's own terms; what the state file stores. */
export type SourcePosition =
  | { source: 'kmsg'; seq: number }
  | { source: 'journald'; cursor: string }
  /** inode as a decimal string: st_ino is 64-bit and some filesystems use the high bits. */
  | { source: 'file'; path: string; inode: string; offset: number };

export type SourceName = SourcePosition['source'];

/**
 * What a source hands its records to. `replay` marks records that are read only to give the parser
 * context (the backlog before the start, or records the previous run already counted): their kills
 * must not be counted again.
 */
export interface RecordSink {
  record(rec: LogRecord, replay: boolean): void;
  /** n records the source knows it will never deliver (overwritten in the ring buffer, missed by journald). */
  lost(n: number): void;
  /** Something went wrong that the operator should see; the source keeps trying where it can. */
  error(err: Error): void;
}

export interface KernelLogSource {
  readonly name: SourceName;
  /**
   * Whether a record this source marks fromKernel=false may still be a userspace killer's report
   * (earlyoom, systemd-oomd write to journald and syslog). Never for /dev/kmsg: anything a process
   * writes there is a forgery as far as OOM kills go.
   */
  readonly userspaceKillers: boolean;
  /** Open and begin reading; records go to the sink from here on. */
  start(sink: RecordSink): void;
  /** Synchronously deliver whatever is available now (a no-op for sources that push). */
  drain(): void;
  up(): boolean;
  /** The position after the last record delivered, or null before the first one is known. */
  position(): SourcePosition | null;
  stop(): Promise<void>;
}
