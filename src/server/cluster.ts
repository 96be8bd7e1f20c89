/** What the server knows about the cluster: nodes to scrape and Running pods to serve. */
import type { KubeletNode } from '../scraper/address.ts';
import type { ApiPod, SortedPods } from '../apiserver/metrics-handler.ts';

/** A source of nodes (and, from Kubernetes, of Running pods). */
export interface ClusterView {
  /** Every known node (not filtered by --node-selector). */
  nodes(): readonly KubeletNode[];
  node(name: string): KubeletNode | undefined;
  /** Running pods, or undefined when this source has none (a nodes file): pods then come from the store. */
  readonly podSource: PodSource | undefined;
  /** Node (and pod) caches have their first full list. */
  synced(): boolean;
  /** Why not synced, for the readiness log. */
  syncError(): string;
  /** Start watching; stops with the signal. */
  start(signal: AbortSignal): void;
  /** Resolves once synced (or the signal aborts). */
  waitForSync(signal: AbortSignal): Promise<void>;
}

/** Running pods by namespace and name. */
export interface PodSource {
  pod(namespace: string, name: string): ApiPod | undefined;
  pods(namespace: string | undefined): Iterable<ApiPod>;
  /** pods() as a range of an array sorted by namespace then name (lists then skip sorting). */
  sortedPods?(namespace: string | undefined): SortedPods;
}
