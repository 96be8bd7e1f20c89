/**
 * The HTTPS surface of `kubemeter up`: the read-only core API in front of the server's own router
 * (metrics.k8s.io, discovery, health, /version, /metrics), so every path that is neither answers
 * with a 404 Status, and the adapter that serves this framework-free handler behind the shared
 * secure layer (which has already authenticated and authorized the request).
 */
import type { Status } from '../api/meta.ts';
import { apiRequest, statusResponse, type ApiRequest, type ApiResponse } from '../apiserver/http.ts';
import type { SecureHandler } from '../auth/secure-server.ts';
import { errorMessage } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { handleCoreApi, type CoreSource } from './core-api.ts';

const notFound: Status = { status: 'Failure', message: 'the server could not find the requested resource', reason: 'NotFound', details: {}, code: 404 };

/** Core API first, then the metrics server's router; plain-text 404s become Status 404s. */
export function standaloneHandler(o: { core: CoreSource; metrics: (req: ApiRequest) => ApiResponse }): (req: ApiRequest) => ApiResponse {
  return (req) => {
    const core = handleCoreApi(req, o.core);
    if (core !== undefined) return core;
    const res = o.metrics(req);
    if (res.status === 404 && !res.contentType.startsWith('application/json')) return statusResponse(req, notFound);
    return res;
  };
}

function first(h: string | string[] | undefined): string | undefined {
  return Array.isArray(h) ? h[0] : h;
}

/** Serve an ApiRequest handler through the secure server. */
export function secureAdapter(handler: (req: ApiRequest) => ApiResponse, logger: Logger): SecureHandler {
  return (req, res) => {
    // The API is read-only: bodies are never read, only drained.
    req.resume();
    let out: ApiResponse;
    try {
      out = handler(apiRequest(req.method ?? 'GET', req.url ?? '/', { accept: first(req.headers.accept), userAgent: first(req.headers['user-agent']) }));
    } catch (e) {
      logger.error('request failed', { path: (req.url ?? '').split('?')[0], err: errorMessage(e) });
      out = { status: 500, contentType: 'text/plain; charset=utf-8', body: 'Internal Server Error\n' };
    }
    res.statusCode = out.status;
    res.setHeader('content-type', out.contentType);
    res.setHeader('content-length', Buffer.byteLength(out.body));
    for (const [k, v] of Object.entries(out.headers ?? {})) res.setHeader(k, v);
    if (req.method === 'HEAD') res.end();
    else res.end(out.body);
  };
}
