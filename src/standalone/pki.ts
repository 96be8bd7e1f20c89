/**
 * The certificates of `kubemeter up`, kept in the state directory (`~/.kubemeter` by default):
 * one CA, created once and reused across restarts, and the leaves it signs — the Metrics API's
 * serving certificate, the local agent's serving certificate, the scraper's client certificate
 * and the admin client certificate written into the kubeconfig. A leaf is reused while it
 * parses, is signed by the CA, has more than 30 days left and (serving certificates) covers the
 * names asked for; otherwise it is issued again. Keys are written 0600 in a 0700 directory.
 */
import { X509Certificate, createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { createCertificateAuthority, issueCertificate, type CertKeyPair, type CertificateAuthority, type CertificateSpec } from '../auth/x509-gen.ts';
import { ErrorCode, KubemeterError, errorMessage } from '../lib/errors.ts';
import { subjectNameDer } from './der-read.ts';

/** User name of the generated admin client certificate. */
export const ADMIN_USER = 'kubemeter-admin';
/** Group of the admin certificate: the authorizer's privileged group. */
export const ADMIN_GROUP = 'system:masters';
/** User name the server presents to agents. */
export const SCRAPER_USER = 'kubemeter-up';

const DAY_MS = 86_400_000;
const RENEW_BEFORE_MS = 30 * DAY_MS;

/** PEM files of one certificate and key in the state directory. */
export interface PemFiles extends CertKeyPair {
  certFile: string;
  keyFile: string;
  /** Issued during this start (false: reused from disk). */
  issued: boolean;
}

/** Everything `up` needs from the state directory. */
export interface StatePki {
  ca: CertificateAuthority & { certFile: string; created: boolean };
  apiServing: PemFiles;
  agentServing: PemFiles;
  scraperClient: PemFiles;
  admin: PemFiles;
}

function writeAtomic(path: string, text: string, mode: number): void {
  // Write-then-rename: a concurrent reader (or a crash) never sees half a file.
  writeFileSync(`${path}.tmp`, text, { mode });
  chmodSync(`${path}.tmp`, mode);
  renameSync(`${path}.tmp`, path);
}

/** Rebuild a CertificateAuthority from its PEM certificate and key (throws naming `source`). */
export function loadCertificateAuthority(certPem: string, keyPem: string, source: string): CertificateAuthority {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (e) {
    throw new KubemeterError(ErrorCode.InvalidFile, `${source}: CA certificate does not parse: ${errorMessage(e)}`, { source, cause: e });
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(keyPem);
  } catch (e) {
    throw new KubemeterError(ErrorCode.InvalidFile, `${source}: CA key does not parse: ${errorMessage(e)}`, { source, cause: e });
  }
  if (!cert.ca) throw new KubemeterError(ErrorCode.InvalidFile, `${source}: not a CA certificate`, { source });
  if (!cert.checkPrivateKey(privateKey)) throw new KubemeterError(ErrorCode.InvalidFile, `${source}: CA key does not match the certificate`, { source });
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1] ?? '';
  return {
    certPem,
    keyPem,
    commonName: cn,
    privateKey,
    subjectDer: subjectNameDer(cert.raw, source),
    // The same key id x509-gen gives the CAs it creates (SHA-1 of the SPKI).
    keyId: createHash('sha1').update(spki).digest(),
  };
}

/** Does `certPem` still serve: signed by `ca`, valid long enough, and covering `names`? Pure except for the clock. */
export function leafUsable(certPem: string, ca: CertificateAuthority, names: readonly string[], nowMs: number): boolean {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    return false;
  }
  const caCert = new X509Certificate(ca.certPem);
  if (!cert.checkIssued(caCert) || !cert.verify(caCert.publicKey)) return false;
  if (cert.validToDate.getTime() - nowMs < RENEW_BEFORE_MS || cert.validFromDate.getTime() > nowMs) return false;
  // checkHost/checkIP match against the SANs only (no wildcard for IPs), as TLS clients do.
  return names.every((n) => (isIP(n) === 0 ? cert.checkHost(n, { subject: 'never', wildcards: false }) !== undefined : cert.checkIP(n) !== undefined));
}

function loadOrIssue(dir: string, base: string, ca: CertificateAuthority, spec: CertificateSpec, nowMs: number): PemFiles {
  const certFile = join(dir, `${base}.crt`);
  const keyFile = join(dir, `${base}.key`);
  const names = [...(spec.dnsNames ?? []), ...(spec.ipAddresses ?? [])];
  if (existsSync(certFile) && existsSync(keyFile)) {
    try {
      const certPem = readFileSync(certFile, 'utf8');
      const keyPem = readFileSync(keyFile, 'utf8');
      const cert = new X509Certificate(certPem);
      const subject = cert.subject;
      const sameSubject = subject.includes(`CN=${spec.commonName}`) && (spec.organizations ?? []).every((o) => subject.includes(`O=${o}`));
      if (sameSubject && cert.checkPrivateKey(createPrivateKey(keyPem)) && leafUsable(certPem, ca, names, nowMs)) {
        return { certPem, keyPem, certFile, keyFile, issued: false };
      }
    } catch {
      // unreadable or broken: issue a new one below
    }
  }
  const pair = issueCertificate(ca, spec);
  writeAtomic(keyFile, pair.keyPem, 0o600);
  writeAtomic(certFile, pair.certPem, 0o644);
  return { ...pair, certFile, keyFile, issued: true };
}

/** Options of ensureStatePki. */
export interface StatePkiOptions {
  stateDir: string;
  /** DNS names and IPs the Metrics API is reached by (localhost, 127.0.0.1, the host name, …). */
  apiNames: readonly string[];
  /** Names of the local agent's secure port. */
  agentNames: readonly string[];
  nowMs?: number;
}

function split(names: readonly string[]): { dnsNames: string[]; ipAddresses: string[] } {
  return { dnsNames: names.filter((n) => isIP(n) === 0), ipAddresses: names.filter((n) => isIP(n) !== 0) };
}

/** Create or reuse the CA and every leaf in the state directory. */
export function ensureStatePki(o: StatePkiOptions): StatePki {
  const nowMs = o.nowMs ?? Date.now();
  const dir = o.stateDir;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
  } catch (e) {
    throw new KubemeterError(ErrorCode.InvalidFile, `cannot create the state directory ${dir}: ${errorMessage(e)}`, { source: dir, cause: e });
  }
  const caFile = join(dir, 'ca.crt');
  const caKeyFile = join(dir, 'ca.key');
  let ca: CertificateAuthority;
  let created = false;
  if (existsSync(caFile) || existsSync(caKeyFile)) {
    // An existing but broken CA is an error, not something to replace silently: kubeconfigs
    // and agents elsewhere may trust it.
    let certPem: string;
    let keyPem: string;
    try {
      certPem = readFileSync(caFile, 'utf8');
      keyPem = readFileSync(caKeyFile, 'utf8');
    } catch (e) {
      throw new KubemeterError(ErrorCode.InvalidFile, `cannot read the CA in ${dir}: ${errorMessage(e)} (remove ca.crt and ca.key to start over)`, { source: dir, cause: e });
    }
    ca = loadCertificateAuthority(certPem, keyPem, caFile);
    if (new X509Certificate(certPem).validToDate.getTime() < nowMs) {
      throw new KubemeterError(ErrorCode.InvalidFile, `${caFile}: the CA has expired (remove ca.crt and ca.key to start over)`, { source: caFile });
    }
  } else {
    ca = createCertificateAuthority({ commonName: `kubemeter-ca@${Math.floor(nowMs / 1000)}` });
    writeAtomic(caKeyFile, ca.keyPem, 0o600);
    writeAtomic(caFile, ca.certPem, 0o644);
    created = true;
  }
  return {
    ca: Object.assign(ca, { certFile: caFile, created }),
    apiServing: loadOrIssue(dir, 'apiserver', ca, { commonName: 'kubemeter-apiserver', usage: 'server', ...split(o.apiNames) }, nowMs),
    agentServing: loadOrIssue(dir, 'agent', ca, { commonName: 'kubemeter-agent', usage: 'server', ...split(o.agentNames) }, nowMs),
    scraperClient: loadOrIssue(dir, 'scraper', ca, { commonName: SCRAPER_USER, usage: 'client' }, nowMs),
    admin: loadOrIssue(dir, 'admin', ca, { commonName: ADMIN_USER, organizations: [ADMIN_GROUP], usage: 'client' }, nowMs),
  };
}

/** Issue a serving certificate for an agent on another host (`kubemeter up agent-cert`). */
export function issueAgentCertificate(ca: CertificateAuthority, outDir: string, nodeName: string, names: readonly string[]): { certFile: string; keyFile: string; caFile: string } {
  mkdirSync(outDir, { recursive: true, mode: 0o700 });
  const pair = issueCertificate(ca, { commonName: nodeName, usage: 'server', ...split([nodeName, ...names]) });
  const certFile = join(outDir, 'agent.crt');
  const keyFile = join(outDir, 'agent.key');
  const caFile = join(outDir, 'ca.crt');
  writeAtomic(keyFile, pair.keyPem, 0o600);
  writeAtomic(certFile, pair.certPem, 0o644);
  writeAtomic(caFile, ca.certPem, 0o644);
  return { certFile, keyFile, caFile };
}
