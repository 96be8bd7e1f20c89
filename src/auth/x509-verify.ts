/**
 * Client-certificate chain verification against one CA pool, as Go's x509.Certificate.Verify with
 * KeyUsages=[ClientAuth] does it for k8s.io/apiserver's x509 and request-header authenticators.
 * TLS is served with `rejectUnauthorized: false` so that several pools (client CA and front-proxy
 * CA) can be told apart; this module then decides which pool, if any, vouches for a certificate.
 */
import { X509Certificate } from 'node:crypto';
import { ErrorCode, KubemeterError, errorMessage } from '../lib/errors.ts';

/** A set of trusted CA certificates parsed from a PEM bundle. */
export interface CaPool {
  readonly roots: readonly X509Certificate[];
  /** The PEM text the pool was built from (served as acceptable CAs in the TLS handshake). */
  readonly pem: string;
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Parse a PEM bundle; throws naming `source` when a block is not a certificate or none is found. */
export function parseCaPool(pem: string, source: string): CaPool {
  const blocks = pem.match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) throw new KubemeterError(ErrorCode.InvalidFile, `${source}: no PEM certificate found`, { source });
  const roots = blocks.map((b, i) => {
    try {
      return new X509Certificate(b);
    } catch (e) {
      throw new KubemeterError(ErrorCode.InvalidFile, `${source}: certificate ${i + 1} does not parse: ${errorMessage(e)}`, { source, cause: e });
    }
  });
  return { roots, pem: blocks.join('\n') + '\n' };
}

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const ANY_USAGE = '2.5.29.37.0';
const MAX_DEPTH = 8;

/** The outcome of a verification: ok with the verified chain, or Go's error text. */
export type VerifyResult = { ok: true; chain: X509Certificate[] } | { ok: false; error: string };

function validAt(c: X509Certificate, nowMs: number): string | undefined {
  const from = c.validFromDate.getTime();
  const to = c.validToDate.getTime();
  if (nowMs < from) return `x509: certificate has expired or is not yet valid: current time ${new Date(nowMs).toISOString().replace(/\.\d+Z$/, 'Z')} is before ${c.validFromDate.toISOString().replace(/\.\d+Z$/, 'Z')}`;
  if (nowMs > to) return `x509: certificate has expired or is not yet valid: current time ${new Date(nowMs).toISOString().replace(/\.\d+Z$/, 'Z')} is after ${c.validToDate.toISOString().replace(/\.\d+Z$/, 'Z')}`;
  return undefined;
}

function allowsClientAuth(c: X509Certificate): boolean {
  const eku = c.keyUsage; // extended key usages; undefined = no extension = any usage
  return eku === undefined || eku.length === 0 || eku.includes(CLIENT_AUTH) || eku.includes(ANY_USAGE);
}

// Certificates are immutable, so whether one signed another is computed once per pair. The
// objects are cached per TLS socket and per CA pool load, so a keep-alive or HTTP/2 client pays the
// signature check on its first request only (it was half of the server's CPU under a get load).
const signatures = new WeakMap<X509Certificate, WeakMap<X509Certificate, boolean>>();

function signedBy(child: X509Certificate, parent: X509Certificate): boolean {
  let byParent = signatures.get(child);
  const known = byParent?.get(parent);
  if (known !== undefined) return known;
  let ok: boolean;
  try {
    ok = child.checkIssued(parent) && child.verify(parent.publicKey);
  } catch {
    ok = false;
  }
  if (byParent === undefined) signatures.set(child, (byParent = new WeakMap()));
  byParent.set(parent, ok);
  return ok;
}

/**
 * Verify `leaf` (with the intermediates the client sent) against `pool` at `nowMs`, requiring the
 * clientAuth usage along the chain.
 */
export function verifyClientCertificate(leaf: X509Certificate, intermediates: readonly X509Certificate[], pool: CaPool, nowMs: number): VerifyResult {
  const expired = validAt(leaf, nowMs);
  if (expired !== undefined) return { ok: false, error: expired };
  let incompatibleUsage = false;
  const search = (cur: X509Certificate, chain: X509Certificate[]): X509Certificate[] | undefined => {
    if (chain.length > MAX_DEPTH) return undefined;
    for (const root of pool.roots) {
      if (!signedBy(cur, root) || validAt(root, nowMs) !== undefined) continue;
      const full = [...chain, root];
      if (full.every(allowsClientAuth)) return full;
      incompatibleUsage = true;
    }
    for (const mid of intermediates) {
      if (chain.some((c) => c.fingerprint256 === mid.fingerprint256)) continue;
      if (!mid.ca || validAt(mid, nowMs) !== undefined || !signedBy(cur, mid)) continue;
      const found = search(mid, [...chain, mid]);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  const chain = search(leaf, [leaf]);
  if (chain !== undefined) return { ok: true, chain };
  if (incompatibleUsage) return { ok: false, error: 'x509: certificate specifies an incompatible key usage' };
  return { ok: false, error: 'x509: certificate signed by unknown authority' };
}

/** A certificate's subject as Kubernetes reads it. */
export interface Subject {
  readonly commonName: string;
  readonly organizations: readonly string[];
}

const subjects = new WeakMap<X509Certificate, Subject>();

/** Subject fields Kubernetes reads: CN is the user, O the groups (parsed once per certificate object). */
export function subjectOf(cert: X509Certificate): Subject {
  let s = subjects.get(cert);
  if (s === undefined) subjects.set(cert, (s = Object.freeze(parseSubject(cert))));
  return s;
}

function parseSubject(cert: X509Certificate): Subject {
  const legacy = cert.toLegacyObject().subject as Record<string, string | string[] | undefined> | undefined;
  const cn = legacy?.['CN'];
  const o = legacy?.['O'];
  return {
    commonName: Array.isArray(cn) ? (cn[0] ?? '') : (cn ?? ''),
    organizations: Object.freeze(o === undefined ? [] : Array.isArray(o) ? [...o] : [o]),
  };
}
