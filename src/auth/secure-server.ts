/**
 * Secure serving shared by the server (metrics.k8s.io behind the aggregator) and the agent (the
 * kubelet's port 10250): TLS 1.2+ with HTTP/2 and HTTP/1.1 fallback, client certificates requested
 * (and verified per CA by the authenticator), the serving certificate swapped in place when it
 * changes, then per request: size caps → authentication → in-flight limit → authorization →
 * the handler, with a timeout. The order is the generic apiserver's handler chain.
 */
import http2 from 'node:http2';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket, SecureContextOptions } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { X509Certificate } from 'node:crypto';
import { errorMessage } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { silentLogger } from '../lib/log.ts';
import type { RequestAttributes } from './attributes.ts';
import { requestAttributes } from './attributes.ts';
import type { AuthenticationMethod, AuthenticationRequest, AuthenticationResult } from './authenticator.ts';
import type { AuthorizationDecision } from './authorizer.ts';
import type { AuthorizationAttributes } from './attributes.ts';
import type { ErrorResponse, ErrorStyle } from './responses.ts';
import { authorizationErrorResponse, forbiddenResponse, timeoutResponse, tooManyRequestsResponse, unauthorizedResponse } from './responses.ts';
import type { ServingCertificate } from './serving-cert.ts';
import type { UserInfo } from './user.ts';
import { SYSTEM_MASTERS } from './user.ts';

/** A request as the handler sees it (HTTP/2 or HTTP/1.1). */
export type SecureRequest = Http2ServerRequest | IncomingMessage;
/** The matching response. */
export type SecureResponse = Http2ServerResponse | ServerResponse;

/** Per-request context given to handlers. */
export interface RequestContext {
  /** The request's authorization attributes (verb, resource, …). */
  attributes: RequestAttributes;
  /** How the user was authenticated. */
  method: AuthenticationMethod;
  /** Aborted when the request times out or the client goes away. */
  signal: AbortSignal;
}

/** A handler behind authentication and authorization. */
export type SecureHandler = (req: SecureRequest, res: SecureResponse, user: UserInfo, ctx: RequestContext) => void | Promise<void>;

/** Options of startSecureServer. */
export interface SecureServerOptions {
  /** Listen address (default 0.0.0.0); `--bind-address`. */
  bindAddress?: string;
  /** Port; 0 picks a free one. `--secure-port`. */
  port: number;
  servingCertificate: ServingCertificate;
  authenticator: { authenticate(req: AuthenticationRequest, signal?: AbortSignal): Promise<AuthenticationResult> };
  authorizer: { authorize(a: AuthorizationAttributes, signal?: AbortSignal): Promise<AuthorizationDecision> };
  /** PEM bundles of every CA that may sign client certificates (client CA, front-proxy CA). */
  clientCAs: () => string[];
  /** URL → attributes; default the generic apiserver's (`requestAttributes`), the agent passes `kubeletAttributes`. */
  attributes?: (method: string, url: string) => RequestAttributes;
  /** Error body format (default apiserver). */
  errorStyle?: ErrorStyle;
  /** `--max-requests-inflight` (default 400; 0 = unlimited). Long-running requests do not count. */
  maxRequestsInflight?: number;
  /** `--request-timeout` in ms for non-long-running requests (default 60 000). */
  requestTimeoutMs?: number;
  /** Which requests are long-running (default: verb watch or proxy). */
  isLongRunning?: (a: RequestAttributes) => boolean;
  /** Largest total header size in bytes (default 1 MiB, Go's DefaultMaxHeaderBytes). */
  maxHeaderBytes?: number;
  /** Largest request target in bytes (default 16 KiB). */
  maxUrlBytes?: number;
  /** `--tls-min-version` (default TLSv1.2). */
  tlsMinVersion?: 'TLSv1.2' | 'TLSv1.3';
  /** `--tls-cipher-suites` as OpenSSL names; default Node's (secure) list. */
  ciphers?: string[];
  logger?: Logger;
}

/** A running secure server. */
export interface SecureServer {
  /** `https://HOST:PORT`. */
  readonly url: string;
  readonly port: number;
  /** Re-read certificates and client CAs into the TLS context (call after a CA change). */
  refreshTls(): void;
  /** Requests currently counted against the in-flight limit. */
  inflight(): number;
  close(): Promise<void>;
}

const peerCache = new WeakMap<object, X509Certificate[]>();

/** The client's certificate chain (leaf first) from a TLS socket; empty when it sent none. */
export function peerCertificates(socket: TLSSocket): X509Certificate[] {
  const cached = peerCache.get(socket);
  if (cached !== undefined) return cached;
  const out: X509Certificate[] = [];
  if (typeof socket.getPeerCertificate === 'function') {
    let c = socket.getPeerCertificate(true);
    const seen = new Set<string>();
    while (c !== undefined && c !== null && c.raw !== undefined && !seen.has(c.fingerprint256)) {
      seen.add(c.fingerprint256);
      try {
        out.push(new X509Certificate(c.raw));
      } catch {
        break;
      }
      c = c.issuerCertificate;
    }
  }
  peerCache.set(socket, out);
  return out;
}

function send(res: SecureResponse, r: ErrorResponse): void {
  if (res.headersSent) return;
  res.statusCode = r.status;
  for (const [k, v] of Object.entries(r.headers)) res.setHeader(k, v);
  res.setHeader('content-length', Buffer.byteLength(r.body));
  res.end(r.body);
}

function plain(res: SecureResponse, status: number, text: string): void {
  send(res, { status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: text });
}

/** Start the secure server (see the file comment). */
export async function startSecureServer(options: SecureServerOptions, handler: SecureHandler): Promise<SecureServer> {
  const log = options.logger ?? silentLogger;
  const style = options.errorStyle ?? 'apiserver';
  const attributesOf = options.attributes ?? requestAttributes;
  const maxInflight = options.maxRequestsInflight ?? 400;
  const timeoutMs = options.requestTimeoutMs ?? 60_000;
  const maxHeaderBytes = options.maxHeaderBytes ?? 1 << 20;
  const maxUrlBytes = options.maxUrlBytes ?? 16 << 10;
  const isLongRunning = options.isLongRunning ?? ((a: RequestAttributes) => a.verb === 'watch' || a.verb === 'proxy');
  let inflight = 0;

  const tlsContext = (): SecureContextOptions => {
    const pair = options.servingCertificate.current();
    const cas = options.clientCAs().filter((p) => p.trim() !== '');
    const ctx: SecureContextOptions = { cert: pair.certPem, key: pair.keyPem, minVersion: options.tlsMinVersion ?? 'TLSv1.2' };
    // The CA list is also what the handshake advertises: Go clients (kube-apiserver's proxy) only
    // send a certificate issued by one of the advertised CAs.
    if (cas.length > 0) ctx.ca = cas;
    if (options.ciphers !== undefined && options.ciphers.length > 0) ctx.ciphers = options.ciphers.join(':');
    return ctx;
  };

  const serve = async (req: SecureRequest, res: SecureResponse): Promise<void> => {
    const url = req.url ?? '/';
    const method = req.method ?? 'GET';
    if (Buffer.byteLength(url) > maxUrlBytes) return plain(res, 414, 'URI Too Long\n');
    let headerBytes = 0;
    for (const h of req.rawHeaders) headerBytes += h.length + 2;
    if (headerBytes > maxHeaderBytes) return plain(res, 431, 'Request Header Fields Too Large\n');

    const ctl = new AbortController();
    // Only a response closed before it ended is cancelled: abort() makes a DOMException with a
    // stack trace, about 5 µs, which every completed get paid for nothing (10 % of its CPU).
    res.once('close', () => {
      if (!res.writableEnded) ctl.abort();
    });
    const socket = req.socket as TLSSocket;
    const authn = await options.authenticator.authenticate({ rawHeaders: req.rawHeaders, peerCertificates: peerCertificates(socket) }, ctl.signal);
    if (!authn.ok) {
      if (authn.errors.length > 0) log.info('Unable to authenticate the request due to an error', { errors: authn.errors, path: url.split('?')[0] });
      return send(res, unauthorizedResponse(style));
    }
    const user = authn.user;
    const attributes = attributesOf(method, url);
    const longRunning = isLongRunning(attributes);
    let counted = false;
    if (!longRunning && maxInflight > 0) {
      if (inflight >= maxInflight && !user.groups.includes(SYSTEM_MASTERS)) return send(res, tooManyRequestsResponse());
      inflight++;
      counted = true;
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      const full: AuthorizationAttributes = { ...attributes, user };
      const decision = await options.authorizer.authorize(full, ctl.signal);
      if (decision.decision === 'error') return send(res, authorizationErrorResponse(style, full, url, decision.error));
      if (decision.decision === 'deny') return send(res, forbiddenResponse(style, full, decision.reason));
      if (!longRunning && timeoutMs > 0) {
        timer = setTimeout(() => {
          ctl.abort();
          if (!res.headersSent) send(res, timeoutResponse());
          else res.destroy();
        }, timeoutMs);
      }
      await handler(req, res, user, { attributes, method: authn.method, signal: ctl.signal });
    } finally {
      clearTimeout(timer);
      if (counted) inflight--;
    }
  };

  const server = http2.createSecureServer(
    {
      allowHTTP1: true,
      requestCert: true,
      rejectUnauthorized: false,
      ...tlsContext(),
      maxSessionMemory: 64,
      settings: { maxHeaderListSize: maxHeaderBytes },
    },
    (req, res) => {
      serve(req, res).catch((e: unknown) => {
        log.error('request failed', { err: e, path: (req.url ?? '').split('?')[0] });
        if (!res.headersSent) plain(res, 500, 'Internal Server Error\n');
        else res.destroy();
      });
    },
  );
  server.setTimeout(120_000); // idle connections; request deadlines are handled above
  const sockets = new Set<TLSSocket>();
  server.on('secureConnection', (sock: TLSSocket) => {
    sockets.add(sock);
    sock.once('close', () => sockets.delete(sock));
  });
  server.on('tlsClientError', (e: Error) => log.debug('TLS handshake error', { err: errorMessage(e) }));

  const refreshTls = (): void => {
    try {
      server.setSecureContext(tlsContext());
    } catch (e) {
      log.error('TLS context not updated', { err: e });
    }
  };
  options.servingCertificate.onChange(refreshTls);

  const host = options.bindAddress ?? '0.0.0.0';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host === '0.0.0.0' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return {
    url: `https://${shownHost}:${port}`,
    port,
    refreshTls,
    inflight: () => inflight,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Established HTTP/2 sessions and keep-alive sockets would hold close() open.
        for (const s of sockets) s.destroy();
      }),
  };
}

