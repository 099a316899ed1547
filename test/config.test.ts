import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PORT, FlagError, helpText, parseConfig, parseListenAddress } from '../src/config.js';
import { golden } from './helpers/golden.js';
import { parseSize } from '../src/size.js';

const parse = (...argv: string[]) => parseConfig(argv);
const fails = (argv: string[], pattern: RegExp): void => {
  expect(() => parse(...argv)).toThrow(FlagError);
  expect(() => parse(...argv)).toThrow(pattern);
};

describe('parseConfig', () => {
  it('has node_exporter-like defaults', () => {
    const c = parse();
    expect(c.listen).toEqual({ host: '', port: DEFAULT_PORT });
    expect(c.telemetryPath).toBe('/metrics');
    expect(c.procfs).toBe('/proc');
    expect(c.sysfs).toBe('/sys');
    expect(c.selection.match).toBe('comm');
    expect(c.kernelLogSource).toBe('auto');
    expect(c.collectors.get('process')).toBe(true);
  });

  it('accepts --flag=value and --flag value', () => {
    const c = parse('--web.listen-address=127.0.0.1:9999', '--path.procfs', '/host/proc/', '--process.min-rss=64MiB', '--process.top-n', '20');
    expect(c.listen).toEqual({ host: '127.0.0.1', port: 9999 });
    expect(c.procfs).toBe('/host/proc');
    expect(c.selection.minRssBytes).toBe(64 * 1024 * 1024);
    expect(c.selection.topN).toBe(20);
  });

  it('takes --web.config.file; empty or absent is none, as in node_exporter', () => {
    expect(parse().webConfigFile).toBeUndefined();
    expect(parse('--web.config.file', '/etc/oom-exporter/web-config.yml').webConfigFile).toBe('/etc/oom-exporter/web-config.yml');
    expect(parse('--web.config.file=').webConfigFile).toBeUndefined();
    fails(['--web.config.file'], /--web\.config\.file needs a value/);
  });

  it('turns collectors on and off', () => {
    const c = parse('--no-collector.process', '--collector.pressure');
    expect(c.collectors.get('process')).toBe(false);
    expect(c.collectors.get('pressure')).toBe(true);
  });

  it('anchors include/exclude regexes to the whole name', () => {
    const c = parse('--process.include=py.*', '--process.exclude=java');
    expect(c.selection.include?.test('python3')).toBe(true);
    expect(c.selection.include?.test('cpython')).toBe(false);
    expect(c.selection.exclude?.test('javac')).toBe(false);
  });

  it('throws FlagError, named so, for a bad flag', () => {
    let err: unknown;
    try {
      parse('--nope');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FlagError);
    expect((err as Error).name).toBe('FlagError');
  });

  it('names the flag in every error', () => {
    fails(['--nope'], /unknown flag --nope/);
    fails(['--process.include=('], /--process\.include/);
    fails(['--process.min-rss=lots'], /--process\.min-rss "lots"/);
    fails(['--process.top-n=0'], /--process\.top-n/);
    fails(['--web.listen-address=nohost'], /--web\.listen-address "nohost"/);
    fails(['--web.listen-address=:70000'], /--web\.listen-address/);
    fails(['--web.listen-address=::1:80'], /--web\.listen-address/);
    fails(['--collector.nosuch'], /unknown collector in --collector\.nosuch/);
    fails(['--log.level=loud'], /--log\.level "loud"/);
    fails(['--log.format=xml'], /--log\.format "xml"/);
    fails(['--kernel-log.source=dmesg'], /--kernel-log\.source "dmesg"/);
    fails(['--kernel-log.source=file'], /--kernel-log\.file/);
    fails(['--process.match=argv'], /--process\.match/);
    fails(['--web.telemetry-path=metrics'], /--web\.telemetry-path/);
    fails(['--web.telemetry-path=/healthz'], /--web\.telemetry-path "\/healthz"/);
    // The console's files and the API have these paths.
    for (const p of ['/static/page.js', '/api/v1/kills', '/api', '/favicon.ico']) fails([`--web.telemetry-path=${p}`], /--web\.telemetry-path ".*": must start with \//);
    fails(['--path.procfs'], /--path\.procfs needs a value/);
    // A forgotten value is not the next flag: --kernel-log.file --once must not follow a file named "--once".
    fails(['--kernel-log.file', '--once'], /--kernel-log\.file needs a value/);
    fails(['positional'], /unexpected argument "positional"/);
    fails(['--once=maybe'], /--once takes no value/);
  });
});

describe('parseListenAddress', () => {
  it('understands host:port, :port and [v6]:port', () => {
    expect(parseListenAddress(':1')).toEqual({ host: '', port: 1 });
    expect(parseListenAddress('[::1]:9')).toEqual({ host: '::1', port: 9 });
    expect(parseListenAddress('localhost:80')).toEqual({ host: 'localhost', port: 80 });
    expect(parseListenAddress('localhost')).toBeUndefined();
    expect(parseListenAddress('a b:80')).toBeUndefined();
    // A port without its colon is no address; a one-letter host name is one.
    expect(parseListenAddress('9')).toBeUndefined();
    expect(parseListenAddress('x:80')).toEqual({ host: 'x', port: 80 });
  });

  it('takes ports 0 to 65535 of one to five digits, and nothing after them', () => {
    expect(parseListenAddress(':65535')).toEqual({ host: '', port: 65535 });
    expect(parseListenAddress(':0')).toEqual({ host: '', port: 0 });
    for (const bad of [':65536', ':123456', ':', ':80x', ':x80', ':-1', '[::1]:65536', '[::1]:', '[::1]:80x', 'x[::1]:80'])
      expect(parseListenAddress(bad), bad).toBeUndefined();
  });

  it('wants brackets around an IPv6 address, and a real one inside them (a zone after % allowed)', () => {
    expect(parseListenAddress('[fe80::1%eth0]:80')).toEqual({ host: 'fe80::1%eth0', port: 80 });
    expect(parseListenAddress('[::]:80')).toEqual({ host: '::', port: 80 });
    for (const bad of ['::1:80', '[:::1]:80', '[1.2.3.4]:80', '[gg::1]:80', '[::1%]x:80', '[fe80::1%]:80']) expect(parseListenAddress(bad), bad).toBeUndefined();
  });

  it('takes IPv4 addresses and host names, not digits and dots that are no address', () => {
    expect(parseListenAddress('10.0.0.1:80')).toEqual({ host: '10.0.0.1', port: 80 });
    expect(parseListenAddress('my-host.example:80')).toEqual({ host: 'my-host.example', port: 80 });
    expect(parseListenAddress('1host:80')).toEqual({ host: '1host', port: 80 });
    expect(parseListenAddress('node1:80')).toEqual({ host: 'node1', port: 80 });
    for (const bad of ['256.1.1.1:80', '1.2.3:80', '1..2.3:80', '10:80', 'a_b:80', 'a/b:80']) expect(parseListenAddress(bad), bad).toBeUndefined();
  });
});

describe('parseSize', () => {
  it('reads binary and SI suffixes', () => {
    expect(parseSize('1024')).toBe(1024);
    expect(parseSize('64MiB')).toBe(64 * 2 ** 20);
    expect(parseSize('64M')).toBe(64 * 2 ** 20);
    expect(parseSize('1.5GiB')).toBe(1.5 * 2 ** 30);
    expect(parseSize('500MB')).toBe(500e6);
    expect(parseSize('2 kB')).toBe(2000);
    expect(parseSize('-1')).toBeUndefined();
    expect(parseSize('12 parsecs')).toBeUndefined();
    expect(parseSize('')).toBeUndefined();
  });

  it('takes whitespace around a size, fractions of any length, and nothing after the unit', () => {
    expect(parseSize(' 64MiB ')).toBe(64 * 2 ** 20);
    expect(parseSize('1.25k')).toBe(1280);
    expect(parseSize('0.001KiB')).toBe(1);
    for (const bad of ['1k 2', '1k2', '1 2', '1.', '.5k', '1,5k', 'k']) expect(parseSize(bad), bad).toBeUndefined();
    // Beyond the integers a double holds exactly: refused rather than rounded.
    expect(parseSize('9999999TiB')).toBeUndefined();
  });

  it.each([
    ['3', 3],
    ['3b', 3],
    ['3B', 3],
    ['3k', 3 * 1024],
    ['3K', 3 * 1024],
    ['3KiB', 3 * 1024],
    ['3m', 3 * 1024 ** 2],
    ['3MiB', 3 * 1024 ** 2],
    ['3g', 3 * 1024 ** 3],
    ['3G', 3 * 1024 ** 3],
    ['3GiB', 3 * 1024 ** 3],
    ['3t', 3 * 1024 ** 4],
    ['3T', 3 * 1024 ** 4],
    ['3TiB', 3 * 1024 ** 4],
    ['3kB', 3000],
    ['3KB', 3000],
    ['3MB', 3e6],
    ['3GB', 3e9],
    ['3TB', 3e12],
  ])('%s is %d bytes', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });
});

describe('helpText', () => {
  it('lists every flag and collector', () => {
    const h = helpText();
    for (const f of ['--web.listen-address', '--web.config.file=PATH', '--process.top-n', '--kernel-log.state-file', '--[no-]collector.process', '--once', '--version']) {
      expect(h).toContain(f);
    }
  });

  // What --help prints is read by people: its every word, argument and default is reviewed as a golden
  // file (UPDATE_GOLDEN=1 npm test rewrites it after an intended change; a missing one fails).
  it('is the checked-in --help text, in two aligned columns', () => {
    const text = helpText();
    expect(text).toBe(golden(fileURLToPath(new URL('./golden/help.txt', import.meta.url)), text));
    // The help of every flag starts in one column, two spaces after the longest flag.
    const rows = text.split('\n').filter((l) => l.startsWith('  --'));
    expect(new Set(rows.map((r) => /^ {2}\S+ +/.exec(r)?.[0].length)).size).toBe(1);
    expect(Math.min(...rows.map((r) => (/^ {2}\S+ +/.exec(r)?.[0].length ?? 0) - (/^ {2}\S+/.exec(r)?.[0].length ?? 0)))).toBe(2);
  });
});

describe('parseConfig, every rule', () => {
  it('turns a bool flag off with =false and on with =true, and refuses any other value', () => {
    expect(parse('--once=true').once).toBe(true);
    expect(parse('--once', '--once=false').once).toBe(false);
    expect(parse('--web.disable-exporter-metrics').disableExporterMetrics).toBe(true);
    expect(parse('--web.disable-exporter-metrics=false').disableExporterMetrics).toBe(false);
    expect(() => parse('--once=yes')).toThrow('--once takes no value (or =true/=false), got "yes"');
  });

  it('names the collectors it knows when it does not know one, and takes no value for a collector flag', () => {
    expect(() => parse('--no-collector.nosuch')).toThrow(
      'unknown collector in --no-collector.nosuch: "nosuch" (known: process, memory, vmstat, pressure, kernellog, cgroup, docker)',
    );
    expect(() => parse('--collector.docker=true')).toThrow('--collector.docker takes no value');
    expect(parse('--collector.docker', '--no-collector.docker').collectors.get('docker')).toBe(false);
  });

  it('takes a collector flag only when its whole name is one: a typo or a broken line is an unknown flag', () => {
    // "--no_collector.docker" must not turn docker on, as "collector.docker" inside it would.
    expect(() => parse('--no_collector.docker')).toThrow('unknown flag --no_collector.docker');
    expect(() => parse('--collector.docker\nx')).toThrow('unknown flag --collector.docker\nx');
  });

  it('says what value a flag wants when it has none', () => {
    expect(() => parse('--web.max-requests')).toThrow('--web.max-requests needs a value (N)');
    expect(() => parse('--path.sysfs', '--once')).toThrow('--path.sysfs needs a value (PATH)');
  });

  it('answers a bad listen address with the forms it wants', () => {
    expect(() => parse('--web.listen-address=nohost')).toThrow('invalid --web.listen-address "nohost": want [HOST]:PORT, e.g. :19857 or 127.0.0.1:19857');
  });

  it('refuses each path another route has, and takes any other', () => {
    for (const p of ['/', '/healthz', '/favicon.ico', '/static', '/static/', '/api/', '/api/v1']) {
      expect(() => parse(`--web.telemetry-path=${p}`), p).toThrow(
        `invalid --web.telemetry-path "${p}": must start with / and be none of / (the console), /healthz, /favicon.ico, /static/..., /api/...`,
      );
    }
    for (const p of ['/metrics', '/prom/metrics', '/apis', '/staticky', '/x/api', '/x/static/y', '/healthz2'])
      expect(parse(`--web.telemetry-path=${p}`).telemetryPath).toBe(p);
  });

  it('lists the kernel-log sources, log levels and log formats it takes', () => {
    expect(() => parse('--kernel-log.source=dmesg')).toThrow('invalid --kernel-log.source "dmesg": want auto, kmsg, journald, file, none');
    expect(() => parse('--kernel-log.source=file')).toThrow('--kernel-log.source=file needs --kernel-log.file PATH');
    expect(parse('--kernel-log.source=file', '--kernel-log.file=/var/log/kern.log')).toMatchObject({ kernelLogSource: 'file', kernelLogFile: '/var/log/kern.log' });
    // The other sources need no file; auto takes one as its first try.
    for (const source of ['auto', 'kmsg', 'journald', 'none']) expect(parse(`--kernel-log.source=${source}`).kernelLogFile).toBeUndefined();
    expect(() => parse('--log.level=loud')).toThrow('invalid --log.level "loud": want debug, info, warn, error');
    expect(() => parse('--log.format=xml')).toThrow('invalid --log.format "xml": want logfmt, json');
    expect(parse('--log.level=debug', '--log.format=json')).toMatchObject({ logLevel: 'debug', logFormat: 'json' });
  });

  it('takes whole numbers from 0 for --web.max-requests and --web.max-connections, up to nine digits', () => {
    expect(parse('--web.max-requests=0', '--web.max-connections=999999999')).toMatchObject({ maxRequests: 0, maxConnections: 999999999 });
    expect(parse()).toMatchObject({ maxRequests: 100, maxConnections: 512 });
    for (const bad of ['-1', '1.5', '1e3', '1000000000', ' 1', '1 ', 'x1', '1x', '']) {
      expect(() => parse(`--web.max-connections=${bad}`), bad).toThrow(`invalid --web.max-connections "${bad}": want a whole number >= 0 (0: no limit)`);
    }
  });

  it('keeps 1 to 999999 kills for the API', () => {
    expect(parse().killsKeep).toBe(100);
    expect(parse('--kills.keep=1').killsKeep).toBe(1);
    expect(parse('--kills.keep=999999').killsKeep).toBe(999999);
    for (const bad of ['0', '1000000', '-1', 'x', '1x', 'x1', '']) {
      expect(() => parse(`--kills.keep=${bad}`), bad).toThrow(`invalid --kills.keep "${bad}": want a whole number from 1 to 999999`);
    }
  });

  it('refuses an empty path for every path flag', () => {
    for (const flag of ['path.procfs', 'path.sysfs', 'path.cgroupfs', 'path.varlog', 'kernel-log.file', 'kernel-log.state-file']) {
      expect(() => parse(`--${flag}=`), flag).toThrow(`--${flag} must not be empty`);
    }
  });

  it('takes every path as given, without its trailing slashes; the root stays the root', () => {
    const c = parse(
      '--path.procfs=/host/proc//',
      '--path.sysfs=/host/sys/',
      '--path.cgroupfs=/c/',
      '--path.varlog=/host/var/log/',
      '--kernel-log.state-file=/var/lib/s.json',
    );
    expect(c).toMatchObject({ procfs: '/host/proc', sysfs: '/host/sys', cgroupfs: '/c', varlog: '/host/var/log', kernelLogStateFile: '/var/lib/s.json' });
    expect(parse('--path.procfs=/', '--path.sysfs=//').procfs).toBe('/');
    expect(parse('--path.sysfs=//').sysfs).toBe('/');
    expect(parse('--path.procfs=p/').procfs).toBe('p');
    expect(parse('--path.procfs=a').procfs).toBe('a');
    expect(parse()).toMatchObject({ cgroupfs: undefined, varlog: '/var/log', kernelLogStateFile: undefined, once: false, disableExporterMetrics: false });
  });
});
