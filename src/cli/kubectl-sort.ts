/**
 * kubectl's metrics sorters (metricsutil/metrics_sorter.go) run through Go's sort.Sort, so that rows
 * with equal keys come out in the same order as kubectl's.
 */
import { compareGoStrings } from '../lib/go-strings.ts';
import type { Quantity } from '../lib/quantity.ts';
import type { ContainerMetricsSample, NodeMetricsSample, PodMetricsSample } from '../client/types.ts';
import { goSort, goSortArray } from './go-sort.ts';
import { podUsage } from './cells.ts';

/** kubectl's `--sort-by` values ('' = by name). */
export type SortBy = '' | 'cpu' | 'memory';

const milli = (q: Quantity | undefined): bigint => (q === undefined ? 0n : q.milliValue());
const units = (q: Quantity | undefined): bigint => (q === undefined ? 0n : q.value());

/** Sorts node metrics in place: name ascending, or CPU/memory descending. */
export function sortNodeMetrics(metrics: NodeMetricsSample[], sortBy: SortBy): void {
  if (sortBy === 'cpu') {
    const keys = metrics.map((m) => milli(m.usage['cpu']));
    sortParallel(metrics, keys, (a, b) => a > b);
  } else if (sortBy === 'memory') {
    const keys = metrics.map((m) => units(m.usage['memory']));
    sortParallel(metrics, keys, (a, b) => a > b);
  } else {
    goSortArray(metrics, (a, b) => compareGoStrings(a.name, b.name) < 0);
  }
}

/** Sorts pod metrics in place: (namespace,) name ascending, or summed CPU/memory descending. */
export function sortPodMetrics(metrics: PodMetricsSample[], withNamespace: boolean, sortBy: SortBy): void {
  if (sortBy === 'cpu' || sortBy === 'memory') {
    const keys = metrics.map((m) => {
      const u = podUsage(m);
      return sortBy === 'cpu' ? milli(u['cpu']) : units(u['memory']);
    });
    sortParallel(metrics, keys, (a, b) => a > b);
    return;
  }
  goSortArray(metrics, (a, b) => {
    if (withNamespace && a.namespace !== b.namespace) return compareGoStrings(a.namespace, b.namespace) < 0;
    return compareGoStrings(a.name, b.name) < 0;
  });
}

/** Sorts one pod's containers in place: name ascending, or CPU/memory descending. */
export function sortContainers(containers: ContainerMetricsSample[], sortBy: SortBy): void {
  if (sortBy === 'cpu') sortParallel(containers, containers.map((c) => milli(c.usage['cpu'])), (a, b) => a > b);
  else if (sortBy === 'memory') sortParallel(containers, containers.map((c) => units(c.usage['memory'])), (a, b) => a > b);
  else goSortArray(containers, (a, b) => compareGoStrings(a.name, b.name) < 0);
}

/** Go sort over items with precomputed keys, swapping both (kubectl's PodMetricsSorter shape). */
function sortParallel<T, K>(items: T[], keys: K[], less: (a: K, b: K) => boolean): void {
  goSort({
    len: items.length,
    less: (i, j) => less(keys[i]!, keys[j]!),
    swap: (i, j) => {
      const t = items[i]!;
      items[i] = items[j]!;
      items[j] = t;
      const k = keys[i]!;
      keys[i] = keys[j]!;
      keys[j] = k;
    },
  });
}
