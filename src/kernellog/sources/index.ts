import { fileSource } from './file.js';
import { journaldSource } from './journald.js';
import { kmsgSource } from './kmsg.js';
import type { SourceDefinition } from './source.js';

/**
 * The kernel-log sources: the one place a source is registered. Each definition lives beside its code
 * and says how `auto` probes it, how to follow it live from a saved position, how to read its backlog
 * once (the `kills` command) and how to read its saved position; the follower, `auto`, the state file,
 * the `kills` command and the --kernel-log.source flag all go through this table. The order is the
 * order `auto` tries them in: /dev/kmsg (exact, cheap, needs root or CAP_SYSLOG), journald, a syslog file.
 */
export const SOURCES = Object.freeze([kmsgSource, journaldSource, fileSource] as const);

type Registered = (typeof SOURCES)[number];

/** Where a source has read up to, in the source's own terms; what the state file stores. */
export type SourcePosition = NonNullable<ReturnType<Registered['parsePosition']>>;

export type SourceName = Registered['name'];

/** A registered source, whatever its position type: what the follower, `auto` and `kills` hold. */
export type AnySourceDefinition = SourceDefinition<SourcePosition>;

/** --kernel-log.source: a registered source, `auto` (the first that works) or `none`. */
export type KernelLogSourceName = 'auto' | SourceName | 'none';

export const KERNEL_LOG_SOURCES: readonly KernelLogSourceName[] = Object.freeze(['auto', ...SOURCES.map((s) => s.name), 'none']);

/** The registered source of that name (in `table`, which tests replace). */
export function sourceNamed(name: string, table: readonly AnySourceDefinition[] = SOURCES): AnySourceDefinition | undefined {
  return table.find((s) => s.name === name);
}
