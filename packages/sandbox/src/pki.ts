/*
 * A small X.509 issuer on top of node:crypto (ECDSA P-256, SHA-256), enough for a private
 * cluster CA, the apiserver's serving certificate and client certificates. Node can verify
 * certificates but not create them, so the DER is assembled here; no openssl needed.
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  KeyObject,
  randomBytes,
  sign,
  X509Certificate,
} from 'node:crypto';
import { isIP } from 'node:net';

// ---- minimal DER -------------------------------------------------------------------------

function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function der(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
}

const seq = (...c: Buffer[]) => der(0x30, ...c);
const set = (...c: Buffer[]) => der(0x31, ...c);
const octets = (b: Buffer) => der(0x04, b);
const utf8 = (s: string) => der(0x0c, Buffer.from(s, 'utf8'));
const bool = (v: boolean) => der(0x01, Buffer.from([v ? 0xff : 0]));
const explicit = (n: number, c: Buffer) => der(0xa0 + n, c);

function bitString(bytes: Buffer, unusedBits = 0): Buffer {
  return der(0x03, Buffer.from([unusedBits]), bytes);
}

function integer(value: Buffer | number): Buffer {
  let bytes = typeof value === 'number' ? Buffer.from([value]) : value;
  let start = 0;
  while (
    start < bytes.length - 1 &&
    bytes[start] === 0 &&
    !(bytes[start + 1] & 0x80)
  )
    start++;
  bytes = bytes.subarray(start);
  if (bytes[0] & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return der(0x02, bytes);
}

export function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const bytes = [40 * parts[0] + parts[1]];
  for (const part of parts.slice(2)) {
    const chunk: number[] = [part & 0x7f];
    for (let n = Math.floor(part / 128); n > 0; n = Math.floor(n / 128)) {
      chunk.unshift((n & 0x7f) | 0x80);
    }
    bytes.push(...chunk);
  }
  return der(0x06, Buffer.from(bytes));
}

function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, '').slice(0, 14); // YYYYMMDDHHMMSS
  return date.getUTCFullYear() < 2050
    ? der(0x17, Buffer.from(`${iso.slice(2)}Z`, 'ascii'))
    : der(0x18, Buffer.from(`${iso}Z`, 'ascii'));
}

function name(subject: {
  commonName: string;
  organizations?: string[];
}): Buffer {
  const rdns = (subject.organizations ?? []).map(o =>
    set(seq(oid('2.5.4.10'), utf8(o))),
  );
  rdns.push(set(seq(oid('2.5.4.3'), utf8(subject.commonName))));
  return seq(...rdns);
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical
    ? seq(oid(id), bool(true), octets(value))
    : seq(oid(id), octets(value));
}

function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  // IPv6: expand "::" and write 8 groups.
  const [head, tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = ip.includes('::')
    ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t]
    : h;
  return Buffer.concat(groups.map(g => Buffer.from(g.padStart(4, '0'), 'hex')));
}

// ---- certificates ------------------------------------------------------------------------

const ECDSA_WITH_SHA256 = seq(oid('1.2.840.10045.4.3.2'));

export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export interface CertificateRequest {
  commonName: string;
  organizations?: string[];
  /** DNS names and IP addresses for the subjectAltName extension. */
  hosts?: string[];
  isCA?: boolean;
  usage?: ('server' | 'client')[];
  validDays?: number;
  /** Defaults to now minus one hour, to tolerate small clock differences. */
  notBefore?: Date;
}

export interface IssuedCertificate {
  certPem: string;
  keyPem: string;
}

export function generateKeyPair(): KeyPair {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
}

function toPem(label: string, derBytes: Buffer): string {
  const b64 = derBytes
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/**
 * Issues a certificate for `keys` (a new key pair by default), signed by `issuer`
 * (self-signed when omitted).
 */
export function issueCertificate(
  request: CertificateRequest,
  issuer?: { certPem: string; keyPem: string },
  keys: KeyPair = generateKeyPair(),
): IssuedCertificate {
  const notBefore = request.notBefore ?? new Date(Date.now() - 3600_000);
  const notAfter = new Date(
    notBefore.getTime() + (request.validDays ?? 3650) * 86400_000,
  );
  const subject = name(request);
  const issuerName = issuer ? issuerSubject(issuer.certPem) : subject;
  const spki = keys.publicKey.export({ type: 'spki', format: 'der' });
  const serial = randomBytes(16);
  serial[0] &= 0x7f;

  const extensions: Buffer[] = [];
  if (request.isCA) {
    extensions.push(extension('2.5.29.19', true, seq(bool(true))));
    // digitalSignature, keyCertSign, cRLSign
    extensions.push(
      extension('2.5.29.15', true, bitString(Buffer.from([0x86]), 1)),
    );
  } else {
    extensions.push(extension('2.5.29.19', true, seq()));
    // digitalSignature, keyEncipherment
    extensions.push(
      extension('2.5.29.15', true, bitString(Buffer.from([0xa0]), 5)),
    );
    const usages = (request.usage ?? ['client']).map(u =>
      oid(u === 'server' ? '1.3.6.1.5.5.7.3.1' : '1.3.6.1.5.5.7.3.2'),
    );
    extensions.push(extension('2.5.29.37', false, seq(...usages)));
  }
  if (request.hosts?.length) {
    const names = request.hosts.map(host =>
      isIP(host)
        ? der(0x87, ipBytes(host))
        : der(0x82, Buffer.from(host, 'ascii')),
    );
    extensions.push(extension('2.5.29.17', false, seq(...names)));
  }

  const tbs = seq(
    explicit(0, integer(2)),
    integer(serial),
    ECDSA_WITH_SHA256,
    issuerName,
    seq(time(notBefore), time(notAfter)),
    subject,
    spki,
    explicit(3, seq(...extensions)),
  );
  const signingKey = issuer ? createPrivateKey(issuer.keyPem) : keys.privateKey;
  const signature = sign('sha256', tbs, signingKey);
  const certificate = seq(tbs, ECDSA_WITH_SHA256, bitString(signature));
  return {
    certPem: toPem('CERTIFICATE', certificate),
    keyPem: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  };
}

/** The DER of a certificate's subject Name, to be used as the issuer of certificates it signs. */
function issuerSubject(certPem: string): Buffer {
  const raw = Buffer.from(new X509Certificate(certPem).raw);
  // Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version, serial, sigAlg, issuer, validity, subject, ... } }
  const tbs = readTlv(raw, readTlv(raw, 0).contentStart);
  let offset = tbs.contentStart;
  const fields: { start: number; end: number }[] = [];
  while (offset < tbs.end && fields.length < 6) {
    const tlv = readTlv(raw, offset);
    fields.push({ start: offset, end: tlv.end });
    offset = tlv.end;
  }
  const subject = fields[5];
  return raw.subarray(subject.start, subject.end);
}

function readTlv(
  buf: Buffer,
  offset: number,
): { contentStart: number; end: number } {
  let pos = offset + 1;
  let length = buf[pos++];
  if (length & 0x80) {
    const count = length & 0x7f;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + buf[pos++];
  }
  return { contentStart: pos, end: pos + length };
}

export function publicKeyPem(privateKeyPem: string): string {
  return createPublicKey(createPrivateKey(privateKeyPem)).export({
    type: 'spki',
    format: 'pem',
  }) as string;
}

export interface ClusterPki {
  ca: IssuedCertificate;
  apiServer: IssuedCertificate;
  admin: IssuedCertificate;
  /** Service-account token signing key (private, PKCS#8 PEM) and its public key. */
  serviceAccountKeyPem: string;
  serviceAccountPublicPem: string;
}

/**
 * The controller manager's client certificate: user `system:kube-controller-manager`, which the
 * API server's bootstrap RBAC binds to the ClusterRole of the same name.
 */
export function issueControllerManagerCertificate(ca: {
  certPem: string;
  keyPem: string;
}): IssuedCertificate {
  return issueCertificate(
    { commonName: 'system:kube-controller-manager', usage: ['client'] },
    ca,
  );
}

/** Everything a cluster needs: its CA, the apiserver serving cert, an admin client cert, SA keys. */
export function generateClusterPki(cluster: string): ClusterPki {
  const ca = issueCertificate({
    commonName: `sandbox-${cluster}-ca`,
    isCA: true,
  });
  const apiServer = issueCertificate(
    {
      commonName: 'kube-apiserver',
      hosts: [
        '127.0.0.1',
        'localhost',
        'kubernetes',
        'kubernetes.default',
        'kubernetes.default.svc',
        '::1',
      ],
      usage: ['server'],
    },
    ca,
  );
  const admin = issueCertificate(
    {
      commonName: 'sandbox-admin',
      organizations: ['system:masters'],
      usage: ['client'],
    },
    ca,
  );
  const sa = generateKeyPair();
  return {
    ca,
    apiServer,
    admin,
    serviceAccountKeyPem: sa.privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    }) as string,
    serviceAccountPublicPem: sa.publicKey.export({
      type: 'spki',
      format: 'pem',
    }) as string,
  };
}
