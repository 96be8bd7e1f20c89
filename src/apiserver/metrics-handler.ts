/**
 * The metrics.k8s.io/v1beta1 resources: nodes and pods, get and list, with metrics-server's
 * lookups (node and Running-pod caches first, then the store), selectors, sort order, Status
 * errors and Table output.
 */
import { formatGoDuration } from '../lib/go-format.ts';
import { Quantity } from '../lib/quantity.ts';
import { andLabelSelectors, everythingLabelSelector, type Labels, type LabelSelector } from '../lib/labels.ts';
import { compareGoStrings } from '../lib/go-strings.ts';
import { notFoundStatus } from '../api/meta.ts';
import { encodeNodeMetrics, encodeNodeMetricsList, encodePodMetrics, encodePodMetricsList, encodePodMetricsListPieces, type NodeMetrics, type PodMetrics } from '../api/metrics.ts';
import type { NodeUsage, PodUsage } from '../storage/types.ts';
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
  namespace: string;
  name: string;
  labels: Labels;
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
 * Pods encoded per piece of a streamed list: 1,000 pods are about 370 KB of JSON and 3–5 ms of
 * work, short enough for a get to slip in between two pieces of a 300,000-pod list.
 */
const listBatchPods = 1000;

function comparePods(a: ApiPod, b: ApiPod): number {
  return compareGoStrings(a.namespace, b.namespace) || compareGoStrings(a.name, b.name);
}

function isSorted(pods: readonly ApiPod[]): boolean {
  for (let i = 1; i < pods.length; i++) if (comparePods(pods[i - 1]!, pods[i]!) > 0) return false;
  return true;
}

const nodesGR = { group: metricsGroup, resource: 'nodes' };
const podsGR = { group: metricsGroup, resource: 'pods' };

function usageOf(cpuNanoCores: number, workingSetBytes: number): Record<string, string> {
  return { cpu: Quantity.fromNanocores(BigInt(cpuNanoCores)).toString(), memory: Quantity.fromBytes(BigInt(workingSetBytes)).toString() };
}

function nodeMetrics(node: ApiNode, u: NodeUsage, nowMs: number): NodeMetrics {
  const labels = Object.keys(node.labels).length === 0 ? {} : { labels: { ...node.labels } };
  return {
    metadata: { name: node.name, creationTimestamp: nowMs, ...labels },
    timestamp: u.timestampMs,
    window: formatGoDuration(BigInt(u.windowNs)),
    usage: usageOf(u.cpuNanoCores, u.workingSetBytes),
  };
}

function podMetrics(pod: ApiPod, u: PodUsage, nowMs: number): PodMetrics {
  const labels = Object.keys(pod.labels).length === 0 ? {} : { labels: { ...pod.labels } };
  return {
    metadata: { name: pod.name, namespace: pod.namespace, creationTimestamp: nowMs, ...labels },
    timestamp: u.timestampMs,
    window: formatGoDuration(BigInt(u.windowNs)),
    containers: u.containers.map((c) => ({ name: c.name, usage: usageOf(c.cpuNanoCores, c.workingSetBytes) })),
  };
}

/** The metrics.k8s.io/v1beta1 resource handlers. */
export class MetricsHandler {
  private readonly options: MetricsHandlerOptions;

  constructor(options: MetricsHandlerOptions) {
    this.options = options;
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
    const u = this.options.source.nodeUsage(name);
    // A node excluded by --node-selector is never scraped, so it has no usage: 404 like upstream.
    if (u === undefined) return statusResponse(req, notFoundStatus({ group: metricsGroup, resource: 'nodemetrics' }, name));
    const nowMs = this.options.nowMs();
    this.observe(u.timestampMs, nowMs);
    const m = nodeMetrics(node, u, nowMs);
    return render(req, () => encodeNodeMetrics(m), (io, v) => nodeMetricsTable([m], io, v));
  }

  private listNodes(req: ApiRequest, opts: ListOptions): ApiResponse {
    const selector = andLabelSelectors(opts.labels, this.options.nodeSelector ?? everythingLabelSelector);
    const nowMs = this.options.nowMs();
    const items: NodeMetrics[] = [];
    for (const node of this.options.source.nodes()) {
      if (!selector.matches(node.labels)) continue;
      if (!opts.fields.matches({ 'metadata.name': node.name })) continue;
      const u = this.options.source.nodeUsage(node.name);
      if (u === undefined) continue;
      this.observe(u.timestampMs, nowMs);
      items.push(nodeMetrics(node, u, nowMs));
    }
    items.sort((a, b) => compareGoStrings(a.metadata.name ?? '', b.metadata.name ?? ''));
    return render(req, () => encodeNodeMetricsList(items), (io, v) => nodeMetricsTable(items, io, v));
  }

  private getPod(req: ApiRequest, namespace: string, name: string): ApiResponse {
    const pod = this.options.source.pod(namespace, name);
    if (pod === undefined) return statusResponse(req, notFoundStatus({ group: '', resource: 'pods' }, name));
    const u = this.options.source.podUsage(namespace, name);
    if (u === undefined) return statusResponse(req, notFoundStatus({ group: metricsGroup, resource: 'podmetrics' }, `${namespace}/${name}`));
    const nowMs = this.options.nowMs();
    this.observe(u.timestampMs, nowMs);
    const m = podMetrics(pod, u, nowMs);
    return render(req, () => encodePodMetrics(m), (io, v) => podMetricsTable([m], io, v));
  }

  private listPods(req: ApiRequest, namespace: string | undefined, opts: ListOptions): ApiResponse {
    const nowMs = this.options.nowMs();
    const selected: ApiPod[] = [];
    for (const pod of this.options.source.pods(namespace)) {
      if (!opts.labels.matches(pod.labels)) continue;
      if (!opts.fields.matches({ 'metadata.name': pod.name, 'metadata.namespace': pod.namespace })) continue;
      selected.push(pod);
    }
    // Sources usually give pods in order already (the store keeps them sorted): checking is O(n),
    // sorting 300,000 pods again cost about 250 ms.
    if (!isSorted(selected)) selected.sort(comparePods);
    const batch = (from: number, to: number): PodMetrics[] => {
      const items: PodMetrics[] = [];
      for (let i = from; i < to; i++) {
        const pod = selected[i]!;
        const u = this.options.source.podUsage(pod.namespace, pod.name);
        if (u === undefined) continue;
        this.observe(u.timestampMs, nowMs);
        items.push(podMetrics(pod, u, nowMs));
      }
      return items;
    };
    // Each pod is read from the store when its batch is encoded, so a list written while scrapes
    // land may hold some pods of the newer scrape: every item is still one consistent point.
    function* batches(): Generator<PodMetrics[]> {
      for (let i = 0; i < selected.length; i += listBatchPods) yield batch(i, Math.min(selected.length, i + listBatchPods));
    }
    return render(req, () => encodePodMetricsList(batch(0, selected.length)), (io, v) => podMetricsTable(batch(0, selected.length), io, v), () => encodePodMetricsListPieces(batches()));
  }
}
