import fs from 'node:fs';
import nodePath from 'node:path';
import { SOURCES, sourceNamed, type AnySourceDefinition, type SourceName, type SourcePosition } from './sources/index.js';

/**
 * The `--kernel-log.state-file`: where the follower was in the kernel log, so a restart in the same
 * boot resumes there and counts the kills it missed exactly once. Positions mean nothing across
 * boots (kmsg sequence numbers restart at 0), hence the boot id.
 */
export interface SavedState {
  version: 1;
  bootId: string;
  source: SourceName;
  position: SourcePosition;
}

export const STATE_VERSION = 1;

export type LoadedState = { ok: true; state: SavedState } | { ok: false; reason: string };

/** This boot's id, or null when <procfs>/sys/kernel/random/boot_id cannot be read. */
export function readBootId(procfs: string): string | null {
  try {
    const id = fs.readFileSync(nodePath.join(procfs, 'sys/kernel/random/boot_id'), 'utf8').trim();
    return id === '' ? null : id;
  } catch {
    return null;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A position as the source it names reads it (sources/index.ts); null when malformed or of no registered source. */
function validPosition(v: unknown, table: readonly AnySourceDefinition[]): SourcePosition | null {
  if (!isRecord(v)) return null;
  const name = v['source'];
  return (typeof name === 'string' ? sourceNamed(name, table)?.parsePosition(v) : null) ?? null;
}

export interface StateExpectation {
  /** This boot's id; null when unknown, which makes any state unusable. */
  bootId: string | null;
  source: SourceName;
  /** For the file source: the file now followed (a state for another file is not ours). */
  file?: string | undefined;
  /** The registered sources, which read their own positions (sources/index.ts); tests replace them. */
  sources?: readonly AnySourceDefinition[];
}

/** Reads the state file; `reason` says in one line why it cannot be used (the follower logs it). */
export function loadState(path: string, want: StateExpectation): LoadedState {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { ok: false, reason: code === 'ENOENT' ? `state file ${path} does not exist yet` : `state file ${path} is unreadable: ${(e as Error).message}` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: `state file ${path} is not valid JSON (${(e as Error).message})` };
  }
  if (!isRecord(parsed)) return { ok: false, reason: `state file ${path} does not hold a JSON object` };
  if (parsed['version'] !== STATE_VERSION) {
    return { ok: false, reason: `state file ${path} has version ${JSON.stringify(parsed['version'])}, want ${STATE_VERSION}` };
  }
  const bootId = parsed['bootId'];
  const table = want.sources ?? SOURCES;
  const position = validPosition(parsed['position'], table);
  if (typeof bootId !== 'string' || position === null || parsed['source'] !== position.source) {
    return { ok: false, reason: `state file ${path} is malformed (bootId, source or position missing or invalid)` };
  }
  if (want.bootId === null) return { ok: false, reason: 'the boot id of this boot cannot be read, so no saved position can be trusted' };
  if (bootId !== want.bootId) return { ok: false, reason: `state file ${path} is from another boot (${bootId}, now ${want.bootId})` };
  if (position.source !== want.source) {
    return { ok: false, reason: `state file ${path} is for the ${position.source} source, now following ${want.source}` };
  }
  const mismatch = sourceNamed(position.source, table)?.mismatch(position, { file: want.file }) ?? null;
  if (mismatch !== null) return { ok: false, reason: `state file ${path} ${mismatch}` };
  return { ok: true, state: { version: STATE_VERSION, bootId, source: position.source, position } };
}

/**
 * Writes the state atomically: a temporary file in the same directory renamed over the old one, so a
 * crash of the exporter (a SIGKILL, the OOM killer) leaves either the old state or the new one, never
 * half. No fsync: the page cache outlives the process, and what only a crash of the machine could lose
 * is a position in a boot that is over, which the boot id makes useless anyway. This runs as each
 * scrape is served, and an fsync there would hold the event loop for a disk flush (tens of ms on a busy
 * disk) for no gain.
 */
export function saveState(path: string, state: SavedState): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    fs.writeFileSync(tmp, JSON.stringify(state) + '\n', { mode: 0o600 });
    fs.renameSync(tmp, path);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}
