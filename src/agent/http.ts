/**
 * The agent's HTTP handlers, the kubelet's read-only set: `/stats/summary` (GET and POST, with
 * `only_cpu_and_memory=true` accepted exactly as the kubelet parses its form), `/metrics/resource`,
 * `/healthz` and the agent's own `/metrics`. Shared by the read-only port and the secure port.
 * Responses of one snapshot are rendered once and cached, as bytes, until the next pass: a
 * cached string would be encoded again for every request (~300 KB each for 110 pods), and the
 * rendered text itself becomes garbage at once instead of living in the heap for a whole pass.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { errorMessage } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { silentLogger } from '../lib/log.ts';
import type { CollectorStats } from './collector.ts';
import type { HeapCompactorStats } from './heap-compactor.ts';
import type { Snapshot } from './model.ts';
import { buildResourceMetrics, resourceMetricsContentType } from './resource-metrics.ts';
import { buildSelfMetrics } from './self-metrics.ts';
import { encodeAgentSummary } from './summary-json.ts';
import { buildCpuAndMemorySummary, buildSummary } from './summary.ts';

/** What the handlers read. */
export interface SnapshotSource {
  latest(): Snapshot | undefined;
  stats(): Readonly<CollectorStats>;
}

/** Options of the handler. */
export interface AgentHandlerOptions {
  source: SnapshotSource;
  logger?: Logger;
  /** Largest accepted POST form body (bytes, default 64 KiB). */
  maxFormBytes?: number;
  /** Process start (ms) for process_start_time_seconds. */
  processStartMs?: number;
  /** The heap compactor, for its counters in /metrics. */
  heap?: { stats(): Readonly<HeapCompactorStats> };
}

/** A request on the read-only port (HTTP/1.1) or the secure port (HTTP/2 or HTTP/1.1). */
export type AgentRequest = IncomingMessage | Http2ServerRequest;
/** The matching response. */
export type AgentResponse = ServerResponse | Http2ServerResponse;

/** A request handler; the promise settles when the response is complete. */
export type AgentHandler = (req: AgentRequest, res: AgentResponse) => Promise<void>;

interface Rendered {
  full?: Buffer;
  cpuAndMemory?: Buffer;
  resource?: Buffer;
}

/**
 * Decide `only_cpu_and_memory` like the kubelet (Go `ParseForm`: POST form values first, then the
 * query; the flag is on only with exactly one value equal to `true`).
 */
export function onlyCpuAndMemoryRequested(query: URLSearchParams, form: URLSearchParams | undefined): boolean {
  const values = [...(form?.getAll('only_cpu_and_memory') ?? []), ...query.getAll('only_cpu_and_memory')];
  return values.length === 1 && values[0] === 'true';
}

function send(res: AgentResponse, status: number, contentType: string, body: string | Buffer): void {
  // statusCode/setHeader rather than writeHead: the HTTP/1 and HTTP/2 overloads do not unify.
  res.statusCode = status;
  res.setHeader('content-type', contentType);
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
}

function readForm(req: AgentRequest, maxBytes: number): Promise<URLSearchParams | undefined> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (req.method !== 'POST' || type !== 'application/x-www-form-urlencoded') {
    req.resume();
    return Promise.resolve(undefined);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBytes) {
        reject(new Error(`http: POST too large`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

/** The handler serving the agent's endpoints. */
export function createAgentHandler(options: AgentHandlerOptions): AgentHandler {
  const log = options.logger ?? silentLogger;
  const cache = new WeakMap<Snapshot, Rendered>();
  const processStartMs = options.processStartMs ?? Date.now() - process.uptime() * 1000;
  const rendered = (s: Snapshot): Rendered => {
    let r = cache.get(s);
    if (r === undefined) cache.set(s, (r = {}));
    return r;
  };
  const internalError = (res: AgentResponse, path: string, e: unknown): void => {
    log.error('request failed', { path, error: errorMessage(e) });
    send(res, 500, 'text/plain; charset=utf-8', `Internal Error: ${errorMessage(e)}`);
  };

  const summary = async (req: AgentRequest, res: AgentResponse, url: URL): Promise<void> => {
    let form: URLSearchParams | undefined;
    try {
      form = await readForm(req, options.maxFormBytes ?? 64 * 1024);
    } catch (e) {
      internalError(res, url.pathname, new Error(`parse form failed: ${errorMessage(e)}`));
      return;
    }
    const snap = options.source.latest();
    if (snap === undefined) {
      internalError(res, url.pathname, new Error('failed to get summary stats: no housekeeping pass has completed yet'));
      return;
    }
    const r = rendered(snap);
    const body = onlyCpuAndMemoryRequested(url.searchParams, form)
      ? (r.cpuAndMemory ??= Buffer.from(encodeAgentSummary(buildCpuAndMemorySummary(snap))))
      : (r.full ??= Buffer.from(encodeAgentSummary(buildSummary(snap))));
    send(res, 200, 'application/json', body);
  };

  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://agent');
    const method = req.method ?? 'GET';
    const getOnly = (): boolean => {
      if (method === 'GET' || method === 'HEAD') return true;
      req.resume();
      send(res, 405, 'text/plain; charset=utf-8', '405: Method Not Allowed');
      return false;
    };
    try {
      switch (url.pathname) {
        case '/stats/summary':
        case '/stats/summary/':
          if (method !== 'GET' && method !== 'POST') {
            getOnly();
            return;
          }
          await summary(req, res, url);
          return;
        case '/metrics/resource': {
          if (!getOnly()) return;
          const snap = options.source.latest();
          const body = snap === undefined ? buildResourceMetrics(undefined) : (rendered(snap).resource ??= Buffer.from(buildResourceMetrics(buildCpuAndMemorySummary(snap))));
          send(res, 200, resourceMetricsContentType, body);
          return;
        }
        case '/metrics': {
          if (!getOnly()) return;
          const pods = options.source.latest()?.pods.length ?? 0;
          send(res, 200, resourceMetricsContentType, buildSelfMetrics(options.source.stats(), pods, processStartMs, options.heap?.stats()));
          return;
        }
        case '/healthz':
          if (!getOnly()) return;
          send(res, 200, 'text/plain; charset=utf-8', 'ok');
          return;
        default:
          req.resume();
          send(res, 404, 'text/plain; charset=utf-8', '404 page not found\n');
      }
    } catch (e) {
      internalError(res, url.pathname, e);
    }
  };
}
