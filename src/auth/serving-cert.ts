/**
 * The serving certificate: loaded from --tls-cert-file/--tls-private-key-file and reloaded when
 * those files change (checked on an interval; a broken new pair is logged and the old one kept),
 * or, when none is given, a self-signed CA + serving certificate generated into --cert-dir as
 * `apiserver.crt`/`apiserver.key` (reused while valid), as the generic apiserver does.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdir, readFile, stat, writeFile, rename } from 'node:fs/promises';
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { ErrorCode, KubemeterError, errorMessage } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { silentLogger } from '../lib/log.ts';
import { createCertificateAuthority, issueCertificate } from './x509-gen.ts';

/** A PEM certificate chain and its key. */
export interface ServingPair {
  certPem: string;
  keyPem: string;
}

/** Options of loadServingCertificate. */
export interface ServingCertificateOptions {
  certFile?: string;
  keyFile?: string;
  /** Where a self-signed pair is generated when no files are given. */
  certDir: string;
  /** Extra DNS names / IPs for a generated certificate (service names, bind address). */
  alternateNames?: string[];
  /** How often to look for changed files, in ms (default 10 s; 0 disables). */
  reloadIntervalMs?: number;
  logger?: Logger;
}

/** The current serving pair, kept fresh. */
export interface ServingCertificate {
  current(): ServingPair;
  /** Called with the new pair after a successful reload. */
  onChange(listener: (pair: ServingPair) => void): void;
  /** Look at the files now (also done on the interval); resolves true when the pair changed. */
  reload(): Promise<boolean>;
  /** Where the pair comes from, for logs. */
  readonly files: { certFile: string; keyFile: string; generated: boolean };
  close(): void;
}

/** Check that `certPem` parses, is current-ish, and belongs to `keyPem`; throws naming the files. */
export function checkPair(pair: ServingPair, source: string): void {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pair.certPem);
  } catch (e) {
    throw new KubemeterError(ErrorCode.InvalidFile, `${source}: certificate does not parse: ${errorMessage(e)}`, { source, cause: e });
  }
  let ok: boolean;
  try {
    ok = cert.checkPrivateKey(createPrivateKey(pair.keyPem));
  } catch (e) {
    throw new KubemeterError(ErrorCode.InvalidFile, `${source}: private key does not parse: ${errorMessage(e)}`, { source, cause: e });
  }
  if (!ok) throw new KubemeterError(ErrorCode.InvalidFile, `${source}: private key does not match the certificate`, { source });
}

async function readPair(certFile: string, keyFile: string): Promise<ServingPair> {
  const read = async (p: string): Promise<string> => {
    try {
      return await readFile(p, 'utf8');
    } catch (e) {
      throw new KubemeterError(ErrorCode.InvalidFile, `cannot read ${p}: ${errorMessage(e)}`, { source: p, cause: e });
    }
  };
  const pair = { certPem: await read(certFile), keyPem: await read(keyFile) };
  checkPair(pair, `${certFile}, ${keyFile}`);
  return pair;
}

async function fingerprint(files: string[]): Promise<string> {
  const parts: string[] = [];
  for (const f of files) {
    try {
      const s = await stat(f);
      parts.push(`${s.ino}:${s.size}:${s.mtimeMs}`);
    } catch {
      parts.push('missing');
    }
  }
  return parts.join('|');
}

/** Generate (or reuse) the self-signed pair in `certDir`; returns the file paths. */
export async function ensureSelfSignedCertificate(certDir: string, alternateNames: readonly string[], log: Logger): Promise<{ certFile: string; keyFile: string }> {
  const certFile = join(certDir, 'apiserver.crt');
  const keyFile = join(certDir, 'apiserver.key');
  try {
    const pair = await readPair(certFile, keyFile);
    const leaf = new X509Certificate(pair.certPem);
    // Reuse while it has more than a day left, like the generic apiserver reuses readable files.
    if (leaf.validToDate.getTime() > Date.now() + 86_400_000) return { certFile, keyFile };
  } catch {
    // absent or unusable: generate below
  }
  const host = 'localhost';
  const stamp = Math.floor(Date.now() / 1000);
  const dns = new Set(['localhost', hostname()]);
  const ips = new Set(['127.0.0.1', '::1']);
  for (const n of alternateNames) {
    if (n === '' || n === '0.0.0.0' || n === '::') continue;
    if (isIP(n) !== 0) ips.add(n);
    else dns.add(n);
  }
  const ca = createCertificateAuthority({ commonName: `${host}-ca@${stamp}` });
  const leaf = issueCertificate(ca, { commonName: `${host}@${stamp}`, usage: 'server', dnsNames: [...dns], ipAddresses: [...ips] });
  await mkdir(certDir, { recursive: true, mode: 0o755 });
  // Write-then-rename so a concurrent reader never sees half a file.
  await writeFile(`${certFile}.tmp`, leaf.certPem + ca.certPem, { mode: 0o644 });
  await writeFile(`${keyFile}.tmp`, leaf.keyPem, { mode: 0o600 });
  await rename(`${keyFile}.tmp`, keyFile);
  await rename(`${certFile}.tmp`, certFile);
  log.info('Generated self-signed cert', { certFile, keyFile });
  return { certFile, keyFile };
}

/** Load the serving certificate (see the file comment). */
export async function loadServingCertificate(options: ServingCertificateOptions): Promise<ServingCertificate> {
  const log = options.logger ?? silentLogger;
  let certFile = options.certFile ?? '';
  let keyFile = options.keyFile ?? '';
  if ((certFile === '') !== (keyFile === '')) {
    throw new KubemeterError(ErrorCode.InvalidFlag, '--tls-cert-file and --tls-private-key-file must be given together');
  }
  const generated = certFile === '';
  if (generated) ({ certFile, keyFile } = await ensureSelfSignedCertificate(options.certDir, options.alternateNames ?? [], log));
  let pair = await readPair(certFile, keyFile);
  let seen = await fingerprint([certFile, keyFile]);
  const listeners: ((p: ServingPair) => void)[] = [];
  const reload = async (): Promise<boolean> => {
    const now = await fingerprint([certFile, keyFile]);
    if (now === seen) return false;
    try {
      const next = await readPair(certFile, keyFile);
      seen = now;
      if (next.certPem === pair.certPem && next.keyPem === pair.keyPem) return false;
      pair = next;
      log.info('serving certificate reloaded', { certFile });
      for (const l of listeners) l(pair);
      return true;
    } catch (e) {
      // Often a half-finished rotation (cert written, key not yet): keep serving the old pair.
      log.error('serving certificate not reloaded; keeping the previous one', { err: e });
      return false;
    }
  };
  const intervalMs = options.reloadIntervalMs ?? 10_000;
  const timer = intervalMs > 0 ? setInterval(() => void reload(), intervalMs) : undefined;
  timer?.unref();
  return {
    current: () => pair,
    onChange: (l) => void listeners.push(l),
    reload,
    files: { certFile, keyFile, generated },
    close: () => clearInterval(timer),
  };
}
