/**
 * Serialised list items of pods and nodes, kept between requests: a list of 300,000 pods used to
 * format every Quantity, time and name of every pod again on every request (about 1.5 s of CPU
 * per list on the benchmark machine, most of the cost of a list), although a pod's usage only
 * changes when its node is scraped again.
 *
 * An item is cached as its JSON text split around `creationTimestamp`, the one per-request part
 * (metrics-server writes the response time there): `head` + time + `tail` are the bytes the
 * encoders in src/api write for that item. An entry is valid while the store's version of the
 * pod (its node's last store) is unchanged; the key is the pod object of the source, so an entry
 * goes with its pod (WeakMap) and a pod updated by its informer (a new object, maybe with new
 * labels) starts a new entry.
 */
import { formatGoDuration } from '../lib/go-format.ts';
import { Quantity } from '../lib/quantity.ts';
import { timeJson } from '../api/json.ts';
import { encodeNodeMetrics, encodePodMetrics, METRICS_GROUP_VERSION, type NodeMetrics, type PodMetrics } from '../api/metrics.ts';
import type { NodeUsage, PodUsage } from '../storage/types.ts';
import type { ApiNode, ApiPod, MetricsSource } from './metrics-handler.ts';

/** One list item's JSON text around its creationTimestamp value. */
export interface ItemText {
  /** From `{"metadata":` up to and including `"creationTimestamp":`. */
  readonly head: string;
  /** From after the creationTimestamp value to the item's closing `}`. */
  readonly tail: string;
  /** The item's `timestamp`, Unix ms (for the freshness histogram). */
  readonly timestampMs: number;
}

interface Entry {
  version: number;
  /** undefined: the pod or node has no servable usage at this version. */
  text: ItemText | undefined;
}

function usageOf(cpuNanoCores: number, workingSetBytes: number): Record<string, string> {
  return { cpu: Quantity.fromNanocores(BigInt(cpuNanoCores)).toString(), memory: Quantity.fromBytes(BigInt(workingSetBytes)).toString() };
}

/** A node's NodeMetrics object at response time `nowMs`. */
export function nodeMetrics(node: ApiNode, u: NodeUsage, nowMs: number): NodeMetrics {
  const labels = Object.keys(node.labels).length === 0 ? {} : { labels: { ...node.labels } };
  return {
    metadata: { name: node.name, creationTimestamp: nowMs, ...labels },
    timestamp: u.timestampMs,
    window: formatGoDuration(BigInt(u.windowNs)),
    usage: usageOf(u.cpuNanoCores, u.workingSetBytes),
  };
}

/** A pod's PodMetrics object at response time `nowMs`. */
export function podMetrics(pod: ApiPod, u: PodUsage, nowMs: number): PodMetrics {
  const labels = Object.keys(pod.labels).length === 0 ? {} : { labels: { ...pod.labels } };
  return {
    metadata: { name: pod.name, namespace: pod.namespace, creationTimestamp: nowMs, ...labels },
    timestamp: u.timestampMs,
    window: formatGoDuration(BigInt(u.windowNs)),
    containers: u.containers.map((c) => ({ name: c.name, usage: usageOf(c.cpuNanoCores, c.workingSetBytes) })),
  };
}

const podPrefix = `{"kind":"PodMetrics","apiVersion":"${METRICS_GROUP_VERSION}",`;
const nodePrefix = `{"kind":"NodeMetrics","apiVersion":"${METRICS_GROUP_VERSION}",`;
const creationKey = ',"creationTimestamp":';

/**
 * Split a single-object body (`prefix` + item fields + `}\n`) into the list item's head and tail.
 * The first `,"creationTimestamp":` is the key itself: inside a JSON string every `"` follows a
 * backslash, never a comma.
 */
function splitItem(body: string, prefix: string, nowMs: number, timestampMs: number): ItemText {
  const time = timeJson(nowMs);
  const at = body.indexOf(creationKey) + creationKey.length;
  if (!body.startsWith(prefix) || !body.endsWith('\n') || at < creationKey.length || body.slice(at, at + time.length) !== time) {
    throw new Error(`unexpected item encoding: ${body.slice(0, 200)}`);
  }
  return { head: `{${body.slice(prefix.length, at)}`, tail: body.slice(at + time.length, -1), timestampMs };
}

/** The list item of a pod's usage, split around the creationTimestamp value. */
export function podItemText(pod: ApiPod, u: PodUsage): ItemText {
  // The single-object encoder writes the item's fields exactly as the list encoders do (same
  // writer, same order, same escapes), behind its kind and apiVersion.
  return splitItem(encodePodMetrics(podMetrics(pod, u, 0)), podPrefix, 0, u.timestampMs);
}

/** The list item of a node's usage, split around the creationTimestamp value. */
export function nodeItemText(node: ApiNode, u: NodeUsage): ItemText {
  return splitItem(encodeNodeMetrics(nodeMetrics(node, u, 0)), nodePrefix, 0, u.timestampMs);
}

/** The single-object body (`GET …/pods/{name}`) from a pod's item text. */
export function podBody(t: ItemText, timeJsonText: string): string {
  return `${podPrefix}${t.head.slice(1)}${timeJsonText}${t.tail}\n`;
}

/** The single-object body (`GET …/nodes/{name}`) from a node's item text. */
export function nodeBody(t: ItemText, timeJsonText: string): string {
  return `${nodePrefix}${t.head.slice(1)}${timeJsonText}${t.tail}\n`;
}

/**
 * Item texts of pods and nodes, cached per pod/node object while the store's version is unchanged.
 * Sources without versions (podVersion/nodeVersion absent) get every item encoded anew.
 */
export class ItemCache {
  private readonly source: MetricsSource;
  private readonly pods = new WeakMap<ApiPod, Entry>();
  private readonly nodes = new WeakMap<ApiNode, Entry>();
  /**
   * Entries by position in a sorted pod array of the source (sortedPods): reading entries[i]
   * walks memory in order where a WeakMap lookup per pod cost about 160 ns (50 ms per 300,000-pod
   * list on the benchmark machine). Filled from the WeakMap as positions are first read.
   */
  private readonly byPosition = new WeakMap<readonly ApiPod[], (Entry | undefined)[]>();

  constructor(source: MetricsSource) {
    this.source = source;
  }

  /** A pod's item text, or undefined when it has no servable usage. */
  pod(pod: ApiPod): ItemText | undefined {
    const version = this.source.podVersion?.(pod);
    if (version === undefined) return this.freshPod(pod);
    return this.valid(this.pods.get(pod), pod, version).text;
  }

  /** pod(pods[i]) for an array the source keeps while its pods are unchanged (sortedPods). */
  podAt(pods: readonly ApiPod[], i: number): ItemText | undefined {
    const pod = pods[i]!;
    const version = this.source.podVersion?.(pod);
    if (version === undefined) return this.freshPod(pod);
    let entries = this.byPosition.get(pods);
    if (entries === undefined) this.byPosition.set(pods, (entries = new Array<Entry | undefined>(pods.length)));
    const e = this.valid(entries[i] ?? this.pods.get(pod), pod, version);
    entries[i] = e;
    return e.text;
  }

  /** `e` brought to `version`: reused (a steady cluster allocates only the new strings) or made. */
  private valid(e: Entry | undefined, pod: ApiPod, version: number): Entry {
    if (e !== undefined && e.version === version) return e;
    const text = this.freshPod(pod);
    if (e === undefined) {
      e = { version, text };
      this.pods.set(pod, e);
    } else {
      e.version = version;
      e.text = text;
    }
    return e;
  }

  /** A node's item text, or undefined when it has no servable usage. */
  node(node: ApiNode): ItemText | undefined {
    const version = this.source.nodeVersion?.(node.name);
    if (version === undefined) return this.freshNode(node);
    const e = this.nodes.get(node);
    if (e !== undefined && e.version === version) return e.text;
    const text = this.freshNode(node);
    if (e === undefined) this.nodes.set(node, { version, text });
    else {
      e.version = version;
      e.text = text;
    }
    return text;
  }

  private freshPod(pod: ApiPod): ItemText | undefined {
    const u = this.source.podUsage(pod.namespace, pod.name);
    return u === undefined ? undefined : podItemText(pod, u);
  }

  private freshNode(node: ApiNode): ItemText | undefined {
    const u = this.source.nodeUsage(node.name);
    return u === undefined ? undefined : nodeItemText(node, u);
  }
}
