/**
 * The kubelet's serving certificate for port 10250 when none is given: with neither
 * --tls-cert-file nor --tls-private-key-file, the kubelet uses `<--cert-dir>/kubelet.crt` and
 * `kubelet.key`, and when it cannot read them it generates a self-signed pair there (a one-off
 * CA `<host>-ca@<unix seconds>` and a serving certificate `<host>@<unix seconds>` signed by it,
 * valid one year; the .crt holds both) and serves HTTPS anyway. The agent does the same, with
 * three differences: the certificate names the node name, the host name and the node's IPs
 * (the kubelet: its host name only, so clients dialling an IP cannot verify it even with the
 * CA); an existing pair is also replaced when it has expired (or expires within a day) or no
 * longer names those (a new node IP), where the kubelet serves it as long as it is readable; and
 * keys are ECDSA P-256 (the kubelet: RSA 2048).
 */
import { X509Certificate } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { checkPair } from '../auth/serving-cert.ts';
import { createCertificateAuthority, issueCertificate } from '../auth/x509-gen.ts';
import type { Clock } from '../lib/clock.ts';
import { systemClock } from '../lib/clock.ts';
import { ErrorCode, KubemeterError, errorMessage, isKubemeterError } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { silentLogger } from '../lib/log.ts';

/** Options of ensureKubeletServingCertificate. */
export interface KubeletCertOptions {
  /** `--cert-dir`. */
  certDir: string;
  /** Names the certificate must carry: the node name, the host name, the node's IPs (DNS names and IPs mixed). */
  names: readonly string[];
  clock?: Clock;
  logger?: Logger;
}

/** Where the pair is and whether it was generated just now. */
export interface KubeletCertFiles {
  certFile: string;
  keyFile: string;
  generated: boolean;
}

const dayMs = 86_400_000;
const yearMs = 365 * dayMs;

/** Split names into DNS names and IPs (empty and wildcard addresses dropped, duplicates removed). */
export function certificateNames(names: readonly string[]): { dnsNames: string[]; ipAddresses: string[] } {
  const dns = new Set<string>();
  const ips = new Set<string>();
  for (const n of names) {
    if (n === '' || n === '0.0.0.0' || n === '::') continue;
    if (isIP(n) !== 0) ips.add(n);
    else dns.add(n.toLowerCase());
  }
  return { dnsNames: [...dns], ipAddresses: [...ips] };
}

/** Why an existing pair must be replaced, or undefined when it can be served. Throws when it is broken. */
function replaceReason(certPem: string, keyPem: string, source: string, names: { dnsNames: string[]; ipAddresses: string[] }, nowMs: number): string | undefined {
  checkPair({ certPem, keyPem }, source);
  const leaf = new X509Certificate(certPem);
  if (leaf.validToDate.getTime() <= nowMs + dayMs) return `it expires ${leaf.validTo}`;
  const missing = [...names.dnsNames.filter((d) => leaf.checkHost(d, { wildcards: false }) === undefined), ...names.ipAddresses.filter((ip) => leaf.checkIP(ip) === undefined)];
  return missing.length > 0 ? `it does not name ${missing.join(', ')}` : undefined;
}

async function readIfPresent(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if (typeof e === 'object' && e !== null && 'code' in e && (e.code === 'ENOENT' || e.code === 'ENOTDIR')) return undefined;
    throw new KubemeterError(ErrorCode.InvalidFile, `cannot read ${path}: ${errorMessage(e)}`, { source: path, cause: e });
  }
}

/**
 * Reuse `<certDir>/kubelet.crt` and `kubelet.key`, or generate them (see the file comment).
 * Throws InvalidFile naming the files when they exist but are broken (they are not overwritten)
 * or the directory cannot be written.
 */
export async function ensureKubeletServingCertificate(options: KubeletCertOptions): Promise<KubeletCertFiles> {
  const log = options.logger ?? silentLogger;
  const nowMs = (options.clock ?? systemClock).nowMs();
  const certFile = join(options.certDir, 'kubelet.crt');
  const keyFile = join(options.certDir, 'kubelet.key');
  const names = certificateNames(options.names);
  const [certPem, keyPem] = await Promise.all([readIfPresent(certFile), readIfPresent(keyFile)]);
  if (certPem !== undefined && keyPem !== undefined) {
    const why = replaceReason(certPem, keyPem, `${certFile}, ${keyFile}`, names, nowMs);
    if (why === undefined) return { certFile, keyFile, generated: false };
    log.info('replacing the self-signed serving certificate', { certFile, reason: why });
  }
  const host = names.dnsNames[0] ?? names.ipAddresses[0] ?? 'localhost';
  const stamp = Math.floor(nowMs / 1000);
  const notBefore = new Date(nowMs - 3_600_000);
  const ca = createCertificateAuthority({ commonName: `${host}-ca@${stamp}`, notBefore, notAfter: new Date(notBefore.getTime() + yearMs) });
  const leaf = issueCertificate(ca, { commonName: `${host}@${stamp}`, usage: 'server', ...names, notBefore, notAfter: new Date(notBefore.getTime() + yearMs) });
  try {
    await mkdir(options.certDir, { recursive: true, mode: 0o755 });
    // Write-then-rename so that a reader never sees half a file; the key first, so that a new
    // certificate is never paired with an old key.
    await writeFile(`${keyFile}.tmp`, leaf.keyPem, { mode: 0o600 });
    await writeFile(`${certFile}.tmp`, leaf.certPem + ca.certPem, { mode: 0o644 });
    await rename(`${keyFile}.tmp`, keyFile);
    await rename(`${certFile}.tmp`, certFile);
  } catch (e) {
    if (isKubemeterError(e)) throw e;
    throw new KubemeterError(ErrorCode.InvalidFile, `cannot write the self-signed serving certificate into --cert-dir ${options.certDir}: ${errorMessage(e)} (give --cert-dir a writable directory, or --tls-cert-file and --tls-private-key-file)`, { source: options.certDir, cause: e });
  }
  log.info('generated a self-signed serving certificate', { certFile, keyFile, dnsNames: names.dnsNames.join(','), ipAddresses: names.ipAddresses.join(',') });
  return { certFile, keyFile, generated: true };
}
