/**
 * The simulated pages are the kubelet's formats exactly: they parse with the project's decoders,
 * follow the Go encoder's ordering and HELP texts, agree between /metrics/resource and
 * /stats/summary, and the numbers are self-consistent and evolve as real counters do.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseExposition } from '../lib/promtext/parse.ts';
import { compareGoStrings, normalizeFamilies, writeExposition } from '../lib/promtext/write.ts';
import { decodeSummary } from '../api/stats-decode.ts';
import { encodeSummary } from '../api/stats-encode.ts';
import { resourceDecoder } from '../scraper/decode-resource.ts';
import { summaryDecoder } from '../scraper/decode-summary.ts';
import type { NodeScrape } from '../storage/types.ts';
import { NodeModel, type ClusterShape } from './model.ts';
import { resourcePage } from './resource-page.ts';
import { summaryOf, summaryPage } from './summary-page.ts';

const T0 = 1_750_000_000_000;
const shape: ClusterShape = { seed: 7, podsPerNode: 12, containersPerPod: 3, churnPerMinute: 0, restartShare: 0, housekeepingMs: 10_000, originMs: T0 };

function decode(kind: 'resource' | 'summary', text: string): NodeScrape {
  const o = { node: 'n', defaultTimestampMs: 1, source: kind, maxBodyChars: 1 << 24 };
  const d = kind === 'resource' ? resourceDecoder(o) : summaryDecoder(o);
  d.push(text);
  return d.end();
}

test('/metrics/resource is the Go encoder\'s exact output: re-encoding the parsed page gives the same bytes', () => {
  const text = resourcePage(new NodeModel(shape, { index: 3, generation: 0 }).snapshot(T0 + 60_000));
  const families = parseExposition(text);
  // normalizeFamilies applies the registry's ordering; a kubelet page is already in that order.
  assert.equal(writeExposition(normalizeFamilies(families)), text);
  assert.deepEqual(families.map((f) => f.name), [
    'container_cpu_usage_seconds_total', 'container_memory_working_set_bytes', 'container_start_time_seconds', 'container_swap_usage_bytes',
    'node_cpu_usage_seconds_total', 'node_memory_working_set_bytes', 'node_swap_usage_bytes',
    'pod_cpu_usage_seconds_total', 'pod_memory_working_set_bytes', 'pod_swap_usage_bytes', 'resource_scrape_error',
  ]);
  assert.match(text, /^# HELP container_cpu_usage_seconds_total \[STABLE\] Cumulative cpu time consumed by the container in core-seconds\n# TYPE container_cpu_usage_seconds_total counter\n/);
  assert.match(text, /\n# HELP node_swap_usage_bytes \[ALPHA\] Current swap usage of the node in bytes\. Reported only on non-windows systems\n/);
  assert.match(text, /\nresource_scrape_error 0\n$/);
  // Start times carry no timestamp; usage series do.
  for (const f of families) {
    for (const s of f.samples) assert.equal(s.timestampMs === undefined, f.name === 'container_start_time_seconds' || f.name === 'resource_scrape_error', `${f.name} timestamp`);
  }
  const cpu = families[0]!.samples;
  for (let i = 1; i < cpu.length; i++) {
    const a = cpu[i - 1]!.labels;
    const b = cpu[i]!.labels;
    assert.ok(compareGoStrings(a[1]!, b[1]!) < 0 || (a[1] === b[1] && compareGoStrings(`${a[3]}/${a[5]}`, `${b[3]}/${b[5]}`) < 0), 'sorted by label values');
  }
  assert.equal(cpu.length, 12 * 3);
});

test('a node with no pods writes no empty container or pod families', () => {
  const text = resourcePage(new NodeModel({ ...shape, podsPerNode: 0 }, { index: 0, generation: 0 }).snapshot(T0));
  assert.deepEqual(parseExposition(text).map((f) => f.name), ['node_cpu_usage_seconds_total', 'node_memory_working_set_bytes', 'node_swap_usage_bytes', 'resource_scrape_error']);
});

test('/stats/summary round-trips through the Summary decoder and encoder, and trims for only_cpu_and_memory', () => {
  const snap = new NodeModel(shape, { index: 1, generation: 0 }).snapshot(T0 + 5_000);
  const full = summaryPage(snap, { onlyCpuAndMemory: false });
  assert.equal(encodeSummary(decodeSummary(full)), full);
  assert.ok(full.startsWith('{\n "node": {\n  "nodeName": "sim-node-1",\n  "systemContainers": ['), 'one-space indentation');
  for (const key of ['"network"', '"fs"', '"runtime"', '"rlimit"', '"volume"', '"ephemeral-storage"', '"rootfs"', '"logs"']) assert.ok(full.includes(key), key);
  const only = summaryPage(snap, { onlyCpuAndMemory: true });
  assert.equal(encodeSummary(decodeSummary(only)), only);
  for (const key of ['"network"', '"fs"', '"rlimit"', '"volume"', '"rootfs"', '"logs"']) assert.ok(!only.includes(key), key);
});

test('both endpoints decode to the same node and container values', () => {
  const snap = new NodeModel(shape, { index: 2, generation: 0 }).snapshot(T0 + 30_000);
  const r = decode('resource', resourcePage(snap));
  const s = decode('summary', summaryPage(snap, { onlyCpuAndMemory: true }));
  assert.equal(r.nodeSample?.cpuUsageCoreNanoSeconds, s.nodeSample?.cpuUsageCoreNanoSeconds);
  assert.equal(r.nodeSample?.workingSetBytes, s.nodeSample?.workingSetBytes);
  assert.equal(r.containers.length, 36);
  const key = (c: NodeScrape['containers'][number]): string => `${c.namespace}/${c.pod}/${c.container}`;
  const byKey = new Map(s.containers.map((c) => [key(c), c]));
  for (const c of r.containers) {
    const other = byKey.get(key(c));
    assert.ok(other !== undefined, key(c));
    assert.equal(c.cpuUsageCoreNanoSeconds, other.cpuUsageCoreNanoSeconds, key(c));
    assert.equal(c.workingSetBytes, other.workingSetBytes, key(c));
    // The summary has whole seconds; the exposition milliseconds.
    assert.equal(Math.floor(c.timestampMs / 1000), Math.floor(other.timestampMs / 1000));
  }
});

test('counters grow, node ≥ Σ pods ≥ Σ containers, and samples move only at housekeeping instants', () => {
  const model = new NodeModel(shape, { index: 4, generation: 0 });
  let prev = model.snapshot(T0);
  for (let t = T0 + 1_000; t <= T0 + 120_000; t += 1_000) {
    const snap = model.snapshot(t);
    assert.ok(snap.cpuNs >= prev.cpuNs, 'node counter never decreases');
    const pods = snap.pods.reduce((s, p) => s + p.cpuNs, 0n);
    assert.ok(snap.cpuNs >= pods, 'node ≥ Σ pods');
    for (const p of snap.pods) {
      assert.ok(p.cpuNs >= p.containers.reduce((s, c) => s + c.cpuNs, 0n), 'pod ≥ Σ containers');
      const before = prev.pods.find((q) => q.name === p.name);
      for (const c of p.containers) {
        const b = before?.containers.find((x) => x.name === c.name);
        assert.ok(b !== undefined && c.cpuNs >= b.cpuNs, 'container counter never decreases without a restart');
        assert.ok(c.timeMs <= t && c.timeMs > t - 10_000, 'sample within the last housekeeping period');
        if (c.timeMs === b.timeMs) assert.equal(c.cpuNs, b.cpuNs, 'same sample, same value');
      }
    }
    prev = snap;
  }
  // Containers are sampled at different instants (each cgroup has its own housekeeping phase).
  assert.ok(new Set(prev.pods.flatMap((p) => p.containers.map((c) => c.timeMs))).size > 5);
  // The rate over a window matches the model's instantaneous rates in magnitude.
  const a = model.snapshot(T0);
  const b = model.snapshot(T0 + 60_000);
  const meanNanoCores = Number(b.cpuNs - a.cpuNs) / ((b.timeMs - a.timeMs) / 1000);
  assert.ok(meanNanoCores > 0.3 * b.usageNanoCores && meanNanoCores < 3 * b.usageNanoCores, `${meanNanoCores} vs ${b.usageNanoCores}`);
});

test('churn replaces pods over time and restarts reset a container\'s counter and start time', () => {
  const model = new NodeModel({ ...shape, churnPerMinute: 0.5, restartShare: 1 }, { index: 5, generation: 0 });
  const names0 = new Set(model.snapshot(T0).pods.map((p) => p.name));
  const later = model.snapshot(T0 + 20 * 60_000);
  const replaced = later.pods.filter((p) => !names0.has(p.name)).length;
  assert.ok(replaced >= 6, `pods replaced after 20 min at 50 %/min: ${replaced}`);
  let sawRestart = false;
  for (let t = T0; t < T0 + 2 * 3_600_000 && !sawRestart; t += 10_000) {
    const x = model.snapshot(t);
    const y = model.snapshot(t + 10_000);
    for (const p of y.pods) {
      const q = x.pods.find((z) => z.name === p.name);
      for (const c of p.containers) {
        const d = q?.containers.find((z) => z.name === c.name);
        if (d !== undefined && c.restarts > d.restarts) {
          sawRestart = true;
          assert.ok(c.startMs > d.startMs, 'a restart moves the start time');
          assert.ok(c.cpuNs < d.cpuNs || c.cpuNs < 1e12, 'and the new incarnation counts from zero');
        }
      }
    }
  }
  assert.ok(sawRestart);
});

test('distortions: counter resets drop counters without a restart; skew moves every time', () => {
  const model = new NodeModel(shape, { index: 6, generation: 0 });
  const plain = model.snapshot(T0 + 100_000);
  const skewed = model.snapshot(T0 + 100_000, { skewMs: 300_000 });
  assert.equal(skewed.timeMs, plain.timeMs + 300_000);
  assert.equal(skewed.pods[0]!.containers[0]!.startMs, plain.pods[0]!.containers[0]!.startMs + 300_000);
  assert.equal(skewed.cpuNs, plain.cpuNs);
  let drops = 0;
  let prev = model.snapshot(T0, { counterResetEveryMs: 30_000 });
  for (let t = T0 + 15_000; t < T0 + 300_000; t += 15_000) {
    const s = model.snapshot(t, { counterResetEveryMs: 30_000 });
    if (s.cpuNs < prev.cpuNs) drops++;
    assert.equal(s.pods[0]!.containers[0]!.startMs, prev.pods[0]!.containers[0]!.startMs, 'no restart');
    prev = s;
  }
  assert.ok(drops >= 5, `node counter dropped ${drops} times`);
});

test('page distortions: duplicate series and NaN values still parse as exposition', () => {
  const snap = new NodeModel(shape, { index: 7, generation: 0 }).snapshot(T0);
  const dup = parseExposition(resourcePage(snap, { duplicateSeries: true }));
  assert.equal(dup[0]!.samples.length, 2 * 36);
  const nan = parseExposition(resourcePage(snap, { nan: true }));
  assert.ok(nan[0]!.samples.some((s) => Number.isNaN(s.value)));
  const sum = summaryOf(snap, { duplicateSeries: true, nan: true });
  assert.equal(sum.pods.length, 24);
  assert.equal(sum.pods[0]!.containers[0]!.cpu?.usageCoreNanoSeconds, (1n << 64n) - 1n);
});
