import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.js';

function capture(level: 'debug' | 'info' | 'warn' | 'error', format: 'logfmt' | 'json'): { lines: string[]; log: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return { lines, log: createLogger(level, format, (l) => lines.push(l)) };
}

describe('createLogger', () => {
  it('keeps a null field as JSON null and drops an undefined one', () => {
    const { lines, log } = capture('info', 'json');
    log.warn('oom kill', { comm: 'python3', last_oom_score: null, absent: undefined, pid: 42 });
    const rec = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(rec).toMatchObject({ level: 'warn', msg: 'oom kill', comm: 'python3', pid: 42, last_oom_score: null });
    expect('absent' in rec).toBe(false);
    expect(typeof rec.time).toBe('string');
  });

  it('writes a null field as an empty logfmt value, and quotes what needs quoting', () => {
    const { lines, log } = capture('info', 'logfmt');
    log.warn('oom kill', { comm: 'a "b" c', last_oom_score: null, empty: '', pid: 7 });
    const line = lines[0]!;
    expect(line).toMatch(/^time=\S+ level=warn msg="oom kill" /);
    expect(line).toContain(' comm="a \\"b\\" c"');
    expect(line).toContain(' last_oom_score= ');
    expect(line).toContain(' empty=""');
    expect(line.endsWith(' pid=7\n')).toBe(true);
  });

  it('drops lines below the configured level', () => {
    const { lines, log } = capture('warn', 'logfmt');
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    expect(lines.map((l) => /level=(\w+)/.exec(l)![1])).toEqual(['warn', 'error']);
  });
});
