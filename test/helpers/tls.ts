/**
 * Certificates made with the openssl CLI, as an operator would make them: a CA, a server certificate for
 * 127.0.0.1 and localhost, client certificates signed by it, and a second CA that nobody trusts.
 */
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type PeerCertificate } from 'node:tls';

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A self-signed CA: NAME.crt and NAME.key in dir. */
export function makeCa(dir: string, name: string): void {
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
    ],
    dir,
  );
}

/**
 * A certificate NAME.crt / NAME.key signed by the CA `ca` (or self-signed when ca is undefined), with
 * the subject alternative names given (`DNS:x`, `IP:1.2.3.4`, `URI:...`, `email:...`).
 */
export function makeCert(dir: string, name: string, ca: string | undefined, sans: string[], usage: 'serverAuth' | 'clientAuth'): void {
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, `subjectAltName=${sans.join(',')}\nextendedKeyUsage=${usage}\nbasicConstraints=CA:FALSE\n`);
  if (ca === undefined) {
    openssl(
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        `${name}.key`,
        '-out',
        `${name}.crt`,
        '-days',
        '2',
        '-subj',
        `/CN=${name}`,
        '-extensions',
        'v3',
        '-config',
        writeReqConfig(dir, name, sans, usage),
      ],
      dir,
    );
    return;
  }
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`], dir);
  openssl(
    ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', ext],
    dir,
  );
}

function writeReqConfig(dir: string, name: string, sans: string[], usage: string): string {
  const file = join(dir, `${name}.cnf`);
  writeFileSync(file, `[req]\ndistinguished_name=dn\n[dn]\n[v3]\nsubjectAltName=${sans.join(',')}\nextendedKeyUsage=${usage}\nbasicConstraints=CA:FALSE\n`);
  return file;
}

/**
 * The usual set in `dir`: ca, server (127.0.0.1, localhost), client and client-other-san signed by ca,
 * and rogue (a client certificate of an untrusted CA, rogue-ca).
 */
export function makePki(dir: string): void {
  makeCa(dir, 'ca');
  makeCert(dir, 'server', 'ca', ['DNS:localhost', 'IP:127.0.0.1'], 'serverAuth');
  makeCert(dir, 'client', 'ca', ['DNS:prometheus', 'URI:spiffe://example.org/prometheus'], 'clientAuth');
  makeCert(dir, 'client-other-san', 'ca', ['DNS:someone-else'], 'clientAuth');
  makeCa(dir, 'rogue-ca');
  makeCert(dir, 'rogue', 'rogue-ca', ['DNS:prometheus'], 'clientAuth');
}

/** The SHA-256 fingerprint of a PEM certificate file, as Node prints a peer's (AB:CD:...). */
export function fingerprint(dir: string, name: string): string {
  const out = execFileSync('openssl', ['x509', '-in', `${name}.crt`, '-noout', '-fingerprint', '-sha256'], { cwd: dir, encoding: 'utf8' });
  return out.trim().replace(/^.*=/, '');
}

/** The certificate a TLS server at 127.0.0.1:port shows to a new connection (not verified). */
export function serverCertificate(port: number): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const cert = s.getPeerCertificate();
      s.end();
      resolve(cert);
    });
    s.once('error', reject);
  });
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command without blocking the event loop (the server under test is in this process). */
export function run(cmd: string, args: string[], input = ''): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

/**
 * curl against https://127.0.0.1:port{path}, trusting `ca.crt` of dir; `-w` appends the status and HTTP version
 * on a last line. Extra args: -u, --cert/--key, --http2...
 */
export async function curl(
  dir: string,
  port: number,
  path: string,
  extra: string[] = [],
): Promise<Run & { status: number; httpVersion: string; headers: string; body: string }> {
  const r = await run('curl', [
    '-sS',
    '--max-time',
    '10',
    '--cacert',
    join(dir, 'ca.crt'),
    '-D',
    '-',
    '-w',
    '\n%{http_code} %{http_version}',
    ...extra,
    `https://127.0.0.1:${port}${path}`,
  ]);
  const lastNl = r.stdout.lastIndexOf('\n');
  const [status = '0', httpVersion = ''] = r.stdout.slice(lastNl + 1).split(' ');
  const text = r.stdout.slice(0, lastNl);
  const split = text.indexOf('\r\n\r\n');
  return { ...r, status: Number(status), httpVersion, headers: split === -1 ? text : text.slice(0, split), body: split === -1 ? '' : text.slice(split + 4) };
}
