/**
 * A fake kubelet for tests: serves `/metrics/resource` (byte-for-byte the kubelet's text format)
 * and `/stats/summary` from counters the test controls, over HTTP or HTTPS on 127.0.0.1, with
 * optional bearer-token and client-certificate checks and programmable faults.
 *
 *   const k = await startFakeKubelet({ tls: serverCert });   // t.after(() => k.close())
 *   k.state.timestampMs = …; k.container('ns', 'pod', 'c').cpuNs += 1_000_000_000n;
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { ExpositionBuilder } from '../../src/lib/promtext/write.ts';
import { encodeSummary } from '../../src/api/stats-encode.ts';
import type { Summary, PodStats } from '../../src/api/stats.ts';

/** One container the fake kubelet reports. */
export interface FakeContainer {
  namespace: string;
  pod: string;
  container: string;
  /** Start time, Unix seconds (float, as the kubelet prints it). */
  startTimeSeconds: number;
  /** Cumulative CPU, ns. */
  cpuNs: bigint;
  /** Working set, bytes. */
  workingSetBytes: number;
  /** Sample time, Unix ms; defaults to the node's. */
  timestampMs?: number;
  /** Leave out the CPU series / field. */
  omitCpu?: boolean;
  /** Leave out the memory series / field. */
  omitMemory?: boolean;
}

/** Everything the fake kubelet reports. */
export interface FakeKubeletState {
  nodeName: string;
  /** Sample time of the node series, Unix ms. */
  timestampMs: number;
  nodeCpuNs: bigint;
  nodeWorkingSetBytes: number;
  containers: FakeContainer[];
}

/** A fault to inject into the next responses. */
export type FakeKubeletFault =
  | { kind: 'status'; code: number }
  | { kind: 'hang' }
  | { kind: 'garbage' }
  | { kind: 'huge'; chars: number }
  | { kind: 'reset' };

/** Options of the fake kubelet. */
export interface FakeKubeletOptions {
  nodeName?: string;
  /** Serve HTTPS with this certificate. */
  tls?: { certPem: string; keyPem: string; clientCaPem?: string };
  /** Require `Authorization: Bearer <token>`; 401 otherwise. */
  bearerToken?: string;
}

/** A running fake kubelet. */
export interface FakeKubelet {
  readonly port: number;
  /** `http(s)://127.0.0.1:<port>` */
  readonly url: string;
  readonly state: FakeKubeletState;
  /** The fault applied to every request until cleared; undefined = healthy. */
  fault: FakeKubeletFault | undefined;
  /** Paths (with query) requested so far. */
  readonly requests: string[];
  /** Find or add a container (added with start time 1 h before the node time, zero counters). */
  container(namespace: string, pod: string, name: string): FakeContainer;
  /** Advance time by `ms` and add `cpuNsPerSecond × seconds` to the node and every container. */
  tick(ms: number, cpuNsPerSecond?: bigint): void;
  /** The `/metrics/resource` body for the current state. */
  resourceText(): string;
  close(): Promise<void>;
}

function resourceText(s: FakeKubeletState): string {
  const sorted = [...s.containers].sort((a, b) =>
    a.container < b.container ? -1 : a.container > b.container ? 1 : a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : a.pod < b.pod ? -1 : a.pod > b.pod ? 1 : 0);
  const labels = (c: FakeContainer): string[] => ['container', c.container, 'namespace', c.namespace, 'pod', c.pod];
  const b = new ExpositionBuilder();
  b.family('container_cpu_usage_seconds_total', 'counter', '[STABLE] Cumulative cpu time consumed by the container in core-seconds');
  for (const c of sorted) if (!c.omitCpu) b.sample('container_cpu_usage_seconds_total', labels(c), Number(c.cpuNs) / 1e9, c.timestampMs ?? s.timestampMs);
  b.family('container_memory_working_set_bytes', 'gauge', '[STABLE] Current working set of the container in bytes');
  for (const c of sorted) if (!c.omitMemory) b.sample('container_memory_working_set_bytes', labels(c), c.workingSetBytes, c.timestampMs ?? s.timestampMs);
  b.family('container_start_time_seconds', 'gauge', '[STABLE] Start time of the container since unix epoch in seconds');
  for (const c of sorted) b.sample('container_start_time_seconds', labels(c), c.startTimeSeconds);
  b.family('node_cpu_usage_seconds_total', 'counter', '[STABLE] Cumulative cpu time consumed by the node in core-seconds');
  b.sample('node_cpu_usage_seconds_total', [], Number(s.nodeCpuNs) / 1e9, s.timestampMs);
  b.family('node_memory_working_set_bytes', 'gauge', '[STABLE] Current working set of the node in bytes');
  b.sample('node_memory_working_set_bytes', [], s.nodeWorkingSetBytes, s.timestampMs);
  b.family('resource_scrape_error', 'gauge', '[STABLE] 1 if there was an error while getting container metrics, 0 otherwise');
  b.sample('resource_scrape_error', [], 0);
  return b.text;
}

function summaryText(s: FakeKubeletState): string {
  const pods = new Map<string, PodStats>();
  for (const c of s.containers) {
    const key = `${c.namespace}/${c.pod}`;
    let p = pods.get(key);
    if (p === undefined) {
      p = { podRef: { name: c.pod, namespace: c.namespace, uid: `uid-${c.pod}` }, startTime: Math.floor(c.startTimeSeconds) * 1000, containers: [] };
      pods.set(key, p);
    }
    const time = Math.floor((c.timestampMs ?? s.timestampMs) / 1000) * 1000;
    p.containers.push({
      name: c.container,
      startTime: Math.floor(c.startTimeSeconds) * 1000,
      ...(c.omitCpu ? {} : { cpu: { time, usageCoreNanoSeconds: c.cpuNs } }),
      ...(c.omitMemory ? {} : { memory: { time, workingSetBytes: c.workingSetBytes } }),
    });
  }
  const time = Math.floor(s.timestampMs / 1000) * 1000;
  const summary: Summary = {
    node: {
      nodeName: s.nodeName,
      startTime: time - 86_400_000,
      cpu: { time, usageCoreNanoSeconds: s.nodeCpuNs },
      memory: { time, workingSetBytes: s.nodeWorkingSetBytes },
    },
    pods: [...pods.values()],
  };
  return encodeSummary(summary);
}

/** Start a fake kubelet on 127.0.0.1 with a random port. */
export async function startFakeKubelet(options: FakeKubeletOptions = {}): Promise<FakeKubelet> {
  const state: FakeKubeletState = {
    nodeName: options.nodeName ?? 'node-1',
    timestampMs: 1_750_000_000_000,
    nodeCpuNs: 1_000_000_000_000n,
    nodeWorkingSetBytes: 1_073_741_824,
    containers: [],
  };
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const hanging = new Set<ServerResponse>();

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    requests.push(req.url ?? '');
    if (options.bearerToken !== undefined && req.headers.authorization !== `Bearer ${options.bearerToken}`) {
      res.writeHead(401, { 'content-type': 'text/plain' }).end('Unauthorized');
      return;
    }
    const f = kubelet.fault;
    if (f?.kind === 'status') {
      res.writeHead(f.code, { 'content-type': 'text/plain' }).end('Forbidden (user=system:anonymous, verb=get, resource=nodes, subresource=metrics)');
      return;
    }
    if (f?.kind === 'hang') {
      hanging.add(res);
      return;
    }
    if (f?.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (f?.kind === 'garbage') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('node_cpu_usage_seconds_total{ this is not exposition\n');
      return;
    }
    if (f?.kind === 'huge') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`# ${'x'.repeat(f.chars)}\n`);
      return;
    }
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/metrics/resource') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(resourceText(state));
    } else if (url.pathname === '/stats/summary') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(summaryText(state));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
    }
  };

  const server: Server = options.tls === undefined
    ? createHttpServer(handler)
    : createHttpsServer({
      cert: options.tls.certPem,
      key: options.tls.keyPem,
      ...(options.tls.clientCaPem === undefined ? {} : { ca: options.tls.clientCaPem, requestCert: true, rejectUnauthorized: true }),
    }, handler);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const kubelet: FakeKubelet = {
    port,
    url: `${options.tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    state,
    fault: undefined,
    requests,
    container(namespace, pod, name) {
      let c = state.containers.find((x) => x.namespace === namespace && x.pod === pod && x.container === name);
      if (c === undefined) {
        c = { namespace, pod, container: name, startTimeSeconds: (state.timestampMs - 3_600_000) / 1000, cpuNs: 0n, workingSetBytes: 0 };
        state.containers.push(c);
      }
      return c;
    },
    tick(ms, cpuNsPerSecond = 0n) {
      state.timestampMs += ms;
      const add = (cpuNsPerSecond * BigInt(ms)) / 1000n;
      state.nodeCpuNs += add;
      for (const c of state.containers) {
        c.cpuNs += add;
        if (c.timestampMs !== undefined) c.timestampMs += ms;
      }
    },
    resourceText: () => resourceText(state),
    async close() {
      for (const r of hanging) r.destroy();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return kubelet;
}
