import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseWebConfig, WebConfigError } from '../../src/web/web-config.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/web-config/', import.meta.url));
const fixture = (name: string) => parseWebConfig(readFileSync(FIXTURES + name, 'utf8'), FIXTURES + name);
const FILE = '/etc/oom-exporter/web.yml';
const parse = (text: string) => parseWebConfig(text, FILE);
const CERT = 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n';

/** The error a text gets: its key and its whole message. */
function refusal(text: string): { key: string | undefined; message: string } {
  try {
    parse(text);
  } catch (err) {
    if (err instanceof WebConfigError) return { key: err.key, message: err.message };
    throw err;
  }
  throw new Error(`accepted: ${text}`);
}

describe('parseWebConfig: files written for exporter-toolkit', () => {
  it('reads basic_auth_users with the $2y$ hashes htpasswd writes', () => {
    const c = fixture('toolkit-users.yml');
    expect([...c.users.keys()]).toEqual(['alice', 'carol', 'fake']);
    expect(c.users.get('fake')).toBe('$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi');
    expect(c.tls).toBeUndefined();
  });

  it('reads every header the toolkit allows, values as written (X-XSS-Protection: 1 is "1")', () => {
    expect(fixture('toolkit-headers.yml').headers).toEqual([
      ['X-Frame-Options', 'deny'],
      ['Strict-Transport-Security', 'max-age=31536000; includeSubDomains'],
      ['X-Content-Type-Options', 'nosniff'],
      ['X-XSS-Protection', '1'],
      ['Content-Security-Policy', "default-src 'self' *.test.example.net"],
    ]);
  });

  it("maps every cipher suite of Go's tls.CipherSuites() to OpenSSL's names; TLS 1.3 suites are left to the default, as Go does", () => {
    const t = fixture('toolkit-all-ciphers.yml').tls;
    expect(t?.ciphers).toHaveLength(14);
    expect(t?.ciphers[0]).toBe('ECDHE-ECDSA-AES128-GCM-SHA256');
    expect(t?.ciphers).toContain('AES256-GCM-SHA384');
    expect(t?.ciphers.some((c) => c.startsWith('TLS_'))).toBe(false);
    expect(t?.clientAuth).toBe('VerifyClientCertIfGiven');
  });

  it('maps the curves, and resolves relative certificate paths from the config file', () => {
    const t = fixture('toolkit-all-curves.yml').tls;
    expect(t?.curves).toEqual(['P-256', 'P-384', 'P-521', 'X25519']);
    expect(t?.cert).toEqual({ key: 'tls_server_config.cert_file', file: FIXTURES + 'server.crt' });
  });

  it("has the toolkit's defaults: TLS 1.2 to 1.3, server cipher order, HTTP/2, no auth", () => {
    const c = parse(CERT);
    expect(c.tls).toMatchObject({ minVersion: 'TLS12', maxVersion: 'TLS13', preferServerCipherSuites: true, clientAuth: 'NoClientCert', ciphers: [], curves: [] });
    expect(c.http2).toBe(true);
    expect(c.users.size).toBe(0);
    expect(c.rateLimit).toBeUndefined();
  });

  it('is plain HTTP when nothing names a certificate, key, CA or client_auth_type (an empty file too)', () => {
    expect(parse('').tls).toBeUndefined();
    expect(parse('tls_server_config:\n  min_version: TLS13\n').tls).toBeUndefined();
    expect(parse('tls_server_config:\n').tls).toBeUndefined();
  });

  it('takes inline cert/key, a file winning over inline text as in the toolkit', () => {
    const c = parse('tls_server_config:\n  cert: |\n    -----BEGIN CERTIFICATE-----\n  key: k\n  key_file: /k.pem\n');
    expect(c.tls?.cert).toEqual({ key: 'tls_server_config.cert', text: '-----BEGIN CERTIFICATE-----\n' });
    expect(c.tls?.key).toEqual({ key: 'tls_server_config.key_file', file: '/k.pem' });
  });

  it('reads YAML 1.1 booleans as Go does, the old RequireClientCert name, and rate_limit durations', () => {
    const c = parse(
      `${CERT}  client_auth_type: RequireClientCert\n  prefer_server_cipher_suites: no\nhttp_server_config:\n  http2: off\nrate_limit:\n  interval: 1m30s\n  burst: 3\n`,
    );
    expect(c.tls?.preferServerCipherSuites).toBe(false);
    expect(c.tls?.clientAuth).toBe('RequireAnyClientCert');
    expect(c.http2).toBe(false);
    expect(c.rateLimit).toEqual({ intervalMs: 90_000, burst: 3 });
    expect(parse('rate_limit:\n  interval: 250ms\n  burst: 1\n').rateLimit).toEqual({ intervalMs: 250, burst: 1 });
    expect(parse('rate_limit:\n  interval: 0\n  burst: 1\n').rateLimit).toBeUndefined();
  });

  it('accepts client_allowed_sans with a client certificate required', () => {
    const c = parse(`${CERT}  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n  client_allowed_sans: [prometheus, 10.0.0.1]\n`);
    expect(c.tls?.clientAllowedSans).toEqual(['prometheus', '10.0.0.1']);
    expect(c.tls?.clientCa).toEqual({ key: 'tls_server_config.client_ca_file', file: '/etc/oom-exporter/ca.crt' });
  });
});

describe('parseWebConfig: a wrong file is one error naming the file and the key', () => {
  const cases: [string, string, string | undefined, RegExp][] = [
    ['an unknown top-level key', 'tls_config:\n  cert_file: x\n', 'tls_config', /unknown key/],
    ['an unknown TLS key', `${CERT}  certfile: x\n`, 'tls_server_config.certfile', /unknown key \(known: cert, key,/],
    ['an unknown http key', 'http_server_config:\n  http3: true\n', 'http_server_config.http3', /unknown key/],
    ['a repeated key', 'basic_auth_users:\n  a: x\n  a: y\n', undefined, /YAML error at line 3.*unique/i],
    ['a YAML syntax error', 'tls_server_config:\n  cert_file: [x\n', undefined, /YAML error at line/],
    ['a list at the top', '- a\n', undefined, /must be a mapping/],
    ['a cert without a key', 'tls_server_config:\n  cert_file: x\n', 'tls_server_config.key_file', /missing: TLS needs one of key_file or key/],
    ['a key without a cert', 'tls_server_config:\n  key_file: x\n', 'tls_server_config.cert_file', /missing/],
    ['client_auth_type alone (TLS on, no certificate)', 'tls_server_config:\n  client_auth_type: NoClientCert\n', 'tls_server_config.cert_file', /missing/],
    ['an unknown client_auth_type', `${CERT}  client_auth_type: Always\n`, 'tls_server_config.client_auth_type', /unknown "Always": want NoClientCert, /],
    ['a client CA without a policy', `${CERT}  client_ca_file: ca.crt\n`, 'tls_server_config.client_auth_type', /client CA is set \(client_ca_file\)/],
    [
      'client_allowed_sans with an optional certificate',
      `${CERT}  client_auth_type: VerifyClientCertIfGiven\n  client_allowed_sans: [a]\n`,
      'tls_server_config.client_allowed_sans',
      /needs client_auth_type RequireAnyClientCert or RequireAndVerifyClientCert/,
    ],
    ['an unknown TLS version', `${CERT}  min_version: TLS14\n`, 'tls_server_config.min_version', /unknown TLS version "TLS14"/],
    ['min above max', `${CERT}  min_version: TLS13\n  max_version: TLS12\n`, 'tls_server_config.min_version', /TLS13 is above max_version TLS12/],
    [
      'an insecure or unknown cipher',
      `${CERT}  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_RSA_WITH_RC4_128_SHA]\n`,
      'tls_server_config.cipher_suites[1]',
      /unknown cipher suite "TLS_RSA_WITH_RC4_128_SHA"/,
    ],
    ['an unknown curve', `${CERT}  curve_preferences: [CurveP256, CurveP999]\n`, 'tls_server_config.curve_preferences[1]', /unknown curve "CurveP999"/],
    ['a cipher list that is not a list', `${CERT}  cipher_suites: TLS_AES_128_GCM_SHA256\n`, 'tls_server_config.cipher_suites', /must be a list/],
    ['a header the toolkit refuses to set', 'http_server_config:\n  headers:\n    Server: x\n', 'http_server_config.headers.Server', /header "Server" cannot be set/],
    [
      'a header value the toolkit refuses',
      'http_server_config:\n  headers:\n    X-Frame-Options: allow\n',
      'http_server_config.headers.X-Frame-Options',
      /"allow" is not allowed: want "deny" or "sameorigin"/,
    ],
    ['a plain-text password', 'basic_auth_users:\n  prometheus: secret\n', 'basic_auth_users.prometheus', /not a bcrypt hash/],
    ['a hash of cost 3', 'basic_auth_users:\n  p: $2y$03$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi\n', 'basic_auth_users.p', /not a bcrypt hash/],
    ['a truncated hash', 'basic_auth_users:\n  p: $2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeS\n', 'basic_auth_users.p', /not a bcrypt hash/],
    ['a bad duration', 'rate_limit:\n  interval: 5 seconds\n  burst: 1\n', 'rate_limit.interval', /invalid duration "5 seconds"/],
    ['a negative burst', 'rate_limit:\n  interval: 1s\n  burst: -1\n', 'rate_limit.burst', /must not be negative/],
    ['http2 not a boolean', 'http_server_config:\n  http2: maybe\n', 'http_server_config.http2', /must be true or false/],
  ];
  for (const [what, text, key, pattern] of cases) {
    it(what, () => {
      const r = refusal(text);
      expect(r.key).toBe(key);
      expect(r.message).toMatch(pattern);
      expect(r.message.startsWith(`web config ${FILE}: ${key === undefined ? '' : `${key}: `}`)).toBe(true);
      expect(r.message).not.toContain('\n');
    });
  }
});

describe('parseWebConfig on arbitrary text', () => {
  it('either parses or throws a WebConfigError naming the file, never anything else', () => {
    const keys = ['tls_server_config', 'cert_file', 'basic_auth_users', 'http_server_config', 'headers', 'rate_limit', 'interval', 'min_version', 'X-Frame-Options'];
    const piece = fc.oneof(
      fc.constantFrom(...keys, ':', ': ', '\n', '\n  ', '- ', '[', ']', '{', '}', '"', "'", '&a', '*a', '!!int ', '$2y$10$', '|'),
      fc.string({ maxLength: 8 }),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (parts) => {
        try {
          parse(parts.join(''));
        } catch (err) {
          expect(err).toBeInstanceOf(WebConfigError);
          expect((err as WebConfigError).message.startsWith(`web config ${FILE}: `)).toBe(true);
          expect((err as WebConfigError).message).not.toContain('\n');
        }
      }),
      { numRuns: 2000 },
    );
  });
});
