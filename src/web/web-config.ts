/**
 * The web configuration file of --web.config.file, in prometheus/exporter-toolkit's format, so a file
 * written for node_exporter works here unchanged: TLS (tls_server_config), HTTP (http_server_config),
 * bcrypt basic auth (basic_auth_users) and rate_limit. Pure: text in, a checked value out; reading the
 * certificates it names is web-config-load.ts's job.
 *
 * Like the toolkit (which decodes with yaml.UnmarshalStrict) an unknown or repeated key is an error, and
 * the file is YAML 1.1 as Go's yaml.v2 reads it (`yes`/`no` are booleans). Every error names the file
 * and the key, e.g. `web config /etc/oom/web.yml: tls_server_config.min_version: unknown TLS version "TLS14"`.
 */
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair } from 'yaml';
import {
  CIPHER_SUITES,
  CLIENT_AUTH_ALIASES,
  CLIENT_AUTH_TYPES,
  CONFIGURABLE_HEADERS,
  CURVES,
  TLS_VERSION_ORDER,
  TLS_VERSIONS,
  type ClientAuthType,
  type TlsVersionName,
} from './tls-names.js';

export class WebConfigError extends Error {
  constructor(
    readonly file: string,
    /** The key path (`tls_server_config.cert_file`), or undefined for the file as a whole. */
    readonly key: string | undefined,
    readonly reason: string,
  ) {
    super(`web config ${file}: ${key === undefined ? '' : `${key}: `}${reason}`);
    this.name = 'WebConfigError';
  }
}

/** Where a PEM comes from: a file (relative paths are taken from the config file's directory) or inline text. */
export type PemSource = { key: string; file: string } | { key: string; text: string };

export interface TlsConfigSpec {
  cert: PemSource;
  key: PemSource;
  clientCa: PemSource | undefined;
  clientAuth: ClientAuthType;
  /** Subject alternative names of which a client certificate must hold one (DNS, IP, e-mail or URI). */
  clientAllowedSans: readonly string[] | undefined;
  minVersion: TlsVersionName;
  maxVersion: TlsVersionName;
  /** OpenSSL names of the TLS 1.2 suites allowed, in order; empty: Node's defaults. */
  ciphers: readonly string[];
  /** OpenSSL group names, in order of preference; empty: Node's defaults. */
  curves: readonly string[];
  preferServerCipherSuites: boolean;
}

export interface RateLimitSpec {
  /** One request more is allowed every this many milliseconds... */
  intervalMs: number;
  /** ...and up to this many at once. */
  burst: number;
}

export interface WebConfigSpec {
  file: string;
  /** undefined: plain HTTP (the file sets no certificate, key, CA or client_auth_type, as the toolkit decides it). */
  tls: TlsConfigSpec | undefined;
  /** HTTP/2 offered to TLS clients by ALPN (HTTP/1.1 always); never without TLS. */
  http2: boolean;
  headers: readonly (readonly [string, string])[];
  /** user -> bcrypt hash; empty: no basic auth. */
  users: ReadonlyMap<string, string>;
  rateLimit: RateLimitSpec | undefined;
}

/** A bcrypt hash as htpasswd -B ($2y$), Go's x/crypto ($2a$) and OpenBSD ($2b$) write it, cost 4 to 31. */
const BCRYPT_HASH = /^\$2[aby]?\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;

/** Parses a web config file's text. `file` is its path: errors name it, and relative paths in it are taken from its directory. */
export function parseWebConfig(text: string, file: string): WebConfigSpec {
  const fail: Fail = (key, reason) => {
    throw new WebConfigError(file, key, reason);
  };
  const lines = new LineCounter();
  const doc = parseDocument(text, { version: '1.1', lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const yamlError = doc.errors[0];
  if (yamlError !== undefined) {
    const at = lines.linePos(yamlError.pos[0]);
    fail(undefined, `YAML error at line ${at.line} column ${at.col}: ${yamlError.message.split('\n')[0] ?? ''}`);
  }
  const root = doc.contents;
  const top = mapping(root, undefined, fail, ['tls_server_config', 'http_server_config', 'basic_auth_users', 'rate_limit']);

  const dir = path.dirname(file);
  const tls = parseTls(top.get('tls_server_config'), dir, fail);

  const http = mapping(top.get('http_server_config'), 'http_server_config', fail, ['http2', 'headers']);
  const http2 = optionalBool(http.get('http2'), 'http_server_config.http2', fail) ?? true;
  const headers: [string, string][] = [];
  for (const [name, value] of entries(http.get('headers'), 'http_server_config.headers', fail)) {
    const key = `http_server_config.headers.${name}`;
    const allowed = CONFIGURABLE_HEADERS[name];
    if (allowed === undefined) fail(key, `header "${name}" cannot be set (allowed: ${Object.keys(CONFIGURABLE_HEADERS).join(', ')})`);
    const v = scalarText(value, key, fail) ?? '';
    if (allowed && !allowed.includes(v)) fail(key, `"${v}" is not allowed: want ${allowed.map((a) => `"${a}"`).join(' or ')}`);
    // An empty value leaves the header unset, as the toolkit's documentation says.
    if (v !== '') headers.push([name, v]);
  }

  const users = new Map<string, string>();
  for (const [user, value] of entries(top.get('basic_auth_users'), 'basic_auth_users', fail)) {
    const key = `basic_auth_users.${user}`;
    const hash = scalarText(value, key, fail) ?? '';
    if (!BCRYPT_HASH.test(hash)) {
      fail(key, 'not a bcrypt hash: want $2y$, $2a$ or $2b$, a cost of 04 to 31 and 53 characters of salt and hash (htpasswd -nBC 10 USER)');
    }
    users.set(user, hash);
  }

  const rate = mapping(top.get('rate_limit'), 'rate_limit', fail, ['interval', 'burst']);
  const intervalNode = rate.get('interval');
  const intervalMs = intervalNode === undefined ? 0 : parseGoDuration(intervalNode, 'rate_limit.interval', fail);
  const burst = optionalInt(rate.get('burst'), 'rate_limit.burst', fail) ?? 0;
  if (burst < 0) fail('rate_limit.burst', `must not be negative, got ${burst}`);
  const rateLimit = intervalMs > 0 ? { intervalMs, burst } : undefined;

  return { file, tls, http2, headers, users, rateLimit };
}

type Fail = (key: string | undefined, reason: string) => never;

function parseTls(node: unknown, dir: string, fail: Fail): TlsConfigSpec | undefined {
  const base = 'tls_server_config';
  const m = mapping(node, base, fail, [
    'cert',
    'key',
    'client_ca',
    'cert_file',
    'key_file',
    'client_auth_type',
    'client_ca_file',
    'client_allowed_sans',
    'min_version',
    'max_version',
    'cipher_suites',
    'prefer_server_cipher_suites',
    'curve_preferences',
  ]);
  const str = (k: string): string => scalarText(m.get(k), `${base}.${k}`, fail) ?? '';
  const file = (k: string): string => {
    const p = str(k);
    return p === '' ? '' : path.resolve(dir, p);
  };
  const certFile = file('cert_file');
  const keyFile = file('key_file');
  const caFile = file('client_ca_file');
  const certText = str('cert');
  const keyText = str('key');
  const caText = str('client_ca');
  const clientAuthText = str('client_auth_type');
  // The toolkit serves TLS when any of these is set, and plain HTTP otherwise (min_version alone does not turn it on).
  if ([certFile, keyFile, caFile, certText, keyText, caText, clientAuthText].every((v) => v === '')) return undefined;
  // A file wins over inline text, as in the toolkit.
  const source = (fileKey: string, filePath: string, textKey: string, text: string): PemSource | undefined =>
    filePath !== '' ? { key: `${base}.${fileKey}`, file: filePath } : text !== '' ? { key: `${base}.${textKey}`, text } : undefined;
  const cert = source('cert_file', certFile, 'cert', certText) ?? fail(`${base}.cert_file`, 'missing: TLS needs one of cert_file or cert');
  const key = source('key_file', keyFile, 'key', keyText) ?? fail(`${base}.key_file`, 'missing: TLS needs one of key_file or key');
  const clientCa = source('client_ca_file', caFile, 'client_ca', caText);

  let clientAuth: ClientAuthType = 'NoClientCert';
  if (clientAuthText !== '') {
    const resolved = CLIENT_AUTH_ALIASES[clientAuthText] ?? (CLIENT_AUTH_TYPES as readonly string[]).find((t) => t === clientAuthText);
    if (resolved === undefined) fail(`${base}.client_auth_type`, `unknown "${clientAuthText}": want ${CLIENT_AUTH_TYPES.join(', ')}`);
    clientAuth = resolved as ClientAuthType;
  }
  if (clientCa !== undefined && clientAuth === 'NoClientCert') {
    fail(
      `${base}.client_auth_type`,
      `a client CA is set (${clientCa.key.slice(base.length + 1)}) but client_auth_type is NoClientCert: set RequireAndVerifyClientCert to require client certificates`,
    );
  }

  const sansNode = m.get('client_allowed_sans');
  let clientAllowedSans: string[] | undefined;
  if (sansNode !== undefined && !isNull(sansNode)) {
    clientAllowedSans = sequence(sansNode, `${base}.client_allowed_sans`, fail).map((n, i) => scalarText(n, `${base}.client_allowed_sans[${i}]`, fail) ?? '');
    // Only these two make a client send a certificate at all; with the others the list would be silently ignored.
    if (clientAuth !== 'RequireAnyClientCert' && clientAuth !== 'RequireAndVerifyClientCert') {
      fail(`${base}.client_allowed_sans`, `needs client_auth_type RequireAnyClientCert or RequireAndVerifyClientCert, not ${clientAuth}`);
    }
  }

  const version = (k: 'min_version' | 'max_version', def: TlsVersionName): TlsVersionName => {
    const v = str(k);
    if (v === '') return def;
    if (!(v in TLS_VERSIONS)) fail(`${base}.${k}`, `unknown TLS version "${v}": want ${TLS_VERSION_ORDER.join(', ')}`);
    return v as TlsVersionName;
  };
  const minVersion = version('min_version', 'TLS12');
  const maxVersion = version('max_version', 'TLS13');
  if (TLS_VERSION_ORDER.indexOf(minVersion) > TLS_VERSION_ORDER.indexOf(maxVersion)) {
    fail(`${base}.min_version`, `${minVersion} is above max_version ${maxVersion}`);
  }

  const ciphers: string[] = [];
  const ciphersNode = m.get('cipher_suites');
  if (ciphersNode !== undefined && !isNull(ciphersNode)) {
    sequence(ciphersNode, `${base}.cipher_suites`, fail).forEach((n, i) => {
      const k = `${base}.cipher_suites[${i}]`;
      const name = scalarText(n, k, fail) ?? '';
      const openssl = CIPHER_SUITES[name];
      if (openssl === undefined) fail(k, `unknown cipher suite "${name}": want one of Go's tls.CipherSuites(), e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`);
      if (openssl !== null) ciphers.push(openssl);
    });
  }

  const curves: string[] = [];
  const curvesNode = m.get('curve_preferences');
  if (curvesNode !== undefined && !isNull(curvesNode)) {
    sequence(curvesNode, `${base}.curve_preferences`, fail).forEach((n, i) => {
      const k = `${base}.curve_preferences[${i}]`;
      const name = scalarText(n, k, fail) ?? '';
      const openssl = CURVES[name];
      if (openssl === undefined) fail(k, `unknown curve "${name}": want ${Object.keys(CURVES).join(', ')}`);
      curves.push(openssl);
    });
  }

  const preferServerCipherSuites = optionalBool(m.get('prefer_server_cipher_suites'), `${base}.prefer_server_cipher_suites`, fail) ?? true;
  return { cert, key, clientCa, clientAuth, clientAllowedSans, minVersion, maxVersion, ciphers, curves, preferServerCipherSuites };
}

function isNull(node: unknown): boolean {
  return node === null || (isScalar(node) && node.value === null);
}

/** A mapping's values by key, refusing keys not in `known`. An absent or null node is an empty mapping. */
function mapping(node: unknown, key: string | undefined, fail: Fail, known: readonly string[]): Map<string, Node | null> {
  const out = new Map<string, Node | null>();
  for (const [k, v] of entries(node, key, fail)) {
    if (!known.includes(k)) fail(key === undefined ? k : `${key}.${k}`, `unknown key (known: ${known.join(', ')})`);
    out.set(k, v);
  }
  return out;
}

/** The pairs of a mapping, keys as text. */
function entries(node: unknown, key: string | undefined, fail: Fail): [string, Node | null][] {
  if (node === undefined || isNull(node)) return [];
  if (!isMap(node)) fail(key, 'must be a mapping (key: value)');
  const out: [string, Node | null][] = [];
  for (const pair of (node as { items: Pair[] }).items) {
    const k = isScalar(pair.key) ? String(pair.key.value) : fail(key, 'keys must be plain text');
    out.push([k, (pair.value as Node | null) ?? null]);
  }
  return out;
}

function sequence(node: unknown, key: string, fail: Fail): unknown[] {
  if (!isSeq(node)) fail(key, 'must be a list');
  return (node as { items: unknown[] }).items;
}

/**
 * A scalar as Go's yaml.v2 puts it into a string field: its text as written (`X-XSS-Protection: 1` is "1").
 * undefined for an absent or null value.
 */
function scalarText(node: unknown, key: string, fail: Fail): string | undefined {
  if (node === undefined || isNull(node)) return undefined;
  if (!isScalar(node)) fail(key, 'must be a single value, not a list or mapping');
  const s = node as { value: unknown; source?: string };
  return typeof s.value === 'string' ? s.value : (s.source ?? String(s.value));
}

function optionalBool(node: unknown, key: string, fail: Fail): boolean | undefined {
  if (node === undefined || isNull(node)) return undefined;
  if (!isScalar(node) || typeof node.value !== 'boolean') fail(key, 'must be true or false');
  return (node as { value: boolean }).value;
}

function optionalInt(node: unknown, key: string, fail: Fail): number | undefined {
  if (node === undefined || isNull(node)) return undefined;
  if (!isScalar(node) || typeof node.value !== 'number' || !Number.isSafeInteger(node.value)) fail(key, 'must be a whole number');
  return (node as { value: number }).value;
}

const GO_DURATION_UNITS: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A Go time.Duration as yaml.v2 reads one: a string for time.ParseDuration ("1s", "1m30s", "250ms") or an
 * integer of nanoseconds. In milliseconds.
 */
function parseGoDuration(node: unknown, key: string, fail: Fail): number {
  if (isNull(node)) return 0;
  if (isScalar(node) && typeof node.value === 'number' && Number.isSafeInteger(node.value)) return node.value / 1e6;
  const text = scalarText(node, key, fail) ?? '';
  if (text === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let ms = 0;
  let at = 0;
  while (at < text.length) {
    re.lastIndex = at;
    const m = re.exec(text);
    if (m === null) fail(key, `invalid duration "${text}": want e.g. 1s, 500ms, 1m30s`);
    ms += Number(m[1]) * (GO_DURATION_UNITS[m[2] ?? ''] ?? 0);
    at = re.lastIndex;
  }
  if (text === '') fail(key, 'invalid duration "": want e.g. 1s, 500ms, 1m30s');
  return ms;
}
