/**
 * The Running pods of a cluster without a pod source (a nodes file): the store's pods, as API pod
 * objects that stay the same from list to list (they key the API's item cache) and in the store's
 * order (namespace, then name), with a namespace's pods found by binary search instead of a scan
 * of every pod.
 *
 * Only lists bring the index up to date with the store's pod set (a walk over both sorted arrays
 * that keeps the objects of pods that stayed). A get looks in the index as it is: while a scrape
 * cycle adds and removes pods, a get used to rebuild it — sort every pod again — after each
 * node's store, 1.2–1.7 s of one event-loop turn at 300,000 pods.
 */
import { compareGoStrings } from '../lib/go-strings.ts';
import { namespaceRange } from './sorted-pods.ts';
import type { ApiPod, SortedPods } from '../apiserver/metrics-handler.ts';
import type { PodItem } from '../apiserver/item-cache.ts';

/** A stored pod's key: namespace, name and the store's version of its usage. */
export interface StorePodKey {
  readonly namespace: string;
  readonly name: string;
  /** Changes whenever the pod's usage may change (MetricsStore.podVersion). */
  readonly version: number;
  /** The node that reported the pod last. */
  readonly nodeName: string;
}

/** What the index reads from the store. */
export interface StorePodKeys {
  /** Every stored pod, sorted by namespace then name; the same array while the pod set is unchanged. */
  podKeys(): readonly StorePodKey[];
  /** The store's version of a pod, undefined when it has none (MetricsStore.podVersion). */
  podVersion(namespace: string, name: string): number | undefined;
}

function join(groups: Map<string, StorePod[]>, pod: StorePod): void {
  const group = groups.get(pod.key.nodeName);
  if (group === undefined) groups.set(pod.key.nodeName, [pod]);
  else group.push(pod);
}

function compareKeys(a: StorePodKey, b: StorePodKey): number {
  return compareGoStrings(a.namespace, b.namespace) || compareGoStrings(a.name, b.name);
}

/** No labels are known for pods of a nodes file; one shared object. */
const noLabels: Readonly<Record<string, string>> = Object.freeze({});

/** An API pod that keeps its store key, whose version it reads without a lookup. */
class StorePod implements ApiPod {
  readonly namespace: string;
  readonly name: string;
  readonly labels = noLabels;
  readonly key: StorePodKey;
  /** The API's cached item (declared here so every pod object has the same shape from the start). */
  item: PodItem | undefined = undefined;
  constructor(key: StorePodKey) {
    this.namespace = key.namespace;
    this.name = key.name;
    this.key = key;
  }
}

/** Sorted API pods of the store, rebuilt only when the store's pod set changes. */
export class StorePodIndex {
  private readonly store: StorePodKeys;
  private keys: readonly StorePodKey[] | undefined;
  private all: StorePod[] = [];
  /**
   * The pods of `all` by the node that reported them (a pod keeps its node: a pod that moves is
   * a new store key), made when first asked for and then kept across rebuilds: new pods join
   * their node's group; pods that left stay in it without an item (nothing to refresh) until
   * there are as many of them as half the pods, when the groups are made again.
   */
  private byNode: Map<string, StorePod[]> | undefined;
  /** Pods dropped by rebuilds since the groups were made. */
  private dropped = 0;

  constructor(store: StorePodKeys) {
    this.store = store;
  }

  /** Pods of `namespace` (all when undefined), sorted by namespace then name. */
  sorted(namespace: string | undefined): SortedPods {
    return namespaceRange(this.current(), namespace);
  }

  /**
   * The store's version of a pod of this index (MetricsStore.podVersion without its two map
   * lookups, which cost about 70 ms per 300,000-pod list), or undefined for another object.
   */
  version(pod: ApiPod): number | undefined {
    return pod instanceof StorePod ? pod.key.version : undefined;
  }

  /**
   * The pod object of a stored pod, or undefined. The index's own object when it holds the pod
   * under the store's current key (binary search); for a pod the index does not know yet (or
   * knows under a key the store has replaced) a new object with the store's current version,
   * whose item is then made for this request only.
   */
  find(namespace: string, name: string): ApiPod | undefined {
    const version = this.store.podVersion(namespace, name);
    if (version === undefined) return undefined;
    const known = this.search(namespace, name);
    if (known !== undefined && known.key.version === version) return known;
    return new StorePod({ namespace, name, version, nodeName: '' });
  }

  /**
   * The index's pods that `node` reported, as the index stands (no rebuild), maybe with some
   * that left the index, whose items are gone: the pods whose items to make again once the node
   * is stored. Grouped by node instead of a binary search per stored pod: in a 500 MiB heap each
   * search's steps miss the CPU caches, and the searches took a quarter of the server's thread
   * during a 300,000-pod cycle. The groups are kept across rebuilds: grouping every pod again
   * after each one took about 80 ms of one turn at 300,000 pods.
   */
  nodePods(node: string): readonly ApiPod[] {
    if (this.byNode === undefined) {
      const byNode = new Map<string, StorePod[]>();
      for (const pod of this.all) join(byNode, pod);
      this.byNode = byNode;
      this.dropped = 0;
    }
    return this.byNode.get(node) ?? [];
  }

  private search(namespace: string, name: string): StorePod | undefined {
    const all = this.all;
    let lo = 0;
    let hi = all.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const p = all[mid]!;
      const c = compareGoStrings(p.namespace, namespace) || compareGoStrings(p.name, name);
      if (c === 0) return p;
      if (c < 0) lo = mid + 1;
      else hi = mid;
    }
    return undefined;
  }

  private current(): StorePod[] {
    const keys = this.store.podKeys();
    if (keys === this.keys) return this.all;
    // Both arrays are in the same order and a pod that stayed keeps its key object: walk them
    // side by side, comparing names only where they differ (pods gone or new).
    const old = this.all;
    const all = new Array<StorePod>(keys.length);
    const groups = this.byNode;
    let j = 0;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      while (j < old.length && old[j]!.key !== k && compareKeys(old[j]!.key, k) <= 0) this.drop(old[j++]!);
      if (j < old.length && old[j]!.key === k) all[i] = old[j++]!;
      else {
        const pod = new StorePod(k);
        all[i] = pod;
        if (groups !== undefined) join(groups, pod);
      }
    }
    while (j < old.length) this.drop(old[j++]!);
    this.keys = keys;
    this.all = all;
    if (this.dropped > all.length / 2 + 1024) this.byNode = undefined;
    return all;
  }

  /** A pod left the index: it has nothing to refresh any more (lists hold their own items). */
  private drop(pod: StorePod): void {
    pod.item = undefined;
    this.dropped++;
  }
}
