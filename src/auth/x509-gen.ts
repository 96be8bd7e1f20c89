/**
 * Certificate generation: CAs, server and client certificates (ECDSA P-256, SHA-256), as PEM.
 * Used for the self-signed serving certificate written to --cert-dir and by tests to build real
 * PKIs. Built on node:crypto and the DER encoders in der.ts (see there why not @peculiar/x509).
 */
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { ErrorCode, KubemeterError, quoteInput } from '../lib/errors.ts';
import { bitString, bool, explicit, implicit, octets, oid, seq, set, smallInt, time, tlv, uint, utf8 } from './der.ts';

/** A certificate with its private key, both PEM. */
export interface CertKeyPair {
  /** PEM certificate (for an issued leaf: the leaf only). */
  certPem: string;
  /** PEM PKCS#8 private key. */
  keyPem: string;
}

/** A CA that can issue certificates. */
export interface CertificateAuthority extends CertKeyPair {
  /** Subject common name. */
  commonName: string;
  /** The CA's private key. */
  readonly privateKey: KeyObject;
  /** DER of the CA's subject name (becomes the issuer of what it signs). */
  readonly subjectDer: Buffer;
  /** The CA's subject key identifier. */
  readonly keyId: Buffer;
}

/** What to put in a generated certificate. */
export interface CertificateSpec {
  commonName: string;
  /** Subject organizations (Kubernetes groups for client certificates). */
  organizations?: string[];
  dnsNames?: string[];
  ipAddresses?: string[];
  /** Extended key usages: server, client or both. */
  usage: 'server' | 'client' | 'both';
  /** Validity start (default: now − 1 h, tolerating clock skew). */
  notBefore?: Date;
  /** Validity end (default: notBefore + 365 days). */
  notAfter?: Date;
}

const DAY_MS = 86_400_000;
const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));
const OID = {
  cn: '2.5.4.3',
  o: '2.5.4.10',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  san: '2.5.29.17',
  ski: '2.5.29.14',
  aki: '2.5.29.35',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

function name(cn: string, orgs: readonly string[]): Buffer {
  // Go's pkix.Name order: O before CN.
  const rdns = [...orgs.map((o) => set(seq(oid(OID.o), utf8(o)))), set(seq(oid(OID.cn), utf8(cn)))];
  return seq(...rdns);
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value));
}

function ipBytes(ip: string): Buffer {
  const v = isIP(ip);
  if (v === 4) return Buffer.from(ip.split('.').map(Number));
  if (v === 6) {
    const [head = '', tail = ''] = ip.includes('::') ? ip.split('::') : [ip, ''];
    const h = head === '' ? [] : head.split(':');
    const t = tail === '' ? [] : tail.split(':');
    const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
    return Buffer.concat(groups.map((g) => Buffer.from(g.padStart(4, '0'), 'hex')));
  }
  throw new KubemeterError(ErrorCode.InvalidFlag, `not an IP address: ${quoteInput(ip)}`);
}

function keyId(spkiDer: Buffer): Buffer {
  // RFC 5280 method 1 over the whole SPKI is what Go does since 1.15 (SHA-1 of the key bits); any stable id works.
  return createHash('sha1').update(spkiDer).digest();
}

function build(o: { issuer: Buffer; subject: Buffer; publicKey: KeyObject; signer: KeyObject; notBefore: Date; notAfter: Date; extensions: Buffer[] }): string {
  const spki = o.publicKey.export({ type: 'spki', format: 'der' });
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f;
  const tbs = seq(
    explicit(0, smallInt(2)),
    uint(serial),
    ECDSA_SHA256,
    o.issuer,
    seq(time(o.notBefore), time(o.notAfter)),
    o.subject,
    spki,
    explicit(3, seq(...o.extensions)),
  );
  const signature = sign('sha256', tbs, o.signer);
  const der = seq(tbs, ECDSA_SHA256, bitString(signature));
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

function validity(spec: { notBefore?: Date; notAfter?: Date }, days: number): { notBefore: Date; notAfter: Date } {
  const notBefore = spec.notBefore ?? new Date(Date.now() - 3_600_000);
  const notAfter = spec.notAfter ?? new Date(notBefore.getTime() + days * DAY_MS);
  return { notBefore, notAfter };
}

/** Create a self-signed CA (ten years by default). */
export function createCertificateAuthority(spec: { commonName: string; notBefore?: Date; notAfter?: Date }): CertificateAuthority {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const subject = name(spec.commonName, []);
  const ski = keyId(publicKey.export({ type: 'spki', format: 'der' }));
  const certPem = build({
    issuer: subject,
    subject,
    publicKey,
    signer: privateKey,
    ...validity(spec, 3650),
    extensions: [
      // keyCertSign (bit 5), cRLSign (bit 6), digitalSignature (bit 0): 0b1000_0110, one unused bit.
      extension(OID.keyUsage, true, bitString(Buffer.from([0x86]), 1)),
      extension(OID.basicConstraints, true, seq(bool(true))),
      extension(OID.ski, false, octets(ski)),
    ],
  });
  return {
    certPem,
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    commonName: spec.commonName,
    privateKey,
    subjectDer: subject,
    keyId: ski,
  };
}

/** Issue a leaf certificate signed by `ca`. */
export function issueCertificate(ca: CertificateAuthority, spec: CertificateSpec): CertKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const usages: Buffer[] = [];
  if (spec.usage !== 'client') usages.push(oid(OID.serverAuth));
  if (spec.usage !== 'server') usages.push(oid(OID.clientAuth));
  const extensions = [
    // digitalSignature only (bit 0), seven unused bits: what Go sets for ECDSA keys.
    extension(OID.keyUsage, true, bitString(Buffer.from([0x80]), 7)),
    extension(OID.extKeyUsage, false, seq(...usages)),
    extension(OID.basicConstraints, true, seq()),
    extension(OID.aki, false, seq(implicit(0, ca.keyId))),
  ];
  const sans = [
    ...(spec.dnsNames ?? []).map((d) => tlv(0x82, Buffer.from(d, 'ascii'))),
    ...(spec.ipAddresses ?? []).map((ip) => implicit(7, ipBytes(ip))),
  ];
  if (sans.length > 0) extensions.push(extension(OID.san, false, seq(...sans)));
  const certPem = build({
    issuer: ca.subjectDer,
    subject: name(spec.commonName, spec.organizations ?? []),
    publicKey,
    signer: ca.privateKey,
    ...validity(spec, 365),
    extensions,
  });
  return { certPem, keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}
