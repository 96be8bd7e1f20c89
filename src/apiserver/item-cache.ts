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
 * encoding the whole cluster again in the turn it starts (see MetricsHandler.refreshPods). A
 * pod's item text is kept as bytes, outside the V8 heap, in a slab shared with the items made in
 * the same batch (item-slab.ts: a node's pods, or a list's misses); node items stay strings.
 */
import { formatGoDuration } from '../lib/go-format.ts';
import { Quantity } from '../lib/quantity.ts';
import { goQuote, goStringMap, timeJson } from '../api/json.ts';
import { encodeNodeMetrics, METRICS_GROUP_VERSION, type NodeMetrics, type PodMetrics } from '../api/metrics.ts';
import type { NodeUsage, PodUsage } from '../storage/types.ts';
import type { ApiNode, ApiPod, MetricsSource } from './metrics-handler.ts';
import { itemSlab, SlabBuilder, type ItemSlab, type ItemText } from './item-slab.ts';

export type { ItemText } from './item-slab.ts';

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

/** A name that is ASCII and needs no JSON escape: written as it is, one byte per character. */
// eslint-disable-next-line no-control-regex -- control characters are among what must be excluded
const plainName = /^[^"\\<>&\u0000-\u001f\u007f-\uffff]*$/;

/**
 * The list item of a pod's usage, split around the creationTimestamp value. Written here as text
 * rather than through encodePodMetrics and cut apart: this runs for every pod after each of its
 * node's scrapes, and the writer's Buffer, its decoding and the copies of the cut pieces made it
 * 3× slower (2.7 s → 0.9 s for 300,000 pods on the benchmark machine). The bytes are the writer's
 * (Go field order, omitempty, sorted label keys, Go escapes), checked against it by
 * item-cache.test.ts on arbitrary names and labels.
 */
export function podItemText(pod: ApiPod, u: PodUsage): ItemText {
  const name = goQuote(pod.name);
  const namespace = goQuote(pod.namespace);
  let meta = '';
  if (pod.name !== '') meta = `"name":${name},`;
  if (pod.namespace !== '') meta += `"namespace":${namespace},`;
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
  const headFromNames = pod.name !== '' && pod.namespace !== '' && plainName.test(pod.name) && plainName.test(pod.namespace);
  return { head: `{"metadata":{${meta}"creationTimestamp":`, tail, timestampMs: u.timestampMs, headFromNames };
}

/** The list item of a node's usage, split around the creationTimestamp value. */
export function nodeItemText(node: ApiNode, u: NodeUsage): ItemText {
  return splitItem(encodeNodeMetrics(nodeMetrics(node, u, 0)), nodePrefix, 0, u.timestampMs);
}

/** The single-object body (`GET …/pods/{name}`) from a pod's item (one with usage). */
export function podBody(pod: ApiPod, item: PodItem, timeJsonText: string): string {
  const head = item.hasHead() ? item.head() : podHead(pod.namespace, pod.name);
  return `${podPrefix}${head.slice(1)}${timeJsonText}${item.tail()}\n`;
}

/** The head of a pod item whose names need no escapes (ItemText.headFromNames). */
export function podHead(namespace: string, name: string): string {
  return `{"metadata":{"name":"${name}","namespace":"${namespace}","creationTimestamp":`;
}

/** The single-object body (`GET …/nodes/{name}`) from a node's item text. */
export function nodeBody(t: ItemText, timeJsonText: string): string {
  return `${nodePrefix}${t.head.slice(1)}${timeJsonText}${t.tail}\n`;
}

/**
 * A pod's cached item, never changed once made: where its bytes are in the slab (item-slab.ts)
 * made with the other items of its batch. On the pod object itself (no WeakMap entry, no lookup).
 * The slab's bounds and timestamp are copied in rather than looked up through the slab: a list
 * reads every item's, in name order, which is a random order of slabs, and each hop is a cache
 * miss in a heap of half a gigabyte (see docs/server.md).
 */
export class PodItem {
  /** The store's version this item was made from. */
  readonly version: number;
  /** The bytes of the item's slab; undefined: the pod had no usage. */
  readonly bytes: Buffer | undefined;
  /** The item's head is `bytes[start, split)` (empty: written from the pod's names, podHead). */
  readonly start: number;
  /** The item's tail is `bytes[split, end)`. */
  readonly split: number;
  readonly end: number;
  /** The item's `timestamp`, Unix ms (0 without usage). */
  readonly timestampMs: number;
  constructor(version: number, slab: ItemSlab | undefined, index: number) {
    this.version = version;
    this.bytes = slab?.bytes;
    this.start = slab === undefined ? 0 : slab.bounds[2 * index]!;
    this.split = slab === undefined ? 0 : slab.bounds[2 * index + 1]!;
    this.end = slab === undefined ? 0 : slab.bounds[2 * index + 2]!;
    this.timestampMs = slab === undefined ? 0 : slab.timestampsMs[index]!;
  }
  /** Every byte of the item is ASCII (of every item of its slab, in fact). */
  ascii(): boolean {
    return true;
  }
  /** Whether the item keeps its head (otherwise it is written from the pod's names). */
  hasHead(): boolean {
    return this.start !== this.split;
  }
  /** The item's head as text ('' when not kept). */
  head(): string {
    return this.bytes === undefined ? '' : this.bytes.toString(this.ascii() ? 'latin1' : 'utf8', this.start, this.split);
  }
  /** The item's tail as text. */
  tail(): string {
    return this.bytes === undefined ? '' : this.bytes.toString(this.ascii() ? 'latin1' : 'utf8', this.split, this.end);
  }
}

/**
 * An item of a slab with a character beyond ASCII: a class of its own rather than a field, so
 * that a list learns it from the item it holds anyway, without a load from the slab.
 */
class WidePodItem extends PodItem {
  override ascii(): boolean {
    return false;
  }
}

/** The item at `index` of `slab` (undefined: no usage) made at the store's `version`. */
function itemOf(version: number, slab: ItemSlab | undefined, index: number): PodItem {
  return slab !== undefined && !slab.ascii ? new WidePodItem(version, slab, index) : new PodItem(version, slab, index);
}

/** The item of `text` (undefined: no usage) made at the store's `version`, in a slab of its own. */
export function podItem(version: number, _pod: ApiPod, text: ItemText | undefined): PodItem {
  return itemOf(version, text === undefined ? undefined : itemSlab([text]), 0);
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
    return this.pods([pod], 0, 1)[0];
  }

  /**
   * The items of `pods[from, to)` (undefined for a pod without servable usage), cached ones as
   * they are and the others made now, all into one slab.
   */
  pods(pods: readonly ApiPod[], from: number, to: number): (PodItem | undefined)[] {
    const out = new Array<PodItem | undefined>(to - from);
    const batch = new Batch(out);
    for (let i = from; i < to; i++) {
      const pod = pods[i]!;
      const version = this.source.podVersion?.(pod);
      const e = pod.item;
      if (version !== undefined && e !== undefined && e.version === version) {
        out[i - from] = e.bytes === undefined ? undefined : e;
        continue;
      }
      const text = this.freshPod(pod);
      if (version !== undefined) this.podItems = true;
      if (text === undefined) {
        if (version !== undefined) pod.item = new PodItem(version, undefined, 0);
        out[i - from] = undefined;
      } else batch.add(version === undefined ? undefined : pod, version ?? 0, text, i - from);
    }
    batch.make();
    return out;
  }

  /** Whether any pod has a cached item: until one has, refresh() has nothing to do. */
  hasPodItems(): boolean {
    return this.podItems;
  }

  /**
   * Bring the cached items of these pods up to date now (their node was just stored), those that
   * have one, into one slab: pods nobody listed or got stay without.
   */
  refresh(pods: Iterable<ApiPod | undefined>): void {
    const batch = new Batch();
    for (const pod of pods) {
      if (pod?.item === undefined) continue;
      const version = this.source.podVersion?.(pod);
      if (version === undefined || version === pod.item.version) continue;
      const text = this.freshPod(pod);
      if (text === undefined) pod.item = new PodItem(version, undefined, 0);
      else batch.add(pod, version, text, -1);
    }
    batch.make();
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

/** Items being made together, written into slabs of slabChars at most as they come. */
class Batch {
  private readonly builder = new SlabBuilder();
  /** The caller's output array, if any. */
  private readonly out: (PodItem | undefined)[] | undefined;
  /** Per item of the slab being built: the pod to keep it on (undefined: for one request only). */
  private readonly pods: (ApiPod | undefined)[] = [];
  private readonly versions: number[] = [];
  /** Per item of the slab being built: its index in `out` (-1: none). */
  private readonly slots: number[] = [];

  constructor(out?: (PodItem | undefined)[]) {
    this.out = out;
  }

  add(pod: ApiPod | undefined, version: number, text: ItemText, slot: number): void {
    if (!this.builder.fits(text)) this.make();
    this.builder.add(text);
    this.pods.push(pod);
    this.versions.push(version);
    this.slots.push(slot);
  }

  /** Make the slab of the items added so far and the items: on their pods, and at their slots of `out`. */
  make(): void {
    if (this.builder.count() === 0) return;
    const slab = this.builder.finish();
    for (let k = 0; k < this.pods.length; k++) {
      const item = itemOf(this.versions[k]!, slab, k);
      const pod = this.pods[k];
      if (pod !== undefined) pod.item = item;
      if (this.out !== undefined) this.out[this.slots[k]!] = item;
    }
    this.pods.length = 0;
    this.versions.length = 0;
    this.slots.length = 0;
  }
}
