import fs from 'node:fs';
import nodePath from 'node:path';
import type { SourceName, SourcePosition } from './sources/source.js';

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

function validPosition(v: unknown): SourcePosition | null {
  if (!isRecord(v)) return null;
  switch (v['source']) {
    case 'kmsg': {
      const seq = v['seq'];
      return typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 0 ? { source: 'kmsg', seq } : null;
    }
    case 'journald': {
      const cursor = v['cursor'];
      return typeof cursor === 'string' && cursor !== '' && !cursor.includes('\n') ? { source: 'journald', cursor } : null;
    }
    case 'file': {
      const { path, inode, offset } = v;
      if (typeof path !== 'string' || path === '') return null;
      if (typeof inode !== 'string' || !/^\d+$/.test(inode)) return null;
      if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) return null;
      return { source: 'file', path, inode, offset };
    }
    default:
      return null;
  }
}

export interface StateExpectation {
  /** This boot's id; null when unknown, which makes any state unusable. */
  bootId: string | null;
  source: SourceName;
  /** For the file source: the file now followed (a state for another file is not ours). */
  file?: string | undefined;
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
  const position = validPosition(parsed['position']);
  if (typeof bootId !== 'string' || position === null || parsed['source'] !== position.source) {
    return { ok: false, reason: `state file ${path} is malformed (bootId, source or position missing or invalid)` };
  }
  if (want.bootId === null) return { ok: false, reason: 'the boot id of this boot cannot be read, so no saved position can be trusted' };
  if (bootId !== want.bootId) return { ok: false, reason: `state file ${path} is from another boot (${bootId}, now ${want.bootId})` };
  if (position.source !== want.source) {
    return { ok: false, reason: `state file ${path} is for the ${position.source} source, now following ${want.source}` };
  }
  if (position.source === 'file' && want.file !== undefined && nodePath.resolve(position.path) !== nodePath.resolve(want.file)) {
    return { ok: false, reason: `state file ${path} is for ${position.path}, now following ${want.file}` };
  }
  return { ok: true, state: { version: STATE_VERSION, bootId, source: position.source, position } };
}

/**
 * Writes the state atomically: a temporary file in the same directory, fsync'd, renamed over the old
 * one, then the directory fsync'd, so a crash leaves either the old state or the new one, never half.
 */
export function saveState(path: string, state: SavedState): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    fs.writeSync(fd, JSON.stringify(state) + '\n');
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(tmp, path);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  try {
    const dir = fs.openSync(nodePath.dirname(path), 'r');
    try {
      fs.fsyncSync(dir);
    } finally {
      fs.closeSync(dir);
    }
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is still atomic there.
  }
}
