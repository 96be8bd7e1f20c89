/**
 * kubemeter/client: a typed client for the Kubernetes resource metrics API (metrics.k8s.io) with
 * exact quantities, selectors, single-object GETs, namespace-safe joins, sidecar-aware requests and
 * limits, timeouts, cancellation and typed errors.
 */
export { MetricsClient, selectorQuery } from './metrics-client.ts';
export type { CallOptions, ListOptions, NamespacedListOptions, UrlClientOptions, MetricsClientOptions } from './metrics-client.ts';
export { MetricsClientError } from './errors.ts';
export type { MetricsRequest } from './errors.ts';
export { topNodes, topPods, amount, percentOf, podUsageOf } from './top.ts';
export type { TopNodesInput, TopPodsInput } from './top.ts';
export { podRequests, podLimits } from './pod-resources.ts';
export type { NodeView, PodView, ContainerSpecView } from './core-view.ts';
export type * from './types.ts';
export type { NodeScrapeStatus, NodeScrapeStatusStatus, ScrapeError, ScrapeFailureReason } from '../api/scrape-status.ts';
export { scrapeFailureReasons } from '../api/scrape-status.ts';
export { Quantity } from '../lib/quantity.ts';
export { KubemeterError, ErrorCode, isKubemeterError } from '../lib/errors.ts';
