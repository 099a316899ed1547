import { describe, expect, it } from 'vitest';
import { FlagError } from '../../src/flags.js';
import { DEFAULT_INTERVAL_SECONDS, parseTopArgs } from '../../src/top/command.js';
import { parseSomeAvg10 } from '../../src/top/read.js';

describe('parseTopArgs', () => {
  it('has defaults: refreshing, limit from the terminal, the default interval, all cgroups', () => {
    expect(parseTopArgs([])).toEqual({
      once: false,
      limit: undefined,
      intervalSeconds: DEFAULT_INTERVAL_SECONDS,
      cgroup: undefined,
      procfs: undefined,
      sysfs: undefined,
      cgroupfs: undefined,
    });
  });

  it('reads every option, spaced and with =', () => {
    const paths = { procfs: undefined, sysfs: undefined, cgroupfs: undefined };
    expect(parseTopArgs(['--once', '-n', '5', '--interval', '0.5', '--cgroup', '/a/b'])).toEqual({
      once: true,
      limit: 5,
      intervalSeconds: 0.5,
      cgroup: '/a/b',
      ...paths,
    });
    expect(parseTopArgs(['--limit=7', '--interval=3', '--cgroup=/x'])).toEqual({ once: false, limit: 7, intervalSeconds: 3, cgroup: '/x', ...paths });
    expect(parseTopArgs(['--path.procfs', '/host/proc/', '--path.sysfs=/host/sys', '--path.cgroupfs', '/host/sys/fs/cgroup'])).toMatchObject({
      procfs: '/host/proc',
      sysfs: '/host/sys',
      cgroupfs: '/host/sys/fs/cgroup',
    });
  });

  it.each([
    [['-n', '0'], /-n must be a whole number/],
    [['--limit', 'ten'], /--limit must be a whole number .*"ten"/],
    [['-n'], /-n needs a value/],
    [['--interval', '0'], /--interval must be a number of seconds above 0 \(got "0"\)/],
    [['--interval=-1'], /above 0/],
    [['--interval', 'soon'], /"soon"/],
    [['--cgroup', 'system.slice'], /--cgroup must be a cgroup path starting with \//],
    [['--cgroup='], /--cgroup needs a value/],
    [['--once=yes'], /unknown argument "--once=yes"/],
    [['--bogus'], /unknown argument "--bogus"/],
    [['--interval', '0.001'], /--interval must be from 0.1 to 86400 seconds \(got "0.001"\)/],
    [['--interval', '3000000'], /from 0.1 to 86400/],
    [['--limit=5', '--limit=6'], /--limit is given more than once/],
    [['-n', '5', '--limit', '6'], /--limit is given more than once/],
    [['--once', '--once'], /--once is given more than once/],
    [['--path.procfs', 'proc'], /--path.procfs must be an absolute path \(got "proc"\)/],
  ])('refuses %j with a message naming what was wrong', (argv, message) => {
    expect(() => parseTopArgs(argv)).toThrow(FlagError);
    expect(() => parseTopArgs(argv)).toThrow(message);
  });
});

describe('parseSomeAvg10', () => {
  it('reads the "some" line of /proc/pressure/memory', () => {
    expect(parseSomeAvg10('some avg10=12.34 avg60=0.00 avg300=0.00 total=5\nfull avg10=1.00 avg60=0.00 avg300=0.00 total=1\n')).toBe(12.34);
    expect(parseSomeAvg10('full avg10=1.00 avg60=0.00 avg300=0.00 total=1\n')).toBeUndefined();
  });
});
