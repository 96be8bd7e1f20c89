/**
 * The server's own `/metrics`: the six `metrics_server_*` families metrics-server exposes (names,
 * HELP texts, types, labels and buckets identical) plus the Go client's process_* families, in the
 * Prometheus text format. A tiny registry rather than a client library: six families do not
 * justify a dependency, and the output must match the Go client's text byte for byte.
 */
import { ExpositionBuilder } from '../lib/promtext/write.ts';
import { formatSampleValue } from '../lib/promtext/write.ts';
import { compareGoStrings } from '../lib/go-strings.ts';
import { readProcessFigures, type ProcessFigures } from './process-metrics.ts';

/** prometheus.DefBuckets */
export const defBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

class Histogram {
  /** Observations per bucket, not cumulative: one increment per observation (a 300,000-pod list observes 300,000 times). */
  readonly counts: number[];
  sum = 0;
  count = 0;
  readonly buckets: readonly number[];
  constructor(buckets: readonly number[]) {
    this.buckets = buckets;
    this.counts = buckets.map(() => 0);
  }
  observe(v: number): void {
    this.sum += v;
    this.count++;
    for (let i = 0; i < this.buckets.length; i++) {
      if (v <= this.buckets[i]!) {
        this.counts[i]!++;
        return;
      }
    }
  }
}

function writeHistogram(b: ExpositionBuilder, name: string, labels: readonly string[], h: Histogram): void {
  let cumulative = 0;
  for (let i = 0; i < h.buckets.length; i++) {
    cumulative += h.counts[i]!;
    b.sample(`${name}_bucket`, [...labels, 'le', formatSampleValue(h.buckets[i]!)], cumulative);
  }
  b.sample(`${name}_bucket`, [...labels, 'le', '+Inf'], h.count);
  b.sample(`${name}_sum`, labels, h.sum);
  b.sample(`${name}_count`, labels, h.count);
}

/** metrics_server_manager_tick_duration_seconds buckets for a resolution in seconds. */
export function tickBuckets(resolutionSeconds: number): number[] {
  const r = resolutionSeconds;
  return r > 10 ? [...defBuckets, 10 + (r - 10) / 2, r, 1.5 * r, 2 * r] : [...defBuckets];
}

/** The self-metrics registry. */
export class SelfMetrics {
  private readonly freshness = new Histogram(Array.from({ length: 20 }, (_, i) => 1.364 ** i));
  private readonly lastRequest = new Map<string, number>();
  private readonly requestDuration = new Map<string, Histogram>();
  private readonly requestTotal = { true: 0, false: 0 };
  private readonly tick: Histogram;
  private points = { node: 0, container: 0 };
  private readonly startTimeSeconds: number;
  private readonly procRoot: string;
  /**
   * Requests for metrics.k8s.io resources served so far (not exposed): the scrape loop paces its
   * kubelet requests only while these keep coming (see src/scraper/pacer.ts).
   */
  metricsApiRequests = 0;

  /** `startTimeMs` is used for process_start_time_seconds only where /proc cannot be read. */
  constructor(options: { resolutionSeconds: number; startTimeMs: number; procRoot?: string }) {
    this.tick = new Histogram(tickBuckets(options.resolutionSeconds));
    this.startTimeSeconds = options.startTimeMs / 1000;
    this.procRoot = options.procRoot ?? '/proc';
  }

  private processFigures(): ProcessFigures {
    try {
      const f = readProcessFigures(this.procRoot);
      if (f !== undefined) return f;
    } catch {
      // an unreadable /proc must not break /metrics: fall back to what Node knows
    }
    const cpu = process.cpuUsage();
    return { cpuSecondsTotal: (cpu.user + cpu.system) / 1e6, residentMemoryBytes: process.memoryUsage.rss(), virtualMemoryBytes: Number.NaN, startTimeSeconds: this.startTimeSeconds };
  }

  /** A served item's age, seconds. */
  observeFreshness(seconds: number): void {
    this.freshness.observe(seconds);
  }

  /** One kubelet request. */
  observeKubeletRequest(node: string, startMs: number, durationSeconds: number, success: boolean): void {
    this.lastRequest.set(node, Math.floor(startMs / 1000));
    let h = this.requestDuration.get(node);
    if (h === undefined) this.requestDuration.set(node, (h = new Histogram(defBuckets)));
    h.observe(durationSeconds);
    this.requestTotal[success ? 'true' : 'false']++;
  }

  /** Forget per-node series of a node that is gone (bounded cardinality). */
  forgetNode(node: string): void {
    this.lastRequest.delete(node);
    this.requestDuration.delete(node);
  }

  /** One collection tick. */
  observeTick(durationSeconds: number): void {
    this.tick.observe(durationSeconds);
  }

  /** Servable points in the store. */
  setStoragePoints(points: { node: number; container: number }): void {
    this.points = points;
  }

  /** The exposition text (families in name order, as the Go registry gathers them; empty ones left out). */
  render(): string {
    const b = new ExpositionBuilder();
    b.family('metrics_server_api_metric_freshness_seconds', 'histogram', '[ALPHA] Freshness of metrics exported');
    writeHistogram(b, 'metrics_server_api_metric_freshness_seconds', [], this.freshness);
    const nodes = [...this.lastRequest.keys()].sort(compareGoStrings);
    if (nodes.length > 0) {
      b.family('metrics_server_kubelet_last_request_time_seconds', 'gauge', '[ALPHA] Time of last request performed to Kubelet API since unix epoch in seconds');
      for (const n of nodes) b.sample('metrics_server_kubelet_last_request_time_seconds', ['node', n], this.lastRequest.get(n)!);
      b.family('metrics_server_kubelet_request_duration_seconds', 'histogram', '[ALPHA] Duration of requests to Kubelet API in seconds');
      for (const n of nodes) {
        const h = this.requestDuration.get(n);
        if (h !== undefined) writeHistogram(b, 'metrics_server_kubelet_request_duration_seconds', ['node', n], h);
      }
    }
    b.family('metrics_server_kubelet_request_total', 'counter', '[ALPHA] Number of requests sent to Kubelet API');
    b.sample('metrics_server_kubelet_request_total', ['success', 'false'], this.requestTotal.false);
    b.sample('metrics_server_kubelet_request_total', ['success', 'true'], this.requestTotal.true);
    b.family('metrics_server_manager_tick_duration_seconds', 'histogram', '[ALPHA] The total time spent collecting and storing metrics in seconds.');
    writeHistogram(b, 'metrics_server_manager_tick_duration_seconds', [], this.tick);
    b.family('metrics_server_storage_points', 'gauge', '[ALPHA] Number of metrics points stored.');
    b.sample('metrics_server_storage_points', ['type', 'container'], this.points.container);
    b.sample('metrics_server_storage_points', ['type', 'node'], this.points.node);
    const p = this.processFigures();
    const gauge = (name: string, help: string, v: number | undefined): void => {
      if (v === undefined || Number.isNaN(v)) return;
      b.family(name, 'gauge', help);
      b.sample(name, [], v);
    };
    b.family('process_cpu_seconds_total', 'counter', 'Total user and system CPU time spent in seconds.');
    b.sample('process_cpu_seconds_total', [], p.cpuSecondsTotal);
    gauge('process_max_fds', 'Maximum number of open file descriptors.', p.maxFds);
    gauge('process_open_fds', 'Number of open file descriptors.', p.openFds);
    gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', p.residentMemoryBytes);
    gauge('process_start_time_seconds', 'Start time of the process since unix epoch in seconds.', p.startTimeSeconds);
    gauge('process_virtual_memory_bytes', 'Virtual memory size in bytes.', p.virtualMemoryBytes);
    gauge('process_virtual_memory_max_bytes', 'Maximum amount of virtual memory available in bytes.', p.virtualMemoryMaxBytes);
    return b.text;
  }
}
