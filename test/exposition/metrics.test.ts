import { describe, expect, it } from 'vitest';
import { ByteWriter } from '../../src/exposition/bytes.js';
import { counter, gauge, MetricWriter } from '../../src/exposition/metrics.js';

function writer(): { w: MetricWriter; text: () => string } {
  const out = new ByteWriter(16);
  return { w: new MetricWriter(out), text: () => out.view().toString() };
}

describe('MetricWriter', () => {
  it('writes HELP and TYPE once, then samples with escaped labels', () => {
    const { w, text } = writer();
    const f = gauge('oom_t', 'help with \\ and\nnewline', ['comm', 'cgroup']);
    w.family(f);
    w.sample(f, { comm: 'a\\b\nc"d', cgroup: '/x,comm:y' }, 3);
    w.sample(f, { comm: '', cgroup: '' }, 0.5);
    expect(text()).toBe(
      '# HELP oom_t help with \\\\ and\\nnewline\n# TYPE oom_t gauge\n' + 'oom_t{comm="a\\\\b\\nc\\"d",cgroup="/x,comm:y"} 3\n' + 'oom_t{comm="",cgroup=""} 0.5\n',
    );
  });

  it('writes NaN and infinities as the format spells them, and big integers whole', () => {
    const { w, text } = writer();
    const f = gauge('oom_v', 'v', ['k']);
    w.family(f);
    for (const [k, v] of [
      ['nan', NaN],
      ['pinf', Infinity],
      ['ninf', -Infinity],
      ['big', 2 ** 53 - 1],
      ['neg', -1000],
    ] as const)
      w.sample(f, { k }, v);
    expect(text().split('\n').slice(2, 7)).toEqual([
      'oom_v{k="nan"} NaN',
      'oom_v{k="pinf"} +Inf',
      'oom_v{k="ninf"} -Inf',
      'oom_v{k="big"} 9007199254740991',
      'oom_v{k="neg"} -1000',
    ]);
  });

  it('writes nothing at all for an unlabelled value the kernel does not have', () => {
    const { w, text } = writer();
    w.single(counter('oom_c_total', 'c'), undefined);
    expect(text()).toBe('');
    w.single(counter('oom_c_total', 'c'), 7);
    expect(text()).toBe('# HELP oom_c_total c\n# TYPE oom_c_total counter\noom_c_total 7\n');
  });

  it('refuses a family written twice in one body, and a sample outside its family', () => {
    const { w } = writer();
    const a = gauge('oom_a', 'a', ['x']);
    const b = gauge('oom_b', 'b', ['x']);
    w.family(a);
    expect(() => w.family(gauge('oom_a', 'again'))).toThrow(/written twice/);
    w.family(b);
    expect(() => w.sample(a, { x: '1' }, 1)).toThrow(/outside its family/);
  });

  it('rolls back to a mark: the bytes and the families written since are gone, and may be written again', () => {
    const { w, text } = writer();
    const a = gauge('oom_a', 'a');
    const b = gauge('oom_b', 'b');
    w.single(a, 1);
    const mark = w.mark();
    w.single(b, 2);
    w.rollback(mark);
    expect(text()).toBe('# HELP oom_a a\n# TYPE oom_a gauge\noom_a 1\n');
    w.single(b, 3);
    expect(text()).toContain('oom_b 3\n');
  });

  it('marks where it stands: the bytes and the families written so far, none on a new writer', () => {
    const { w } = writer();
    expect(w.mark()).toEqual({ bytes: 0, families: 0 });
    w.single(gauge('oom_a', 'a'), 1);
    expect(w.mark()).toEqual({ bytes: '# HELP oom_a a\n# TYPE oom_a gauge\noom_a 1\n'.length, families: 1 });
    w.rollback({ bytes: 0, families: 0 });
    expect(w.mark()).toEqual({ bytes: 0, families: 0 });
  });

  it('refuses invalid names and counters without _total when the family is defined', () => {
    expect(() => gauge('1bad', 'x')).toThrow(/invalid metric name/);
    expect(() => gauge('oom_x', 'x', ['__reserved'])).toThrow(/invalid label name/);
    expect(() => counter('oom_x', 'x')).toThrow(/_total/);
  });

  it('checks the whole name of a metric and of each label, not a prefix or a suffix of it', () => {
    expect(() => gauge('oom_a-b', 'x')).toThrow('invalid metric name "oom_a-b"');
    expect(() => gauge('oom:ok_1', 'x')).not.toThrow();
    for (const bad of ['a-b', '9a', 'a b', '']) expect(() => gauge('oom_x', 'x', [bad]), bad).toThrow(`invalid label name "${bad}" in oom_x`);
    expect(() => gauge('oom_x', 'x', ['_a', 'b9'])).not.toThrow();
  });

  it('writes samples whose labels were rendered once, on the hot path', () => {
    const { w, text } = writer();
    const f = gauge('oom_r', 'r', ['pid', 'comm']);
    const rendered = Buffer.from(f.render({ pid: '1', comm: 'a"b' }));
    w.family(f);
    w.sampleWith(f, rendered, 5);
    w.sampleWith(f, rendered, 6);
    expect(text()).toBe('# HELP oom_r r\n# TYPE oom_r gauge\noom_r{pid="1",comm="a\\"b"} 5\noom_r{pid="1",comm="a\\"b"} 6\n');
    expect(() => w.sampleWith(gauge('oom_s', 's'), rendered, 1)).toThrow('sample of oom_s outside its family');
  });
});
