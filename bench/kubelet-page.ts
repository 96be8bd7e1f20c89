/**
 * A realistic kubelet /metrics/resource page for benchmarks: N pods with about three containers
 * each, kubelet-like names, values and per-cgroup timestamps, written with the project's writer (so
 * the bytes are what a kubelet would serve), plus the same samples as a JSON document.
 */
import { normalizeFamilies, writeExposition } from '../src/lib/promtext/write.ts';
import type { Family, MetricType, Sample } from '../src/lib/promtext/types.ts';
// Deterministic, so every run measures the same bytes.
import { prng } from '../test/support/prng.ts';

/** Options of kubeletResourcePage. */
export interface PageOptions {
  /** Number of pods (110 is the kubelet's default maximum per node). */
  pods: number;
  /** Seed of the deterministic generator. */
  seed?: number;
}

/** The page as exposition text and as the equivalent JSON text. */
export interface Page {
  text: string;
  json: string;
  families: Family[];
  samples: number;
}

const HELP: Record<string, [MetricType, string]> = {
  container_cpu_usage_seconds_total: ['counter', '[STABLE] Cumulative cpu time consumed by the container in core-seconds'],
  container_memory_working_set_bytes: ['gauge', '[STABLE] Current working set of the container in bytes'],
  container_start_time_seconds: ['gauge', '[STABLE] Start time of the container since unix epoch in seconds'],
  container_swap_usage_bytes: ['gauge', '[ALPHA] Current amount of the container swap usage in bytes. Reported only on non-windows systems'],
  node_cpu_usage_seconds_total: ['counter', '[STABLE] Cumulative cpu time consumed by the node in core-seconds'],
  node_memory_working_set_bytes: ['gauge', '[STABLE] Current working set of the node in bytes'],
  node_swap_usage_bytes: ['gauge', '[ALPHA] Current swap usage of the node in bytes. Reported only on non-windows systems'],
  pod_cpu_usage_seconds_total: ['counter', '[STABLE] Cumulative cpu time consumed by the pod in core-seconds'],
  pod_memory_working_set_bytes: ['gauge', '[STABLE] Current working set of the pod in bytes'],
  pod_swap_usage_bytes: ['gauge', '[ALPHA] Current amount of the pod swap usage in bytes. Reported only on non-windows systems'],
  resource_scrape_error: ['gauge', '[STABLE] 1 if there was an error while getting container metrics, 0 otherwise'],
};

/** Builds the page. */
export function kubeletResourcePage(options: PageOptions): Page {
  const rnd = prng(options.seed ?? 42);
  const alnum = 'bcdfghjklmnpqrstvwxz2456789';
  const id = (n: number): string => Array.from({ length: n }, () => alnum[Math.floor(rnd() * alnum.length)]).join('');
  const namespaces = ['kube-system', 'default', 'monitoring', 'payments-prod', 'search-staging', 'ingress-nginx'];
  const apps = ['api-gateway', 'checkout', 'redis', 'postgres-replica', 'coredns', 'fluent-bit', 'node-exporter', 'web'];
  const sidecars = ['istio-proxy', 'log-shipper', 'config-reloader', 'oauth2-proxy'];
  const nowMs = 1_750_705_774_670;
  const samples = new Map<string, Sample[]>(Object.keys(HELP).map((k) => [k, []]));
  const add = (family: string, labels: string[], value: number, timestampMs?: number): void => {
    samples.get(family)?.push({ name: family, labels, value, timestampMs });
  };
  for (let p = 0; p < options.pods; p++) {
    const ns = namespaces[Math.floor(rnd() * namespaces.length)] ?? 'default';
    const app = apps[Math.floor(rnd() * apps.length)] ?? 'web';
    const pod = `${app}-${id(10)}-${id(5)}`;
    const count = 2 + Math.floor(rnd() * 3); // 2-4, about 3 on average
    let podCpu = 0;
    let podMem = 0;
    let podTs = 0;
    for (let c = 0; c < count; c++) {
      const container = c === 0 ? app : (sidecars[c - 1] ?? `sidecar-${c}`);
      const labels = ['container', container, 'namespace', ns, 'pod', pod];
      const ts = nowMs - Math.floor(rnd() * 15_000);
      const cpu = Math.round(rnd() * 5e12) / 1e9; // seconds with nanosecond digits
      const mem = Math.floor(rnd() * 2e9 / 4096) * 4096;
      add('container_cpu_usage_seconds_total', labels, cpu, ts);
      add('container_memory_working_set_bytes', labels, mem, ts);
      add('container_start_time_seconds', labels, 1_750_000_000 + Math.round(rnd() * 6e14) / 1e9);
      add('container_swap_usage_bytes', labels, 0, ts);
      podCpu += cpu;
      podMem += mem;
      podTs = Math.max(podTs, ts);
    }
    const podLabels = ['namespace', ns, 'pod', pod];
    add('pod_cpu_usage_seconds_total', podLabels, Math.round(podCpu * 1.01 * 1e9) / 1e9, podTs);
    add('pod_memory_working_set_bytes', podLabels, podMem + 1_146_880, podTs);
    add('pod_swap_usage_bytes', podLabels, 0, podTs);
  }
  add('node_cpu_usage_seconds_total', [], 6197.005020909, nowMs);
  add('node_memory_working_set_bytes', [], 11374755840, nowMs);
  add('node_swap_usage_bytes', [], 0, nowMs);
  add('resource_scrape_error', [], 0);
  const families = normalizeFamilies(
    [...samples].map(([name, ss]) => {
      const [type, help] = HELP[name] ?? ['untyped', ''];
      return { name, help, type, samples: ss };
    }),
  );
  const text = writeExposition(families);
  // The same samples as JSON, labels as objects (the natural JSON shape).
  const json = JSON.stringify(
    families.map((f) => ({
      name: f.name,
      help: f.help,
      type: f.type,
      samples: f.samples.map((s) => {
        const labels: Record<string, string> = {};
        for (let i = 0; i < s.labels.length; i += 2) labels[s.labels[i] ?? ''] = s.labels[i + 1] ?? '';
        return s.timestampMs === undefined ? { labels, value: s.value } : { labels, value: s.value, timestampMs: s.timestampMs };
      }),
    })),
  );
  return { text, json, families, samples: families.reduce((n, f) => n + f.samples.length, 0) };
}
