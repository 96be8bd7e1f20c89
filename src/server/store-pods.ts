/**
 * The Running pods of a cluster without a pod source (a nodes file): the store's pods, as API pod
 * objects that stay the same from list to list (they key the API's item cache) and in the store's
 * order (namespace, then name), with a namespace's pods found by binary search instead of a scan
 * of every pod.
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
}

/** What the index reads from the store. */
export interface StorePodKeys {
  /** Every stored pod, sorted by namespace then name; the same array while the pod set is unchanged. */
  podKeys(): readonly StorePodKey[];
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
  /** API pod of each store key object, so a rebuild keeps the objects of pods that stayed. */
  private byKey = new WeakMap<StorePodKey, StorePod>();

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

  /** The pod object of a stored pod (binary search), or undefined. */
  find(namespace: string, name: string): ApiPod | undefined {
    const all = this.current();
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
    const byKey = new WeakMap<StorePodKey, StorePod>();
    const all = new Array<StorePod>(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      const pod = this.byKey.get(k) ?? new StorePod(k);
      byKey.set(k, pod);
      all[i] = pod;
    }
    this.keys = keys;
    this.all = all;
    this.byKey = byKey;
    return all;
  }
}
