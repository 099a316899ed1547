import { describe, expect, it } from 'vitest';
import { peerRefusal, subjectAltNames, type PeerView } from '../../src/web/client-cert.js';

const peer = (cert: { subjectaltname?: string } | undefined, authorized = true, authorizationError?: string): PeerView => ({
  authorized,
  authorizationError,
  getPeerCertificate: () => (cert === undefined ? {} : { raw: Buffer.from('der'), ...cert }),
});

describe('subjectAltNames', () => {
  it("reads Node's subjectaltname string: DNS, IP, e-mail, URI, quoted values", () => {
    expect(subjectAltNames('DNS:prometheus, URI:spiffe://example.org/prom, email:a@b.c, IP Address:127.0.0.1')).toEqual([
      'prometheus',
      'spiffe://example.org/prom',
      'a@b.c',
      '127.0.0.1',
    ]);
    expect(subjectAltNames('DNS:"a, b", DNS:c')).toEqual(['a, b', 'c']);
    expect(subjectAltNames('DirName:CN=x, DNS:d')).toEqual(['d']);
    expect(subjectAltNames('')).toEqual([]);
  });
});

describe('peerRefusal', () => {
  it('RequireAnyClientCert: any certificate, verified or not; none is refused', () => {
    expect(peerRefusal('RequireAnyClientCert', undefined, peer({}, false, 'SELF_SIGNED'))).toBeUndefined();
    expect(peerRefusal('RequireAnyClientCert', undefined, peer(undefined))).toBe('no client certificate');
  });

  it('VerifyClientCertIfGiven: none is fine, an unverified one is not', () => {
    expect(peerRefusal('VerifyClientCertIfGiven', undefined, peer(undefined, false))).toBeUndefined();
    expect(peerRefusal('VerifyClientCertIfGiven', undefined, peer({}, false, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'))).toMatch(/not verified: UNABLE_TO_VERIFY/);
    expect(peerRefusal('VerifyClientCertIfGiven', undefined, peer({}, true))).toBeUndefined();
  });

  it('RequestClientCert and NoClientCert never refuse', () => {
    expect(peerRefusal('RequestClientCert', undefined, peer({}, false))).toBeUndefined();
    expect(peerRefusal('NoClientCert', undefined, peer(undefined, false))).toBeUndefined();
  });

  it('client_allowed_sans: one SAN must match exactly; IPv6 in any spelling', () => {
    const allowed = ['prometheus', '2001:db8::1'];
    expect(peerRefusal('RequireAndVerifyClientCert', allowed, peer({ subjectaltname: 'DNS:prometheus' }))).toBeUndefined();
    expect(peerRefusal('RequireAndVerifyClientCert', allowed, peer({ subjectaltname: 'IP Address:2001:DB8:0:0:0:0:0:1' }))).toBeUndefined();
    expect(peerRefusal('RequireAndVerifyClientCert', allowed, peer({ subjectaltname: 'DNS:Prometheus, DNS:prometheus.example' }))).toMatch(
      /it has: Prometheus, prometheus\.example/,
    );
    expect(peerRefusal('RequireAnyClientCert', allowed, peer({}))).toMatch(/it has: none/);
  });
});
