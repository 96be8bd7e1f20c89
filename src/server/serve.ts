/**
 * HTTPS serving of the API handler through the shared secure layer (src/auth): TLS 1.2+ with
 * HTTP/2 and HTTP/1.1, the serving certificate from --tls-cert-file/--tls-private-key-file
 * (reloaded when the files change) or self-signed into --cert-dir, delegated authentication
 * (front proxy, client certificates, TokenReview), the in-flight limit, delegated authorization
 * (system:masters, always-allow paths, SubjectAccessReview) and request timeouts, in the generic
 * apiserver's order. The API handler itself stays a pure function of the request.
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { setImmediate } from 'node:timers/promises';
import type { Clock } from '../lib/clock.ts';
import { errorMessage } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import type { ClusterConnection } from '../kube/kubeconfig.ts';
import type { SecureFlags } from '../auth/flags.ts';
import type { SecureHandler, SecureResponse } from '../auth/secure-server.ts';
import { serveSecurely } from '../auth/serve.ts';
import { apiRequest, type ApiRequest, type ApiResponse } from '../apiserver/http.ts';
import { latin1Chunk, releaseLatin1Chunk } from '../apiserver/latin1-chunks.ts';

/** A running HTTPS listener. */
export interface Serving {
  /** The bound port. */
  readonly port: number;
  /** `https://HOST:PORT`. */
  readonly url: string;
  /** Requests currently counted against --max-requests-inflight. */
  inflight(): number;
  close(): Promise<void>;
}

/** Options of serveApi. */
export interface ServeOptions {
  /** Secure serving and delegated authentication/authorization flags (apiserver profile). */
  flags: SecureFlags;
  handler: (req: ApiRequest) => ApiResponse;
  /** kube-apiserver for TokenReview and the extension-apiserver-authentication ConfigMap; null = none. */
  authenticationConnection: ClusterConnection | null;
  /** kube-apiserver for SubjectAccessReview; null = none (only system:masters and always-allow paths pass). */
  authorizationConnection: ClusterConnection | null;
  /** Extra SANs for a generated serving certificate (service DNS names). */
  alternateNames?: string[];
  logger: Logger;
  /** Clock of the token and authorization caches and of client certificate validity. */
  clock?: Clock;
}

function first(h: string | string[] | undefined): string | undefined {
  return Array.isArray(h) ? h[0] : h;
}

/**
 * Bytes a list may have written but not yet flushed before it waits for the socket to drain: about
 * eight 64 Ki pieces per event-loop turn. A write hands its piece to the socket at once, but the
 * socket only learns that it was flushed in the next turn; waiting for that after every piece
 * wrote one piece per turn, and while the server scrapes (turns of about 5 ms of decoding and
 * storing) a whole-cluster list then crept along at 64 KiB per turn per connection. This many
 * bytes per turn cost about a millisecond of assembling and encrypting.
 */
const maxUnflushedBytes = 512 << 10;

/**
 * Write a body piece by piece, waiting for the socket to drain whenever maxUnflushedBytes are
 * pending, so that other requests are served while a large list is written and a slow reader
 * holds at most that much (plus one piece) in our buffers. Stops when the request is cancelled
 * (client gone, request timeout).
 */
async function writePieces(res: SecureResponse, pieces: Iterable<string>, ascii: boolean, signal: AbortSignal): Promise<void> {
  const out = res as Writable;
  for (const piece of pieces) {
    if (signal.aborted || res.destroyed) return;
    if (piece === '') continue;
    // An ASCII piece is written as latin1: HTTP/1.1's chunk framing then takes its length as it
    // is instead of measuring its UTF-8 bytes (Buffer.byteLength, a third of a 300,000-pod list's
    // CPU). Copied into a pooled Buffer first, given back once written (latin1-chunks.ts): the
    // piece's tree of item strings then dies young instead of waiting in the socket's queue.
    const bytes = ascii ? latin1Chunk(piece) : undefined;
    if (bytes !== undefined) {
      out.write(bytes, (err) => {
        if (err === undefined || err === null) releaseLatin1Chunk(bytes);
      });
    } else out.write(piece, ascii ? 'latin1' : 'utf8');
    if (out.writableLength >= maxUnflushedBytes) {
      try {
        await once(out, 'drain', { signal });
      } catch {
        return; // cancelled while waiting
      }
    } else if (!out.writableNeedDrain) {
      // Flushed at once (small pieces): still let other requests in between.
      await setImmediate();
    }
  }
  if (!signal.aborted && !res.destroyed) res.end();
}

/** Serve `handler` behind authentication and authorization until `close()`. */
export async function serveApi(o: ServeOptions): Promise<Serving> {
  const handler: SecureHandler = async (req, res, _user, ctx) => {
    let out: ApiResponse;
    try {
      out = o.handler(apiRequest(req.method ?? 'GET', req.url ?? '/', { accept: first(req.headers.accept), userAgent: first(req.headers['user-agent']) }));
    } catch (e) {
      o.logger.error('request failed', { path: (req.url ?? '').split('?')[0], err: errorMessage(e) });
      out = { status: 500, contentType: 'text/plain; charset=utf-8', body: 'Internal Server Error\n' };
    }
    if (res.headersSent) return;
    res.statusCode = out.status;
    res.setHeader('content-type', out.contentType);
    for (const [k, v] of Object.entries(out.headers ?? {})) res.setHeader(k, v);
    if (out.pieces !== undefined && req.method !== 'HEAD') {
      // No Content-Length: HTTP/1.1 sends it chunked, as Go's server does for large bodies.
      await writePieces(res, out.pieces(), out.piecesAscii === true, ctx.signal);
      return;
    }
    res.setHeader('content-length', Buffer.byteLength(out.body));
    if (req.method === 'HEAD') res.end();
    else res.end(out.body);
  };
  const serving = await serveSecurely({
    flags: o.flags,
    handler,
    profile: 'apiserver',
    authenticationConnection: o.authenticationConnection,
    authorizationConnection: o.authorizationConnection,
    logger: o.logger,
    ...(o.alternateNames === undefined ? {} : { alternateNames: o.alternateNames }),
    ...(o.clock === undefined ? {} : { clock: o.clock }),
  });
  return {
    port: serving.server.port,
    url: serving.server.url,
    inflight: () => serving.server.inflight(),
    close: () => serving.close(),
  };
}
