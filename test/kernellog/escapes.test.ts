import { describe, expect, it } from 'vitest';
import { unescape, unescapeKmsg, unescapeRsyslog } from '../../src/kernellog/escapes.js';

describe("unescapeKmsg (the kernel's \\xNN)", () => {
  it('reads every hex digit, in either case', () => {
    expect(unescapeKmsg('\\x30\\x39\\x61\\x66\\x41\\x46\\x4a\\x4A\\x7e')).toBe('09afAFJJ~');
    // The last digit of each range as the escape's second digit: f and F.
    expect(unescapeKmsg('\\x4f\\x4F\\x5f')).toBe('OO_');
  });

  it('keeps what is no escape: a non-hex digit on either side, another letter than x, too few digits', () => {
    for (const kept of ['\\x4g', '\\xg4', '\\x/0', '\\x:0', '\\x`0', '\\x@0', '\\xG0', '\\x0G', '\\y41', 'x41', '\\X41', '\\x4']) {
      // Each beside a real escape, so the text is not passed through untouched as a whole.
      expect(unescapeKmsg(`${kept}\\x41`), kept).toBe(`${kept}A`);
    }
  });

  it('takes only a backslash for the start of an escape: hex numbers in kernel text stay as printed', () => {
    expect(unescapeKmsg('oom-kill: gfp_mask=0xcc0(GFP_KERNEL), order=0 \\x41')).toBe('oom-kill: gfp_mask=0xcc0(GFP_KERNEL), order=0 A');
  });

  it('gives text without an escape back as it is, code unit for code unit', () => {
    // Even a lone surrogate, which no decoder gives: going through bytes would make it U+FFFD.
    for (const text of ['Killed process 1928 (oom (test) 1)', 'x\ud800y', '\\y41 \\X41 x41', '']) {
      expect(unescapeKmsg(text), text).toBe(text);
    }
  });

  it('decodes the bytes as UTF-8, an invalid sequence as U+FFFD', () => {
    expect(unescapeKmsg('\\xf0\\x9f\\x98\\x80 and \\xff!')).toBe('😀 and \ufffd!');
    expect(unescapeKmsg('é\\x0a')).toBe('é\n');
  });
});

describe("unescapeRsyslog (rsyslog's #NNN for a control character)", () => {
  it('decodes #000 to #037, anywhere in the text', () => {
    expect(unescapeRsyslog('a#011b')).toBe('a\tb');
    expect(unescapeRsyslog('#012x#000y#037')).toBe('\nx\0y\x1f');
    expect(unescapeRsyslog('x#0#011')).toBe('x#0\t');
  });

  it('keeps what is no control character: #040 and up, a non-octal digit, a number cut by the end', () => {
    for (const kept of ['#040', '#077', '#048', '#018', '#0/1', '#00/', '#0:0', '#01', '#0', '#', '012', 'x012y']) {
      expect(unescapeRsyslog(kept), kept).toBe(kept);
      expect(unescapeRsyslog(`${kept}#011`), kept).toBe(`${kept}\t`);
    }
  });
});

describe('unescape', () => {
  it('undoes the escapes the record says it holds, and no others', () => {
    expect(unescape('#011\\x41', 'kmsg')).toBe('#011A');
    expect(unescape('#011\\x41', 'rsyslog')).toBe('\t\\x41');
    expect(unescape('#011\\x41', undefined)).toBe('#011\\x41');
  });
});
