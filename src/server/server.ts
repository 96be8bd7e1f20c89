/**
 * `kubemeter server` composed: cluster view (Kubernetes or a nodes file) → scrape loop → store →
 * metrics.k8s.io (and scrape.kubemeter.io, the per-node scrape outcomes) over authenticated HTTPS. Nothing here parses flags or exits; see src/cmd/server.ts.
 */
import { MetricsHandler, type ApiPod, type MetricsSource } from '../apiserver/metrics-handler.ts';
import { ScrapeStatusHandler } from '../apiserver/scrape-status-handler.ts';
import { createApiRouter, type VersionInfo } from '../apiserver/router.ts';
import { builtinChecks, type HealthCheck } from '../apiserver/health.ts';
import { SelfMetrics } from '../apiserver/self-metrics.ts';
import type { ApiRequest, ApiResponse } from '../apiserver/http.ts';
import { MetricsStore } from '../storage/store.ts';
import type { NodeScrape } from '../storage/types.ts';
import { ScrapeStatusStore } from '../storage/scrape-status.ts';
import { ScrapeLoop, type ScrapeLoopOptions } from './loop.ts';
import { StorePodIndex } from './store-pods.ts';
import { serveApi, type ServeOptions, type Serving } from './serve.ts';

/** The store, telling the API after each node's store which pods it stored (MetricsHandler.refreshPods). */
class ServedStore extends MetricsStore {
  afterStore: ((scrape: NodeScrape) => void) | undefined;
  override storeNode(scrape: NodeScrape, nowMs: number): void {
    super.storeNode(scrape, nowMs);
    this.afterStore?.(scrape);
  }
}

/** The API objects of the pods of a scrape (samples come grouped by pod), looked up by `find`. */
function* scrapedPods(scrape: NodeScrape, find: (namespace: string, name: string) => ApiPod | undefined): Generator<ApiPod | undefined> {
  let namespace: string | undefined;
  let name: string | undefined;
  for (const c of scrape.containers) {
    if (c.pod === name && c.namespace === namespace) continue;
    namespace = c.namespace;
    name = c.pod;
    yield find(namespace, name);
  }
}

/** Everything the server needs: the scrape loop's options (the server makes its stores) and the version it reports. */
export interface MetricsServerOptions extends Omit<ScrapeLoopOptions, 'store' | 'scrapeStatus' | 'selfMetrics'> {
  version: VersionInfo;
}

/** A composed (not yet serving) metrics server. */
export class MetricsServer {
  readonly store: MetricsStore;
  /** Per-node scrape outcomes (scrape.kubemeter.io/v1alpha1). */
  readonly scrapeStatus = new ScrapeStatusStore();
  readonly loop: ScrapeLoop;
  readonly selfMetrics: SelfMetrics;
  /** The request handler (for serving, and for tests without sockets). */
  readonly handle: (req: ApiRequest) => ApiResponse;
  private shuttingDown = false;
  private readonly o: MetricsServerOptions;

  constructor(o: MetricsServerOptions) {
    this.o = o;
    const store = new ServedStore({
      resolutionMs: o.resolutionMs,
      onEvent: (e) => {
        if (e.kind === 'rate-error') o.logger.debug(e.pod === undefined ? 'Skipping node usage metric' : 'Skipping container usage metric', { ...e });
        else if (e.kind === 'duplicate-container') o.logger.error('Got duplicate Container point', { ...e });
        else o.logger.debug('Found new metrics point is older than stored previous, drop previous', { ...e });
      },
    });
    this.store = store;
    this.selfMetrics = new SelfMetrics({ resolutionSeconds: o.resolutionMs / 1000, startTimeMs: o.clock.nowMs() });
    this.loop = new ScrapeLoop({ ...o, store: this.store, scrapeStatus: this.scrapeStatus, selfMetrics: this.selfMetrics });
    const cluster = o.cluster;
    const storePods = new StorePodIndex(store);
    const source: MetricsSource = {
      node: (name) => cluster.node(name),
      nodes: () => cluster.nodes(),
      // Without a pod source a pod exists for the API only while it has usage (404 for pods otherwise).
      pod: (ns, name) => (cluster.podSource !== undefined ? cluster.podSource.pod(ns, name) : store.podUsage(ns, name) === undefined ? undefined : storePods.find(ns, name)),
      pods: (ns) => {
        if (cluster.podSource !== undefined) return cluster.podSource.pods(ns);
        const { pods, from, to } = storePods.sorted(ns);
        return pods.slice(from, to);
      },
      ...(cluster.podSource === undefined
        ? { sortedPods: (ns: string | undefined) => storePods.sorted(ns) }
        : cluster.podSource.sortedPods === undefined ? {} : { sortedPods: cluster.podSource.sortedPods }),
      nodeUsage: (name) => store.nodeUsage(name),
      podUsage: (ns, name) => store.podUsage(ns, name),
      nodeVersion: (name) => store.nodeVersion(name),
      podVersion: (pod) => storePods.version(pod) ?? store.podVersion(pod.namespace, pod.name),
    };
    const metrics = new MetricsHandler({ source, nodeSelector: o.nodeSelector, nowMs: () => o.clock.nowMs(), observeFreshness: (s) => this.selfMetrics.observeFreshness(s) });
    // A listed pod's item is made again as soon as its node is stored, a slice of about 0.3 ms per
    // 100-pod node, instead of the whole cluster's at once in the turn of the next list.
    const podSource = cluster.podSource;
    store.afterStore = (scrape) => {
      if (!metrics.refreshesPods()) return;
      metrics.refreshPods(podSource !== undefined ? scrapedPods(scrape, (ns, name) => podSource.pod(ns, name)) : storePods.nodePods(scrape.node));
    };
    const scrapeStatus = new ScrapeStatusHandler({
      source: { node: (name) => cluster.node(name), nodes: () => cluster.nodes(), record: (name) => this.scrapeStatus.get(name) },
      nodeSelector: o.nodeSelector,
      nowMs: () => o.clock.nowMs(),
    });
    const informerSync: HealthCheck = { name: 'metadata-informer-sync', check: () => undefined };
    const readyz: HealthCheck[] = [
      ...builtinChecks(),
      { name: 'metric-storage-ready', check: () => (store.ready() ? undefined : 'no metrics to serve') },
      { name: 'metric-informer-sync', check: () => (cluster.synced() ? undefined : `informers not synced: ${cluster.syncError()}`) },
      informerSync,
      { name: 'shutdown', check: () => (this.shuttingDown ? 'process is shutting down' : undefined) },
    ];
    const livez: HealthCheck[] = [...builtinChecks(), { name: 'metric-collection-timely', check: () => this.loop.timely() }, informerSync];
    const healthz: HealthCheck[] = [...builtinChecks(), informerSync];
    this.handle = createApiRouter({ metrics, scrapeStatus, checks: { livez, readyz, healthz }, selfMetrics: this.selfMetrics, version: o.version, logger: o.logger });
  }

  /** Start watching the cluster and the collection loop; resolves once caches are synced. */
  async start(signal: AbortSignal): Promise<void> {
    this.o.cluster.start(signal);
    await this.o.cluster.waitForSync(signal);
    void this.loop.run(signal);
  }

  /**
   * Serve the API over HTTPS behind delegated authentication and authorization (call after
   * start, as metrics-server listens only once synced).
   */
  serve(options: Omit<ServeOptions, 'handler' | 'logger'>): Promise<Serving> {
    return serveApi({ ...options, handler: this.handle, logger: this.o.logger });
  }

  /** Readiness turns false first during shutdown. */
  beginShutdown(): void {
    this.shuttingDown = true;
  }
}
