import { isIPv4, isIPv6 } from 'node:net';
import { COLLECTORS } from './collectors/index.js';
import { parseSelectionFlags, type SelectionOptions } from './collectors/selection.js';
import { FlagError, type FlagSpec, type FlagValues } from './flags.js';
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from './log.js';
import type { ListenAddress } from './web/listen.js';

export { FlagError } from './flags.js';

import { KERNEL_LOG_SOURCES, sourceNamed, type KernelLogSourceName } from './kernellog/sources/index.js';

export interface Config {
  listen: ListenAddress;
  telemetryPath: string;
  /** --web.config.file: exporter-toolkit's web config (TLS, basic auth); undefined: plain HTTP, no auth. */
  webConfigFile: string | undefined;
  /** --web.max-requests: scrapes answered at once (0: no limit). */
  maxRequests: number;
  /** --web.max-connections: connections open at once (0: no limit). */
  maxConnections: number;
  disableExporterMetrics: boolean;
  procfs: string;
  sysfs: string;
  /** undefined: found from mountinfo. */
  cgroupfs: string | undefined;
  /** --path.varlog: the node's /var/log, where the kubelet's log tree names pods and containers. */
  varlog: string;
  /** Every collector by name: enabled or not. */
  collectors: Map<string, boolean>;
  /** --process.*: the process collector's selection. */
  selection: SelectionOptions;
  kernelLogSource: KernelLogSourceName;
  kernelLogFile: string | undefined;
  kernelLogStateFile: string | undefined;
  /** --kills.keep: kills the JSON API keeps. */
  killsKeep: number;
  logLevel: LogLevel;
  logFormat: LogFormat;
  once: boolean;
}

/** The exporter's default port: outside 9100–9999, which Prometheus's port allocation list has filled. */
export const DEFAULT_PORT = 19857;

/** The exporter's own flags; each collector's flags come from its module, through the collector list. */
const GENERAL_FLAGS: readonly FlagSpec[] = [
  { name: 'web.listen-address', arg: 'ADDR', default: `:${DEFAULT_PORT}`, help: 'Address to listen on: [HOST]:PORT, [IPv6]:PORT.' },
  { name: 'web.telemetry-path', arg: 'PATH', default: '/metrics', help: 'Path under which to expose metrics.' },
  {
    name: 'web.config.file',
    arg: 'PATH',
    help: "Web config file in exporter-toolkit's format: TLS, client certificates, basic auth, headers (re-read when it or a certificate changes).",
  },
  {
    name: 'web.max-requests',
    arg: 'N',
    default: '100',
    help: "Scrapes answered at once; more get 503 at once (0: no limit). node_exporter's, with a higher default: scrapes share one collection.",
  },
  {
    name: 'web.max-connections',
    arg: 'N',
    default: '512',
    help: 'Connections open at once; more are closed as they arrive (0: no limit). A connection that sends no request head within 10 s is closed.',
  },
  { name: 'web.disable-exporter-metrics', kind: 'bool', help: "Leave out the exporter's own Node.js runtime metrics (process_*, nodejs_*)." },
  { name: 'path.procfs', arg: 'PATH', default: '/proc', help: 'procfs mountpoint (e.g. /host/proc in a container).' },
  { name: 'path.sysfs', arg: 'PATH', default: '/sys', help: 'sysfs mountpoint (e.g. /host/sys in a container).' },
  { name: 'path.cgroupfs', arg: 'PATH', help: 'cgroup filesystem root (default: found in mountinfo, under --path.sysfs).' },
  {
    name: 'path.varlog',
    arg: 'PATH',
    default: '/var/log',
    help: "the node's /var/log (e.g. /host/var/log in a container): the kubelet's pods/ and containers/ there name each cgroup's namespace, pod and container.",
  },
  { name: 'kernel-log.source', arg: KERNEL_LOG_SOURCES.join('|'), default: 'auto', help: 'Where to follow OOM kills from.' },
  { name: 'kernel-log.file', arg: 'PATH', help: 'Syslog file to follow (with --kernel-log.source=file; auto tries kern.log, messages, syslog).' },
  { name: 'kernel-log.state-file', arg: 'PATH', help: 'Save the log position here, so a restart counts the kills it missed exactly once.' },
  { name: 'kills.keep', arg: 'N', default: '100', help: 'Kills kept in memory for the JSON API (/api/v1/kills), newest first.' },
  { name: 'log.level', arg: LOG_LEVELS.join('|'), default: 'info', help: 'Only log messages with the given severity or above.' },
  { name: 'log.format', arg: LOG_FORMATS.join('|'), default: 'logfmt', help: 'Output format of log messages.' },
  { name: 'once', kind: 'bool', help: 'Print one scrape to stdout and exit.' },
];

/** Every flag --help lists, in that order. */
export const FLAGS: readonly FlagSpec[] = [...GENERAL_FLAGS.slice(0, 7), ...COLLECTORS.flatMap((c) => c.flags ?? []), ...GENERAL_FLAGS.slice(7)];

export function parseListenAddress(text: string): ListenAddress | undefined {
  let host: string;
  let portText: string;
  const v6 = /^\[([0-9a-fA-F:.%a-zA-Z]+)\]:(\d+)$/.exec(text);
  if (v6) {
    host = v6[1] ?? '';
    portText = v6[2] ?? '';
    // isIPv6 takes a zone after the address (fe80::1%eth0), and refuses an empty one.
    if (!isIPv6(host)) return undefined;
  } else {
    const colon = text.lastIndexOf(':');
    if (colon === -1) return undefined;
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    // A name or an IPv4 address; a bare IPv6 address (it needs brackets) fails here on its colons.
    if (host !== '' && !/^[A-Za-z0-9.-]+$/.test(host)) return undefined;
    // Digits and dots are an IPv4 address or nothing: 256.1.1.1 must not reach getaddrinfo as a name.
    if (/^[\d.]+$/.test(host) && !isIPv4(host)) return undefined;
  }
  if (!/^\d{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port > 65535) return undefined;
  return { host, port };
}

/**
 * Parses argv (without node and script) into a Config. Accepts "--flag=value" and "--flag value".
 * Throws FlagError with a one-line message naming the flag for anything it does not understand.
 */
export function parseConfig(argv: readonly string[]): Config {
  const values = new Map<string, string>();
  const bools = new Set<string>();
  const collectorState = new Map<string, boolean>(COLLECTORS.map((c) => [c.name, c.defaultEnabled]));
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
      // "--kernel-log.file --once" is a forgotten value, not a file named "--once" (write --flag=--x for that).
      if (value === undefined || value.startsWith('--')) throw new FlagError(`--${name} needs a value (${spec.arg})`);
      i++;
    }
    values.set(name, value);
  }

  const get = (name: string): string | undefined => values.get(name) ?? specs.get(name)?.default;
  // For the flags that have a default in FLAGS: given or not, they have a value.
  const withDefault = (name: string): string => get(name) ?? '';
  const flags: FlagValues = { get, given: (name) => values.get(name) };

  const listenText = withDefault('web.listen-address');
  const listen = parseListenAddress(listenText);
  if (!listen) throw new FlagError(`invalid --web.listen-address "${listenText}": want [HOST]:PORT, e.g. :${DEFAULT_PORT} or 127.0.0.1:${DEFAULT_PORT}`);

  const telemetryPath = withDefault('web.telemetry-path');
  // The other routes' paths: the same path twice would stop fastify at start with its own words.
  const taken = ['/', '/healthz', '/favicon.ico'].includes(telemetryPath) || /^\/(static|api)(\/|$)/.test(telemetryPath);
  if (!telemetryPath.startsWith('/') || taken) {
    throw new FlagError(
      `invalid --web.telemetry-path "${telemetryPath}": must start with / and be none of / (the console), /healthz, /favicon.ico, /static/..., /api/...`,
    );
  }

  const selection = parseSelectionFlags(flags);

  const source = get('kernel-log.source') as KernelLogSourceName;
  if (!KERNEL_LOG_SOURCES.includes(source)) throw new FlagError(`invalid --kernel-log.source "${source}": want ${KERNEL_LOG_SOURCES.join(', ')}`);
  const kernelLogFile = values.get('kernel-log.file');
  // A source that reads a file (the syslog file source) needs one named.
  if (sourceNamed(source)?.readsFile === true && kernelLogFile === undefined) throw new FlagError(`--kernel-log.source=${source} needs --kernel-log.file PATH`);

  const logLevel = get('log.level') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw new FlagError(`invalid --log.level "${logLevel}": want ${LOG_LEVELS.join(', ')}`);
  const logFormat = get('log.format') as LogFormat;
  if (!LOG_FORMATS.includes(logFormat)) throw new FlagError(`invalid --log.format "${logFormat}": want ${LOG_FORMATS.join(', ')}`);

  const count = (flag: string): number => {
    const text = withDefault(flag);
    if (!/^\d{1,9}$/.test(text)) throw new FlagError(`invalid --${flag} "${text}": want a whole number >= 0 (0: no limit)`);
    return Number(text);
  };
  const maxRequests = count('web.max-requests');
  const maxConnections = count('web.max-connections');
  const keepText = withDefault('kills.keep');
  if (!/^\d{1,6}$/.test(keepText) || Number(keepText) < 1) throw new FlagError(`invalid --kills.keep "${keepText}": want a whole number from 1 to 999999`);

  for (const p of ['path.procfs', 'path.sysfs', 'path.cgroupfs', 'path.varlog', 'kernel-log.file', 'kernel-log.state-file']) {
    if (values.get(p) === '') throw new FlagError(`--${p} must not be empty`);
  }
  const cgroupfs = values.get('path.cgroupfs');

  return {
    listen,
    telemetryPath,
    // Empty is "none", as in node_exporter (whose default it is): a unit may pass --web.config.file=$EMPTY.
    webConfigFile: values.get('web.config.file') || undefined,
    maxRequests,
    maxConnections,
    disableExporterMetrics: bools.has('web.disable-exporter-metrics'),
    procfs: stripTrailingSlash(withDefault('path.procfs')),
    sysfs: stripTrailingSlash(withDefault('path.sysfs')),
    cgroupfs: cgroupfs === undefined ? undefined : stripTrailingSlash(cgroupfs),
    varlog: stripTrailingSlash(withDefault('path.varlog')),
    collectors: collectorState,
    selection,
    kernelLogSource: source,
    kernelLogFile,
    kernelLogStateFile: values.get('kernel-log.state-file'),
    killsKeep: Number(keepText),
    logLevel,
    logFormat,
    once: bools.has('once'),
  };
}

/** "/host/proc//" → "/host/proc"; a path of slashes only is the root. (An empty path was refused before.) */
function stripTrailingSlash(p: string): string {
  return p.replace(/\/+$/, '') || '/';
}

export function helpText(): string {
  const lines = [
    'usage: oom-exporter [FLAGS]',
    '       oom-exporter kills [--file PATH|-] [--json] [--path.varlog PATH]   (kills --help)',
    '       oom-exporter top [--once] [-n N] [--interval SECONDS] [--cgroup PATH]   (top --help)',
    '',
    'A Prometheus exporter: which process the OOM killer takes next, and what it just killed.',
    '',
    'Flags:',
  ];
  const rows: [string, string][] = FLAGS.map((f) => [
    `--${f.name}${f.kind === 'bool' ? '' : `=${f.arg}`}`,
    `${f.help}${f.default !== undefined ? ` (default: ${f.default})` : ''}`,
  ]);
  rows.push(['--help', 'Show this help and exit.'], ['--version', 'Show the version and exit.']);
  for (const c of COLLECTORS) {
    rows.push([`--[no-]collector.${c.name}`, `${c.help} (default: ${c.defaultEnabled ? 'enabled' : 'disabled'})`]);
  }
  const width = Math.max(...rows.map(([a]) => a.length)) + 2;
  for (const [a, b] of rows) lines.push(`  ${a.padEnd(width)}${b}`);
  return lines.join('\n') + '\n';
}
