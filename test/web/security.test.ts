/**
 * --web.config.file on a real listening exporter (the composition root's, on the fixture /proc), with
 * certificates made by the openssl CLI, probed with curl and `openssl s_client` as an operator would.
 */
import { copyFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import bcrypt from 'bcryptjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { buildExporter, type Exporter } from '../../src/exporter.js';
import { listen } from '../../src/web/listen.js';
import { curl, fingerprint, makeCert, makePki, run, serverCertificate } from '../helpers/tls.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/proc', import.meta.url));
const HASH = bcrypt.hashSync('s3cret', 4);

let pki = '';
beforeAll(() => {
  pki = mkdtempSync(join(tmpdir(), 'oom-web-'));
  makePki(pki);
});
afterAll(() => rmSync(pki, { recursive: true, force: true }));

let exporter: Exporter | undefined;
afterEach(async () => {
  await exporter?.close();
  exporter = undefined;
});

/** A directory of its own for a test that changes files, with copies of the CA and server files. */
function ownDir(): string {
  const d = mkdtempSync(join(pki, 'own-'));
  for (const f of ['ca.crt', 'ca.key', 'server.crt', 'server.key']) copyFileSync(join(pki, f), join(d, f));
  return d;
}

/** Builds and starts the exporter with `yaml` as its web config (in `dir`, so relative paths are from there). */
async function start(yaml: string, dir = pki): Promise<{ port: number; logs: string[]; file: string }> {
  const file = join(dir, `web-${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(file, yaml);
  const logs: string[] = [];
  const config = parseConfig([`--path.procfs=${FIXTURE}`, '--kernel-log.source=none', '--log.level=debug', '--log.format=json', `--web.config.file=${file}`]);
  exporter = await buildExporter(config, { stdout: async () => {}, stderr: () => {}, logLine: (l) => logs.push(l) });
  const bound = await listen(exporter.app, { host: '127.0.0.1', port: 0 });
  return { port: Number(/:(\d+)$/.exec(bound)?.[1]), logs, file };
}

/** Replaces a file the way rotation tools do: a new file renamed over the old one. */
function replace(file: string, content: string | Buffer): void {
  writeFileSync(`${file}.new`, content);
  renameSync(`${file}.new`, file);
}

const TLS = 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n';
const MTLS = `${TLS}  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n`;

describe('TLS and basic auth', () => {
  it('401 with WWW-Authenticate for no, a wrong password or an unknown user; 200 with the pair; every endpoint but /healthz', async () => {
    const { port } = await start(`${TLS}basic_auth_users:\n  prometheus: ${HASH}\n`);
    for (const creds of [[], ['-u', 'prometheus:wrong'], ['-u', 'nobody:s3cret']]) {
      const r = await curl(pki, port, '/metrics', creds);
      expect(r.status, creds.join(' ')).toBe(401);
      expect(r.headers).toMatch(/^www-authenticate: Basic\r?$/im);
      expect(r.body).toBe('Unauthorized\n');
    }
    const ok = await curl(pki, port, '/metrics', ['-u', 'prometheus:s3cret']);
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('oom_process_resident_memory_bytes');
    // The landing page and an unknown path are behind it too; /healthz is not (kubelet probes it).
    expect((await curl(pki, port, '/')).status).toBe(401);
    expect((await curl(pki, port, '/nothing-here')).status).toBe(401);
    const health = await curl(pki, port, '/healthz');
    expect([health.status, health.body]).toEqual([200, 'ok\n']);
    expect((await curl(pki, port, '/', ['-u', 'prometheus:s3cret'])).body).toContain('<a href="/metrics">');
  });

  it("takes exporter-toolkit's $2y$ hashes (htpasswd's)", async () => {
    const { port } = await start(`${TLS}basic_auth_users:\n  fake: $2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi\n`);
    expect((await curl(pki, port, '/metrics', ['-u', 'fake:fakepassword'])).status).toBe(200);
    expect((await curl(pki, port, '/metrics', ['-u', 'fake:fakepassworD'])).status).toBe(401);
  });

  it('sets the configured headers on every response, 401s included', async () => {
    const { port } = await start(
      `${TLS}http_server_config:\n  headers:\n    X-Frame-Options: deny\n    Strict-Transport-Security: max-age=31536000\nbasic_auth_users:\n  p: ${HASH}\n`,
    );
    for (const path of ['/metrics', '/healthz']) {
      const r = await curl(pki, port, path);
      expect(r.headers).toMatch(/^x-frame-options: deny\r?$/im);
      expect(r.headers).toMatch(/^strict-transport-security: max-age=31536000\r?$/im);
    }
  });

  it('serves inline cert and key (the toolkit\'s "cert" and "key")', async () => {
    const { readFileSync } = await import('node:fs');
    const indent = (s: string): string => s.trim().replace(/^/gm, '    ');
    const yaml = `tls_server_config:\n  cert: |\n${indent(readFileSync(join(pki, 'server.crt'), 'utf8'))}\n  key: |\n${indent(readFileSync(join(pki, 'server.key'), 'utf8'))}\n`;
    const { port } = await start(yaml);
    expect((await curl(pki, port, '/healthz')).status).toBe(200);
  });

  it('speaks HTTP/2 by ALPN (and HTTP/1.1), unless http2: false', async () => {
    let { port } = await start(TLS);
    expect((await curl(pki, port, '/metrics', ['--http2'])).httpVersion).toBe('2');
    expect((await curl(pki, port, '/metrics', ['--http1.1'])).httpVersion).toBe('1.1');
    await exporter?.close();
    ({ port } = await start(`${TLS}http_server_config:\n  http2: false\n`));
    const r = await curl(pki, port, '/metrics', ['--http2']);
    expect([r.status, r.httpVersion]).toEqual([200, '1.1']);
  });

  it('rate_limit answers 429 past the burst; /healthz is not counted', async () => {
    const { port } = await start(`${TLS}rate_limit:\n  interval: 1h\n  burst: 2\n`);
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await curl(pki, port, '/')).status);
    expect(codes).toEqual([200, 200, 429]);
    expect((await curl(pki, port, '/healthz')).status).toBe(200);
  });
});

describe('client certificates', () => {
  it('RequireAndVerifyClientCert: no certificate or one of another CA is refused at the handshake; ours is served', async () => {
    const { port } = await start(MTLS);
    const none = await curl(pki, port, '/metrics');
    expect(none.status).toBe(0);
    expect(none.code).not.toBe(0);
    const rogue = await curl(pki, port, '/metrics', ['--cert', join(pki, 'rogue.crt'), '--key', join(pki, 'rogue.key')]);
    expect(rogue.status).toBe(0);
    // Not even /healthz: the handshake comes before any path.
    expect((await curl(pki, port, '/healthz')).status).toBe(0);
    const ours = await curl(pki, port, '/metrics', ['--cert', join(pki, 'client.crt'), '--key', join(pki, 'client.key')]);
    expect(ours.status).toBe(200);
    expect(ours.body).toContain('oom_process_score');
  });

  it('client_allowed_sans: a verified certificate without an allowed name is refused', async () => {
    const { port } = await start(`${MTLS}  client_allowed_sans: ['spiffe://example.org/prometheus']\n`);
    expect((await curl(pki, port, '/', ['--cert', join(pki, 'client.crt'), '--key', join(pki, 'client.key')])).status).toBe(200);
    expect((await curl(pki, port, '/', ['--cert', join(pki, 'client-other-san.crt'), '--key', join(pki, 'client-other-san.key')])).status).toBe(0);
  });

  it('RequireAnyClientCert takes any certificate but needs one; VerifyClientCertIfGiven needs none but checks one given', async () => {
    const rogue = ['--cert', join(pki, 'rogue.crt'), '--key', join(pki, 'rogue.key')];
    const ours = ['--cert', join(pki, 'client.crt'), '--key', join(pki, 'client.key')];
    let { port } = await start(`${TLS}  client_auth_type: RequireAnyClientCert\n`);
    expect((await curl(pki, port, '/', rogue)).status).toBe(200);
    expect((await curl(pki, port, '/')).status).toBe(0);
    await exporter?.close();
    ({ port } = await start(`${TLS}  client_auth_type: VerifyClientCertIfGiven\n  client_ca_file: ca.crt\n`));
    expect((await curl(pki, port, '/')).status).toBe(200);
    expect((await curl(pki, port, '/', ours)).status).toBe(200);
    expect((await curl(pki, port, '/', rogue)).status).toBe(0);
  });
});

describe('TLS versions', () => {
  /** openssl s_client offering TLS 1.1 only, at a security level that lets it: only the server can refuse. */
  const tls11 = (port: number) => run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_1', '-cipher', 'DEFAULT@SECLEVEL=0']);

  it('refuses TLS 1.1 by default (min_version TLS12), and takes it when min_version says TLS11', async () => {
    let { port } = await start(TLS);
    const refused = await tls11(port);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout + refused.stderr).toMatch(/alert protocol version/);
    await exporter?.close();
    ({ port } = await start(`${TLS}  min_version: TLS11\n`));
    const taken = await tls11(port);
    expect(taken.stdout).toMatch(/Protocol\s*: TLSv1\.1/);
    expect(taken.stdout).not.toMatch(/Cipher is \(NONE\)/);
  });

  it('max_version TLS12 refuses a TLS 1.3-only client', async () => {
    const { port } = await start(`${TLS}  max_version: TLS12\n`);
    const r = await run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_3']);
    expect(r.code).not.toBe(0);
    expect((await curl(pki, port, '/healthz', ['--tls-max', '1.2'])).status).toBe(200);
  });

  it('cipher_suites limits TLS 1.2 to the suites listed', async () => {
    const { port } = await start(`${TLS}  max_version: TLS12\n  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384]\n`);
    const listed = await run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_2', '-cipher', 'ECDHE-ECDSA-AES256-GCM-SHA384']);
    expect(listed.stdout).toMatch(/Cipher is ECDHE-ECDSA-AES256-GCM-SHA384/);
    const other = await run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256']);
    expect(other.code).not.toBe(0);
  });
});

describe('re-reading the web config and certificates without a restart', () => {
  it('serves a certificate replaced on disk to the next connection', async () => {
    const dir = ownDir();
    const { port, logs } = await start(TLS, dir);
    expect((await serverCertificate(port)).fingerprint256).toBe(fingerprint(dir, 'server'));
    makeCert(dir, 'renewed', 'ca', ['DNS:localhost', 'IP:127.0.0.1'], 'serverAuth');
    const { readFileSync } = await import('node:fs');
    // Key first, then certificate: the connection in between sees a mismatch, refused and logged, the old pair kept.
    replace(join(dir, 'server.key'), readFileSync(join(dir, 'renewed.key')));
    expect((await serverCertificate(port)).fingerprint256).toBe(fingerprint(dir, 'server'));
    replace(join(dir, 'server.crt'), readFileSync(join(dir, 'renewed.crt')));
    expect((await serverCertificate(port)).fingerprint256).toBe(fingerprint(dir, 'renewed'));
    expect((await curl(dir, port, '/healthz')).status).toBe(200);
    expect(logs.join('')).toMatch(
      /"msg":"web config not reloaded; the last good one stays in force","err":"web config [^"]+: tls_server_config.key_file: the private key in [^"]+ does not match/,
    );
    expect(logs.join('')).toMatch(/"msg":"web config reloaded"/);
  });

  it('a bad edit is logged once and the last good config stays; a good one then applies (new password)', async () => {
    const dir = ownDir();
    const { port, logs, file } = await start(`${TLS}basic_auth_users:\n  prometheus: ${HASH}\n`, dir);
    const auth = ['-u', 'prometheus:s3cret'];
    expect((await curl(dir, port, '/metrics', auth)).status).toBe(200);
    replace(file, `${TLS}basic_auth_users:\n  prometheus: s3cret-in-plain-text\n`);
    expect((await curl(dir, port, '/metrics', auth)).status).toBe(200);
    expect((await curl(dir, port, '/metrics', auth)).status).toBe(200);
    const refusals = logs.filter((l) => l.includes('web config not reloaded'));
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toContain(`web config ${file}: basic_auth_users.prometheus: not a bcrypt hash`);
    replace(file, `${TLS}basic_auth_users:\n  prometheus: ${bcrypt.hashSync('rotated', 4)}\n`);
    expect((await curl(dir, port, '/metrics', auth)).status).toBe(401);
    expect((await curl(dir, port, '/metrics', ['-u', 'prometheus:rotated'])).status).toBe(200);
  });

  it('a client_auth_type turned on applies to the next connection; turning TLS off is refused until a restart', async () => {
    const dir = ownDir();
    makePkiClient(dir);
    const { port, logs, file } = await start(TLS, dir);
    expect((await curl(dir, port, '/')).status).toBe(200);
    replace(file, MTLS);
    expect((await curl(dir, port, '/')).status).toBe(0);
    expect((await curl(dir, port, '/', ['--cert', join(dir, 'client.crt'), '--key', join(dir, 'client.key')])).status).toBe(200);
    replace(file, 'basic_auth_users: {}\n');
    expect((await curl(dir, port, '/', ['--cert', join(dir, 'client.crt'), '--key', join(dir, 'client.key')])).status).toBe(200);
    expect(logs.join('')).toContain('tls_server_config: turning TLS off takes a restart');
  });
});

function makePkiClient(dir: string): void {
  copyFileSync(join(pki, 'client.crt'), join(dir, 'client.crt'));
  copyFileSync(join(pki, 'client.key'), join(dir, 'client.key'));
}

describe('plain HTTP with basic auth (allowed, as in the toolkit, and warned about)', () => {
  it('asks for the password over HTTP and warns at start', async () => {
    const dir = mkdtempSync(join(pki, 'plain-'));
    mkdirSync(join(dir, 'sub'));
    const { port, logs } = await start(`basic_auth_users:\n  p: ${HASH}\n`, join(dir, 'sub'));
    const r = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${port}/metrics`]);
    expect(r.stdout).toBe('401');
    const ok = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-u', 'p:s3cret', `http://127.0.0.1:${port}/metrics`]);
    expect(ok.stdout).toBe('200');
    expect(logs.join('')).toContain('passwords cross the network in clear text');
  });
});
