/**
 * The collection loop: a tick at start and then every --metric-resolution (a slow tick delays
 * the next, missed ticks are dropped, ticks never overlap). Each tick scrapes the selected nodes
 * with the tick as deadline, stores every node as soon as it answers, then forgets nodes that are
 * gone or stale.
 */
import type { Clock } from '../lib/clock.ts';
import type { LabelSelector } from '../lib/labels.ts';
import type { Logger } from '../lib/log.ts';
import { kubeletUrl, type KubeletAddressOptions } from '../scraper/address.ts';
import type { KubeletClient } from '../scraper/kubelet-client.ts';
import { scrapeAll, type ScrapeTarget } from '../scraper/scraper.ts';
import { defaultPace } from '../scraper/pacer.ts';
import type { MetricsStore } from '../storage/store.ts';
import type { ScrapeStatusStore } from '../storage/scrape-status.ts';
import type { SelfMetrics } from '../apiserver/self-metrics.ts';
import type { ClusterView } from './cluster.ts';
import { errorMessage } from '../lib/errors.ts';

/** Options of the loop. */
export interface ScrapeLoopOptions {
  cluster: ClusterView;
  client: KubeletClient;
  store: MetricsStore;
  /** Per-node attempt, success and failure bookkeeping (scrape.kubemeter.io). */
  scrapeStatus: ScrapeStatusStore;
  selfMetrics: SelfMetrics;
  address: KubeletAddressOptions;
  nodeSelector: LabelSelector;
  resolutionMs: number;
  requestTimeoutMs: number;
  /** Kubelet requests in flight at once. */
  concurrency: number;
  clock: Clock;
  logger: Logger;
}

/** The periodic scrape-and-store loop. */
export class ScrapeLoop {
  private readonly o: ScrapeLoopOptions;
  /** Start of the current or last tick, Unix ms (undefined before the first). */
  tickStartMs: number | undefined;
  /** Completed ticks. */
  ticks = 0;

  constructor(options: ScrapeLoopOptions) {
    this.o = options;
  }

  private apiRequestsSeen = 0;
  private apiRequestMs: number | undefined;

  /** Whether a metrics API request was served within the last resolution. */
  private apiInUse(): boolean {
    const now = this.o.clock.nowMs();
    const seen = this.o.selfMetrics.metricsApiRequests;
    if (seen !== this.apiRequestsSeen) {
      this.apiRequestsSeen = seen;
      this.apiRequestMs = now;
    }
    return this.apiRequestMs !== undefined && now - this.apiRequestMs <= this.o.resolutionMs;
  }

  /** Liveness: no tick yet, or the latest started within 1.5 × resolution. */
  timely(): string | undefined {
    if (this.tickStartMs === undefined) return undefined;
    const age = this.o.clock.nowMs() - this.tickStartMs;
    return age <= 1.5 * this.o.resolutionMs ? undefined : `metric collection didn't finish on time (duration ${age} ms, max ${1.5 * this.o.resolutionMs} ms)`;
  }

  /** Run one tick. */
  async tick(signal?: AbortSignal): Promise<void> {
    const o = this.o;
    const start = o.clock.nowMs();
    this.tickStartMs = start;
    const deadline = AbortSignal.timeout(o.resolutionMs);
    const tickSignal = signal === undefined ? deadline : AbortSignal.any([deadline, signal]);
    const targets: ScrapeTarget[] = [];
    const selected = new Set<string>();
    const readiness = new Map<string, boolean>();
    for (const node of o.cluster.nodes()) {
      if (!o.nodeSelector.matches(node.labels)) continue;
      selected.add(node.name);
      readiness.set(node.name, node.ready);
      o.scrapeStatus.track(node.name, start);
      try {
        targets.push({ node: node.name, url: kubeletUrl(node, o.address) });
      } catch (e) {
        o.logger.error('Failed to scrape node', { node: node.name, err: errorMessage(e) });
        o.scrapeStatus.attempt(node.name, undefined, start);
        o.scrapeStatus.failed(node.name, 'address', errorMessage(e), start);
      }
    }
    let pods = 0;
    const result = await scrapeAll({
      client: o.client,
      targets,
      endpoint: o.address.endpoint,
      requestTimeoutMs: o.requestTimeoutMs,
      concurrency: o.concurrency,
      // Requests in flight follow the event loop's delay for the first half of the tick, so that
      // the API keeps short turns while the server scrapes; a fan-out not done by then (the
      // server busy with its API throughout) goes at the full concurrency to meet the deadline.
      // Only while the metrics API is in use (a request within the last resolution): otherwise
      // nothing waits for the event loop, and the scrape goes at the full concurrency.
      pace: { ...defaultPace, forMs: o.resolutionMs / 2, active: () => this.apiInUse() },
      signal: tickSignal,
      nowMs: () => o.clock.nowMs(),
      onIncomplete: (r) => o.logger.debug(r.pod === undefined ? 'Failed getting complete node metric' : 'Failed getting complete Pod metric', { ...r }),
      onOutcome: (out) => {
        o.selfMetrics.observeKubeletRequest(out.node, out.startMs, out.durationMs / 1000, out.ok);
        o.scrapeStatus.attempt(out.node, out.url, out.startMs);
        const endMs = o.clock.nowMs();
        if (out.ok) {
          o.store.storeNode(out.scrape, endMs);
          const nodePods = o.store.nodePodCount(out.node);
          pods += nodePods;
          o.scrapeStatus.succeeded(out.node, endMs, nodePods, out.scrape.containers.length);
          return;
        }
        o.scrapeStatus.failed(out.node, out.failure, out.error, endMs);
        if (readiness.get(out.node) === false) {
          o.logger.debug('Failed to scrape node, node is not ready', { node: out.node, reason: out.failure, err: out.error });
        } else {
          o.logger.error(out.failure === 'timeout' ? 'Failed to scrape node, timeout to access kubelet' : 'Failed to scrape node', { node: out.node, reason: out.failure, err: out.error });
        }
      },
    });
    const end = o.clock.nowMs();
    for (const name of o.store.nodeNames()) if (!selected.has(name)) o.selfMetrics.forgetNode(name);
    o.store.prune(selected, end);
    o.scrapeStatus.retain(selected);
    o.selfMetrics.setStoragePoints(o.store.pointCounts());
    o.selfMetrics.observeTick((end - start) / 1000);
    this.ticks++;
    o.logger.debug('Scrape finished', { durationMs: end - start, nodeCount: result.ok, failedNodes: result.failed, podCount: pods });
  }

  /** Tick now and every resolution until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const start = this.o.clock.nowMs();
      try {
        await this.tick(signal);
      } catch (e) {
        this.o.logger.error('Scrape tick failed', { err: errorMessage(e) });
      }
      const wait = Math.max(0, start + this.o.resolutionMs - this.o.clock.nowMs());
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, wait);
        function done(): void {
          clearTimeout(t);
          signal.removeEventListener('abort', done);
          resolve();
        }
        signal.addEventListener('abort', done, { once: true });
      });
    }
  }
}
