/**
 * MetricsClient: typed access to metrics.k8s.io (NodeMetrics, PodMetrics) and the core objects
 * `top` joins with them, over the project's KubeClient (kubeconfig, in-cluster, exec plugins,
 * client certificates, tokens). Every call takes an AbortSignal and a timeout, and fails with a
 * MetricsClientError that names the request, the server and the Status message.
 */
import { ErrorCode, KubemeterError } from '../lib/errors.ts';
import { parseLabelSelector, parseFieldSelector } from '../lib/labels.ts';
import { decodeNodeMetrics, decodeNodeMetricsList, decodePodMetrics, decodePodMetricsList } from '../api/metrics.ts';
import { parseJson } from '../api/json.ts';
import { decodeNodeScrapeStatus, decodeNodeScrapeStatusList, type NodeScrapeStatus } from '../api/scrape-status.ts';
import { KubeClient, withQuery } from '../kube/client.ts';
import { loadInCluster, loadKubeConfig, type ClusterConnection, type LoadKubeConfigOptions } from '../kube/kubeconfig.ts';
import { staticCredentials, type Credentials } from '../kube/credentials.ts';
import { MetricsClientError, type MetricsRequest } from './errors.ts';
import { nodeSample, podSample } from './convert.ts';
import { nodeView, podView, type NodeView, type PodView } from './core-view.ts';
import { topNodes, topPods } from './top.ts';
import type { NodeMetricsSample, NodeTop, PodMetricsSample, PodTop } from './types.ts';

/** Per-call options. */
export interface CallOptions {
  /** Cancels the call. */
  signal?: AbortSignal;
  /** Deadline for this call in milliseconds (default: the client's, 30 s). */
  timeoutMs?: number;
}

/** Selectors of list calls; empty strings mean "everything". */
export interface ListOptions extends CallOptions {
  /** Label selector, e.g. `app=web,tier!=cache` (validated locally, sent in canonical form). */
  labelSelector?: string;
  /** Field selector, e.g. `metadata.name=web-1`. */
  fieldSelector?: string;
}

/** Options of namespaced list calls. */
export interface NamespacedListOptions extends ListOptions {
  /** Namespace; omitted or '' = all namespaces. */
  namespace?: string;
}

/** TLS and credentials for MetricsClient.fromUrl. */
export interface UrlClientOptions {
  /** PEM CA bundle that verifies the server (default: system roots). */
  ca?: string | Buffer;
  /** Client certificate and key (PEM) for mutual TLS. */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Bearer token. */
  token?: string;
  /** Do not verify the server certificate (insecure). */
  insecureSkipTlsVerify?: boolean;
  /** TLS server name when it differs from the URL host. */
  servername?: string;
  /** Default namespace for calls that need one (default `default`). */
  namespace?: string;
}

/** Options of the MetricsClient constructor. */
export interface MetricsClientOptions {
  /** Default deadline per call in ms (default 30 000). */
  timeoutMs?: number;
  /** User-Agent (default `kubemeter`). */
  userAgent?: string;
}

const METRICS = '/apis/metrics.k8s.io/v1beta1';
const SCRAPE_STATUSES = '/apis/scrape.kubemeter.io/v1alpha1/nodescrapestatuses';

/** Typed client of the resource metrics API. */
export class MetricsClient {
  /** The underlying Kubernetes HTTP client. */
  readonly kube: KubeClient;
  /** Namespace of the kubeconfig context (or service account), used when a call names none. */
  readonly namespace: string;
  readonly #timeoutMs: number;

  constructor(connection: ClusterConnection, options: MetricsClientOptions = {}) {
    this.kube = new KubeClient(connection, { userAgent: options.userAgent ?? 'kubemeter' });
    this.namespace = connection.namespace;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** A client from kubeconfig like kubectl: `--kubeconfig`, KUBECONFIG, ~/.kube/config, then in-cluster. */
  static async fromKubeconfig(options: LoadKubeConfigOptions & MetricsClientOptions = {}): Promise<MetricsClient> {
    return new MetricsClient(await loadKubeConfig(options), options);
  }

  /** A client from the pod's service account (KUBERNETES_SERVICE_HOST/PORT, token, CA). */
  static async inCluster(options: MetricsClientOptions = {}): Promise<MetricsClient> {
    return new MetricsClient(await loadInCluster(), options);
  }

  /** A client for a server URL (kube-apiserver or a metrics server) with explicit TLS options. */
  static fromUrl(url: string, tls: UrlClientOptions = {}, options: MetricsClientOptions = {}): MetricsClient {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new KubemeterError(ErrorCode.InvalidFlag, `not a URL: ${JSON.stringify(url)}`, { source: url });
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new KubemeterError(ErrorCode.InvalidFlag, `URL must be http(s): ${JSON.stringify(url)}`, { source: url });
    if ((tls.cert === undefined) !== (tls.key === undefined)) throw new KubemeterError(ErrorCode.InvalidFlag, 'cert and key must be given together', { source: url });
    const creds: Credentials = {};
    if (tls.token !== undefined) creds.token = tls.token;
    if (tls.cert !== undefined && tls.key !== undefined) creds.clientCertificate = { certPem: tls.cert.toString(), keyPem: tls.key.toString() };
    const conn: ClusterConnection = {
      server: u.toString().replace(/\/+$/, ''),
      insecureSkipTlsVerify: tls.insecureSkipTlsVerify ?? false,
      disableCompression: false,
      credentials: staticCredentials(creds, tls.token !== undefined ? 'bearer token' : creds.clientCertificate !== undefined ? 'client certificate' : 'anonymous'),
      namespace: tls.namespace ?? 'default',
      context: '',
      origin: url,
    };
    if (tls.ca !== undefined) conn.ca = Buffer.from(tls.ca);
    if (tls.servername !== undefined) conn.tlsServerName = tls.servername;
    return new MetricsClient(conn, options);
  }

  /** Base URL of the server. */
  get server(): string {
    return this.kube.connection.server;
  }

  /** Release pooled connections. */
  close(): void {
    this.kube.close();
  }

  /** Versions of metrics.k8s.io the server offers (discovery `/apis`); empty when the API is absent. */
  async metricsVersions(options: CallOptions = {}): Promise<string[]> {
    const v = await this.#get({ verb: 'get', resource: 'apigroups', path: '/apis' }, options, (text, src) => parseJson(text, 'APIGroupList', src));
    const groups = (v as { groups?: unknown }).groups;
    if (!Array.isArray(groups)) return [];
    for (const g of groups as { name?: unknown; versions?: { version?: unknown }[] }[]) {
      if (g?.name === 'metrics.k8s.io' && Array.isArray(g.versions)) return g.versions.map((x) => String(x?.version ?? ''));
    }
    return [];
  }

  /** All NodeMetrics matching the selectors. */
  async listNodeMetrics(options: ListOptions = {}): Promise<NodeMetricsSample[]> {
    const path = withQuery(`${METRICS}/nodes`, selectorQuery(options));
    const list = await this.#get({ verb: 'list', resource: 'nodes.metrics.k8s.io', path }, options, decodeNodeMetricsList);
    const src = this.server + path;
    return list.items.map((m) => nodeSample(m, src));
  }

  /** One node's metrics; a MetricsClientError with `notFound` when the server has none. */
  async getNodeMetrics(name: string, options: CallOptions = {}): Promise<NodeMetricsSample> {
    const path = `${METRICS}/nodes/${segment(name, 'node name')}`;
    const m = await this.#get({ verb: 'get', resource: 'nodes.metrics.k8s.io', name, path }, options, decodeNodeMetrics);
    return nodeSample(m, this.server + path);
  }

  /** PodMetrics in one namespace, or in all namespaces when `namespace` is omitted or ''. */
  async listPodMetrics(options: NamespacedListOptions = {}): Promise<PodMetricsSample[]> {
    const ns = options.namespace ?? '';
    const base = ns === '' ? `${METRICS}/pods` : `${METRICS}/namespaces/${segment(ns, 'namespace')}/pods`;
    const path = withQuery(base, selectorQuery(options));
    const list = await this.#get({ verb: 'list', resource: 'pods.metrics.k8s.io', namespace: ns, path }, options, decodePodMetricsList);
    const src = this.server + path;
    return list.items.map((m) => podSample(m, src));
  }

  /** One pod's metrics. */
  async getPodMetrics(namespace: string, name: string, options: CallOptions = {}): Promise<PodMetricsSample> {
    // An empty namespace addresses the cluster-wide collection, as client-go does for Namespace("").
    const base = namespace === '' ? `${METRICS}/pods` : `${METRICS}/namespaces/${segment(namespace, 'namespace')}/pods`;
    const path = `${base}/${segment(name, 'pod name')}`;
    const m = await this.#get({ verb: 'get', resource: 'pods.metrics.k8s.io', name, namespace, path }, options, decodePodMetrics);
    return podSample(m, this.server + path);
  }

  /**
   * Every node's scrape status (scrape.kubemeter.io/v1alpha1, served by kubemeter server): last
   * attempt, last success, consecutive failures and the last error. `undefined` when the server
   * does not provide the API (404: metrics-server, or no APIService for the group); other
   * failures (403, 503, …) throw a MetricsClientError.
   */
  async listNodeScrapeStatuses(options: ListOptions = {}): Promise<NodeScrapeStatus[] | undefined> {
    const path = withQuery(SCRAPE_STATUSES, selectorQuery(options));
    return absentOn404(this.#get({ verb: 'list', resource: 'nodescrapestatuses.scrape.kubemeter.io', path }, options, decodeNodeScrapeStatusList).then((l) => l.items));
  }

  /** One node's scrape status; `undefined` on 404 (the API is absent, or the server does not scrape that node). */
  async getNodeScrapeStatus(name: string, options: CallOptions = {}): Promise<NodeScrapeStatus | undefined> {
    const path = `${SCRAPE_STATUSES}/${segment(name, 'node name')}`;
    return absentOn404(this.#get({ verb: 'get', resource: 'nodescrapestatuses.scrape.kubemeter.io', name, path }, options, decodeNodeScrapeStatus));
  }

  /** Node objects (core/v1) matching the selectors, reduced to what `top` reads. */
  async listNodes(options: ListOptions = {}): Promise<NodeView[]> {
    const path = withQuery('/api/v1/nodes', selectorQuery(options));
    return this.#get({ verb: 'list', resource: 'nodes', path }, options, (text, src) => items(text, src, 'NodeList').map((n) => nodeView(n, src)));
  }

  /** One Node object. */
  async getNode(name: string, options: CallOptions = {}): Promise<NodeView> {
    const path = `/api/v1/nodes/${segment(name, 'node name')}`;
    return this.#get({ verb: 'get', resource: 'nodes', name, path }, options, (text, src) => nodeView(parseJson(text, 'Node', src), src));
  }

  /** Pod objects in one namespace or all (omitted/''), reduced to what `top` reads. */
  async listPods(options: NamespacedListOptions = {}): Promise<PodView[]> {
    const ns = options.namespace ?? '';
    const base = ns === '' ? '/api/v1/pods' : `/api/v1/namespaces/${segment(ns, 'namespace')}/pods`;
    const path = withQuery(base, selectorQuery(options));
    return this.#get({ verb: 'list', resource: 'pods', namespace: ns, path }, options, (text, src) => items(text, src, 'PodList').map((p) => podView(p, src)));
  }

  /** One Pod object. */
  async getPod(namespace: string, name: string, options: CallOptions = {}): Promise<PodView> {
    const path = `/api/v1/namespaces/${segment(namespace, 'namespace')}/pods/${segment(name, 'pod name')}`;
    return this.#get({ verb: 'get', resource: 'pods', name, namespace, path }, options, (text, src) => podView(parseJson(text, 'Pod', src), src));
  }

  /**
   * Nodes with usage against allocatable and capacity, and (with `pods: true`) the requests and
   * limits of the pods scheduled on them. Nodes without metrics are included with `metrics: undefined`.
   */
  async topNodes(options: ListOptions & { pods?: boolean } = {}): Promise<NodeTop[]> {
    const [metrics, nodes, pods] = await Promise.all([
      this.listNodeMetrics(options),
      this.listNodes(options),
      options.pods === true ? this.listPods({ signal: options.signal, timeoutMs: options.timeoutMs }) : Promise.resolve(undefined),
    ]);
    return topNodes({ metrics, nodes, ...(pods !== undefined ? { pods } : {}) });
  }

  /** Pods with usage, requests, limits and percentages, per pod and container (all namespaces when omitted). */
  async topPods(options: NamespacedListOptions = {}): Promise<PodTop[]> {
    const [metrics, pods] = await Promise.all([this.listPodMetrics(options), this.listPods(options)]);
    return topPods({ metrics, pods });
  }

  async #get<T>(request: MetricsRequest, options: CallOptions, decode: (text: string, source: string) => T): Promise<T> {
    try {
      const res = await this.kube.request('GET', request.path, {
        accept: 'application/json',
        timeoutMs: options.timeoutMs ?? this.#timeoutMs,
        ...(options.signal !== undefined ? { signal: options.signal } : {}),
      });
      return decode(res.body.toString('utf8'), this.server + request.path);
    } catch (e) {
      throw new MetricsClientError(request, this.server, e);
    }
  }
}

async function absentOn404<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof MetricsClientError && e.notFound) return undefined;
    throw e;
  }
}

function items(text: string, source: string, kind: string): unknown[] {
  const v = parseJson(text, kind, source) as { items?: unknown };
  if (v === null || typeof v !== 'object' || (v.items !== undefined && v.items !== null && !Array.isArray(v.items))) {
    throw new KubemeterError(ErrorCode.InvalidDocument, `${source}: ${kind} has no items array`, { source });
  }
  return (v.items as unknown[] | undefined | null) ?? [];
}

/** A path segment; names with '/' or empty ones would address something else. */
function segment(value: string, what: string): string {
  if (value === '' || value.includes('/') || value === '.' || value === '..') throw new KubemeterError(ErrorCode.InvalidFlag, `invalid ${what} ${JSON.stringify(value)}`);
  return encodeURIComponent(value);
}

/** Validated selectors in canonical text, as kubectl sends them (`labelSelector=<selector.String()>`). */
export function selectorQuery(options: ListOptions): Record<string, string | undefined> {
  const q: Record<string, string | undefined> = {};
  if (options.labelSelector !== undefined && options.labelSelector !== '') q['labelSelector'] = parseLabelSelector(options.labelSelector, 'labelSelector').toString();
  if (options.fieldSelector !== undefined && options.fieldSelector !== '') q['fieldSelector'] = parseFieldSelector(options.fieldSelector, { source: 'fieldSelector' }).toString();
  return q;
}
