/**
 * HTTPS serving of the API handler over HTTP/2 and HTTP/1.1 (ALPN), with the serving certificate
 * from --tls-cert-file/--tls-private-key-file or a self-signed one generated into --cert-dir.
 * Kept behind the small `Serving` interface so the shared secure-serving layer (authentication,
 * authorization, certificate reload, max-inflight) can replace it without touching the rest.
 */
import { createSecureServer, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createCertificateAuthority, issueCertificate } from '../auth/x509-gen.ts';
import { ErrorCode, KubemeterError, errorMessage } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { apiRequest, type ApiRequest, type ApiResponse } from '../apiserver/http.ts';

/** A running HTTPS listener. */
export interface Serving {
  /** The bound port. */
  readonly port: number;
  close(): Promise<void>;
}

/** Where the serving certificate comes from. */
export interface ServingCertOptions {
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  certDir: string;
  /** Extra SANs for a generated certificate (the bind address). */
  extraNames?: string[];
  logger: Logger;
}

/** Load or generate the serving certificate (PEM). */
export function servingCertificate(o: ServingCertOptions): { certPem: string; keyPem: string } {
  if ((o.tlsCertFile ?? '') !== '' || (o.tlsPrivateKeyFile ?? '') !== '') {
    if (!o.tlsCertFile || !o.tlsPrivateKeyFile) throw new KubemeterError(ErrorCode.InvalidFlag, '--tls-cert-file and --tls-private-key-file must be given together', { source: '--tls-cert-file' });
    try {
      return { certPem: readFileSync(o.tlsCertFile, 'utf8'), keyPem: readFileSync(o.tlsPrivateKeyFile, 'utf8') };
    } catch (e) {
      throw new KubemeterError(ErrorCode.InvalidFile, `cannot read the serving certificate: ${errorMessage(e)}`, { source: o.tlsCertFile, cause: e });
    }
  }
  const certPath = join(o.certDir, 'apiserver.crt');
  const keyPath = join(o.certDir, 'apiserver.key');
  if (existsSync(certPath) && existsSync(keyPath)) return { certPem: readFileSync(certPath, 'utf8'), keyPem: readFileSync(keyPath, 'utf8') };
  const host = hostname();
  const ca = createCertificateAuthority({ commonName: `${host}-ca@${Math.floor(Date.now() / 1000)}` });
  const ips = ['127.0.0.1', '::1', ...(o.extraNames ?? []).filter((n) => /^[0-9.:]+$/.test(n) && n !== '0.0.0.0' && n !== '::')];
  const names = ['localhost', host, ...(o.extraNames ?? []).filter((n) => !/^[0-9.:]+$/.test(n))];
  const leaf = issueCertificate(ca, { commonName: `${host}@${Math.floor(Date.now() / 1000)}`, dnsNames: names, ipAddresses: ips, usage: 'server' });
  mkdirSync(o.certDir, { recursive: true });
  writeFileSync(certPath, leaf.certPem + ca.certPem, { mode: 0o644 });
  writeFileSync(keyPath, leaf.keyPem, { mode: 0o600 });
  o.logger.info(`Generated self-signed cert (${certPath}, ${keyPath})`);
  return { certPem: leaf.certPem + ca.certPem, keyPem: leaf.keyPem };
}

/** Options of serveHttps. */
export interface ServeOptions {
  bindAddress: string;
  port: number;
  cert: { certPem: string; keyPem: string };
  handler: (req: ApiRequest) => ApiResponse;
  logger: Logger;
}

function first(h: string | string[] | undefined): string | undefined {
  return Array.isArray(h) ? h[0] : h;
}

/** Listen with TLS 1.2+, HTTP/2 preferred, HTTP/1.1 allowed. */
export async function serveHttps(o: ServeOptions): Promise<Serving> {
  const onRequest = (req: Http2ServerRequest | IncomingMessage, res: Http2ServerResponse | ServerResponse): void => {
    let out: ApiResponse;
    try {
      out = o.handler(apiRequest(req.method ?? 'GET', req.url ?? '/', { accept: first(req.headers.accept), userAgent: first(req.headers['user-agent']) }));
    } catch (e) {
      o.logger.error('request failed', { path: req.url, err: errorMessage(e) });
      out = { status: 500, contentType: 'text/plain; charset=utf-8', body: 'Internal Server Error\n' };
    }
    const headers: Record<string, string | number> = { 'content-type': out.contentType, 'content-length': Buffer.byteLength(out.body), ...out.headers };
    const r = res as ServerResponse;
    r.writeHead(out.status, headers);
    if (req.method === 'HEAD') r.end();
    else r.end(out.body);
  };
  const server = createSecureServer({ allowHTTP1: true, cert: o.cert.certPem, key: o.cert.keyPem, minVersion: 'TLSv1.2' }, onRequest);
  server.on('sessionError', (e) => o.logger.debug('tls session error', { err: errorMessage(e) }));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.bindAddress, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      // HTTP/2 sessions and keep-alive sockets would hold close() open.
      (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      setTimeout(resolve, 1000).unref();
    }),
  };
}
