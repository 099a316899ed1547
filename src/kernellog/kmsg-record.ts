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
  const c0 = raw.charCodeAt(0);
  if (!(c0 >= CH_0 && c0 <= CH_9)) return null;
  const semi = raw.indexOf(';');
  if (semi === -1) return null;
  const c1 = raw.indexOf(',');
  if (c1 === -1 || c1 > semi) return null;
  const c2 = raw.indexOf(',', c1 + 1);
  if (c2 === -1 || c2 > semi) return null;
  const c3 = raw.indexOf(',', c2 + 1);
  if (c3 === -1 || c3 > semi) return null;
  const pri = digits(raw, 0, c1);
  const seq = digits(raw, c1 + 1, c2);
  const usec = digits(raw, c2 + 1, c3);
  if (pri < 0 || seq < 0 || usec < 0) return null;
  // FLAGS is '-' or 'c' (and newer kernels may append fields after another comma): no spaces, no ';'.
  for (let i = c3 + 1; i < semi; i++) {
    const c = raw.charCodeAt(i);
    if (c <= 32 || c > 126) return null;
  }
  const nl = raw.indexOf('\n', semi + 1);
  const text = nl === -1 ? raw.slice(semi + 1) : raw.slice(semi + 1, nl);
  return { facility: pri >> 3, level: pri & 7, seq, usec, message: unescapeKmsg(text) };
}
