/**
 * Pods sorted by namespace and name (Go byte order, the order of metrics-server's lists) with a
 * namespace's pods found by binary search, kept from an informer's add/update/delete events.
 * Listing one namespace then costs in proportion to that namespace, and no list sorts: sorting
 * 300,000 pods took about 250 ms per request, and an informer's store loses its order with the
 * first watch event.
 *
 * Events are queued and merged into a new array when pods are next read (O(n + k log k) for k
 * events): an array handed out is never changed, so a list streamed over seconds reads a stable
 * range while events keep arriving.
 */
import { compareGoStrings } from '../lib/go-strings.ts';
import type { ApiPod, SortedPods } from '../apiserver/metrics-handler.ts';

/** Namespace, then name, in Go byte order. */
export function comparePods(a: ApiPod, b: ApiPod): number {
  return compareGoStrings(a.namespace, b.namespace) || compareGoStrings(a.name, b.name);
}

/** First index in sorted `pods` whose namespace is not below `namespace` (`strict`: above it). */
export function namespaceBound(pods: readonly ApiPod[], namespace: string, strict: boolean): number {
  let lo = 0;
  let hi = pods.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareGoStrings(pods[mid]!.namespace, namespace);
    if (c < 0 || (strict && c === 0)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The range of `namespace` (all when undefined) in sorted `pods`. */
export function namespaceRange(pods: readonly ApiPod[], namespace: string | undefined): SortedPods {
  if (namespace === undefined) return { pods, from: 0, to: pods.length };
  return { pods, from: namespaceBound(pods, namespace, false), to: namespaceBound(pods, namespace, true) };
}

/** Sorted pods kept from add/update/delete events (see the file comment). */
export class SortedPodIndex<T extends ApiPod> {
  private pods: T[] = [];
  private added: T[] = [];
  /** Objects of `pods` or `added` that are gone. */
  private readonly removed = new Set<T>();

  /** A pod appeared (a new object: an update is remove(old) + add(new)). */
  add(pod: T): void {
    this.added.push(pod);
    this.bound();
  }

  /** A pod object went away. */
  remove(pod: T): void {
    this.removed.add(pod);
    this.bound();
  }

  /** Queued events held in memory; merged once there are as many as pods (nobody reading). */
  pending(): number {
    return this.added.length + this.removed.size;
  }

  private bound(): void {
    // Without reads (nobody lists pods) the queue would grow with every event forever.
    if (this.pending() > this.pods.length + 1024) this.current();
  }

  /** Pods of `namespace` (all when undefined): a range of an array that is never changed. */
  sorted(namespace: string | undefined): SortedPods {
    return namespaceRange(this.current(), namespace);
  }

  private current(): T[] {
    if (this.added.length === 0 && this.removed.size === 0) return this.pods;
    const removed = this.removed;
    const added = this.added.filter((p) => !removed.has(p)).sort(comparePods);
    const old = this.pods;
    const out: T[] = [];
    let i = 0;
    let j = 0;
    while (i < old.length || j < added.length) {
      const a = old[i];
      if (a !== undefined && removed.has(a)) {
        i++;
        continue;
      }
      const b = added[j];
      if (b === undefined || (a !== undefined && comparePods(a, b) <= 0)) {
        out.push(a!);
        i++;
      } else {
        out.push(b);
        j++;
      }
    }
    this.pods = out;
    this.added = [];
    removed.clear();
    return out;
  }
}
