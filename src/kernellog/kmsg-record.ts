import { unescapeKmsg } from './escapes.js';

/**
 * One record as a read() of /dev/kmsg returns it (Documentation/ABI/testing/dev-kmsg):
 * "PRI,SEQ,USEC,FLAGS[,...];message\n" then optional continuation lines " KEY=VALUE\n".
 */
export interface KmsgRecord {
  /** PRI >> 3: 0 is the kernel itself; a process writing into /dev/kmsg gets facility >= 1. */
  facility: number;
  level: number;
  seq: number;
  /** Microseconds since boot (CLOCK_MONOTONIC at printk time). */
  usec: number;
  message: string;
}

const CH_0 = 48;
const CH_9 = 57;

/** Parses the decimal digits of s[from, to); -1 when the range is empty or holds anything else. */
function digits(s: string, from: number, to: number): number {
  if (to <= from) return -1;
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < CH_0 || c > CH_9) return -1;
    n = n * 10 + (c - CH_0);
  }
  return n;
}

/** Returns null for anything that is not a /dev/kmsg record (bare text, other envelopes, garbage). */
export function parseKmsgRecord(raw: string): KmsgRecord | null {
  // Each number is read as soon as its comma is found, and digits() stops at the first character that is
  // no digit: a line that is not a record is refused there. A missing comma (-1) makes an empty range.
  const c1 = raw.indexOf(',');
  const pri = digits(raw, 0, c1);
  if (pri < 0) return null;
  const c2 = raw.indexOf(',', c1 + 1);
  const seq = digits(raw, c1 + 1, c2);
  if (seq < 0) return null;
  const c3 = raw.indexOf(',', c2 + 1);
  const usec = digits(raw, c2 + 1, c3);
  if (usec < 0) return null;
  // The three numbers hold no ";", so the first one ends the header.
  const semi = raw.indexOf(';');
  if (semi === -1) return null;
  // FLAGS is '-' or 'c' (and newer kernels may append fields after another comma): no spaces, no ';'.
  for (let i = c3 + 1; i < semi; i++) {
    const c = raw.charCodeAt(i);
    if (c <= 32 || c > 126) return null;
  }
  // The header holds no newline either: the first one ends the text.
  const nl = raw.indexOf('\n');
  const text = nl === -1 ? raw.slice(semi + 1) : raw.slice(semi + 1, nl);
  return { facility: pri >> 3, level: pri & 7, seq, usec, message: unescapeKmsg(text) };
}
