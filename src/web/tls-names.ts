/**
 * exporter-toolkit's web config names TLS settings as Go's crypto/tls does; Node takes OpenSSL's. These
 * tables translate one into the other. A name missing here is refused with the key that holds it.
 */

/** Go's tls.VersionTLS1x names, as min_version / max_version take them, to Node's minVersion / maxVersion. */
export const TLS_VERSIONS = {
  TLS10: 'TLSv1',
  TLS11: 'TLSv1.1',
  TLS12: 'TLSv1.2',
  TLS13: 'TLSv1.3',
} as const;
export type TlsVersionName = keyof typeof TLS_VERSIONS;
export const TLS_VERSION_ORDER: readonly TlsVersionName[] = ['TLS10', 'TLS11', 'TLS12', 'TLS13'];

/**
 * The suites of Go's tls.CipherSuites() (the ones exporter-toolkit accepts; Go's insecure list is refused
 * there too), by their OpenSSL names. null: a TLS 1.3 suite, which Go accepts in the list but does not
 * configure (TLS 1.3 suites are not configurable in Go), so neither do we.
 */
export const CIPHER_SUITES: Readonly<Record<string, string | null>> = {
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_AES_128_GCM_SHA256: null,
  TLS_AES_256_GCM_SHA384: null,
  TLS_CHACHA20_POLY1305_SHA256: null,
};

/**
 * Go's curve names (exporter-toolkit's list) to OpenSSL group names. X25519MLKEM768 is known to the
 * toolkit but not to the OpenSSL 3.0 that Node 20 bundles: it is tried, and refused if OpenSSL refuses it.
 */
export const CURVES: Readonly<Record<string, string>> = {
  CurveP256: 'P-256',
  CurveP384: 'P-384',
  CurveP521: 'P-521',
  X25519: 'X25519',
  X25519MLKEM768: 'X25519MLKEM768',
};

/**
 * client_auth_type, as Go's tls.ClientAuthType. `RequireClientCert` is the toolkit's old name of
 * RequireAnyClientCert, still accepted there.
 */
export const CLIENT_AUTH_TYPES = ['NoClientCert', 'RequestClientCert', 'RequireAnyClientCert', 'VerifyClientCertIfGiven', 'RequireAndVerifyClientCert'] as const;
export type ClientAuthType = (typeof CLIENT_AUTH_TYPES)[number];
export const CLIENT_AUTH_ALIASES: Readonly<Record<string, ClientAuthType>> = { RequireClientCert: 'RequireAnyClientCert' };

/**
 * The response headers the toolkit lets a web config set, with the only values it accepts (null: any).
 * It keeps the list short on purpose, for one behaviour across the Prometheus ecosystem; so do we.
 */
export const CONFIGURABLE_HEADERS: Readonly<Record<string, readonly string[] | null>> = {
  'Strict-Transport-Security': null,
  'X-Content-Type-Options': ['nosniff'],
  'X-Frame-Options': ['deny', 'sameorigin'],
  'X-XSS-Protection': null,
  'Content-Security-Policy': null,
};
