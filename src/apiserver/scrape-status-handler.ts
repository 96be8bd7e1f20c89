/**
 * scrape.kubemeter.io/v1alpha1 nodescrapestatuses: get and list (label selector on the node's
 * labels, field selector on metadata.name), one object per node the server scrapes (the node
 * cache filtered by --node-selector), Status errors and Table output, read-only like the metrics
 * resources beside it.
 */
import { andLabelSelectors, everythingLabelSelector, type LabelSelector } from '../lib/labels.ts';
import { compareGoStrings } from '../lib/go-strings.ts';
import { notFoundStatus } from '../api/meta.ts';
import {
  encodeNodeScrapeStatus, encodeNodeScrapeStatusList, NODE_SCRAPE_STATUSES, SCRAPE_GROUP,
  type NodeScrapeStatus, type NodeScrapeStatusStatus,
} from '../api/scrape-status.ts';
import { endpointText, type ScrapeRecord } from '../storage/scrape-status.ts';
import { statusResponse, type ApiRequest, type ApiResponse } from './http.ts';
import { listRequest, readOnlyViolation, render, type ListOptions } from './list-options.ts';
import type { ApiNode } from './metrics-handler.ts';
import { nodeScrapeStatusTable } from './scrape-status-table.ts';

/** What the handler reads. */
export interface ScrapeStatusSource {
  /** A node from the node cache (not filtered by --node-selector), or undefined. */
  node(name: string): ApiNode | undefined;
  /** All nodes in the node cache. */
  nodes(): Iterable<ApiNode>;
  /** The scrape record of a node, undefined before its first tick. */
  record(name: string): ScrapeRecord | undefined;
}

/** Options of the handler. */
export interface ScrapeStatusHandlerOptions {
  source: ScrapeStatusSource;
  /** --node-selector: only scraped nodes have a status. */
  nodeSelector?: LabelSelector;
  /** Wall clock, Unix ms. */
  nowMs: () => number;
}

const gr = { group: SCRAPE_GROUP, resource: NODE_SCRAPE_STATUSES };

/** The API object of one node from its record (a node not ticked yet has only a zero count). */
export function nodeScrapeStatus(node: ApiNode, r: ScrapeRecord | undefined, nowMs: number): NodeScrapeStatus {
  const labels = Object.keys(node.labels).length === 0 ? {} : { labels: { ...node.labels } };
  const status: NodeScrapeStatusStatus = { consecutiveFailures: r?.consecutiveFailures ?? 0 };
  if (r !== undefined) {
    if (r.url !== undefined) status.endpoint = endpointText(r.url);
    if (r.lastAttemptMs !== 0) status.lastAttemptTime = r.lastAttemptMs;
    if (r.lastSuccessMs !== 0) status.lastSuccessTime = r.lastSuccessMs;
    if (r.errorReason !== '') status.lastError = { reason: r.errorReason, message: r.errorMessage, time: r.errorMs };
    if (r.pods >= 0) status.podsServed = r.pods;
    if (r.containers >= 0) status.containersServed = r.containers;
  }
  return { metadata: { name: node.name, creationTimestamp: r?.firstSeenMs ?? nowMs, ...labels }, status };
}

/** The scrape.kubemeter.io/v1alpha1 resource handler. */
export class ScrapeStatusHandler {
  private readonly o: ScrapeStatusHandlerOptions;

  constructor(options: ScrapeStatusHandlerOptions) {
    this.o = options;
  }

  /** Handle a path below `/apis/scrape.kubemeter.io/v1alpha1/`; undefined when no resource matches. */
  handle(req: ApiRequest, segments: readonly string[]): ApiResponse | undefined {
    const [resource, name, ...extra] = segments;
    if (resource !== NODE_SCRAPE_STATUSES || extra.length > 0) return undefined;
    const denied = readOnlyViolation(req);
    if (denied !== undefined) return denied;
    if (name === undefined || name === '') {
      const opts = listRequest(req, gr);
      return 'labels' in opts ? this.list(req, opts) : opts;
    }
    return this.get(req, name);
  }

  private selected(node: ApiNode): boolean {
    return this.o.nodeSelector === undefined || this.o.nodeSelector.matches(node.labels);
  }

  private get(req: ApiRequest, name: string): ApiResponse {
    const node = this.o.source.node(name);
    if (node === undefined || !this.selected(node)) return statusResponse(req, notFoundStatus(gr, name));
    const nowMs = this.o.nowMs();
    const o = nodeScrapeStatus(node, this.o.source.record(name), nowMs);
    return render(req, () => encodeNodeScrapeStatus(o), (io, v) => nodeScrapeStatusTable([o], io, v, nowMs));
  }

  private list(req: ApiRequest, opts: ListOptions): ApiResponse {
    const selector = andLabelSelectors(opts.labels, this.o.nodeSelector ?? everythingLabelSelector);
    const nowMs = this.o.nowMs();
    const items: NodeScrapeStatus[] = [];
    for (const node of this.o.source.nodes()) {
      if (!selector.matches(node.labels) || !opts.fields.matches({ 'metadata.name': node.name })) continue;
      items.push(nodeScrapeStatus(node, this.o.source.record(node.name), nowMs));
    }
    items.sort((a, b) => compareGoStrings(a.metadata.name!, b.metadata.name!));
    return render(req, () => encodeNodeScrapeStatusList(items), (io, v) => nodeScrapeStatusTable(items, io, v, nowMs));
  }
}
