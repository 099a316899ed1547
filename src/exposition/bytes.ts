/**
 * The bytes of the Prometheus text exposition format (0.0.4): escaping, number formatting and the
 * growable buffer a scrape body is written into. metrics.ts builds families and samples on top.
 */

/** Label values escape backslash, double quote and newline; nothing else (exposition format 0.0.4). */
export function escapeLabelValue(v: string): string {
  return /[\\"\n]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : v;
}

/** HELP text escapes backslash and newline. */
export function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** The format's spelling of a sample value; String() already spells NaN as "NaN". */
export function formatValue(v: number): string {
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/**
 * A growable byte buffer reused from scrape to scrape: the body of a scrape is written into one.
 * The per-process families go in as bytes instead of as tens of thousands of line strings, which
 * would live just long enough to be promoted to the old generation and then die, and the body is
 * served from it without a copy: that churn, not the live data, set the exporter's RSS.
 */
export class ByteWriter {
  private buf: Buffer;

  /** `initialBytes`: the size of the body expected (the last one), so it is not grown by copies. */
  constructor(initialBytes = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  private len = 0;

  reset(): void {
    this.len = 0;
  }

  /** Bytes written so far; truncate(mark) undoes what a failed writer left. */
  get length(): number {
    return this.len;
  }

  truncate(mark: number): void {
    this.len = Math.min(this.len, mark);
  }

  private ensure(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    // Grow by a quarter more than needed, not by doubling: the buffer is kept from scrape to scrape,
    // so its slack is resident memory for the exporter's whole life.
    const size = Math.ceil((this.len + extra) * 1.25);
    const bigger = Buffer.allocUnsafe(size);
    this.buf.copy(bigger, 0, 0, this.len);
    this.buf = bigger;
  }

  bytes(b: Buffer): void {
    this.ensure(b.length);
    b.copy(this.buf, this.len);
    this.len += b.length;
  }

  string(s: string): void {
    this.ensure(Buffer.byteLength(s));
    this.len += this.buf.write(s, this.len); // as UTF-8
  }

  /** Writes a sample value followed by a newline; integers without an intermediate string. */
  value(v: number): void {
    if (!Number.isSafeInteger(v)) {
      this.string(formatValue(v) + '\n');
      return;
    }
    this.ensure(22);
    let n = v;
    if (n < 0) {
      this.buf[this.len++] = 45; // '-'
      n = -n;
    }
    const start = this.len;
    do {
      this.buf[this.len++] = 48 + (n % 10);
      n = Math.floor(n / 10);
    } while (n > 0);
    // Digits were written least significant first.
    for (let i = start, j = this.len - 1; i < j; i++, j--) {
      const t = this.buf[i] ?? 0;
      this.buf[i] = this.buf[j] ?? 0;
      this.buf[j] = t;
    }
    this.buf[this.len++] = 10; // '\n'
  }

  /** The bytes written so far; valid until the next write or reset. */
  view(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}
