import type { LogRecord } from '../types.js';

/**
 * Where a source has read up to, in the source's own terms; what the state file stores. Each source
 * declares its own (kmsg.ts, journald.ts, file.ts); sources/index.ts joins them into SourcePosition.
 */
export interface PositionBase {
  readonly source: string;
}

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
  /** A problem reported through error() is over (the device opened again, journald is back). */
  recovered?(message: string): void;
}

export interface KernelLogSource<P extends PositionBase = PositionBase> {
  readonly name: P['source'];
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
  position(): P | null;
  stop(): Promise<void>;
}

/** What a backlog hands its records to: a RecordSink that may ask the backlog to wait. */
export interface BacklogSink extends RecordSink {
  /**
   * null while the sink keeps up; else a promise that settles once it can take more (`kills` writing to a
   * slow pipe or pager). A backlog that reads asynchronously awaits it before it reads on, so the input
   * waits instead of piling up in memory; a few records already read may still come meanwhile. Like
   * record(), it may throw to stop the read.
   */
  ready?(): Promise<void> | null;
}

/**
 * A source read once, to its current end (`oom-exporter kills`): no position, no follow. Every record
 * counts (replay is always false); losses the source notices go to sink.lost, so no report is joined
 * across them.
 */
export interface Backlog {
  /** As KernelLogSource.userspaceKillers. */
  readonly userspaceKillers: boolean;
  /**
   * Delivers the records in log order as it reads them, never collecting them; resolves at the end,
   * rejects when the source cannot be read. A sink that throws stops the read, which rejects with that.
   */
  read(sink: BacklogSink): Promise<void>;
}

/** Whether a record may reach the parser: a record not from the kernel only from a source where userspace killers log. */
export function mayReportKill(rec: LogRecord, source: { readonly userspaceKillers: boolean }): boolean {
  return rec.fromKernel || source.userspaceKillers;
}

/** read(2) on the open fd into buf from offset 0; returns the byte count or throws an errno error. */
export type KmsgReadFn = (fd: number, buf: Buffer) => number;

/**
 * Where the sources read, from the flags, with the seams tests use. Every source gets all of it and
 * takes what is its own. After the choice, `file` is the file chosen (auto may pick a syslog file).
 */
export interface SourceSettings {
  /** --kernel-log.file: the file for `file`, and the first file `auto` tries. */
  file?: string | undefined;
  kmsg?: { path?: string; read?: KmsgReadFn };
  /** journalctl and any leading arguments. */
  journalctl?: readonly string[];
  journaldBackoff?: { initialMs: number; maxMs: number };
  /** journald's stdout socket, checked to tell whether journald runs (tests point it elsewhere). */
  journaldSocket?: string;
  /** The syslog files `auto` tries after --kernel-log.file. */
  syslogFiles?: readonly string[];
}

/**
 * What `auto` learnt about a source: usable (the file source says which file) or not, with why each
 * thing it tried and passed over could not be used (one reason each: the file source tries several files).
 */
export type Probe = { usable: true; file?: string; reasons?: readonly string[] } | { usable: false; reasons: readonly string[] };

/**
 * One kernel-log source as sources/index.ts registers it: everything the follower, `auto` and the
 * `kills` command need to know about it, beside its code.
 */
export interface SourceDefinition<P extends PositionBase> {
  readonly name: P['source'];
  /** Whether it reads the file of --kernel-log.file (SourceChoice.file names it). */
  readonly readsFile: boolean;
  /** How `auto` tries it, in the registration order. */
  probe(settings: SourceSettings): Promise<Probe>;
  /**
   * The source followed live: after `resume` (a saved position of this source, this boot) or from the
   * end of the log. null when the settings lack what it needs (the file source without a file).
   */
  live(settings: SourceSettings, resume: P | undefined): KernelLogSource<P> | null;
  /** Its whole backlog, read once; null when the settings lack what it needs. */
  backlog(settings: SourceSettings): Backlog | null;
  /** A saved position of this source, checked field by field; null when malformed. */
  parsePosition(saved: Readonly<Record<string, unknown>>): P | null;
  /** Why a well-formed saved position cannot resume with these settings (file: another file's), or null. */
  mismatch(saved: P, settings: SourceSettings): string | null;
}
