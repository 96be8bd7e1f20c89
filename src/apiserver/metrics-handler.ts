/**
 * The metrics.k8s.io/v1beta1 resources: nodes and pods, get and list, with metrics-server's
 * lookups (node and Running-pod caches first, then the store), selectors, sort order, Status
 * errors and Table output. JSON bodies are assembled from list items cached between scrapes
 * (item-cache.ts) and lists are streamed in pieces, every piece of a list from the items of the
 * moment the list was asked for.
 */
import { andLabelSelectors, everythingLabelSelector, type Labels, type LabelSelector } from '../lib/labels.ts';
import { compareGoStrings } from '../lib/go-strings.ts';
import { notFoundStatus } from '../api/meta.ts';
import { timeJson } from '../api/json.ts';
import { METRICS_GROUP_VERSION, type NodeMetrics, type PodMetrics } from '../api/metrics.ts';
import type { NodeUsage, PodUsage } from '../storage/types.ts';
import { ItemCache, nodeBody, nodeMetrics, podBody, podMetrics, type ItemText, type PodItem } from './item-cache.ts';
import { statusResponse, type ApiRequest, type ApiResponse } from './http.ts';
import { nodeMetricsTable, podMetricsTable } from './table.ts';
import { listRequest, readOnlyViolation, render, type ListOptions } from './list-options.ts';
import { metricsGroup } from './discovery.ts';

/** A node as the API sees it. */
export interface ApiNode {
  name: string;
  labels: Labels;
}

/** A Running pod as the API sees it. */
export interface ApiPod {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Labels;
  /**
   * The handler's cached list item of this pod, kept on the pod object itself (a WeakMap entry
   * and lookup per pod cost 50 bytes and 160 ns each on 300,000 pods); sources leave it alone.
   */
  item?: PodItem;
}

/** What the handlers need from the rest of the server. */
export interface MetricsSource {
  /** A node from the node cache (not filtered by --node-selector), or undefined. */
  node(name: string): ApiNode | undefined;
  /** All nodes in the node cache. */
  nodes(): Iterable<ApiNode>;
  /** A Running pod, or undefined. */
  pod(namespace: string, name: string): ApiPod | undefined;
  /** Running pods of one namespace, or of all when `namespace` is undefined. */
  pods(namespace: string | undefined): Iterable<ApiPod>;
  nodeUsage(name: string): NodeUsage | undefined;
  podUsage(namespace: string, name: string): PodUsage | undefined;
  /**
   * Like pods(), as `pods[from, to)` of an array sorted by namespace then name (Go byte order),
   * the same array while the set of pods is unchanged. Optional: lists otherwise sort pods().
   */
  sortedPods?(namespace: string | undefined): SortedPods;
  /** A number that changes whenever nodeUsage(name) may change; undefined: not cacheable. */
  nodeVersion?(name: string): number | undefined;
  /**
   * A number that changes whenever podUsage of this pod may change; undefined: not cacheable.
   * Pod objects of the source key the item cache, so they must stay the same while a pod is
   * unchanged (an informer's objects do; an update brings a new object).
   */
  podVersion?(pod: ApiPod): number | undefined;
}

/** A range of a sorted pod array (see MetricsSource.sortedPods). */
export interface SortedPods {
  pods: readonly ApiPod[];
  from: number;
  to: number;
}

/** Options of the metrics handler. */
export interface MetricsHandlerOptions {
  source: MetricsSource;
  /** --node-selector, ANDed into node lists. */
  nodeSelector?: LabelSelector;
  /** Wall clock, Unix ms (creationTimestamp is the response time). */
  nowMs: () => number;
  /** Observes now − timestamp per returned item, seconds (metrics_server_api_metric_freshness_seconds). */
  observeFreshness?: (seconds: number) => void;
}

/**
 * Characters per piece of a streamed list: 64 Ki characters are about 200 pods, assembled from
 * cached item texts in well under a millisecond, so a get slips in between two pieces of a
 * 300,000-pod list, and the socket gets writes large enough to fill whole TLS records. Not more:
 * a piece's flat copy beyond 128 KiB goes to V8's large-object space, and with 128 Ki pieces a
 * 300,000-pod list set off a full collection every second.
 */
const pieceChars = 65536;

function comparePods(a: ApiPod, b: ApiPod): number {
  return compareGoStrings(a.namespace, b.namespace) || compareGoStrings(a.name, b.name);
}

function isSorted(pods: readonly ApiPod[]): boolean {
  for (let i = 1; i < pods.length; i++) if (comparePods(pods[i - 1]!, pods[i]!) > 0) return false;
  return true;
}

const nodesGR = { group: metricsGroup, resource: 'nodes' };
const podsGR = { group: metricsGroup, resource: 'pods' };
const podListHead = `{"kind":"PodMetricsList","apiVersion":"${METRICS_GROUP_VERSION}","metadata":{},"items":[`;
const nodeListHead = `{"kind":"NodeMetricsList","apiVersion":"${METRICS_GROUP_VERSION}","metadata":{},"items":[`;
const listTail = ']}\n';

/** Joins pieces into one string (pretty printing needs the whole text). */
function joined(pieces: Iterable<string>): string {
  let out = '';
  for (const p of pieces) out += p;
  return out;
}

/** The metrics.k8s.io/v1beta1 resource handlers. */
export class MetricsHandler {
  private readonly options: MetricsHandlerOptions;
  private readonly items: ItemCache;

  constructor(options: MetricsHandlerOptions) {
    this.options = options;
    this.items = new ItemCache(options.source);
  }

  /** Handle a path below `/apis/metrics.k8s.io/v1beta1/`; undefined when no resource matches. */
  handle(req: ApiRequest, segments: readonly string[]): ApiResponse | undefined {
    let namespace: string | undefined;
    let rest = segments;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      namespace = rest[1]!;
      rest = rest.slice(2);
    }
    const [resource, name, ...extra] = rest;
    if (extra.length > 0 || (resource !== 'nodes' && resource !== 'pods') || (resource === 'nodes' && namespace !== undefined)) return undefined;
    const gr = resource === 'nodes' ? nodesGR : podsGR;
    const denied = readOnlyViolation(req);
    if (denied !== undefined) return denied;
    if (name === undefined || name === '') {
      const opts = listRequest(req, gr);
      if (!('labels' in opts)) return opts;
      return resource === 'nodes' ? this.listNodes(req, opts) : this.listPods(req, namespace, opts);
    }
    return resource === 'nodes' ? this.getNode(req, name) : this.getPod(req, namespace ?? '', name);
  }

  private observe(timestampMs: number, nowMs: number): void {
    this.options.observeFreshness?.((nowMs - timestampMs) / 1000);
  }

  private getNode(req: ApiRequest, name: string): ApiResponse {
    const node = this.options.source.node(name);
    if (node === undefined) return statusResponse(req, notFoundStatus({ group: '', resource: 'node' }, name));
    // A node excluded by --node-selector is never scraped, so it has no usage: 404 like upstream.
    const text = this.items.node(node);
    if (text === undefined) return statusResponse(req, notFoundStatus({ group: metricsGroup, resource: 'nodemetrics' }, name));
    const nowMs = this.options.nowMs();
    this.observe(text.timestampMs, nowMs);
    return render(req, () => nodeBody(text, timeJson(nowMs)), (io, v) => {
      const u = this.options.source.nodeUsage(name);
      return nodeMetricsTable(u === undefined ? [] : [nodeMetrics(node, u, nowMs)], io, v);
    });
  }

  private listNodes(req: ApiRequest, opts: ListOptions): ApiResponse {
    const selector = andLabelSelectors(opts.labels, this.options.nodeSelector ?? everythingLabelSelector);
    const nowMs = this.options.nowMs();
    const nodes: ApiNode[] = [];
    const texts: ItemText[] = [];
    for (const node of this.options.source.nodes()) {
      if (!selector.matches(node.labels)) continue;
      if (!opts.fields.matches({ 'metadata.name': node.name })) continue;
      const text = this.items.node(node);
      if (text === undefined) continue;
      this.observe(text.timestampMs, nowMs);
      nodes.push(node);
      texts.push(text);
    }
    const order = nodes.map((_, i) => i).sort((a, b) => compareGoStrings(nodes[a]!.name, nodes[b]!.name));
    const time = timeJson(nowMs);
    const pieces = function* (): Generator<string> {
      let piece = nodeListHead;
      for (let k = 0; k < order.length; k++) {
        const t = texts[order[k]!]!;
        piece += k === 0 ? t.head : `,${t.head}`;
        piece += time;
        piece += t.tail;
        if (piece.length >= pieceChars) {
          yield piece;
          piece = '';
        }
      }
      yield piece + listTail;
    };
    return render(req, () => joined(pieces()), (io, v) => {
      const items: NodeMetrics[] = [];
      for (const i of order) {
        const u = this.options.source.nodeUsage(nodes[i]!.name);
        if (u !== undefined) items.push(nodeMetrics(nodes[i]!, u, nowMs));
      }
      return nodeMetricsTable(items, io, v);
    }, pieces);
  }

  private getPod(req: ApiRequest, namespace: string, name: string): ApiResponse {
    const pod = this.options.source.pod(namespace, name);
    if (pod === undefined) return statusResponse(req, notFoundStatus({ group: '', resource: 'pods' }, name));
    const item = this.items.pod(pod);
    if (item === undefined) return statusResponse(req, notFoundStatus({ group: metricsGroup, resource: 'podmetrics' }, `${namespace}/${name}`));
    const nowMs = this.options.nowMs();
    this.observe(item.timestampMs, nowMs);
    const body = podBody(pod, item, timeJson(nowMs));
    return render(req, () => body, (io, v) => {
      const u = this.options.source.podUsage(namespace, name);
      return podMetricsTable(u === undefined ? [] : [podMetrics(pod, u, nowMs)], io, v);
    });
  }

  /** Running pods of the namespace (all when undefined) matching the selectors, sorted. */
  private selectPods(namespace: string | undefined, opts: ListOptions): SortedPods {
    const source = this.options.source;
    let range: SortedPods;
    if (source.sortedPods !== undefined) range = source.sortedPods(namespace);
    else {
      const all = [...source.pods(namespace)];
      // Sorting 300,000 pods costs about 250 ms: skip it when they come in order already.
      if (!isSorted(all)) all.sort(comparePods);
      range = { pods: all, from: 0, to: all.length };
    }
    if (opts.labels.empty() && opts.fields.empty()) return range;
    const selected: ApiPod[] = [];
    for (let i = range.from; i < range.to; i++) {
      const pod = range.pods[i]!;
      if (opts.labels.matches(pod.labels) && opts.fields.matches({ 'metadata.name': pod.name, 'metadata.namespace': pod.namespace })) selected.push(pod);
    }
    return { pods: selected, from: 0, to: selected.length };
  }

  /**
   * Bring the cached items of these pods up to date now: call right after their node was stored,
   * so that the next list finds them ready (see listPods). Costs nothing until some pod has been
   * listed or got; then about 3 µs per pod whose item is made again.
   */
  refreshPods(pods: Iterable<ApiPod | undefined>): void {
    if (!this.items.hasPodItems()) return;
    for (const pod of pods) if (pod !== undefined) this.items.refresh(pod);
  }

  /** Whether refreshPods has work to do (some pod has a cached item). */
  refreshesPods(): boolean {
    return this.items.hasPodItems();
  }

  private listPods(req: ApiRequest, namespace: string | undefined, opts: ListOptions): ApiResponse {
    const nowMs = this.options.nowMs();
    const { pods, from, to } = this.selectPods(namespace, opts);
    const time = timeJson(nowMs);
    const observe = (timestampMs: number): void => this.observe(timestampMs, nowMs);
    // The list's items are taken here, in the turn the list is asked for, and never looked up
    // again: items are never changed once made, so every piece, however long the list takes to
    // write and however many nodes are stored meanwhile, comes from the store as it was now.
    // Items were made as their nodes were stored (refreshPods), so this is mostly a version
    // check per pod; pods without a current item are encoded here.
    const items = new Array<PodItem | undefined>(to - from);
    let ascii = true;
    for (let i = from; i < to; i++) {
      const t = this.items.pod(pods[i]!);
      items[i - from] = t;
      if (t !== undefined && !t.ascii()) ascii = false;
    }
    const pieces = function* (): Generator<string> {
      let piece = podListHead;
      let first = true;
      // `","namespace":"NS","creationTimestamp":TIME` of the current run of one namespace.
      let namespaceOf: string | undefined;
      let namespaceAndTime = '';
      for (let i = from; i < to; i++) {
        const pod = pods[i]!;
        const t = items[i - from];
        if (t === undefined) continue;
        observe(t.timestampMs);
        if (t.head === undefined) {
          if (pod.namespace !== namespaceOf) {
            namespaceOf = pod.namespace;
            namespaceAndTime = `","namespace":"${namespaceOf}","creationTimestamp":${time}`;
          }
          piece += first ? '{"metadata":{"name":"' : ',{"metadata":{"name":"';
          piece += pod.name;
          piece += namespaceAndTime;
        } else {
          piece += first ? t.head : `,${t.head}`;
          piece += time;
        }
        piece += t.tail!;
        first = false;
        if (piece.length >= pieceChars) {
          yield piece;
          piece = '';
        }
      }
      yield piece + listTail;
    };
    const response = render(req, () => joined(pieces()), (io, v) => {
      const out: PodMetrics[] = [];
      for (let i = from; i < to; i++) {
        const pod = pods[i]!;
        const u = this.options.source.podUsage(pod.namespace, pod.name);
        if (u !== undefined) out.push(podMetrics(pod, u, nowMs));
      }
      return podMetricsTable(out, io, v);
    }, pieces);
    if (ascii && response.pieces !== undefined) response.piecesAscii = true;
    return response;
  }
}
