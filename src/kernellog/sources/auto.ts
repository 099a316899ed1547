import { SOURCES, type AnySourceDefinition, type KernelLogSourceName, type SourceName } from './index.js';
import type { SourceSettings } from './source.js';

export { SYSLOG_FILES } from './file.js';

export interface SourceChoice {
  source: SourceName | 'none';
  /** The file to follow when the source reads one ('file'), else null. */
  file: string | null;
  /** Why each source tried before the chosen one was passed over (auto only), for the log. */
  rejected: { source: SourceName; reason: string }[];
}

export interface ChooseOptions extends SourceSettings {
  requested: KernelLogSourceName;
}

/**
 * Resolves --kernel-log.source. An explicit source is taken as asked, unchecked: if it cannot be read
 * the source says so and oom_kernel_log_up stays 0, which is what an operator who asked for it needs to
 * see. `auto` tries the registered sources in order (sources/index.ts: /dev/kmsg, then journald, then
 * the syslog files) and records why each was passed over.
 */
export async function chooseSource(opts: ChooseOptions, table: readonly AnySourceDefinition[] = SOURCES): Promise<SourceChoice> {
  const { requested } = opts;
  if (requested === 'none') return { source: 'none', file: null, rejected: [] };
  if (requested !== 'auto') {
    // config refuses --kernel-log.source=file without --kernel-log.file.
    const readsFile = table.find((s) => s.name === requested)?.readsFile ?? false;
    return { source: requested, file: readsFile ? (opts.file ?? null) : null, rejected: [] };
  }
  const rejected: SourceChoice['rejected'] = [];
  for (const s of table) {
    const probe = await s.probe(opts);
    for (const reason of probe.reasons ?? []) rejected.push({ source: s.name, reason });
    if (probe.usable) return { source: s.name, file: probe.file ?? null, rejected };
  }
  return { source: 'none', file: null, rejected };
}
