/**
 * The API of `kubemeter up`: the read-only core API in front of the server's own router
 * (metrics.k8s.io, discovery, health, /version, /metrics), so that every path that is neither
 * answers with a 404 Status. Served by the server's serveApi behind the shared secure layer.
 */
import type { Status } from '../api/meta.ts';
import { statusResponse, type ApiRequest, type ApiResponse } from '../apiserver/http.ts';
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
