/**
 * Reads a web config file and the certificates and keys it names, checks that they are what they say
 * (a certificate, a private key that matches it, CA certificates, ciphers and curves this Node's OpenSSL
 * has), and turns them into Node's TLS server settings. Synchronous: the files are small and local, and
 * the re-read must be done before the handshake of the connection that noticed the change.
 */
import { readFileSync } from 'node:fs';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import { TLS_VERSION_ORDER, TLS_VERSIONS } from './tls-names.js';
import { parseWebConfig, WebConfigError, type PemSource, type TlsConfigSpec, type WebConfigSpec } from './web-config.js';

/** What a TLS server is given: the secure context's settings and whether to ask for and verify client certificates. */
export interface TlsServerSettings {
  context: tls.SecureContextOptions;
  requestCert: boolean;
  rejectUnauthorized: boolean;
}

export interface WebConfig {
  spec: WebConfigSpec;
  tls: TlsServerSettings | undefined;
}

/** A load, good or bad, and the files it read or tried to read: a change to any of them means trying again. */
export interface WebConfigRead {
  files: readonly string[];
  result: WebConfig | WebConfigError;
}

const errnoText = (err: unknown): string => {
  const e = err as NodeJS.ErrnoException;
  return e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.code === 'EISDIR' ? 'is a directory' : e.message;
};

/** Reads and checks the web config at `file`; never throws (the error is the result). */
export function readWebConfig(file: string): WebConfigRead {
  const files = [file];
  try {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new WebConfigError(file, undefined, `cannot read: ${errnoText(err)}`);
    }
    const spec = parseWebConfig(text, file);
    if (spec.tls !== undefined) {
      for (const src of [spec.tls.cert, spec.tls.key, spec.tls.clientCa]) if (src !== undefined && 'file' in src) files.push(src.file);
    }
    const settings = spec.tls === undefined ? undefined : tlsSettings(spec.tls, file);
    return { files, result: { spec, tls: settings } };
  } catch (err) {
    // Anything else is still a file we could not take (this runs in a connection listener, where a throw
    // would end the process): said as the file's error.
    return { files, result: err instanceof WebConfigError ? err : new WebConfigError(file, undefined, `cannot load: ${(err as Error).message}`) };
  }
}

/** readWebConfig, throwing the error: for the start, where a bad file stops the exporter. */
export function loadWebConfig(file: string): WebConfig {
  const { result } = readWebConfig(file);
  if (result instanceof WebConfigError) throw result;
  return result;
}

function tlsSettings(spec: TlsConfigSpec, file: string): TlsServerSettings {
  const fail = (key: string, reason: string): never => {
    throw new WebConfigError(file, key, reason);
  };
  const pem = (src: PemSource): string => {
    if ('text' in src) return src.text;
    try {
      return readFileSync(src.file, 'utf8');
    } catch (err) {
      return fail(src.key, `cannot read ${src.file}: ${errnoText(err)}`);
    }
  };
  const where = (src: PemSource): string => ('file' in src ? ` in ${src.file}` : '');

  const certPem = pem(spec.cert);
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (err) {
    return fail(spec.cert.key, `no PEM certificate${where(spec.cert)}: ${(err as Error).message}`);
  }
  const keyPem = pem(spec.key);
  let key: ReturnType<typeof createPrivateKey>;
  try {
    key = createPrivateKey(keyPem);
  } catch (err) {
    return fail(spec.key.key, `no PEM private key${where(spec.key)}: ${(err as Error).message}`);
  }
  if (!cert.checkPrivateKey(key)) fail(spec.key.key, `the private key${where(spec.key)} does not match the certificate of ${spec.cert.key.replace(/^.*\./, '')}`);

  let caPem: string | undefined;
  if (spec.clientCa !== undefined) {
    caPem = pem(spec.clientCa);
    const blocks = caPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    if (blocks.length === 0) fail(spec.clientCa.key, `no PEM certificate${where(spec.clientCa)}`);
    for (const b of blocks) {
      try {
        new X509Certificate(b);
      } catch (err) {
        fail(spec.clientCa.key, `a certificate${where(spec.clientCa)} cannot be read: ${(err as Error).message}`);
      }
    }
  }

  // OpenSSL 3 refuses TLS 1.0 and 1.1 at its default security level (their signatures use SHA-1): asking
  // for them in min_version means asking for level 0, as Go's crypto/tls, which the toolkit uses, allows them.
  const legacy = TLS_VERSION_ORDER.indexOf(spec.minVersion) < TLS_VERSION_ORDER.indexOf('TLS12');
  const ciphers =
    spec.ciphers.length > 0 || legacy ? `${spec.ciphers.length > 0 ? spec.ciphers.join(':') : tls.DEFAULT_CIPHERS}${legacy ? ':@SECLEVEL=0' : ''}` : undefined;
  const context: tls.SecureContextOptions = {
    cert: certPem,
    key: keyPem,
    minVersion: TLS_VERSIONS[spec.minVersion],
    maxVersion: TLS_VERSIONS[spec.maxVersion],
    honorCipherOrder: spec.preferServerCipherSuites,
    ...(caPem !== undefined ? { ca: caPem } : {}),
    ...(ciphers !== undefined ? { ciphers } : {}),
    ...(spec.curves.length > 0 ? { ecdhCurve: spec.curves.join(':') } : {}),
  };
  if (ciphers !== undefined) {
    try {
      tls.createSecureContext({ ciphers });
    } catch (err) {
      fail('tls_server_config.cipher_suites', `refused by this Node's OpenSSL ${process.versions.openssl}: ${(err as Error).message}`);
    }
  }
  spec.curves.forEach((curve, i) => {
    try {
      tls.createSecureContext({ ecdhCurve: curve });
    } catch {
      fail(`tls_server_config.curve_preferences[${i}]`, `${curve} is not available in this Node's OpenSSL ${process.versions.openssl}`);
    }
  });
  try {
    tls.createSecureContext(context);
  } catch (err) {
    fail('tls_server_config', `refused by OpenSSL: ${(err as Error).message}`);
  }
  // The policies that need no certificate check after the handshake; the others are checked in client-cert.ts.
  return {
    context,
    requestCert: spec.clientAuth !== 'NoClientCert',
    rejectUnauthorized: spec.clientAuth === 'RequireAndVerifyClientCert',
  };
}
