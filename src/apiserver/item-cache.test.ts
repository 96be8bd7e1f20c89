/**
 * The cached list and get bodies against the list encoder of src/api fed the same pods (the
 * uncached reference), byte for byte, across scrapes, pod moves, removals, label changes and
 * every selector and namespace shape; plus a handler whose source has no versions (nothing cached).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compareGoStrings } from '../lib/go-strings.ts';
import { parseLabelSelector, parseFieldSelector } from '../lib/labels.ts';
import { encodeNodeMetrics, encodeNodeMetricsList, encodePodMetrics, encodePodMetricsList } from '../api/metrics.ts';
import { MetricsStore } from '../storage/store.ts';
import type { ContainerSample } from '../storage/types.ts';
import { apiRequest } from './http.ts';
import { nodeMetrics, podMetrics } from './item-cache.ts';
import { MetricsHandler, type ApiNode, type ApiPod, type MetricsSource } from './metrics-handler.ts';

const T0 = Date.UTC(2026, 7, 4, 10, 15, 0);
const prefix = '/apis/metrics.k8s.io/v1beta1/';

/** A cluster with informer-like pod objects (replaced when their labels change) over a real store. */
class Cluster {
  readonly store = new MetricsStore({ resolutionMs: 15_000 });
  readonly nodes = new Map<string, ApiNode>();
  /** `ns/name` → pod object. */
  readonly pods = new Map<string, ApiPod>();
  /** node → pods (namespace, name, containers) it reports. */
  readonly placement = new Map<string, { namespace: string; name: string; containers: string[] }[]>();
  nowMs = T0;
  private cpuNs = 1_000_000_000n;

  addNode(name: string, labels: Record<string, string> = {}): void {
    this.nodes.set(name, { name, labels });
    this.placement.set(name, []);
  }

  place(node: string, namespace: string, name: string, containers: string[], labels: Record<string, string> = {}): void {
    for (const list of this.placement.values()) {
      const i = list.findIndex((p) => p.namespace === namespace && p.name === name);
      if (i >= 0) list.splice(i, 1);
    }
    this.placement.get(node)!.push({ namespace, name, containers });
    this.pods.set(`${namespace}/${name}`, { namespace, name, labels });
    this.sortedCache = undefined;
  }

  relabel(namespace: string, name: string, labels: Record<string, string>): void {
    this.pods.set(`${namespace}/${name}`, { namespace, name, labels });
    this.sortedCache = undefined;
  }

  /** Scrape one node: every container advances by a different amount of CPU and memory. */
  scrape(node: string): void {
    this.nowMs += 1_000;
    this.cpuNs += 123_456_789n;
    const containers: ContainerSample[] = [];
    let k = 0n;
    for (const p of this.placement.get(node)!) {
      for (const c of p.containers) {
        k++;
        containers.push({ namespace: p.namespace, pod: p.name, container: c, startTimeNs: (T0 - 3_600_000) * 1e6, timestampMs: this.nowMs - 500, cpuUsageCoreNanoSeconds: this.cpuNs * k, workingSetBytes: Number(k * 1_048_577n + this.cpuNs % 4096n) });
      }
    }
    this.store.storeNode({ node, nodeSample: { timestampMs: this.nowMs - 400, cpuUsageCoreNanoSeconds: this.cpuNs * 7n, workingSetBytes: Number(this.cpuNs % 1_000_000n) * 1024 }, containers }, this.nowMs);
  }

  scrapeAll(): void {
    for (const n of this.nodes.keys()) this.scrape(n);
  }

  /** Sorted pods, the same array until a pod is placed, removed or relabelled. */
  private sortedCache: ApiPod[] | undefined;

  remove(namespace: string, name: string): void {
    this.pods.delete(`${namespace}/${name}`);
    this.sortedCache = undefined;
  }

  source(cached: boolean): MetricsSource {
    const sorted = (): ApiPod[] => (this.sortedCache ??= [...this.pods.values()].sort((a, b) => compareGoStrings(a.namespace, b.namespace) || compareGoStrings(a.name, b.name)));
    const base: MetricsSource = {
      node: (name) => this.nodes.get(name),
      nodes: () => this.nodes.values(),
      pod: (ns, name) => this.pods.get(`${ns}/${name}`),
      // In map order (not sorted): the handler must sort.
      pods: (ns) => [...this.pods.values()].filter((p) => ns === undefined || p.namespace === ns),
      nodeUsage: (name) => this.store.nodeUsage(name),
      podUsage: (ns, name) => this.store.podUsage(ns, name),
    };
    if (!cached) return base;
    return {
      ...base,
      sortedPods: (ns) => {
        const pods = sorted();
        const inNs = pods.flatMap((p, i) => (ns === undefined || p.namespace === ns ? [i] : []));
        return ns === undefined ? { pods, from: 0, to: pods.length } : { pods, from: inNs[0] ?? 0, to: (inNs.at(-1) ?? -1) + 1 };
      },
      nodeVersion: (name) => this.store.nodeVersion(name),
      podVersion: (pod) => this.store.podVersion(pod.namespace, pod.name),
    };
  }

  handler(cached: boolean): MetricsHandler {
    return new MetricsHandler({ source: this.source(cached), nowMs: () => this.nowMs });
  }

  /** The reference body: the pods that match, sorted, through encodePodMetricsList. */
  expectedPods(namespace: string | undefined, labelSelector = '', fieldSelector = ''): string {
    const labels = parseLabelSelector(labelSelector);
    const fields = parseFieldSelector(fieldSelector);
    const items = [...this.pods.values()]
      .filter((p) => (namespace === undefined || p.namespace === namespace) && labels.matches(p.labels) && fields.matches({ 'metadata.name': p.name, 'metadata.namespace': p.namespace }))
      .sort((a, b) => compareGoStrings(a.namespace, b.namespace) || compareGoStrings(a.name, b.name))
      .flatMap((p) => {
        const u = this.store.podUsage(p.namespace, p.name);
        return u === undefined ? [] : [podMetrics(p, u, this.nowMs)];
      });
    return encodePodMetricsList(items);
  }

  expectedNodes(): string {
    const items = [...this.nodes.values()]
      .sort((a, b) => compareGoStrings(a.name, b.name))
      .flatMap((n) => {
        const u = this.store.nodeUsage(n.name);
        return u === undefined ? [] : [nodeMetrics(n, u, this.nowMs)];
      });
    return encodeNodeMetricsList(items);
  }
}

function get(h: MetricsHandler, path: string, accept = ''): { status: number; body: string; pieces: string[] | undefined } {
  const req = apiRequest('GET', `${prefix}${path}`, { accept });
  const segments = req.path.slice(prefix.length).split('/').map((s) => decodeURIComponent(s));
  const r = h.handle(req, segments);
  assert.ok(r !== undefined, path);
  return { status: r.status, body: r.body, pieces: r.pieces === undefined ? undefined : [...r.pieces()] };
}

/** Every list shape, cached and uncached, against the reference. */
function checkAll(c: Cluster, handlers: MetricsHandler[], namespaces: string[]): void {
  for (const h of handlers) {
    const all = get(h, 'pods');
    assert.equal(all.body, c.expectedPods(undefined));
    // The streamed pieces are the same bytes as the body.
    assert.equal(all.pieces?.join(''), all.body);
    assert.equal(get(h, 'nodes').body, c.expectedNodes());
    for (const ns of namespaces) {
      assert.equal(get(h, `namespaces/${encodeURIComponent(ns)}/pods`).body, c.expectedPods(ns), ns);
    }
    for (const sel of ['app=web', 'app!=web', 'tier in (a,b)', '!tier', '8']) {
      assert.equal(get(h, `pods?labelSelector=${encodeURIComponent(sel)}`).body, c.expectedPods(undefined, sel), sel);
    }
    for (const sel of ['metadata.namespace=default', 'metadata.name!=web-1', 'metadata.namespace!=default,metadata.name=db']) {
      assert.equal(get(h, `pods?fieldSelector=${encodeURIComponent(sel)}`).body, c.expectedPods(undefined, '', sel), sel);
    }
    for (const p of c.pods.values()) {
      const r = get(h, `namespaces/${encodeURIComponent(p.namespace)}/pods/${encodeURIComponent(p.name)}`);
      const u = c.store.podUsage(p.namespace, p.name);
      if (u === undefined) assert.equal(r.status, 404);
      else assert.equal(r.body, encodePodMetrics(podMetrics(p, u, c.nowMs)));
    }
    for (const n of c.nodes.values()) {
      const r = get(h, `nodes/${encodeURIComponent(n.name)}`);
      const u = c.store.nodeUsage(n.name);
      if (u === undefined) assert.equal(r.status, 404);
      else assert.equal(r.body, encodeNodeMetrics(nodeMetrics(n, u, c.nowMs)));
    }
  }
}

test('cached and uncached lists and gets are the reference bytes across scrapes, moves, removals and relabels', () => {
  const c = new Cluster();
  c.addNode('node-a', { role: 'web', '8': 'digit-key' });
  c.addNode('node-b');
  c.place('node-a', 'default', 'web-1', ['app', 'sidecar'], { app: 'web', tier: 'a' });
  c.place('node-a', 'default', 'db', ['postgres'], { app: 'db', '8': 'x' });
  c.place('node-b', 'kube-system', 'coredns-1', ['coredns'], { 'k8s-app': 'kube-dns' });
  c.place('node-b', 'web<&>', 'caf\u00e9-\u2028', ['c'], { app: 'web', tier: 'b', note: '<tag> & "quote" \ud800' });
  const cached = c.handler(true);
  const uncached = c.handler(false);
  const namespaces = ['default', 'kube-system', 'web<&>', 'none'];
  // Before any point: empty lists and 404s; after one scrape still nothing servable.
  checkAll(c, [cached, uncached], namespaces);
  c.scrapeAll();
  checkAll(c, [cached, uncached], namespaces);
  c.scrapeAll();
  checkAll(c, [cached, uncached], namespaces);
  // Plain names keep no head (it is rebuilt per request); names that need escapes keep theirs.
  assert.equal(c.pods.get('default/web-1')?.item?.head, undefined);
  assert.match(c.pods.get('web<&>/caf\u00e9-\u2028')?.item?.head ?? '', /^\{"metadata":\{"name":"caf\u00e9-\\u2028","namespace":"web\\u003c\\u0026\\u003e","creationTimestamp":$/);
  // One node scraped again: only its pods change; a later second has a new creationTimestamp.
  c.scrape('node-b');
  checkAll(c, [cached, uncached], namespaces);
  // A pod moves to the other node, one disappears, a new one arrives, labels change.
  c.place('node-b', 'default', 'web-1', ['app', 'sidecar'], { app: 'web', tier: 'a' });
  c.placement.set('node-a', c.placement.get('node-a')!.filter((p) => p.name !== 'db'));
  c.remove('default', 'db');
  c.place('node-a', 'default', 'api', ['srv']);
  c.scrapeAll();
  checkAll(c, [cached, uncached], namespaces);
  c.relabel('kube-system', 'coredns-1', { 'k8s-app': 'kube-dns', app: 'web' });
  checkAll(c, [cached, uncached], namespaces);
  c.scrapeAll();
  c.store.removeNode('node-b');
  checkAll(c, [cached, uncached], namespaces);
});

test('Table and pretty output are unchanged by the cache', () => {
  const c = new Cluster();
  c.addNode('node-a');
  c.place('node-a', 'default', 'web-1', ['app'], { app: 'web' });
  c.scrapeAll();
  c.scrapeAll();
  const table = 'application/json;as=Table;v=v1;g=meta.k8s.io';
  for (const path of ['pods', 'namespaces/default/pods', 'namespaces/default/pods/web-1', 'nodes', 'nodes/node-a', 'pods?pretty=true', 'nodes/node-a?pretty=1']) {
    assert.equal(get(c.handler(true), path, table).body, get(c.handler(false), path, table).body, path);
    assert.equal(get(c.handler(true), path).body, get(c.handler(false), path).body, path);
  }
});

test('random names, labels and scrapes: the cached list is always the reference', () => {
  const str = fc.string({ unit: fc.constantFrom('a', 'z', '0', '-', '.', '<', '>', '&', '"', '\\', '\u2028', 'é', '\ud800', '😀', '\u0001'), minLength: 1, maxLength: 6 });
  const podArb = fc.record({ ns: fc.constantFrom('a', 'b', 'é', '<', '', 'x\u0100'), name: str, node: fc.integer({ min: 0, max: 2 }), labels: fc.dictionary(fc.constantFrom('app', 'tier', '8', 'x<', 'ÿ', '\u2028', '😀'), str, { maxKeys: 3 }) });
  const step = fc.oneof(
    fc.record({ kind: fc.constant('scrape' as const), node: fc.integer({ min: 0, max: 2 }) }),
    fc.record({ kind: fc.constant('place' as const), pod: podArb }),
    fc.record({ kind: fc.constant('relabel' as const), index: fc.nat(), labels: fc.dictionary(fc.constantFrom('app', 'tier'), str, { maxKeys: 2 }) }),
  );
  fc.assert(fc.property(fc.array(podArb, { maxLength: 8 }), fc.array(step, { maxLength: 12 }), (pods, steps) => {
    const c = new Cluster();
    for (let i = 0; i < 3; i++) c.addNode(`n${i}`);
    for (const p of pods) c.place(`n${p.node}`, p.ns, p.name, ['c1', 'c0'], p.labels);
    const h = c.handler(true);
    c.scrapeAll();
    for (const s of steps) {
      if (s.kind === 'scrape') c.scrape(`n${s.node}`);
      else if (s.kind === 'place') c.place(`n${s.pod.node}`, s.pod.ns, s.pod.name, ['c'], s.pod.labels);
      else {
        const all = [...c.pods.values()];
        const p = all[s.index % Math.max(1, all.length)];
        if (p !== undefined) c.relabel(p.namespace, p.name, s.labels);
      }
      assert.equal(get(h, 'pods').body, c.expectedPods(undefined));
      assert.equal(get(h, 'namespaces/b/pods?labelSelector=app').body, c.expectedPods('b', 'app'));
    }
  }), { numRuns: 150 });
});
