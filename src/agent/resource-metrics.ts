/**
 * `/metrics/resource` as the kubelet's resource-metrics collector writes it (families, HELP with
 * stability prefix, label order, millisecond timestamps of each value's sample, Go float
 * formatting), built from the cpu-and-memory Summary.
 *
 * Written straight in the order a Go registry's Gather produces (families by name, labels by
 * name, samples by label values, then timestamp) rather than as Sample objects put through
 * normalizeFamilies: for 110 pods × 3 containers that built, copied and sorted ~1,400 samples,
 * allocating 4.4 MiB per render; sorting the containers and pods once and writing each family
 * from them allocates 1.8 MiB in half the CPU (1.7 vs 3.3 ms; see docs/agent.md, "Memory and CPU").
 */
import type { ContainerStats, PodStats, Summary } from '../api/stats.ts';
import { compareGoStrings } from '../lib/go-strings.ts';
import { ExpositionBuilder } from '../lib/promtext/write.ts';

/** Content-Type of the endpoint. */
export const resourceMetricsContentType = 'text/plain; version=0.0.4; charset=utf-8';

const help = {
  node_cpu_usage_seconds_total: '[STABLE] Cumulative cpu time consumed by the node in core-seconds',
  node_memory_working_set_bytes: '[STABLE] Current working set of the node in bytes',
  node_swap_usage_bytes: '[ALPHA] Current swap usage of the node in bytes. Reported only on non-windows systems',
  container_cpu_usage_seconds_total: '[STABLE] Cumulative cpu time consumed by the container in core-seconds',
  container_memory_working_set_bytes: '[STABLE] Current working set of the container in bytes',
  container_swap_usage_bytes: '[ALPHA] Current amount of the container swap usage in bytes. Reported only on non-windows systems',
  container_swap_limit_bytes: '[ALPHA] Current amount of the container swap limit in bytes. Reported only on non-windows systems',
  container_start_time_seconds: '[STABLE] Start time of the container since unix epoch in seconds',
  pod_cpu_usage_seconds_total: '[STABLE] Cumulative cpu time consumed by the pod in core-seconds',
  pod_memory_working_set_bytes: '[STABLE] Current working set of the pod in bytes',
  pod_swap_usage_bytes: '[ALPHA] Current amount of the pod swap usage in bytes. Reported only on non-windows systems',
  resource_scrape_error: '[STABLE] 1 if there was an error while getting container metrics, 0 otherwise',
} as const;

type Name = keyof typeof help;

const counters = new Set<Name>(['node_cpu_usage_seconds_total', 'container_cpu_usage_seconds_total', 'pod_cpu_usage_seconds_total']);

/** Go's float64(uint64): a wrapped (negative) uint64 is 2^64 + v. */
function u64(v: number): number {
  return v < 0 ? v + 2 ** 64 : v;
}

/** float64(ns) / 1e9, as Go computes core-seconds. */
function seconds(ns: bigint): number {
  return Number(ns) / 1e9;
}

/** A labelled series source: its labels already in Go's order (sorted by name), flat. */
interface Row {
  labels: readonly string[];
  pod: PodStats;
  container: ContainerStats | undefined;
}

/** A family's value and timestamp for one row; undefined value = no sample for that row. */
type Pick = (row: Row) => number | undefined;
type Stamp = (row: Row) => number | null | undefined;

/** client_golang's order of samples with the same label names: label values in order. */
function compareLabels(a: Row, b: Row): number {
  for (let i = 1; i < a.labels.length; i += 2) {
    const c = compareGoStrings(a.labels[i]!, b.labels[i]!);
    if (c !== 0) return c;
  }
  return 0;
}

/** Sorts rows by label values; true when two rows have the same labels (then timestamps decide, per family). */
function sortRows(rows: Row[]): boolean {
  rows.sort(compareLabels);
  for (let i = 1; i < rows.length; i++) if (compareLabels(rows[i - 1]!, rows[i]!) === 0) return true;
  return false;
}

function writeFamily(b: ExpositionBuilder, name: Name, rows: readonly Row[], ties: boolean, value: Pick, stamp: Stamp): void {
  let present = rows.filter((r) => value(r) !== undefined);
  if (present.length === 0) return;
  if (ties) {
    // Same labels: a sample without a timestamp sorts last, else the older first (stable).
    const ts = (r: Row): number => stamp(r) ?? Number.POSITIVE_INFINITY;
    present = present.sort((x, y) => compareLabels(x, y) || (ts(x) === ts(y) ? 0 : ts(x) < ts(y) ? -1 : 1));
  }
  b.family(name, counters.has(name) ? 'counter' : 'gauge', help[name]);
  for (const r of present) b.sample(name, r.labels, value(r)!, stamp(r) ?? undefined);
}

function writeNodeFamily(b: ExpositionBuilder, name: Name, value: number | undefined, timeMs: number | null | undefined): void {
  if (value === undefined) return;
  b.family(name, counters.has(name) ? 'counter' : 'gauge', help[name]);
  b.sample(name, [], value, timeMs ?? undefined);
}

const containerValue = (f: (c: ContainerStats) => number | undefined): Pick => (r) => (r.container === undefined ? undefined : f(r.container));
const containerStamp = (f: (c: ContainerStats) => number | null | undefined): Stamp => (r) => (r.container === undefined ? undefined : f(r.container));

/** Render the exposition; `summary` undefined means the stats could not be produced. */
export function buildResourceMetrics(summary: Summary | undefined): string {
  const b = new ExpositionBuilder();
  if (summary !== undefined) {
    const containers: Row[] = [];
    const pods: Row[] = [];
    for (const p of summary.pods) {
      const pod = p.podRef.name;
      const ns = p.podRef.namespace;
      for (const c of p.containers) containers.push({ labels: ['container', c.name, 'namespace', ns, 'pod', pod], pod: p, container: c });
      pods.push({ labels: ['namespace', ns, 'pod', pod], pod: p, container: undefined });
    }
    const cTies = sortRows(containers);
    const pTies = sortRows(pods);
    // Families in name order, as Gather sorts them.
    writeFamily(b, 'container_cpu_usage_seconds_total', containers, cTies,
      containerValue((c) => (c.cpu?.usageCoreNanoSeconds === undefined ? undefined : seconds(c.cpu.usageCoreNanoSeconds))), containerStamp((c) => c.cpu?.time));
    writeFamily(b, 'container_memory_working_set_bytes', containers, cTies, containerValue((c) => c.memory?.workingSetBytes), containerStamp((c) => c.memory?.time));
    // Unix seconds ≤ 0 are skipped; the value is float64(UnixNano)/1e9 (ms × 1e6 is exact in float64 rounding).
    writeFamily(b, 'container_start_time_seconds', containers, cTies,
      containerValue((c) => (c.startTime !== null && Math.floor(c.startTime / 1000) > 0 ? (c.startTime * 1e6) / 1e9 : undefined)), () => undefined);
    writeFamily(b, 'container_swap_limit_bytes', containers, cTies,
      containerValue((c) => (c.swap?.swapAvailableBytes === undefined ? undefined : u64(c.swap.swapAvailableBytes) + (c.swap.swapUsageBytes ?? 0))), containerStamp((c) => c.swap?.time));
    writeFamily(b, 'container_swap_usage_bytes', containers, cTies, containerValue((c) => c.swap?.swapUsageBytes), containerStamp((c) => c.swap?.time));
    const n = summary.node;
    writeNodeFamily(b, 'node_cpu_usage_seconds_total', n.cpu?.usageCoreNanoSeconds === undefined ? undefined : seconds(n.cpu.usageCoreNanoSeconds), n.cpu?.time);
    writeNodeFamily(b, 'node_memory_working_set_bytes', n.memory?.workingSetBytes, n.memory?.time);
    // The kubelet stamps node swap with the memory time.
    writeNodeFamily(b, 'node_swap_usage_bytes', n.swap?.swapUsageBytes, n.memory?.time);
    writeFamily(b, 'pod_cpu_usage_seconds_total', pods, pTies, (r) => (r.pod.cpu?.usageCoreNanoSeconds === undefined ? undefined : seconds(r.pod.cpu.usageCoreNanoSeconds)), (r) => r.pod.cpu?.time);
    writeFamily(b, 'pod_memory_working_set_bytes', pods, pTies, (r) => r.pod.memory?.workingSetBytes, (r) => r.pod.memory?.time);
    writeFamily(b, 'pod_swap_usage_bytes', pods, pTies, (r) => r.pod.swap?.swapUsageBytes, (r) => r.pod.swap?.time);
  }
  b.family('resource_scrape_error', 'gauge', help.resource_scrape_error);
  b.sample('resource_scrape_error', [], summary === undefined ? 1 : 0);
  return b.text;
}
