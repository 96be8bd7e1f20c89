/**
 * One simulated kubelet: an HTTP(S) listener on its own loopback address serving
 * `/metrics/resource` and `/stats/summary` rendered on demand from the node's model, with the
 * node's fault applied. Keep-alive as the kubelet's Go server (idle connections kept 90 s).
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Clock } from '../lib/clock.ts';
import type { FaultKind } from './faults.ts';
import type { NodeModel } from './model.ts';
import { resourcePage } from './resource-page.ts';
import { summaryPage } from './summary-page.ts';

/** Fault parameters shared by every node. */
export interface FaultTimings {
  /** Delay of a `latency` node, ms (past the scraper's timeout). */
  latencyMs: number;
  /** Counter period of a `counter-reset` node, ms. */
  counterResetEveryMs: number;
  /** Clock offset of a `skew` node, ms. */
  skewMs: number;
  /** Body size of a `huge` node, bytes. */
  hugeBytes: number;
}

/** Defaults of FaultTimings. */
export const defaultFaultTimings: FaultTimings = { latencyMs: 15_000, counterResetEveryMs: 30_000, skewMs: 300_000, hugeBytes: 100 * 1024 * 1024 };

/** Request counters of one node. */
export interface NodeCounters {
  requests: number;
  /** Bodies completely written. */
  served: number;
  /** Unix ms (real time) of the last request. */
  lastRequestMs: number;
}

/** What a node server needs. */
export interface NodeServerOptions {
  model: () => NodeModel;
  fault: FaultKind | undefined;
  timings: FaultTimings;
  clock: Clock;
  host: string;
  port: number;
  tls?: { certPem: string; keyPem: string };
}

/** A listening simulated kubelet. */
export interface NodeServer {
  readonly host: string;
  readonly port: number;
  readonly counters: NodeCounters;
  close(): Promise<void>;
}

const KEEP_ALIVE_MS = 90_000;

// 16 KiB of binary noise: NULs, invalid UTF-8, stray newlines and braces.
const garbage = Buffer.from(Array.from({ length: 16_384 }, (_, i) => ((i * 2_654_435_761) >>> 13) & 0xff));

/** One block of the `huge` body: valid exposition lines repeated (so a parser has to keep going). */
const hugeBlock = Buffer.from(
  Array.from({ length: 512 }, (_, i) => `container_cpu_usage_seconds_total{container="c",namespace="huge",pod="p-${i}"} ${i}.5 1750000000000\n`).join(''),
);

function forbidden(path: string): string {
  const sub = path.startsWith('/stats') ? 'stats' : 'metrics';
  return `Forbidden (user=system:serviceaccount:kube-system:metrics-server, verb=get, resource=nodes, subresource=${sub})`;
}

/** Start one simulated kubelet. */
export async function startNodeServer(o: NodeServerOptions): Promise<NodeServer> {
  const counters: NodeCounters = { requests: 0, served: 0, lastRequestMs: 0 };
  const sockets = new Set<Socket>();
  const pending = new Set<ServerResponse>();
  const timers = new Set<NodeJS.Timeout>();
  let closing = false;

  const render = (path: string, query: URLSearchParams): { type: string; body: string } | undefined => {
    const f = o.fault;
    const d = {
      ...(f === 'skew' ? { skewMs: o.timings.skewMs } : {}),
      ...(f === 'counter-reset' ? { counterResetEveryMs: o.timings.counterResetEveryMs } : {}),
    };
    const page = { duplicateSeries: f === 'duplicate', nan: f === 'nan' };
    if (path === '/metrics/resource') {
      return { type: 'text/plain; version=0.0.4; charset=utf-8', body: resourcePage(o.model().snapshot(o.clock.nowMs(), d), page) };
    }
    if (path === '/stats/summary') {
      // The kubelet's rule: exactly one only_cpu_and_memory value, and it is "true".
      const only = query.getAll('only_cpu_and_memory');
      return { type: 'application/json', body: summaryPage(o.model().snapshot(o.clock.nowMs(), d), { onlyCpuAndMemory: only.length === 1 && only[0] === 'true', ...page }) };
    }
    return undefined;
  };

  const serve = (req: IncomingMessage, res: ServerResponse): void => {
    if (closing || res.destroyed) return;
    const url = new URL(req.url ?? '/', 'http://kubelet');
    const page = render(url.pathname, url.searchParams);
    if (page === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' }).end('404 page not found\n');
      return;
    }
    if (o.fault === 'truncate') {
      const body = Buffer.from(page.body);
      res.writeHead(200, { 'content-type': page.type, 'content-length': body.length });
      res.write(body.subarray(0, Math.floor(body.length * 0.4)), () => req.socket.destroy());
      return;
    }
    res.writeHead(200, { 'content-type': page.type }).end(page.body, () => counters.served++);
  };

  const streamHuge = (res: ServerResponse): void => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
    let left = o.timings.hugeBytes;
    // Bounded by hugeBytes; pauses on backpressure; stops when the client goes away.
    const pump = (): void => {
      while (left > 0 && !res.destroyed && !closing) {
        const chunk = left >= hugeBlock.length ? hugeBlock : hugeBlock.subarray(0, left);
        left -= chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
      if (left <= 0 && !res.destroyed) res.end();
    };
    pump();
  };

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    counters.requests++;
    counters.lastRequestMs = Date.now();
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'POST') {
      res.writeHead(405, { 'content-type': 'text/plain; charset=utf-8' }).end('405: Method Not Allowed');
      return;
    }
    switch (o.fault) {
      case 'hang':
        pending.add(res);
        res.on('close', () => pending.delete(res));
        return;
      case 'latency': {
        const t = setTimeout(() => {
          timers.delete(t);
          serve(req, res);
        }, o.timings.latencyMs);
        timers.add(t);
        res.on('close', () => {
          clearTimeout(t);
          timers.delete(t);
        });
        return;
      }
      case 'http-500':
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('Internal Error: failed to get node info: rpc error: code = Unavailable desc = connection error\n');
        return;
      case 'http-403':
        res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' }).end(forbidden(path));
        return;
      case 'garbage':
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(garbage);
        return;
      case 'huge':
        streamHuge(res);
        return;
      case 'truncate':
      case 'counter-reset':
      case 'skew':
      case 'duplicate':
      case 'nan':
      case undefined:
        // Faults in the body (or none): rendered by serve.
        serve(req, res);
    }
  };

  const server: Server = o.tls === undefined ? createHttpServer(handler) : createHttpsServer({ cert: o.tls.certPem, key: o.tls.keyPem }, handler);
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  // TLS handshake failures (a scraper giving up mid-handshake) must not be fatal.
  server.on('tlsClientError', () => undefined);
  server.on('clientError', (_e, socket: Socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    host: o.host,
    port,
    counters,
    async close() {
      closing = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const r of pending) r.destroy();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
