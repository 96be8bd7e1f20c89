/**
 * The metrics.k8s.io/v1beta1 resources: nodes and pods, get and list, with metrics-server's
 * lookups (node and Running-pod caches first, then the store), selectors, sort order, Status
 * errors and Table output.
 */
import { formatGoDuration } from '../lib/go-format.ts';
import { Quantity } from '../lib/quantity.ts';
import { isKubemeterError } from '../lib/errors.ts';
import { andLabelSelectors, everythingLabelSelector, parseLabelSelector, type Labels, type LabelSelector } from '../lib/labels.ts';
import { parseFieldSelector, everythingFieldSelector, type FieldSelector } from '../lib/fields.ts';
import { byteCompare } from '../lib/go-strings.ts';
import { badRequestStatus, methodNotSupportedStatus, notFoundStatus, type Status } from '../api/meta.ts';
import { encodeNodeMetrics, encodeNodeMetricsList, encodePodMetrics, encodePodMetricsList, type NodeMetrics, type PodMetrics } from '../api/metrics.ts';
import type { NodeUsage, PodUsage } from '../storage/types.ts';
import { jsonResponse, statusResponse, type ApiRequest, type ApiResponse } from './http.ts';
import { includeObjectValues, invalidIncludeObjectMessage, nodeMetricsTable, podMetricsTable } from './table.ts';
import { negotiate } from './negotiate.ts';
import { goQuote } from '../lib/go-strings.ts';
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

const nodesGR = { group: metricsGroup, resource: 'nodes' };
const podsGR = { group: metricsGroup, resource: 'pods' };
const knownFields = ['metadata.name', 'metadata.namespace'];

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

interface ListOptions {
  labels: LabelSelector;
  fields: FieldSelector;
}

/** Go's strconv.ParseInt(s, 10, 64) error text, or undefined when `s` parses. */
function parseIntError(s: string): string | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return `strconv.ParseInt: parsing ${goQuote(s)}: invalid syntax`;
  const n = BigInt(s);
  if (n > 9223372036854775807n || n < -9223372036854775808n) return `strconv.ParseInt: parsing ${goQuote(s)}: value out of range`;
  return undefined;
}

/**
 * Decode the list options as the generic apiserver does (400 with the decoder's message): the
 * integers first (`timeoutSeconds`, then `limit`, first value only), then the selectors. Paging
 * itself is not supported, as in metrics-server: a valid `limit` returns the whole list.
 */
function listOptions(req: ApiRequest): ListOptions | { error: Status } {
  for (const name of ['timeoutSeconds', 'limit']) {
    const v = req.query.get(name);
    const err = v === null ? undefined : parseIntError(v);
    if (err !== undefined) return { error: badRequestStatus(err) };
  }
  try {
    const l = req.query.get('labelSelector');
    const f = req.query.get('fieldSelector');
    return {
      labels: l === null ? everythingLabelSelector : parseLabelSelector(l),
      fields: f === null ? everythingFieldSelector : parseFieldSelector(f, { knownFields }),
    };
  } catch (e) {
    if (isKubemeterError(e)) return { error: badRequestStatus(e.message) };
    throw e;
  }
}

/**
 * The object or, when negotiated, a Table in the asked meta.k8s.io version (after the lookup, as
 * upstream transforms the response: a missing object is a 404 whatever `includeObject` says).
 */
function render(req: ApiRequest, object: () => string, table: (includeObject: string, version: 'v1' | 'v1beta1') => string): ApiResponse {
  const rep = negotiate(req.accept);
  if (rep.kind === 'object') return jsonResponse(req, 200, object());
  const includeObject = req.query.get('includeObject') ?? '';
  if (!(includeObjectValues as readonly string[]).includes(includeObject)) return statusResponse(req, badRequestStatus(invalidIncludeObjectMessage(includeObject)));
  return jsonResponse(req, 200, table(includeObject, rep.version));
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
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return statusResponse(req, { status: 'Failure', message: 'the server does not allow this method on the requested resource', reason: 'MethodNotAllowed', details: {}, code: 405 });
    }
    if (name === undefined || name === '') {
      const opts = listOptions(req);
      if ('error' in opts) return statusResponse(req, opts.error);
      // The query decoder's bool: anything but "0" or "false" (any case) asks for a watch.
      const watch = req.query.get('watch');
      if (watch !== null && watch !== '0' && watch.toLowerCase() !== 'false') return statusResponse(req, methodNotSupportedStatus(gr, 'watch'));
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
    items.sort((a, b) => byteCompare(a.metadata.name ?? '', b.metadata.name ?? ''));
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
    selected.sort((a, b) => byteCompare(a.namespace, b.namespace) || byteCompare(a.name, b.name));
    const items: PodMetrics[] = [];
    for (const pod of selected) {
      const u = this.options.source.podUsage(pod.namespace, pod.name);
      if (u === undefined) continue;
      this.observe(u.timestampMs, nowMs);
      items.push(podMetrics(pod, u, nowMs));
    }
    return render(req, () => encodePodMetricsList(items), (io, v) => podMetricsTable(items, io, v));
  }
}
