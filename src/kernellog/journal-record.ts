import type { LogRecord } from './types.js';

/** One entry of `journalctl -o json`, with what a follower needs to resume and to count losses. */
export interface JournalEntry {
  record: LogRecord;
  cursor: string | null;
  bootId: string | null;
  realtimeUsec: number | null;
  /** N when this is journald's own "Missed N kernel messages" (it fell behind /dev/kmsg), else null. */
  missedKernelMessages: number | null;
}

/**
 * SD_MESSAGE_JOURNAL_MISSED (systemd src/systemd/sd-messages.h): journald logs "Missed N kernel
 * messages" as a driver message with this id, not with _TRANSPORT=kernel, so `-k` alone never shows it.
 */
export const MISSED_MESSAGE_ID = 'e9bf28e6e834481bb6f48f548ad13606';
const MISSED_RE = /^Missed (\d+) kernel messages/;

function stringField(o: Record<string, unknown>, key: string): string | null {
  const v = o[key];
  return typeof v === 'string' ? v : null;
}

/** journalctl prints a field as an array of byte values when it is not valid UTF-8 (or holds control bytes). */
function decodeField(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (!Array.isArray(v)) return null;
  const bytes = new Uint8Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const b: unknown = v[i];
    if (typeof b !== 'number' || !Number.isInteger(b) || b < 0 || b > 255) return null;
    bytes[i] = b;
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8');
}

function usecField(o: Record<string, unknown>, key: string): number | null {
  const v = o[key];
  if (typeof v !== 'string' || !/^\d{1,16}$/.test(v)) return null;
  return Number(v);
}

/** One line of `journalctl -o json`; null for anything else, never an exception. */
export function parseJournalJson(line: string): JournalEntry | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return null;
  }
  // JSON's null has no fields to read. Any other value that is no object (a number, a string, an array)
  // has no MESSAGE field, so it is no entry either, below.
  if (parsed === null) return null;
  const o = parsed as Record<string, unknown>;
  // Multi-line messages stay one record: the parser matches on their first line like any other.
  const message = decodeField(o['MESSAGE']);
  if (message === null) return null;

  const transport = stringField(o, '_TRANSPORT');
  const facility = stringField(o, 'SYSLOG_FACILITY');
  // journald gives every /dev/kmsg record _TRANSPORT=kernel, also those a process wrote into it; the
  // kernel's own carry facility 0 (or none: older journald set SYSLOG_FACILITY only when non-zero).
  const fromKernel = transport === 'kernel' && (facility === null || facility === '0');
  const realtimeUsec = usecField(o, '__REALTIME_TIMESTAMP');
  const monoUsec = usecField(o, '__MONOTONIC_TIMESTAMP');
  const sourceMonoUsec = fromKernel ? usecField(o, '_SOURCE_MONOTONIC_TIMESTAMP') : null;
  // __REALTIME_TIMESTAMP is when journald read the record: for the backlog it reads at start-up, that is
  // minutes or days after the kernel wrote it. The kernel's own stamp is monotonic; journald's pair of
  // clocks at reception converts it to wall-clock time.
  let wallUsec = realtimeUsec;
  if (realtimeUsec !== null && monoUsec !== null && sourceMonoUsec !== null) wallUsec = realtimeUsec - monoUsec + sourceMonoUsec;

  let missed: number | null = null;
  if (stringField(o, 'MESSAGE_ID') === MISSED_MESSAGE_ID || transport === 'driver') {
    const m = MISSED_RE.exec(message);
    if (m) missed = Number(m[1]);
  }

  return {
    record: {
      message,
      fromKernel,
      // A tag a process wrote into /dev/kmsg is only its claim: userspace killers count from journald's
      // own transports, never from kmsg, so such a record gets no identifier to match.
      identifier: transport === 'kernel' && !fromKernel ? null : decodeField(o['SYSLOG_IDENTIFIER']),
      time: wallUsec === null ? null : new Date(Math.floor(wallUsec / 1000)).toISOString(),
      uptimeSeconds: sourceMonoUsec === null ? null : sourceMonoUsec / 1e6,
    },
    cursor: stringField(o, '__CURSOR'),
    bootId: stringField(o, '_BOOT_ID'),
    realtimeUsec,
    missedKernelMessages: missed,
  };
}
