import { describe, expect, it } from 'vitest';
import { parseMemoryCgroup } from '../../src/procfs/cgroup.js';
import { parseMeminfo } from '../../src/procfs/meminfo.js';
import { intAt } from '../../src/procfs/read.js';
import { parsePressure } from '../../src/procfs/pressure.js';
import { parseVmstatValue } from '../../src/procfs/vmstat.js';

describe('parseMemoryCgroup', () => {
  it('takes the v2 path on a pure cgroup v2 machine', () => {
    expect(parseMemoryCgroup('0::/system.slice/docker-abc.scope\n')).toBe('/system.slice/docker-abc.scope');
  });
  it('takes the v1 memory controller line on hybrid machines, not 0::', () => {
    expect(parseMemoryCgroup('12:pids:/\n4:memory:/process_api/7b7b\n0::/\n')).toBe('/process_api/7b7b');
  });
  it('finds memory among co-mounted controllers', () => {
    expect(parseMemoryCgroup('5:cpu,memory:/x\n')).toBe('/x');
  });
  it('keeps colons inside the path', () => {
    expect(parseMemoryCgroup('0::/a:b/c\n')).toBe('/a:b/c');
  });
  it('is empty when there is neither a memory nor a v2 line', () => {
    expect(parseMemoryCgroup('3:cpu,cpuacct:/\n')).toBe('');
    expect(parseMemoryCgroup('')).toBe('');
  });
  it('does not mistake a named hierarchy for the memory controller', () => {
    expect(parseMemoryCgroup('1:name=memory:/fake\n0::/real\n')).toBe('/real');
  });
});

describe('intAt', () => {
  const int = (s: string) => intAt(Buffer.from(s), 0, Buffer.byteLength(s));
  it('reads negative adj and rejects garbage', () => {
    expect(int('-900\n')).toBe(-900);
    expect(int('667\n')).toBe(667);
    expect(int('')).toBeUndefined();
    expect(int('-')).toBeUndefined();
    expect(int('x1')).toBeUndefined();
  });
});

describe('parseMeminfo', () => {
  it('converts kB to bytes and keeps unit-less counts', () => {
    const m = parseMeminfo('MemTotal:       1000 kB\nHugePages_Total:       4\n');
    expect(m.get('MemTotal')).toBe(1024000);
    expect(m.get('HugePages_Total')).toBe(4);
    expect(m.get('MemAvailable')).toBeUndefined();
  });
});

describe('parseVmstatValue', () => {
  it('finds a key anywhere, including first and last lines without newline', () => {
    expect(parseVmstatValue('oom_kill 7\nx 1\n', 'oom_kill')).toBe(7);
    expect(parseVmstatValue('x 1\noom_kill 9', 'oom_kill')).toBe(9);
    expect(parseVmstatValue('x 1\nfoo_oom_kill 9\n', 'oom_kill')).toBeUndefined();
  });
  it('is undefined before kernel 4.13 (no oom_kill line)', () => {
    expect(parseVmstatValue('nr_free_pages 1\n', 'oom_kill')).toBeUndefined();
  });
});

describe('parsePressure', () => {
  it('returns totals in seconds', () => {
    expect(parsePressure('some avg10=0.00 avg60=0.00 avg300=0.00 total=1500000\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=250\n')).toEqual({
      someSeconds: 1.5,
      fullSeconds: 0.00025,
    });
  });
  it('has no full line on kernels that print only some', () => {
    expect(parsePressure('some avg10=0.00 avg60=0.00 avg300=0.00 total=10\n').fullSeconds).toBeUndefined();
  });
});

describe('the small procfs parsers, at their edges', () => {
  it('/proc/PID/cgroup: skips lines without two colons; only hierarchy 0 is v2', () => {
    expect(parseMemoryCgroup('garbage\n3:pids\n0::/v2\n')).toBe('/v2');
    expect(parseMemoryCgroup('1::/named-empty-controllers\n')).toBe('');
    expect(parseMemoryCgroup('x:memory\n2:memory:/m\n')).toBe('/m');
    expect(parseMemoryCgroup(':memory:/m\n')).toBe('/m');
    // A line cut after hierarchy 0's first colon is no v2 line.
    expect(parseMemoryCgroup('0:\n')).toBe('');
  });

  it('/proc/meminfo: kB to bytes, plain numbers as they are, lines without a colon or a number skipped', () => {
    const m = parseMeminfo('MemTotal:     1000 kB\nHugePages_Total:       4\nno colon 5\nBad: x kB\n:7\n');
    expect([...m.entries()]).toEqual([
      ['MemTotal', 1024000],
      ['HugePages_Total', 4],
      ['', 7],
    ]);
    expect(parseMeminfo('A:1 kB').get('A')).toBe(1024);
    // A number without a key before a colon is skipped; blanks after the unit do not hide it.
    expect([...parseMeminfo('MemTotal:  1000 kB \r\n512 kB\nMemFree:  512 kB\t\n').entries()]).toEqual([
      ['MemTotal', 1024000],
      ['MemFree', 524288],
    ]);
  });

  it('/proc/pressure/memory: only a line that starts with some or full, its total only', () => {
    expect(parsePressure('xsome avg10=0.00 total=5\n some avg10=0.00 total=6\nfull avg10=1 total=7\n')).toStrictEqual({ someSeconds: undefined, fullSeconds: 0.000007 });
    // Both fields are there, undefined, when the file has no line at all (the collector reads each).
    expect(parsePressure('')).toStrictEqual({ someSeconds: undefined, fullSeconds: undefined });
  });

  it('/proc/vmstat: a key as a whole word at a line start, its number to the line end', () => {
    expect(parseVmstatValue('oom_kill_x 1\noom_kill 2', 'oom_kill')).toBe(2);
    // A longer key on an earlier line (not the first) is not the one asked for.
    expect(parseVmstatValue('nr_free_pages 2326197\nthp_fault_fallback_charge 0\nthp_fault_fallback 7\n', 'thp_fault_fallback')).toBe(7);
    // A key without its number is undefined, not the start of the next line.
    expect(parseVmstatValue('nr_free_pages 1\noom_kill \n42\n', 'oom_kill')).toBeUndefined();
    expect(parseVmstatValue('oom_kill 2\nx 3\n', 'oom_kill')).toBe(2);
    expect(parseVmstatValue('a 1\noom_kill 42', 'oom_kill')).toBe(42);
    expect(parseVmstatValue('oom_killed 1\n', 'oom_kill')).toBeUndefined();
    expect(parseVmstatValue('xoom_kill 1\n', 'oom_kill')).toBeUndefined();
    expect(parseVmstatValue('oom_kill x\n', 'oom_kill')).toBeUndefined();
    expect(parseVmstatValue('a 1\n', 'a 1')).toBeUndefined();
  });
});
