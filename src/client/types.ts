/**
 * The typed values the metrics client returns: wire metrics with every quantity parsed exactly,
 * and the combined "top" views (usage with requests, limits, allocatable and capacity).
 */
import type { Quantity } from '../lib/quantity.ts';

/** Resource name → exact quantity (`cpu`, `memory`, and whatever else a server sends). */
export type ResourceQuantities = Readonly<Record<string, Quantity>>;

/** One NodeMetrics object. */
export interface NodeMetricsSample {
  name: string;
  /** Labels of the Node, as metrics-server copies them. */
  labels: Readonly<Record<string, string>>;
  /** End of the sampling window, ms since the epoch (null when the server sent none). */
  timestampMs: number | null;
  /** The window as the server wrote it (Go duration text, e.g. `15.012s`). */
  window: string;
  /** The window in milliseconds. */
  windowMs: number;
  /** Average usage over the window: `cpu` in cores (nanocore precision), `memory` working set in bytes. */
  usage: ResourceQuantities;
}

/** Usage of one container. */
export interface ContainerMetricsSample {
  name: string;
  usage: ResourceQuantities;
}

/** One PodMetrics object. */
export interface PodMetricsSample {
  namespace: string;
  name: string;
  /** Labels of the Pod, as metrics-server copies them. */
  labels: Readonly<Record<string, string>>;
  timestampMs: number | null;
  window: string;
  windowMs: number;
  containers: ContainerMetricsSample[];
}

/** An exact quantity with convenient numbers next to it. */
export interface Amount {
  /** The exact value. */
  quantity: Quantity;
  /** CPU: cores (float). Memory and others: whole units, rounded up (`Value()`), as a number. */
  value: number;
  /** Thousandths rounded up (`MilliValue()`): millicores for CPU. */
  milli: bigint;
}

/** How much of one resource is used, reserved and available. */
export interface ResourceUsage {
  /** Measured usage, or undefined when there is no metric. */
  usage: Amount | undefined;
  /** Sum of requests (undefined when nothing requests this resource). */
  requests: Amount | undefined;
  /** Sum of limits (undefined when any container is unlimited, as the limit is then unbounded). */
  limits: Amount | undefined;
  /** usage ÷ requests × 100, truncated; undefined when either is missing or requests are zero. */
  requestPercent: number | undefined;
  /** usage ÷ limits × 100, truncated; undefined when either is missing or limits are zero. */
  limitPercent: number | undefined;
}

/** Node view of `topNodes()`. */
export interface NodeTop {
  name: string;
  labels: Readonly<Record<string, string>>;
  /** The NodeMetrics, or undefined when the node has none (kubectl's `<unknown>` row). */
  metrics: NodeMetricsSample | undefined;
  cpu: NodeResourceUsage;
  memory: NodeResourceUsage;
}

/** Node resource: usage against allocatable and capacity, plus the pods' requests and limits. */
export interface NodeResourceUsage extends ResourceUsage {
  allocatable: Amount | undefined;
  capacity: Amount | undefined;
  /** usage ÷ allocatable × 100, truncated (what `kubectl top node` prints). */
  allocatablePercent: number | undefined;
  /** usage ÷ capacity × 100, truncated (`kubectl top node --show-capacity`). */
  capacityPercent: number | undefined;
}

/** Container view inside a PodTop. */
export interface ContainerTop {
  name: string;
  /** `container`, `init` or `sidecar` (an init container with restartPolicy Always); `unknown` when only the metrics know it. */
  kind: 'container' | 'init' | 'sidecar' | 'unknown';
  cpu: ResourceUsage;
  memory: ResourceUsage;
}

/** Pod view of `topPods()`. */
export interface PodTop {
  namespace: string;
  name: string;
  /** `namespace/name`: the key that is unique across namespaces. */
  key: string;
  labels: Readonly<Record<string, string>>;
  /** Node the pod runs on ('' when unknown). */
  nodeName: string;
  /** Pod phase ('' when the Pod object is unknown). */
  phase: string;
  /** Pod creation time, ms since the epoch (null when unknown). */
  createdMs: number | null;
  metrics: PodMetricsSample | undefined;
  cpu: ResourceUsage;
  memory: ResourceUsage;
  containers: ContainerTop[];
}
