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
 * goes with its pod and a pod updated by its informer (a new object, maybe with new labels)
 * starts a new entry.
 *
 * Items are never changed once made (a new version makes a new item), so a list can hold the
 * items of one moment while it is written; and once a pod has an item, refresh() makes the next
 * one right after its node is stored, so that a list finds nearly every item ready instead of
 * encoding the whole cluster again in the turn it starts (see MetricsHandler.refreshPods).
 */
import { formatGoDuration } from '../lib/go-format.ts';
import { Quantity } from '../lib/quantity.ts';
import { goQuote, goStringMap, timeJson } from '../api/json.ts';
import { encodeNodeMetrics, METRICS_GROUP_VERSION, type NodeMetrics, type PodMetrics } from '../api/metrics.ts';
import { flatCopy } from '../storage/flat-copy.ts';
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

/**
 * The list item of a pod's usage, split around the creationTimestamp value. Written here as text
 * rather than through encodePodMetrics and cut apart: this runs for every pod after each of its
 * node's scrapes, and the writer's Buffer, its decoding and the copies of the cut pieces made it
 * 3× slower (2.7 s → 0.9 s for 300,000 pods on the benchmark machine). The bytes are the writer's
 * (Go field order, omitempty, sorted label keys, Go escapes), checked against it by
 * item-cache.test.ts on arbitrary names and labels.
 */
export function podItemText(pod: ApiPod, u: PodUsage): ItemText {
  let meta = '';
  if (pod.name !== '') meta = `"name":${goQuote(pod.name)},`;
  if (pod.namespace !== '') meta += `"namespace":${goQuote(pod.namespace)},`;
  let labels = '';
  for (const _ in pod.labels) {
    labels = `,"labels":${goStringMap(pod.labels)}`;
    break;
  }
  let tail = `${labels}},"timestamp":${timeJson(u.timestampMs)},"window":"${formatGoDuration(BigInt(u.windowNs))}","containers":[`;
  const cs = u.containers;
  for (let i = 0; i < cs.length; i++) {
    const c = cs[i]!;
    // Quantities and durations are ASCII without escapes.
    tail += `${i === 0 ? '' : ','}{"name":${goQuote(c.name)},"usage":{"cpu":"${Quantity.fromNanocores(BigInt(c.cpuNanoCores)).toString()}","memory":"${Quantity.fromBytes(BigInt(c.workingSetBytes)).toString()}"}}`;
  }
  tail += ']}';
  return { head: `{"metadata":{${meta}"creationTimestamp":`, tail, timestampMs: u.timestampMs };
}

/** The list item of a node's usage, split around the creationTimestamp value. */
export function nodeItemText(node: ApiNode, u: NodeUsage): ItemText {
  return splitItem(encodeNodeMetrics(nodeMetrics(node, u, 0)), nodePrefix, 0, u.timestampMs);
}

/** The single-object body (`GET …/pods/{name}`) from a pod's item. */
export function podBody(pod: ApiPod, item: PodItem, timeJsonText: string): string {
  const head = item.head ?? podHead(pod.namespace, pod.name);
  return `${podPrefix}${head.slice(1)}${timeJsonText}${item.tail}\n`;
}

/** The single-object body (`GET …/nodes/{name}`) from a node's item text. */
export function nodeBody(t: ItemText, timeJsonText: string): string {
  return `${nodePrefix}${t.head.slice(1)}${timeJsonText}${t.tail}\n`;
}

/**
 * A pod's cached item, never changed once made. 8 bytes per field and about 250 bytes of text per
 * pod: on the pod object itself (no WeakMap entry, no lookup) and without the head when it can
 * be rebuilt from the pod's names, because every byte here is kept for every pod of the cluster
 * (see docs/server.md).
 */
export class PodItem {
  /** The store's version this item was made from. */
  readonly version: number;
  /**
   * The item's head when the names need escaping; undefined for the usual names, whose head is
   * `{"metadata":{"name":"NAME","namespace":"NAMESPACE","creationTimestamp":` (podHead).
   */
  readonly head: string | undefined;
  /** From after the creationTimestamp value to the item's closing `}`; undefined: no usage. */
  readonly tail: string | undefined;
  /** The item's `timestamp`, Unix ms. */
  readonly timestampMs: number;
  constructor(version: number, pod: ApiPod, text: ItemText | undefined) {
    this.version = version;
    // Flat copies: V8 keeps concatenations as trees of pieces (about 290 bytes per pod's tail
    // instead of 230) until something flattens them for good.
    this.head = text === undefined || text.head === podHead(pod.namespace, pod.name) ? undefined : flatCopy(text.head);
    this.tail = text === undefined ? undefined : flatCopy(text.tail);
    this.timestampMs = text === undefined ? 0 : text.timestampMs;
  }
  /** Every character of the item's text is ASCII (a list of such items is written as latin1). */
  ascii(): boolean {
    return true;
  }
}

/**
 * An item with a character beyond ASCII (in a name, label or container name): a class of its
 * own rather than a flag per item, which would cost 8 bytes on every pod for a rare case.
 */
class WidePodItem extends PodItem {
  override ascii(): boolean {
    return false;
  }
}

const beyondAscii = /[\u0080-\uffff]/;

/** The item of `text`, made at the store's `version`. */
export function podItem(version: number, pod: ApiPod, text: ItemText | undefined): PodItem {
  return text !== undefined && (beyondAscii.test(text.tail) || beyondAscii.test(text.head)) ? new WidePodItem(version, pod, text) : new PodItem(version, pod, text);
}

/** The head of a pod item whose names need no escaping. */
export function podHead(namespace: string, name: string): string {
  return `{"metadata":{"name":"${name}","namespace":"${namespace}","creationTimestamp":`;
}


/**
 * Item texts of pods and nodes, cached while the store's version is unchanged: a pod's on the
 * pod object (ApiPod.item), a node's in a WeakMap (nodes are few). Sources without versions
 * (podVersion/nodeVersion absent) get every item encoded anew.
 */
export class ItemCache {
  private readonly source: MetricsSource;
  private readonly nodes = new WeakMap<ApiNode, { version: number; text: ItemText | undefined }>();
  /** Some pod has a cached item (refresh has work to do). */
  private podItems = false;

  constructor(source: MetricsSource) {
    this.source = source;
  }

  /** A pod's item, or undefined when it has no servable usage. */
  pod(pod: ApiPod): PodItem | undefined {
    const version = this.source.podVersion?.(pod);
    if (version === undefined) {
      const text = this.freshPod(pod);
      return text === undefined ? undefined : podItem(0, pod, text);
    }
    let e = pod.item;
    if (e === undefined || e.version !== version) {
      pod.item = e = podItem(version, pod, this.freshPod(pod));
      this.podItems = true;
    }
    return e.tail === undefined ? undefined : e;
  }

  /** Whether any pod has a cached item: until one has, refresh() has nothing to do. */
  hasPodItems(): boolean {
    return this.podItems;
  }

  /**
   * Bring a pod's cached item up to date now (its node was just stored), if it has one: pods
   * nobody listed or got stay without.
   */
  refresh(pod: ApiPod): void {
    if (pod.item !== undefined) this.pod(pod);
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
