import { describe, expect, it } from 'vitest';
import { DEFAULT_PORT, FlagError, helpText, parseConfig, parseListenAddress } from '../src/config.js';
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
});

describe('helpText', () => {
  it('lists every flag and collector', () => {
    const h = helpText();
    for (const f of ['--web.listen-address', '--web.config.file=PATH', '--process.top-n', '--kernel-log.state-file', '--[no-]collector.process', '--once', '--version']) {
      expect(h).toContain(f);
    }
  });
});
