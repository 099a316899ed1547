import { type ByteWriter, escapeHelp, escapeLabelValue } from './bytes.js';

/**
 * The one way every oom_* family is written: const metrics, as client_golang's MustNewConstMetric.
 * A collector reads, then writes each family's HELP and TYPE once and its samples, straight into the
 * scrape body. There is no registry of metric objects to set, reset or unregister: what a scrape did
 * not write does not exist, so a process that exited, a cgroup removed or a kernel without a counter
 * simply has no series, and a collector that failed is cut out of the body whole.
 *
 * prom-client stays for the exporter's own runtime metrics (process_*, nodejs_*) only.
 */

export type MetricType = 'gauge' | 'counter';

/** A family's fixed parts, encoded once when the module loads. */
export class Family<L extends string = string> {
  readonly header: Buffer;
  readonly nameBytes: Buffer;

  constructor(
    readonly name: string,
    readonly type: MetricType,
    readonly help: string,
    readonly labelNames: readonly L[],
  ) {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new Error(`invalid metric name "${name}"`);
    for (const l of labelNames) if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(l) || l.startsWith('__')) throw new Error(`invalid label name "${l}" in ${name}`);
    if (type === 'counter' && !name.endsWith('_total')) throw new Error(`counter ${name} must end in _total`);
    this.header = Buffer.from(`# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`);
    this.nameBytes = Buffer.from(name);
  }

  /**
   * `{a="…",b="…"} ` for these label values, escaped: what sampleWith() takes. Families with the same
   * label names share a rendering, so the hot path renders a process's labels once for four families.
   */
  render(values: Readonly<Record<L, string>>): string {
    let s = '{';
    for (let i = 0; i < this.labelNames.length; i++) {
      const name = this.labelNames[i] as L;
      s += `${i === 0 ? '' : ','}${name}="${escapeLabelValue(values[name])}"`;
    }
    return s + '} ';
  }
}

export function gauge<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Family<L> {
  return new Family(name, 'gauge', help, labelNames);
}

export function counter<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Family<L> {
  return new Family(name, 'counter', help, labelNames);
}

/** Where the writer stood; rollback() to it removes whatever was written after. */
export interface WriterMark {
  readonly bytes: number;
  readonly families: number;
}

/**
 * Writes families and samples into a scrape body. Each family's HELP/TYPE comes once per body (a
 * second family() of the same name is a bug and throws), and a sample belongs to the family written
 * last (anything else would interleave families, which the format forbids).
 */
export class MetricWriter {
  private current: Family<string> | null = null;
  private readonly written: string[] = [];
  private readonly names = new Set<string>();

  constructor(private readonly out: ByteWriter) {}

  /** Starts a family: its HELP and TYPE lines. A labelled family with no samples is still declared. */
  family(f: Family<string>): void {
    if (this.names.has(f.name)) throw new Error(`family ${f.name} written twice in one scrape`);
    this.names.add(f.name);
    this.written.push(f.name);
    this.current = f;
    this.out.bytes(f.header);
  }

  /** A sample of the family started last, its labels given by name. */
  sample<L extends string>(f: Family<L>, labels: Readonly<Record<L, string>>, value: number): void {
    this.check(f);
    this.out.bytes(f.nameBytes);
    this.out.string(f.render(labels));
    this.out.value(value);
  }

  /** The hot path: a sample whose labels were rendered (f.render) and encoded once, for many scrapes. */
  sampleWith(f: Family<string>, rendered: Buffer, value: number): void {
    this.check(f);
    this.out.bytes(f.nameBytes);
    this.out.bytes(rendered);
    this.out.value(value);
  }

  /**
   * An unlabelled family and its one sample; nothing at all when the value is undefined (a kernel
   * without PSI, vmstat before 4.13): no series is the honest answer, not a made-up 0.
   */
  single(f: Family<never>, value: number | undefined): void {
    if (value === undefined) return;
    this.family(f);
    this.out.bytes(f.nameBytes);
    this.out.string(' ');
    this.out.value(value);
  }

  mark(): WriterMark {
    return { bytes: this.out.length, families: this.written.length };
  }

  /** Takes back everything written since the mark: a collector that threw serves none of its families. */
  rollback(m: WriterMark): void {
    this.out.truncate(m.bytes);
    for (const name of this.written.splice(m.families)) this.names.delete(name);
    this.current = null;
  }

  private check(f: Family<string>): void {
    if (this.current !== f) throw new Error(`sample of ${f.name} outside its family`);
  }
}
