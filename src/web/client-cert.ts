/**
 * What a client certificate must be, checked when a TLS handshake ends. Node verifies a certificate at the
 * handshake only for RequireAndVerifyClientCert (rejectUnauthorized); Go's other policies are checked here,
 * and a connection that fails them is closed before a request is read.
 */
import { isIPv6 } from 'node:net';
import type { ClientAuthType } from './tls-names.js';

/** The parts of a TLSSocket the policy looks at. */
export interface PeerView {
  authorized: boolean;
  authorizationError?: Error | string | undefined;
  /** Node's getPeerCertificate(): {} when the client sent none. */
  getPeerCertificate(): { raw?: Buffer; subjectaltname?: string } | null;
}

/** Why this peer may not go on, or undefined when it may. */
export function peerRefusal(clientAuth: ClientAuthType, allowedSans: readonly string[] | undefined, peer: PeerView): string | undefined {
  const cert = peer.getPeerCertificate();
  const hasCert = cert !== null && cert.raw !== undefined;
  switch (clientAuth) {
    case 'NoClientCert':
    case 'RequestClientCert':
      break;
    case 'RequireAnyClientCert':
      if (!hasCert) return 'no client certificate';
      break;
    case 'VerifyClientCertIfGiven':
    case 'RequireAndVerifyClientCert':
      if (clientAuth === 'RequireAndVerifyClientCert' && !hasCert) return 'no client certificate';
      if (hasCert && !peer.authorized) return `client certificate not verified: ${String(peer.authorizationError ?? 'unknown reason')}`;
      break;
  }
  if (allowedSans !== undefined) {
    const sans = hasCert ? subjectAltNames(cert.subjectaltname ?? '') : [];
    const wanted = new Set(allowedSans.map(canonical));
    if (!sans.some((s) => wanted.has(canonical(s))))
      return `no subject alternative name of the client certificate is in client_allowed_sans (it has: ${sans.join(', ') || 'none'})`;
  }
  return undefined;
}

/**
 * The values of Node's subjectaltname string ("DNS:a, IP Address:127.0.0.1, email:x@y, URI:spiffe://..."),
 * the four kinds Go matches client_allowed_sans against. Node quotes a value holding a comma or a quote
 * as a JSON string.
 */
export function subjectAltNames(text: string): string[] {
  const out: string[] = [];
  const re = /([A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/y;
  let at = 0;
  while (at < text.length) {
    re.lastIndex = at;
    const m = re.exec(text);
    if (m === null || re.lastIndex === at) break;
    at = re.lastIndex;
    const kind = m[1] ?? '';
    const raw = m[2] ?? '';
    let value = raw;
    if (raw.startsWith('"')) {
      try {
        value = JSON.parse(raw) as string;
      } catch {
        continue;
      }
    }
    if (kind === 'DNS' || kind === 'IP Address' || kind === 'email' || kind === 'URI') out.push(value);
  }
  return out;
}

/** IPv6 addresses in one form (OpenSSL prints them uncompressed, Go compressed); everything else as is, case and all. */
function canonical(s: string): string {
  if (!isIPv6(s)) return s;
  try {
    return new URL(`http://[${s}]/`).hostname;
  } catch {
    return s;
  }
}
