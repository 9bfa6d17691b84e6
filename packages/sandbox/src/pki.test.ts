import {
  X509Certificate,
  createPublicKey,
  createPrivateKey,
  sign,
  verify,
} from 'node:crypto';
import { generateClusterPki, issueCertificate, oid, publicKeyPem } from './pki';

describe('pki', () => {
  const pki = generateClusterPki('dev');
  const ca = new X509Certificate(pki.ca.certPem);
  const server = new X509Certificate(pki.apiServer.certPem);
  const admin = new X509Certificate(pki.admin.certPem);

  it('makes a self-signed CA', () => {
    expect(ca.ca).toBe(true);
    expect(ca.subject).toBe('CN=sandbox-dev-ca');
    expect(ca.verify(ca.publicKey)).toBe(true);
    expect(ca.checkIssued(ca)).toBe(true);
  });

  it('issues a serving certificate for loopback names and addresses', () => {
    expect(server.ca).toBe(false);
    expect(server.checkIssued(ca)).toBe(true);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(server.checkHost('localhost')).toBe('localhost');
    expect(server.subjectAltName).toContain('IP Address:0:0:0:0:0:0:0:1');
    expect(server.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
  });

  it('issues an admin client certificate in system:masters', () => {
    expect(admin.subject.split('\n')).toEqual([
      'O=system:masters',
      'CN=sandbox-admin',
    ]);
    expect(admin.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(admin.verify(ca.publicKey)).toBe(true);
  });

  it('pairs every certificate with its private key', () => {
    for (const c of [pki.ca, pki.apiServer, pki.admin]) {
      const cert = new X509Certificate(c.certPem);
      expect(cert.checkPrivateKey(createPrivateKey(c.keyPem))).toBe(true);
    }
  });

  it('makes a usable service-account signing key pair', () => {
    const data = Buffer.from('token');
    const signature = sign(
      'sha256',
      data,
      createPrivateKey(pki.serviceAccountKeyPem),
    );
    expect(
      verify(
        'sha256',
        data,
        createPublicKey(pki.serviceAccountPublicPem),
        signature,
      ),
    ).toBe(true);
    expect(publicKeyPem(pki.serviceAccountKeyPem)).toBe(
      pki.serviceAccountPublicPem,
    );
  });

  it('honours validity and encodes far-future dates', () => {
    const notBefore = new Date('2049-12-31T00:00:00Z');
    const c = new X509Certificate(
      issueCertificate({ commonName: 'x', notBefore, validDays: 2 }).certPem,
    );
    expect(new Date(c.validFrom).toISOString()).toBe(
      '2049-12-31T00:00:00.000Z',
    );
    expect(new Date(c.validTo).toISOString()).toBe('2050-01-02T00:00:00.000Z');
  });

  it('encodes object identifiers', () => {
    expect(oid('1.2.840.10045.4.3.2').toString('hex')).toBe(
      '06082a8648ce3d040302',
    );
    expect(oid('2.5.29.17').toString('hex')).toBe('0603551d11');
  });
});
