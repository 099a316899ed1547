import { describe, expect, it } from 'vitest';
import { ByteWriter, escapeHelp, escapeLabelValue, formatValue } from '../../src/exposition/bytes.js';

describe('escaping', () => {
  it('escapes a label value made of nothing but what must be escaped', () => {
    expect(escapeLabelValue('"')).toBe('\\"');
    expect(escapeLabelValue('\\')).toBe('\\\\');
    expect(escapeLabelValue('\n')).toBe('\\n');
    expect(escapeLabelValue('a\tb{}=,')).toBe('a\tb{}=,');
    expect(escapeLabelValue('')).toBe('');
  });

  it('escapes backslash and newline in HELP, and leaves quotes', () => {
    expect(escapeHelp('a "b" \\ c\nd')).toBe('a "b" \\\\ c\\nd');
  });

  it('spells the special values as the format does', () => {
    expect([NaN, Infinity, -Infinity, 0.5, -0.25, 1e21].map(formatValue)).toEqual(['NaN', '+Inf', '-Inf', '0.5', '-0.25', '1e+21']);
  });
});

describe('ByteWriter', () => {
  const text = (w: ByteWriter): string => w.view().toString();

  it('writes integers as digits (0 and negative ones too) and other numbers as the format spells them', () => {
    const w = new ByteWriter(4);
    for (const v of [0, 7, -7, 10, -100, 1234567890, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 53, 0.1, NaN]) w.value(v);
    expect(text(w)).toBe(['0', '7', '-7', '10', '-100', '1234567890', '9007199254740991', '-9007199254740991', '9007199254740992', '0.1', 'NaN', ''].join('\n'));
  });

  it('grows past its first size, keeping what was written', () => {
    const w = new ByteWriter();
    const line = 'x'.repeat(1000);
    for (let i = 0; i < 200; i++) w.string(line);
    w.bytes(Buffer.from('é'));
    expect(w.length).toBe(200_002);
    expect(text(w)).toBe(line.repeat(200) + 'é');
  });

  it('keeps its buffer while what is written fits, to the last byte: a body of the size expected is not copied', () => {
    // Sizes of 4 KiB and more: Buffer.allocUnsafe takes smaller ones from a shared pool.
    const w = new ByteWriter(8192);
    w.string('# HELP oom_kills_total OOM kills.\n');
    const first = w.view().buffer;
    w.string('x'.repeat(8192 - w.length - 3));
    w.string('42\n');
    expect(w.length).toBe(8192);
    expect(w.view().buffer).toBe(first);
    // One byte more does not fit.
    w.bytes(Buffer.from('\n'));
    expect(w.view().buffer).not.toBe(first);
    expect(text(w)).toBe('# HELP oom_kills_total OOM kills.\n' + 'x'.repeat(8192 - 34 - 3) + '42\n\n');
  });

  it('holds 64 KiB before it first grows, unless told another size', () => {
    const w = new ByteWriter();
    w.string('a');
    const first = w.view().buffer;
    w.bytes(Buffer.alloc(64 * 1024 - 1, 'b'));
    expect(w.view().buffer).toBe(first);
    w.string('c');
    expect(w.view().buffer).not.toBe(first);
    expect(text(w)).toBe('a' + 'b'.repeat(64 * 1024 - 1) + 'c');
  });

  it('truncates back to a mark, never forward; reset starts it over', () => {
    const w = new ByteWriter(8);
    w.string('hello');
    w.truncate(100);
    expect(text(w)).toBe('hello');
    w.truncate(2);
    expect(text(w)).toBe('he');
    w.string('y');
    expect(text(w)).toBe('hey');
    w.reset();
    expect(w.length).toBe(0);
    w.string('ok');
    expect(text(w)).toBe('ok');
  });
});
