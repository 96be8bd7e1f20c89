/**
 * The API's list-item cache in one process, without sockets: a real store holding NODES × 100
 * pods × 2 containers (the api suite's cluster), lists through the real handler and the server's
 * store pod index. Reports over IPC (or prints): the cache's retained heap per pod (heap after a
 * full GC, before and after the first list filled it) and the CPU of producing one list's pieces,
 * cached, uncached and for one namespace (strings; the socket's encoding is not included).
 *
 *   node --expose-gc bench/item-cache-probe.ts [NODES]
 */
import { MetricsStore } from '../src/storage/store.ts';
import type { ContainerSample } from '../src/storage/types.ts';
import { MetricsHandler, type MetricsSource } from '../src/apiserver/metrics-handler.ts';
import { apiRequest } from '../src/apiserver/http.ts';
import { StorePodIndex } from '../src/server/store-pods.ts';
import { median } from './measure.ts';

/** What the probe reports. */
export interface ItemCacheProbe {
  pods: number;
  cacheBytesPerPod: number;
  /** CPU ms of one list-all: the first (filling the cache), cached, uncached; one namespace cached. */
  fillMs: number;
  cachedMs: number;
  uncachedMs: number;
  namespaceMs: number;
  namespacePods: number;
}

const nodes = Number(process.argv[2] ?? 3000);
const podsPerNode = 100;
// The simulator's namespaces and name shapes, so the texts have realistic lengths.
const namespaces = ['default', 'payments-prod', 'search-staging', 'monitoring', 'ingress-nginx', 'kube-system', 'batch', 'web-frontend'];
const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);
const store = new MetricsStore({ resolutionMs: 15_000 });
for (const k of [0, 1]) {
  for (let n = 0; n < nodes; n++) {
    const containers: ContainerSample[] = [];
    for (let p = 0; p < podsPerNode; p++) {
      for (const c of ['app', 'istio-proxy']) {
        containers.push({
          namespace: namespaces[(n * podsPerNode + p) % namespaces.length]!, pod: `checkout-${n.toString(36)}-${p.toString(36)}x7f9c`, container: c,
          startTimeNs: (T0 - 3_600_000) * 1e6, timestampMs: T0 + k * 15_000 + n, cpuUsageCoreNanoSeconds: BigInt(k * 1e9 * (1 + p) + n), workingSetBytes: 50_000_000 + p * 4096 + k,
        });
      }
    }
    store.storeNode({ node: `sim-node-${n}`, nodeSample: { timestampMs: T0 + k * 15_000, cpuUsageCoreNanoSeconds: BigInt(k * 4e9), workingSetBytes: 8e9 }, containers }, T0 + k * 15_000);
  }
}
const index = new StorePodIndex(store);
const source: MetricsSource = {
  node: () => undefined,
  nodes: () => [],
  pod: (ns, name) => index.find(ns, name),
  pods: (ns) => {
    const { pods, from, to } = index.sorted(ns);
    return pods.slice(from, to);
  },
  sortedPods: (ns) => index.sorted(ns),
  nodeUsage: (n) => store.nodeUsage(n),
  podUsage: (ns, n) => store.podUsage(ns, n),
  nodeVersion: (n) => store.nodeVersion(n),
  podVersion: (p) => index.version(p),
};
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');

function list(h: MetricsHandler, path: string): number {
  const r = h.handle(apiRequest('GET', path), path.slice('/apis/metrics.k8s.io/v1beta1/'.length).split('/'));
  if (r?.pieces === undefined) throw new Error(`${path}: not a streamed list`);
  let chars = 0;
  for (const p of r.pieces()) chars += p.length;
  return chars;
}

function cpuMs(f: () => unknown): number {
  const t = process.cpuUsage();
  f();
  const u = process.cpuUsage(t);
  return (u.user + u.system) / 1000;
}

const cached = new MetricsHandler({ source, nowMs: () => Date.now() });
const uncached = new MetricsHandler({ source: { ...source, podVersion: () => undefined }, nowMs: () => Date.now() });
const all = '/apis/metrics.k8s.io/v1beta1/pods';
const oneNamespace = '/apis/metrics.k8s.io/v1beta1/namespaces/monitoring/pods';
index.sorted(undefined); // the pod objects exist before the baseline: only the cache is counted
gc();
gc();
const before = process.memoryUsage().heapUsed;
const fillMs = cpuMs(() => list(cached, all));
gc();
gc();
const after = process.memoryUsage().heapUsed;
const pods = store.podKeys().length;
const c: number[] = [];
const u: number[] = [];
const ns: number[] = [];
for (let r = 0; r < 5; r++) {
  c.push(cpuMs(() => list(cached, all)));
  u.push(cpuMs(() => list(uncached, all)));
  ns.push(cpuMs(() => list(cached, oneNamespace)));
}
const { from, to } = index.sorted('monitoring');
const result: ItemCacheProbe = {
  pods, cacheBytesPerPod: (after - before) / pods, fillMs, cachedMs: median(c), uncachedMs: median(u), namespaceMs: median(ns), namespacePods: to - from,
};
if (process.send !== undefined) process.send(result);
else console.log(result);
