/**
 * What a kubelet scrape gives the store, and what the store gives the API. Times are Unix
 * milliseconds (the kubelet's Prometheus timestamps are milliseconds); container start times are
 * Unix nanoseconds held in a float64 exactly as the kubelet's float seconds × 1e9 (which is what
 * the reference implementation computes, so windows derived from them match to the nanosecond).
 */

/** One cumulative sample of a node or container. */
export interface UsageSample {
  /** Sample time (kubelet/cAdvisor housekeeping time), Unix ms. */
  timestampMs: number;
  /** Cumulative CPU time, core-nanoseconds (passes 2^53 on real nodes, hence bigint). */
  cpuUsageCoreNanoSeconds: bigint;
  /** Memory working set, bytes. */
  workingSetBytes: number;
}

/** One container of one pod, as decoded from a scrape. */
export interface ContainerSample extends UsageSample {
  namespace: string;
  pod: string;
  container: string;
  /** Container start, Unix ns as float64 (0 when unknown). */
  startTimeNs: number;
}

/** One node's decoded scrape. Invalid points have already been dropped by the decoder. */
export interface NodeScrape {
  node: string;
  /** The node's own usage, absent when the kubelet gave incomplete node values. */
  nodeSample: UsageSample | undefined;
  /** Every servable container sample, grouped by pod in any order. */
  containers: ContainerSample[];
}

/** Usage of a node or container over [timestamp − window, timestamp]. */
export interface Usage {
  /** Sample time of the newer point, Unix ms. */
  timestampMs: number;
  /** Time between the two points, ns. */
  windowNs: number;
  /** Average CPU over the window, nanocores (truncated like upstream). */
  cpuNanoCores: number;
  /** Working set of the newer point, bytes. */
  workingSetBytes: number;
}

/** A node's servable metrics. */
export interface NodeUsage extends Usage {
  name: string;
}

/** One container's servable metrics inside a pod. */
export interface ContainerUsage {
  name: string;
  cpuNanoCores: number;
  workingSetBytes: number;
}

/** A pod's servable metrics: timestamp and window of its container with the earliest timestamp. */
export interface PodUsage {
  namespace: string;
  name: string;
  timestampMs: number;
  windowNs: number;
  /** Sorted by container name. */
  containers: ContainerUsage[];
}
