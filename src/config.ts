import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from './log.js';
import { parseSize } from './size.js';

/** node_exporter answers bad flags with one line and exit code 2; so do we. */
export class FlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlagError';
  }
}

export type KernelLogSourceName = 'auto' | 'kmsg' | 'journald' | 'file' | 'none';
export const KERNEL_LOG_SOURCES: readonly KernelLogSourceName[] = ['auto', 'kmsg', 'journald', 'file', 'none'];

export interface ListenAddress {
  /** '' means every address. */
  host: string;
  port: number;
}

export interface Config {
  listen: ListenAddress;
  telemetryPath: string;
  disableExporterMetrics: boolean;
  procfs: string;
  sysfs: string;
  /** undefined: found from mountinfo. */
  cgroupfs: string | undefined;
  collectors: Map<string, boolean>;
  processInclude: RegExp | undefined;
  processExclude: RegExp | undefined;
  processMatch: 'comm' | 'cmdline';
  processMinRssBytes: number;
  processTopN: number | undefined;
  kernelLogSource: KernelLogSourceName;
  kernelLogFile: string | undefined;
  kernelLogStateFile: string | undefined;
  logLevel: LogLevel;
  logFormat: LogFormat;
  once: boolean;
}

/** The exporter's default port: outside 9100–9999, which Prometheus's port allocation list has filled. */
export const DEFAULT_PORT = 19857;

export interface CollectorFlag {
  name: string;
  defaultEnabled: boolean;
  help: string;
}

type FlagKind = 'string' | 'bool';
interface FlagSpec {
  name: string;
  kind: FlagKind;
  arg?: string;
  default?: string;
  help: string;
}

export const FLAGS: readonly FlagSpec[] = [
  { name: 'web.listen-address', kind: 'string', arg: 'ADDR', default: `:${DEFAULT_PORT}`, help: 'Address to listen on: [HOST]:PORT, [IPv6]:PORT.' },
  { name: 'web.telemetry-path', kind: 'string', arg: 'PATH', default: '/metrics', help: 'Path under which to expose metrics.' },
  { name: 'web.disable-exporter-metrics', kind: 'bool', help: "Leave out the exporter's own Node.js runtime metrics (process_*, nodejs_*)." },
  { name: 'path.procfs', kind: 'string', arg: 'PATH', default: '/proc', help: 'procfs mountpoint (e.g. /host/proc in a container).' },
  { name: 'path.sysfs', kind: 'string', arg: 'PATH', default: '/sys', help: 'sysfs mountpoint (e.g. /host/sys in a container).' },
  { name: 'path.cgroupfs', kind: 'string', arg: 'PATH', help: 'cgroup filesystem root (default: found in mountinfo, under --path.sysfs).' },
  { name: 'process.include', kind: 'string', arg: 'REGEX', help: 'Export only processes whose name (or command line) matches.' },
  { name: 'process.exclude', kind: 'string', arg: 'REGEX', help: 'Do not export processes whose name (or command line) matches.' },
  { name: 'process.match', kind: 'string', arg: 'comm|cmdline', default: 'comm', help: 'What include/exclude match against.' },
  { name: 'process.min-rss', kind: 'string', arg: 'BYTES', default: '0', help: 'Export only processes with at least this RSS (e.g. 64MiB).' },
  { name: 'process.top-n', kind: 'string', arg: 'N', help: 'Export only the N processes with the highest oom_score.' },
  { name: 'kernel-log.source', kind: 'string', arg: KERNEL_LOG_SOURCES.join('|'), default: 'auto', help: 'Where to follow OOM kills from.' },
  { name: 'kernel-log.file', kind: 'string', arg: 'PATH', help: 'Syslog file to follow (with --kernel-log.source=file; auto tries kern.log, messages, syslog).' },
  { name: 'kernel-log.state-file', kind: 'string', arg: 'PATH', help: 'Save the log position here, so a restart counts the kills it missed exactly once.' },
  { name: 'log.level', kind: 'string', arg: LOG_LEVELS.join('|'), default: 'info', help: 'Only log messages with the given severity or above.' },
  { name: 'log.format', kind: 'string', arg: LOG_FORMATS.join('|'), default: 'logfmt', help: 'Output format of log messages.' },
  { name: 'once', kind: 'bool', help: 'Print one scrape to stdout and exit.' },
];

export function parseListenAddress(text: string): ListenAddress | undefined {
  let host: string;
  let portText: string;
  const v6 = /^\[([0-9a-fA-F:.%a-zA-Z]+)\]:(\d+)$/.exec(text);
  if (v6) {
    host = v6[1] ?? '';
    portText = v6[2] ?? '';
  } else {
    const colon = text.lastIndexOf(':');
    if (colon === -1) return undefined;
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(':')) return undefined; // a bare IPv6 address needs brackets
    if (host !== '' && !/^[A-Za-z0-9.-]+$/.test(host)) return undefined;
  }
  if (!/^\d{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port > 65535) return undefined;
  return { host, port };
}

function compileRegex(flag: string, source: string): RegExp {
  try {
    // Anchored like process-exporter and Prometheus relabelling: the whole name must match.
    return new RegExp(`^(?:${source})$`, 'u');
  } catch (err) {
    throw new FlagError(`invalid regular expression for --${flag}: ${(err as Error).message}`);
  }
}

/**
 * Parses argv (without node and script) into a Config. Accepts "--flag=value" and "--flag value".
 * Throws FlagError with a one-line message naming the flag for anything it does not understand.
 */
export function parseConfig(argv: readonly string[], collectors: readonly CollectorFlag[]): Config {
  const values = new Map<string, string>();
  const bools = new Set<string>();
  const collectorState = new Map<string, boolean>(collectors.map((c) => [c.name, c.defaultEnabled]));
  const specs = new Map(FLAGS.map((f) => [f.name, f]));

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('--')) throw new FlagError(`unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const inline = eq === -1 ? undefined : arg.slice(eq + 1);

    const coll = /^(no-)?collector\.(.+)$/.exec(name);
    if (coll) {
      const cname = coll[2] ?? '';
      if (!collectorState.has(cname)) {
        throw new FlagError(`unknown collector in --${name}: "${cname}" (known: ${[...collectorState.keys()].join(', ')})`);
      }
      if (inline !== undefined) throw new FlagError(`--${name} takes no value`);
      collectorState.set(cname, coll[1] === undefined);
      continue;
    }

    const spec = specs.get(name);
    if (!spec) throw new FlagError(`unknown flag --${name}`);
    if (spec.kind === 'bool') {
      if (inline !== undefined && inline !== 'true' && inline !== 'false') {
        throw new FlagError(`--${name} takes no value (or =true/=false), got "${inline}"`);
      }
      if (inline === 'false') bools.delete(name);
      else bools.add(name);
      continue;
    }
    let value = inline;
    if (value === undefined) {
      value = argv[i + 1];
      if (value === undefined) throw new FlagError(`--${name} needs a value (${spec.arg ?? 'VALUE'})`);
      i++;
    }
    values.set(name, value);
  }

  const get = (name: string): string | undefined => values.get(name) ?? specs.get(name)?.default;

  const listenText = get('web.listen-address') ?? '';
  const listen = parseListenAddress(listenText);
  if (!listen) throw new FlagError(`invalid --web.listen-address "${listenText}": want [HOST]:PORT, e.g. :${DEFAULT_PORT} or 127.0.0.1:${DEFAULT_PORT}`);

  const telemetryPath = get('web.telemetry-path') ?? '/metrics';
  if (!telemetryPath.startsWith('/') || telemetryPath === '/' || telemetryPath === '/healthz') {
    throw new FlagError(`invalid --web.telemetry-path "${telemetryPath}": must start with / and be neither / (the landing page) nor /healthz`);
  }

  const matchText = get('process.match');
  if (matchText !== 'comm' && matchText !== 'cmdline') throw new FlagError(`invalid --process.match "${matchText}": want comm or cmdline`);

  const minRssText = get('process.min-rss') ?? '0';
  const minRss = parseSize(minRssText);
  if (minRss === undefined) throw new FlagError(`invalid --process.min-rss "${minRssText}": want bytes, e.g. 67108864 or 64MiB`);

  const topNText = values.get('process.top-n');
  let topN: number | undefined;
  if (topNText !== undefined) {
    if (!/^\d+$/.test(topNText) || Number(topNText) < 1) throw new FlagError(`invalid --process.top-n "${topNText}": want a whole number >= 1`);
    topN = Number(topNText);
  }

  const source = get('kernel-log.source') as KernelLogSourceName;
  if (!KERNEL_LOG_SOURCES.includes(source)) throw new FlagError(`invalid --kernel-log.source "${source}": want ${KERNEL_LOG_SOURCES.join(', ')}`);
  const kernelLogFile = values.get('kernel-log.file');
  if (source === 'file' && kernelLogFile === undefined) throw new FlagError('--kernel-log.source=file needs --kernel-log.file PATH');

  const logLevel = get('log.level') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw new FlagError(`invalid --log.level "${logLevel}": want ${LOG_LEVELS.join(', ')}`);
  const logFormat = get('log.format') as LogFormat;
  if (!LOG_FORMATS.includes(logFormat)) throw new FlagError(`invalid --log.format "${logFormat}": want ${LOG_FORMATS.join(', ')}`);

  for (const p of ['path.procfs', 'path.sysfs', 'path.cgroupfs', 'kernel-log.file', 'kernel-log.state-file']) {
    if (values.get(p) === '') throw new FlagError(`--${p} must not be empty`);
  }

  const include = values.get('process.include');
  const exclude = values.get('process.exclude');
  return {
    listen,
    telemetryPath,
    disableExporterMetrics: bools.has('web.disable-exporter-metrics'),
    procfs: stripTrailingSlash(get('path.procfs') ?? '/proc'),
    sysfs: stripTrailingSlash(get('path.sysfs') ?? '/sys'),
    cgroupfs: values.has('path.cgroupfs') ? stripTrailingSlash(values.get('path.cgroupfs') ?? '') : undefined,
    collectors: collectorState,
    processInclude: include === undefined ? undefined : compileRegex('process.include', include),
    processExclude: exclude === undefined ? undefined : compileRegex('process.exclude', exclude),
    processMatch: matchText,
    processMinRssBytes: minRss,
    processTopN: topN,
    kernelLogSource: source,
    kernelLogFile,
    kernelLogStateFile: values.get('kernel-log.state-file'),
    logLevel,
    logFormat,
    once: bools.has('once'),
  };
}

function stripTrailingSlash(p: string): string {
  return p.length > 1 && p.endsWith('/') ? p.replace(/\/+$/, '') || '/' : p;
}

export function helpText(collectors: readonly CollectorFlag[]): string {
  const lines = [
    'usage: oom-exporter [FLAGS]',
    '       oom-exporter kills [--file PATH|-] [--json]',
    '',
    'A Prometheus exporter: which process the OOM killer takes next, and what it just killed.',
    '',
    'Flags:',
  ];
  const rows: [string, string][] = FLAGS.map((f) => [
    `--${f.name}${f.kind === 'bool' ? '' : `=${f.arg ?? 'VALUE'}`}`,
    `${f.help}${f.default !== undefined ? ` (default: ${f.default})` : ''}`,
  ]);
  rows.push(['--help', 'Show this help and exit.'], ['--version', 'Show the version and exit.']);
  for (const c of collectors) {
    rows.push([`--[no-]collector.${c.name}`, `${c.help} (default: ${c.defaultEnabled ? 'enabled' : 'disabled'})`]);
  }
  const width = Math.max(...rows.map(([a]) => a.length)) + 2;
  for (const [a, b] of rows) lines.push(`  ${a.padEnd(width)}${b}`);
  return lines.join('\n') + '\n';
}
