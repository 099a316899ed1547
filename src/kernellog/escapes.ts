import type { Escapes } from './types.js';

/**
 * The escapes kernel-log writers put in text, and how they come off. The decoded bytes are read as UTF-8,
 * and a byte sequence that is not UTF-8 becomes U+FFFD, one per maximal invalid subsequence (the WHATWG
 * decoder's rule, which Node's is): /dev/kmsg records, journald's byte arrays and syslog files all end in
 * that one decoder, so a name gets the same label whichever source delivered it.
 */

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * The kernel prints every byte below 0x20 or above 0x7e, and "\" itself, as \xNN (printk.c,
 * msg_add_ext_text), so UTF-8 names arrive as escaped bytes: turn the escapes back into bytes and
 * decode the bytes, never the escapes one by one (a character spans several of them).
 */
export function unescapeKmsg(text: string): string {
  if (text.indexOf('\\x') === -1) return text;
  const src = Buffer.from(text);
  const out = Buffer.allocUnsafe(src.length);
  let o = 0;
  for (let i = 0; i < src.length; i++) {
    const b = src[i]!;
    if (b === 0x5c && src[i + 1] === 0x78) {
      // Past the end reads as NUL, which is no hex digit: "\x4" at the end stays as it is.
      const hi = hexValue(src[i + 2] ?? 0);
      const lo = hexValue(src[i + 3] ?? 0);
      if (hi >= 0 && lo >= 0) {
        out[o++] = hi * 16 + lo;
        i += 3;
        continue;
      }
    }
    out[o++] = b;
  }
  return out.toString('utf8', 0, o);
}

/**
 * rsyslog's $EscapeControlCharactersOnReceive (on by default) writes a control character as "#" and its
 * three octal digits: #011 for a tab. Only #000-#037 are decoded: "#177" is also an Ubuntu kernel's build
 * number ("5.4.0-177-generic #177-Ubuntu"), and a DEL in a name is not worth that confusion.
 */
export function unescapeRsyslog(text: string): string {
  let at = text.indexOf('#0');
  let out = '';
  let from = 0;
  for (; at !== -1; at = text.indexOf('#0', at + 1)) {
    const d1 = text.charCodeAt(at + 2);
    const d2 = text.charCodeAt(at + 3);
    // Written so that a NaN (the text ends there) fails too.
    if (!(d1 >= 48 && d1 <= 51 && d2 >= 48 && d2 <= 55)) continue;
    out += text.slice(from, at) + String.fromCharCode((d1 - 48) * 8 + (d2 - 48));
    from = at + 4;
    at += 3;
  }
  // Nothing decoded: out is '' and this is text itself, not a copy.
  return out + text.slice(from);
}

/** `text` with the escapes of `kind` decoded (LogRecord.escapes); as it is when there are none. */
export function unescape(text: string, kind: Escapes | undefined): string {
  if (kind === 'kmsg') return unescapeKmsg(text);
  if (kind === 'rsyslog') return unescapeRsyslog(text);
  return text;
}
