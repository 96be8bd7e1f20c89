/**
 * The metrics store: the last two points of every node and container, updated one node at a time
 * as scrapes complete, and the rates served from them (metrics-server `pkg/storage` semantics).
 *
 * Layout: one long-lived object per node and pod, and the points of every series in store-wide
 * typed arrays (columns.ts), a pod's containers in a run of slots named by a sorted name list that
 * pods with the same containers share. Points are overwritten in place on every scrape, so a
 * steady cluster allocates nothing per sample here; about 190 bytes of heap per pod and 57 bytes
 * outside it per series, against about 800 bytes of heap per two-container pod with an object
 * per container (see docs/server.md). Differences from metrics-server, each one documented in
 * docs/compatibility.md:
 * - a node whose scrape fails keeps its points for `maxStaleMs` instead of vanishing (with its pods)
 *   for two cycles; the served timestamp stays the honest sample time;
 * - a pod is served even when a container has zero working set (zero CPU still drops the pod);
 * - a pod whose every container fails the rate computation is omitted instead of being served with
 *   a `null` timestamp.
 */
import type { ContainerSample, NodeScrape, NodeUsage, PodUsage, ContainerUsage, UsageSample } from './types.ts';
import type { RateError } from './rate.ts';
import { PointColumns } from './columns.ts';
import { flatCopy } from './flat-copy.ts';
import { compareGoStrings } from '../lib/go-strings.ts';

/** Distinct container names shared between containers (see MetricsStore.containerNames). */
const maxSharedContainerNames = 16_384;

/** metrics-server's `freshContainerMinMetricsResolution`: younger containers wait for a second scrape. */
export const freshContainerMinAgeMs = 10_000;

/**
 * `timestampMs − startTimeNs` in ns, exact where a decision depends on it (young containers).
 */
function nsBetween(startTimeNs: number, timestampMs: number): number {
  const approx = timestampMs * 1e6 - startTimeNs;
  // Beyond an hour no decision (zero, 10 s, the resolution) is anywhere near: the float suffices.
  if (Math.abs(approx) >= 3.6e12) return approx;
  return Number(BigInt(timestampMs) * 1_000_000n - BigInt(Math.trunc(startTimeNs)));
}

/**
 * A copy of `s` that shares no memory with the text it was cut from. Names decoded from a kubelet
 * page are V8 "sliced strings" pointing into the page's 16–64 KiB chunk, so keeping one name kept
 * the whole chunk alive: at 1,000 nodes × 60 containers this held 40 of the 126 MiB of retained
 * heap. Only new pods and containers are copied (a steady cluster copies nothing). A flat copy,
 * not a slice of a copy: the slice's own 32 bytes were kept for every pod.
 */
function detached(s: string): string {
  return flatCopy(s);
}

/** No containers yet: a pod before the end of its first scrape. */
const noNames: readonly string[] = Object.freeze([]);

class PodState {
  readonly namespace: string;
  readonly name: string;
  readonly node: NodeState;
  /** Container names, sorted; one array shared by every pod with the same names. */
  names: readonly string[] = noNames;
  /** First slot of the containers' run in the point columns (names.length slots; -1: none yet). */
  base = -1;
  /** The node version of the scrape that last reported this pod; -1 once forgotten (removed). */
  seen = 0;
  constructor(namespace: string, name: string, node: NodeState) {
    this.namespace = namespace;
    this.name = detached(name);
    this.node = node;
  }
  /** Forgotten by the store (a node's `order` may still hold it). */
  get removed(): boolean {
    return this.seen < 0;
  }
  /** See MetricsStore.podVersion. */
  get version(): number {
    return this.node.version;
  }
  /** The node whose scrape reported this pod last (see MetricsStore.podKeys). */
  get nodeName(): string {
    return this.node.name;
  }
}

class NodeState {
  readonly name: string;
  /** The node's own series: one slot of the point columns. */
  readonly slot: number;
  hasLast = false;
  /** This node's pods (those of `order` not removed since). */
  podCount = 0;
  /** When this node's last successful scrape was stored, Unix ms (store clock). */
  lastSuccessMs = 0;
  /** Store-wide unique stamp of this node's last storeNode (see MetricsStore.podVersion). */
  version = 0;
  /**
   * Pods in the order the last scrape listed them: the next scrape's are tried in it first. The
   * node's pods are those not removed since (no set of them: 22 bytes per pod).
   */
  order: PodState[] = [];
  constructor(name: string, slot: number) {
    this.name = name;
    this.slot = slot;
  }
}

/** What the store reports about a rejected point, for the caller's log. */
export interface StoreEvent {
  kind: 'rate-error' | 'duplicate-container' | 'older-than-prev';
  node: string;
  namespace?: string;
  pod?: string;
  container?: string;
  error?: RateError;
}

/** Options of a MetricsStore. */
export interface MetricsStoreOptions {
  /** `--metric-resolution` in ms (the fresh-container rule depends on it). */
  resolutionMs: number;
  /**
   * How long a node's points survive without a successful scrape, ms. Default 2 × resolution:
   * one failed scrape is bridged, two are not.
   */
  maxStaleMs?: number;
  /** Receives rejected points (rate errors, duplicates). */
  onEvent?: (event: StoreEvent) => void;
}

/** Is the stored prev point of slot `s` strictly older than `timestampMs`? */
function prevBefore(cols: PointColumns, s: number, timestampMs: number): boolean {
  if (!cols.prevAtStartTime(s)) return cols.prevTimestampMs(s) < timestampMs;
  return nsBetween(cols.prevStartTimeNs(s), timestampMs) > 0;
}

/**
 * Shift a series to a new sample following metrics-server: the old last becomes prev when the new
 * sample is newer; an identical or older sample keeps the old prev only if it is still older.
 */
function advance(cols: PointColumns, s: number, sample: UsageSample, startTimeNs: number, hadLast: boolean): boolean {
  let dropped = false;
  if (hadLast && sample.timestampMs > cols.timestampMs(s)) {
    cols.shift(s);
  } else if (hadLast && cols.hasPrev(s) && prevBefore(cols, s, sample.timestampMs)) {
    // keep the old prev
  } else {
    dropped = hadLast && cols.hasPrev(s);
    cols.dropPrev(s);
  }
  cols.setLast(s, sample, startTimeNs);
  return dropped;
}

/** Where `name` is in `names`, or -1. */
function indexOfName(names: readonly string[], name: string): number {
  for (let i = 0; i < names.length; i++) if (names[i] === name) return i;
  return -1;
}

/** Namespace, then name (byte order). */
function comparePodStates(a: PodState, b: PodState): number {
  return compareGoStrings(a.namespace, b.namespace) || compareGoStrings(a.name, b.name);
}

/** The store of the two most recent points per node and container. */
export class MetricsStore {
  private readonly nodes = new Map<string, NodeState>();
  /** namespace → pod name → state. */
  private readonly pods = new Map<string, Map<string, PodState>>();
  private readonly resolutionMs: number;
  private readonly maxStaleMs: number;
  private readonly onEvent: (event: StoreEvent) => void;
  /**
   * Every pod, sorted (podKeys), as of its last call; pods added and removed since are merged in
   * at the next call instead of sorting every pod again: a full sort of 300,000 pods took about
   * 1.2 s of one event-loop turn, paid again after every store that changed the pod set.
   */
  private podOrder: PodState[] = [];
  /** Pods created since podOrder was built (some may be removed again). */
  private addedPods: PodState[] = [];
  /** Pods removed since podOrder was built. */
  private removedPods = 0;
  /** One detached string per namespace with pods, shared by its pods. */
  private readonly namespaceNames = new Map<string, string>();
  /**
   * Container names shared by every container so named ("istio-proxy" on every node): one string
   * instead of one per container. Bounded; names past the bound get their own copy.
   */
  private readonly containerNames = new Map<string, string>();
  /** Shared sorted container-name lists of pods, by a key made of the names (containerNameList). */
  private readonly containerNameLists = new Map<string, readonly string[]>();
  /**
   * Samples of containers new in the scrape being stored, by pod (rare: kept apart and laid out
   * at the scrape's end, so that a pod needs no field for them).
   */
  private readonly pending = new Map<PodState, ContainerSample[]>();
  /** The points of every node and container series. */
  private readonly points = new PointColumns();
  /** Counts storeNode calls: the source of the node versions. */
  private changes = 0;

  constructor(options: MetricsStoreOptions) {
    this.resolutionMs = options.resolutionMs;
    this.maxStaleMs = options.maxStaleMs ?? 2 * options.resolutionMs;
    this.onEvent = options.onEvent ?? (() => {});
  }

  /** Store one node's successful scrape, taken at `nowMs` (store clock). */
  storeNode(scrape: NodeScrape, nowMs: number): void {
    let node = this.nodes.get(scrape.node);
    if (node === undefined) {
      node = new NodeState(scrape.node, this.points.alloc(1));
      this.nodes.set(scrape.node, node);
    }
    node.lastSuccessMs = nowMs;
    node.version = ++this.changes;
    if (scrape.nodeSample === undefined) {
      node.hasLast = false;
      this.points.dropPrev(node.slot);
    } else {
      if (advance(this.points, node.slot, scrape.nodeSample, 0, node.hasLast)) this.onEvent({ kind: 'older-than-prev', node: node.name });
      node.hasLast = true;
    }
    this.storeContainers(node, scrape.containers);
  }

  /**
   * Samples come grouped by pod (the decoders put a pod's containers next to each other), so the
   * pod is looked up once per run of samples instead of a key being built and hashed per sample:
   * with the per-sample grouping map this was the store's largest cost at 5,000 nodes. A pod split
   * into several runs is merged; the first sample of a duplicate container wins (as upstream).
   * Pods and containers are marked with the scrape's node version; unmarked ones are gone. A pod
   * whose containers changed gets a new run of slots once its samples are all in (layOut).
   */
  private storeContainers(node: NodeState, samples: readonly ContainerSample[]): void {
    const stamp = node.version;
    const last = node.order;
    const order: PodState[] = [];
    let pod: PodState | undefined;
    for (const sample of samples) {
      if (pod === undefined || sample.pod !== pod.name || sample.namespace !== pod.namespace) {
        // A kubelet lists pods in the same order every time: the pod after the previous one in
        // the last scrape is compared first, sparing two lookups in the store-wide maps (cold in
        // the CPU caches at thousands of nodes: they were 4% of the scrape CPU at 5,000 nodes).
        const guess = last[order.length];
        if (guess !== undefined && !guess.removed && guess.node === node && guess.name === sample.pod && guess.namespace === sample.namespace) {
          pod = guess;
        } else {
          pod = this.podFor(node, sample);
        }
        if (pod.seen !== stamp) {
          pod.seen = stamp;
          this.points.unsee(pod.base, pod.names.length);
          order.push(pod);
        }
      }
      const i = indexOfName(pod.names, sample.container);
      if (i >= 0) {
        const slot = pod.base + i;
        if (this.points.seen(slot)) {
          this.duplicate(node, sample);
          continue;
        }
        this.points.markSeen(slot);
        this.updateContainer(pod, slot, sample, true);
      } else {
        const pending = this.pending.get(pod);
        if (pending === undefined) this.pending.set(pod, [sample]);
        else if (pending.some((p) => p.container === sample.container)) this.duplicate(node, sample);
        else pending.push(sample);
      }
    }
    node.order = order;
    for (const p of last) if (p.seen !== stamp && !p.removed) this.removePod(p);
    for (const p of order) if ((this.pending.size > 0 && this.pending.has(p)) || !this.allSeen(p)) this.layOut(p);
    this.pending.clear();
  }

  private duplicate(node: NodeState, sample: ContainerSample): void {
    this.onEvent({ kind: 'duplicate-container', node: node.name, namespace: sample.namespace, pod: sample.pod, container: sample.container });
  }

  /** Every container of `pod` was in the current scrape. */
  private allSeen(pod: PodState): boolean {
    for (let s = pod.base; s < pod.base + pod.names.length; s++) if (!this.points.seen(s)) return false;
    return true;
  }

  /**
   * A pod's containers changed in the current scrape (new ones pending, gone ones unmarked): a new run
   * of slots in the order of the new sorted names, the kept series copied over, the new ones
   * stored as first sightings.
   */
  private layOut(pod: PodState): void {
    const old = pod.names;
    const oldBase = pod.base;
    const pending = this.pending.get(pod) ?? [];
    const names: string[] = [];
    for (let i = 0; i < old.length; i++) if (this.points.seen(oldBase + i)) names.push(old[i]!);
    for (const sample of pending) names.push(sample.container);
    names.sort(compareGoStrings);
    const shared = this.containerNameList(names);
    const base = this.points.alloc(shared.length);
    for (let j = 0; j < shared.length; j++) {
      const i = indexOfName(old, shared[j]!);
      if (i >= 0) {
        this.points.copy(oldBase + i, base + j);
        continue;
      }
      const sample = pending.find((p) => p.container === shared[j])!;
      this.points.markSeen(base + j);
      this.updateContainer(pod, base + j, sample, false);
    }
    if (oldBase >= 0) this.points.release(oldBase, old.length);
    pod.names = shared;
    pod.base = base;
  }

  /** The state of the sample's pod on `node`, created (or taken over from another node) when needed. */
  private podFor(node: NodeState, sample: ContainerSample): PodState {
    let pod = this.pods.get(sample.namespace)?.get(sample.pod);
    if (pod !== undefined && pod.node !== node) {
      // A pod that moved between nodes (or a duplicate report) is owned by the latest scrape.
      this.removePod(pod);
      pod = undefined;
    }
    if (pod === undefined) {
      pod = new PodState(this.namespaceName(sample.namespace), sample.pod, node);
      node.podCount++;
      let ns = this.pods.get(pod.namespace);
      if (ns === undefined) this.pods.set(pod.namespace, (ns = new Map()));
      ns.set(pod.name, pod);
      this.addedPods.push(pod);
      this.boundPodChanges();
    }
    return pod;
  }

  private updateContainer(pod: PodState, s: number, sample: ContainerSample, hadLast: boolean): void {
    const points = this.points;
    const startNs = sample.startTimeNs;
    const ageNs = nsBetween(startNs, sample.timestampMs);
    if (ageNs > 0 && ageNs >= freshContainerMinAgeMs * 1e6 && ageNs < this.resolutionMs * 1e6) {
      // Fresh-container rule: a synthetic previous point at the start time with zero CPU.
      points.setLast(s, sample, startNs);
      points.prevAtStart(s, startNs);
      return;
    }
    // Same incarnation: started before the previously stored sample was taken.
    if (hadLast && nsBetween(startNs, points.timestampMs(s)) > 0) {
      if (advance(points, s, sample, startNs, true)) {
        this.onEvent({ kind: 'older-than-prev', node: pod.node.name, namespace: pod.namespace, pod: pod.name, container: sample.container });
      }
      return;
    }
    // First sighting or a restart: no previous point until the next scrape.
    points.setLast(s, sample, startNs);
    points.dropPrev(s);
  }

  private removePod(pod: PodState): void {
    pod.seen = -1;
    if (pod.base >= 0) this.points.release(pod.base, pod.names.length);
    pod.base = -1;
    pod.names = noNames;
    pod.node.podCount--;
    const ns = this.pods.get(pod.namespace);
    if (ns?.get(pod.name) === pod) {
      ns.delete(pod.name);
      if (ns.size === 0) {
        this.pods.delete(pod.namespace);
        this.namespaceNames.delete(pod.namespace);
      }
    }
    this.removedPods++;
    this.boundPodChanges();
  }

  /** Without podKeys calls, changes would pile up (and keep removed pods alive) forever. */
  private boundPodChanges(): void {
    if (this.addedPods.length + this.removedPods > this.podOrder.length + 1024) this.podKeys();
  }

  private namespaceName(namespace: string): string {
    let name = this.namespaceNames.get(namespace);
    if (name === undefined) this.namespaceNames.set((name = detached(namespace)), name);
    return name;
  }

  private containerName(container: string): string {
    const name = this.containerNames.get(container);
    if (name !== undefined) return name;
    const own = detached(container);
    if (this.containerNames.size < maxSharedContainerNames && own.length <= 253) this.containerNames.set(own, own);
    return own;
  }

  /**
   * The sorted container names of a pod as one array shared by every pod with the same names
   * (30 pods of one Deployment, or of every node's DaemonSets): one frozen array instead of one
   * per pod. Bounded like the names; lists past the bound are the pod's own.
   */
  private containerNameList(sorted: readonly string[]): readonly string[] {
    let key = '';
    for (const n of sorted) key += `${n.length}:${n}`;
    const known = this.containerNameLists.get(key);
    if (known !== undefined) return known;
    const list = Object.freeze(sorted.map((n) => this.containerName(n)));
    if (this.containerNameLists.size < maxSharedContainerNames && key.length <= 1024) this.containerNameLists.set(flatCopy(key), list);
    return list;
  }

  /** Forget a node and its pods at once (deleted, or no longer selected). */
  removeNode(name: string): void {
    const node = this.nodes.get(name);
    if (node === undefined) return;
    for (const pod of node.order) if (!pod.removed) this.removePod(pod);
    node.order = [];
    this.points.release(node.slot, 1);
    this.nodes.delete(name);
  }

  /** Keep only `names`; drop nodes whose last success is older than the staleness bound. */
  prune(names: ReadonlySet<string>, nowMs: number): void {
    for (const [name, node] of [...this.nodes]) {
      if (!names.has(name) || nowMs - node.lastSuccessMs > this.maxStaleMs) this.removeNode(name);
    }
  }

  /** The servable metrics of one node, or undefined. */
  nodeUsage(name: string): NodeUsage | undefined {
    const node = this.nodes.get(name);
    if (node === undefined || !node.hasLast || !this.points.hasPrev(node.slot)) return undefined;
    const r = this.points.rate(node.slot);
    if (!r.ok) {
      this.onEvent({ kind: 'rate-error', node: name, error: r.error });
      return undefined;
    }
    return { name, timestampMs: this.points.timestampMs(node.slot), windowNs: r.windowNs, cpuNanoCores: r.cpuNanoCores, workingSetBytes: this.points.workingSetBytes(node.slot) };
  }

  /** The servable metrics of one pod, or undefined. */
  podUsage(namespace: string, name: string): PodUsage | undefined {
    const pod = this.pods.get(namespace)?.get(name);
    return pod === undefined ? undefined : this.usageOf(pod);
  }

  private usageOf(pod: PodState): PodUsage | undefined {
    const points = this.points;
    const names = pod.names;
    let earliestTimestampMs = 0;
    let earliestWindowNs = 0;
    const containers: ContainerUsage[] = [];
    if (names.length === 0) return undefined;
    for (let i = 0; i < names.length; i++) if (!points.hasPrev(pod.base + i)) return undefined;
    for (let i = 0; i < names.length; i++) {
      const s = pod.base + i;
      const r = points.rate(s);
      if (!r.ok) {
        this.onEvent({ kind: 'rate-error', node: pod.node.name, namespace: pod.namespace, pod: pod.name, container: names[i]!, error: r.error });
        continue;
      }
      containers.push({ name: names[i]!, cpuNanoCores: r.cpuNanoCores, workingSetBytes: points.workingSetBytes(s) });
      const timestampMs = points.timestampMs(s);
      if (containers.length === 1 || timestampMs < earliestTimestampMs) {
        earliestTimestampMs = timestampMs;
        earliestWindowNs = r.windowNs;
      }
    }
    if (containers.length === 0) return undefined;
    return { namespace: pod.namespace, name: pod.name, timestampMs: earliestTimestampMs, windowNs: earliestWindowNs, containers };
  }

  /**
   * Every known pod as [namespace, name], sorted by namespace then name (byte order). Cached: the
   * same array and entries while the set of pods is unchanged; an entry's `version` is
   * podVersion's, read without a lookup.
   */
  podKeys(): readonly { readonly namespace: string; readonly name: string; readonly version: number; readonly nodeName: string }[] {
    if (this.addedPods.length === 0 && this.removedPods === 0) return this.podOrder;
    const added = this.addedPods.filter((p) => !p.removed).sort(comparePodStates);
    const old = this.podOrder;
    // Each added pod's place by binary search, the kept pods copied in between: k log n
    // comparisons instead of n log n.
    const out: PodState[] = [];
    let i = 0;
    for (const a of added) {
      let lo = i;
      let hi = old.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (comparePodStates(old[mid]!, a) < 0) lo = mid + 1;
        else hi = mid;
      }
      for (; i < lo; i++) if (!old[i]!.removed) out.push(old[i]!);
      out.push(a);
    }
    for (; i < old.length; i++) if (!old[i]!.removed) out.push(old[i]!);
    this.podOrder = out;
    this.addedPods = [];
    this.removedPods = 0;
    return out;
  }

  /**
   * A number that changes whenever nodeUsage(name) may change, undefined for an unknown node:
   * lets the API cache what it serialises from the usage.
   */
  nodeVersion(name: string): number | undefined {
    return this.nodes.get(name)?.version;
  }

  /**
   * A number that changes whenever podUsage(namespace, name) may change (its node was stored
   * again, or the pod moved to another node), undefined for an unknown pod.
   */
  podVersion(namespace: string, name: string): number | undefined {
    return this.pods.get(namespace)?.get(name)?.node.version;
  }

  /** Pods stored for one node (0 when unknown). */
  nodePodCount(name: string): number {
    return this.nodes.get(name)?.podCount ?? 0;
  }

  /** Names of nodes with any stored point. */
  nodeNames(): string[] {
    return [...this.nodes.keys()];
  }

  /** Points that have a previous point (metrics_server_storage_points). */
  pointCounts(): { node: number; container: number } {
    let node = 0;
    let container = 0;
    for (const n of this.nodes.values()) {
      if (n.hasLast && this.points.hasPrev(n.slot)) node++;
      for (const p of n.order) for (let i = 0; i < p.names.length; i++) if (this.points.hasPrev(p.base + i)) container++;
    }
    return { node, container };
  }

  /** metrics-server ≥ 0.9 readiness: at least one node and one container are servable. */
  ready(): boolean {
    const counts = this.pointCounts();
    return counts.node > 0 && counts.container > 0;
  }
}
