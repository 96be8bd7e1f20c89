/**
 * `/metrics/resource` as the kubelet's resource-metrics collector writes it (families, HELP with
 * stability prefix, label order, millisecond timestamps of each value's sample, Go float
 * formatting), built from the cpu-and-memory Summary.
 */
import type { PodStats, Summary } from '../api/stats.ts';
import type { Family, Sample } from '../lib/promtext/types.ts';
import { normalizeFamilies, writeExposition } from '../lib/promtext/write.ts';

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

/** Render the exposition; `summary` undefined means the stats could not be produced. */
export function buildResourceMetrics(summary: Summary | undefined): string {
  const samples = new Map<Name, Sample[]>();
  const add = (name: Name, labels: string[], value: number, timestampMs: number | null | undefined): void => {
    let list = samples.get(name);
    if (list === undefined) samples.set(name, (list = []));
    list.push({ name, labels, value, timestampMs: timestampMs ?? undefined });
  };
  if (summary !== undefined) {
    const n = summary.node;
    if (n.cpu?.usageCoreNanoSeconds !== undefined) add('node_cpu_usage_seconds_total', [], seconds(n.cpu.usageCoreNanoSeconds), n.cpu.time);
    if (n.memory?.workingSetBytes !== undefined) add('node_memory_working_set_bytes', [], n.memory.workingSetBytes, n.memory.time);
    // The kubelet stamps node swap with the memory time.
    if (n.swap?.swapUsageBytes !== undefined) add('node_swap_usage_bytes', [], n.swap.swapUsageBytes, n.memory?.time);
    for (const p of summary.pods) addPod(add, p);
  }
  add('resource_scrape_error', [], summary === undefined ? 1 : 0, undefined);
  const families: Family[] = [...samples].map(([name, s]) => ({ name, help: help[name], type: counters.has(name) ? 'counter' : 'gauge', samples: s }));
  return writeExposition(normalizeFamilies(families));
}

function addPod(add: (name: Name, labels: string[], value: number, ts: number | null | undefined) => void, p: PodStats): void {
  const pod = p.podRef.name;
  const ns = p.podRef.namespace;
  for (const c of p.containers) {
    const labels = ['container', c.name, 'pod', pod, 'namespace', ns];
    // Unix seconds ≤ 0 are skipped; the value is float64(UnixNano)/1e9 (ms × 1e6 is exact in float64 rounding).
    if (c.startTime !== null && Math.floor(c.startTime / 1000) > 0) add('container_start_time_seconds', labels, (c.startTime * 1e6) / 1e9, undefined);
    if (c.cpu?.usageCoreNanoSeconds !== undefined) add('container_cpu_usage_seconds_total', labels, seconds(c.cpu.usageCoreNanoSeconds), c.cpu.time);
    if (c.memory?.workingSetBytes !== undefined) add('container_memory_working_set_bytes', labels, c.memory.workingSetBytes, c.memory.time);
    if (c.swap !== undefined) {
      if (c.swap.swapUsageBytes !== undefined) add('container_swap_usage_bytes', labels, c.swap.swapUsageBytes, c.swap.time);
      if (c.swap.swapAvailableBytes !== undefined) {
        add('container_swap_limit_bytes', labels, u64(c.swap.swapAvailableBytes) + (c.swap.swapUsageBytes ?? 0), c.swap.time);
      }
    }
  }
  const labels = ['pod', pod, 'namespace', ns];
  if (p.cpu?.usageCoreNanoSeconds !== undefined) add('pod_cpu_usage_seconds_total', labels, seconds(p.cpu.usageCoreNanoSeconds), p.cpu.time);
  if (p.memory?.workingSetBytes !== undefined) add('pod_memory_working_set_bytes', labels, p.memory.workingSetBytes, p.memory.time);
  if (p.swap?.swapUsageBytes !== undefined) add('pod_swap_usage_bytes', labels, p.swap.swapUsageBytes, p.swap.time);
}
