/**
 * A node snapshot as the kubelet's `/metrics/resource` page, byte for byte in the Go text
 * encoder's format: families sorted by name with their `[STABLE]`/`[ALPHA]` HELP texts, label
 * pairs sorted by name, samples by label values, container/pod/node series with the cgroup's
 * housekeeping time as explicit timestamp, `container_start_time_seconds` without one.
 */
import { ExpositionBuilder, compareGoStrings, labelText } from '../lib/promtext/write.ts';
import type { ContainerSnapshot, NodeSnapshot, PodSnapshot } from './model.ts';

/** Faults that change the page's content (the transport faults live in the node server). */
export interface PageDistortion {
  /** Write every container series twice, the copy with another value and timestamp. */
  duplicateSeries?: boolean;
  /** Write NaN for the CPU and memory of every other pod's containers and the node's memory. */
  nan?: boolean;
}

interface Row {
  pod: PodSnapshot;
  c: ContainerSnapshot;
  /** The escaped label part, written once for the four container families. */
  labels: string;
  nan: boolean;
}

const help = {
  containerCpu: '[STABLE] Cumulative cpu time consumed by the container in core-seconds',
  containerMem: '[STABLE] Current working set of the container in bytes',
  containerStart: '[STABLE] Start time of the container since unix epoch in seconds',
  containerSwap: '[ALPHA] Current amount of the container swap usage in bytes. Reported only on non-windows systems',
  nodeCpu: '[STABLE] Cumulative cpu time consumed by the node in core-seconds',
  nodeMem: '[STABLE] Current working set of the node in bytes',
  nodeSwap: '[ALPHA] Current swap usage of the node in bytes. Reported only on non-windows systems',
  podCpu: '[STABLE] Cumulative cpu time consumed by the pod in core-seconds',
  podMem: '[STABLE] Current working set of the pod in bytes',
  podSwap: '[ALPHA] Current amount of the pod swap usage in bytes. Reported only on non-windows systems',
  scrapeError: '[STABLE] 1 if there was an error while getting container metrics, 0 otherwise',
} as const;

/** Core-nanoseconds as the kubelet prints them: float64(ns) / 1e9. */
function seconds(ns: bigint): number {
  return Number(ns) / 1e9;
}

/** The `/metrics/resource` body for a snapshot. */
export function resourcePage(node: NodeSnapshot, d: PageDistortion = {}): string {
  const rows: Row[] = [];
  node.pods.forEach((pod, i) => {
    for (const c of pod.containers) rows.push({ pod, c, labels: labelText(['container', c.name, 'namespace', pod.namespace, 'pod', pod.name]), nan: d.nan === true && i % 2 === 0 });
  });
  // Samples in label-value order: container, then namespace, then pod (label names sorted).
  rows.sort((a, b) => compareGoStrings(a.c.name, b.c.name) || compareGoStrings(a.pod.namespace, b.pod.namespace) || compareGoStrings(a.pod.name, b.pod.name));
  const pods = [...node.pods].sort((a, b) => compareGoStrings(a.namespace, b.namespace) || compareGoStrings(a.name, b.name));
  const dup = d.duplicateSeries === true;
  const b = new ExpositionBuilder();
  // A family without samples is not written at all (the Go registry's Gather drops it).
  if (rows.length > 0) writeContainers(b, rows, dup);
  b.family('node_cpu_usage_seconds_total', 'counter', help.nodeCpu);
  b.sample('node_cpu_usage_seconds_total', [], seconds(node.cpuNs), node.timeMs);
  b.family('node_memory_working_set_bytes', 'gauge', help.nodeMem);
  b.sample('node_memory_working_set_bytes', [], d.nan === true ? NaN : node.workingSetBytes, node.timeMs);
  b.family('node_swap_usage_bytes', 'gauge', help.nodeSwap);
  b.sample('node_swap_usage_bytes', [], 0, node.timeMs);
  if (pods.length > 0) {
    b.family('pod_cpu_usage_seconds_total', 'counter', help.podCpu);
    for (const p of pods) b.sample('pod_cpu_usage_seconds_total', ['namespace', p.namespace, 'pod', p.name], seconds(p.cpuNs), p.timeMs);
    b.family('pod_memory_working_set_bytes', 'gauge', help.podMem);
    for (const p of pods) b.sample('pod_memory_working_set_bytes', ['namespace', p.namespace, 'pod', p.name], p.workingSetBytes, p.timeMs);
    b.family('pod_swap_usage_bytes', 'gauge', help.podSwap);
    for (const p of pods) b.sample('pod_swap_usage_bytes', ['namespace', p.namespace, 'pod', p.name], 0, p.timeMs);
  }
  b.family('resource_scrape_error', 'gauge', help.scrapeError);
  b.sample('resource_scrape_error', [], 0);
  return b.text;
}

function writeContainers(b: ExpositionBuilder, rows: readonly Row[], dup: boolean): void {
  b.family('container_cpu_usage_seconds_total', 'counter', help.containerCpu);
  for (const r of rows) {
    const v = r.nan ? NaN : seconds(r.c.cpuNs);
    b.sampleWithLabelText('container_cpu_usage_seconds_total', r.labels, v, r.c.timeMs);
    if (dup) b.sampleWithLabelText('container_cpu_usage_seconds_total', r.labels, v / 2, r.c.timeMs - 5000);
  }
  b.family('container_memory_working_set_bytes', 'gauge', help.containerMem);
  for (const r of rows) {
    const v = r.nan ? NaN : r.c.workingSetBytes;
    b.sampleWithLabelText('container_memory_working_set_bytes', r.labels, v, r.c.timeMs);
    if (dup) b.sampleWithLabelText('container_memory_working_set_bytes', r.labels, v * 2, r.c.timeMs + 5000);
  }
  b.family('container_start_time_seconds', 'gauge', help.containerStart);
  for (const r of rows) {
    b.sampleWithLabelText('container_start_time_seconds', r.labels, r.c.startMs / 1000);
    if (dup) b.sampleWithLabelText('container_start_time_seconds', r.labels, r.c.startMs / 1000 - 3600);
  }
  b.family('container_swap_usage_bytes', 'gauge', help.containerSwap);
  for (const r of rows) b.sampleWithLabelText('container_swap_usage_bytes', r.labels, 0, r.c.timeMs);
}
