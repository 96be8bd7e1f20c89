import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { resourceDecoder } from './decode-resource.ts';
import { summaryDecoder } from './decode-summary.ts';
import { secondsToNanoseconds, type IncompleteReport, type ScrapeDecoder } from './decoder.ts';
import { isKubemeterError } from '../lib/errors.ts';
import { startFakeKubelet } from '../../test/support/fake-kubelet.ts';

const canonical = `# HELP container_cpu_usage_seconds_total [ALPHA] Cumulative cpu time consumed by the container in core-seconds
# TYPE container_cpu_usage_seconds_total counter
container_cpu_usage_seconds_total{container="coredns",namespace="kube-system",pod="coredns-558bd4d5db-4dpjz"} 4.710169 1633253812125
# HELP container_memory_working_set_bytes [ALPHA] Current working set of the container in bytes
# TYPE container_memory_working_set_bytes gauge
container_memory_working_set_bytes{container="coredns",namespace="kube-system",pod="coredns-558bd4d5db-4dpjz"} 1.253376e+07 1633253812125
# TYPE container_start_time_seconds gauge
container_start_time_seconds{container="coredns",namespace="kube-system",pod="coredns-558bd4d5db-4dpjz"} 1.633252712e+9 1633253812125
# HELP node_cpu_usage_seconds_total [ALPHA] Cumulative cpu time consumed by the node in core-seconds
# TYPE node_cpu_usage_seconds_total counter
node_cpu_usage_seconds_total 357.35491 1633253809720
# HELP node_memory_working_set_bytes [ALPHA] Current working set of the node in bytes
# TYPE node_memory_working_set_bytes gauge
node_memory_working_set_bytes 1.616273408e+09 1633253809720
# HELP pod_cpu_usage_seconds_total [ALPHA] Cumulative cpu time consumed by the pod in core-seconds
# TYPE pod_cpu_usage_seconds_total counter
pod_cpu_usage_seconds_total{namespace="kube-system",pod="coredns-558bd4d5db-4dpjz"} 4.67812 1633253803935
# HELP scrape_error [ALPHA] 1 if there was an error while getting container metrics, 0 otherwise
# TYPE scrape_error gauge
scrape_error 0
`;

function opts(extra: Partial<Parameters<typeof resourceDecoder>[0]> = {}): Parameters<typeof resourceDecoder>[0] {
  return { node: 'n1', defaultTimestampMs: 1_000, source: 'http://n1/metrics/resource', maxBodyChars: 1 << 20, ...extra };
}

function decodeChunked(d: ScrapeDecoder, text: string, size: number): ReturnType<ScrapeDecoder['end']> {
  for (let i = 0; i < text.length; i += size) d.push(text.slice(i, i + size));
  return d.end();
}

test('the canonical kubelet payload decodes to the reference numbers, in any chunking', () => {
  for (const size of [1, 7, 100, canonical.length]) {
    const s = decodeChunked(resourceDecoder(opts()), canonical, size);
    assert.deepEqual(s.nodeSample, { timestampMs: 1633253809720, cpuUsageCoreNanoSeconds: 357354910000n, workingSetBytes: 1616273408 });
    assert.deepEqual(s.containers, [{
      namespace: 'kube-system', pod: 'coredns-558bd4d5db-4dpjz', container: 'coredns',
      startTimeNs: 1633252712e9, timestampMs: 1633253812125, cpuUsageCoreNanoSeconds: 4710169000n, workingSetBytes: 12533760,
    }]);
  }
});

test('escaped label values are decoded, not byte-searched', () => {
  const text = 'container_cpu_usage_seconds_total{container="a\\"b",namespace="n\\\\s",pod="p"} 1 5\ncontainer_memory_working_set_bytes{pod="p",namespace="n\\\\s",container="a\\"b"} 2 5\n';
  const d = resourceDecoder(opts());
  d.push(text);
  const s = d.end();
  assert.deepEqual(s.containers.map((c) => [c.namespace, c.pod, c.container, c.cpuUsageCoreNanoSeconds, c.workingSetBytes]), [['n\\s', 'p', 'a"b', 1_000_000_000n, 2]]);
});

test('validity: zero CPU drops the pod, zero working set does not, missing timestamp uses the request time', () => {
  const reports: IncompleteReport[] = [];
  const d = resourceDecoder(opts({ onIncomplete: (r) => reports.push(r) }));
  d.push([
    'container_cpu_usage_seconds_total{container="idle",namespace="ns",pod="ok"} 0.5',
    'container_memory_working_set_bytes{container="idle",namespace="ns",pod="ok"} 0',
    'container_cpu_usage_seconds_total{container="a",namespace="ns",pod="bad"} 0.5',
    'container_memory_working_set_bytes{container="a",namespace="ns",pod="bad"} 10',
    'container_cpu_usage_seconds_total{container="b",namespace="ns",pod="bad"} 0',
    'container_memory_working_set_bytes{container="b",namespace="ns",pod="bad"} 10',
    'container_start_time_seconds{container="x",namespace="ns",pod="nodata"} 100',
    'node_cpu_usage_seconds_total 0 5',
    'node_memory_working_set_bytes 10 5',
    '',
  ].join('\n'));
  const s = d.end();
  assert.deepEqual(s.containers.map((c) => [c.pod, c.container, c.timestampMs, c.workingSetBytes]), [['ok', 'idle', 1_000, 0]]);
  assert.equal(s.nodeSample, undefined);
  assert.deepEqual(reports.map((r) => r.pod ?? 'node'), ['node', 'bad', 'nodata']);
});

test('malformed text fails with a decode error naming the source', () => {
  const d = resourceDecoder(opts());
  assert.throws(() => { d.push('node_cpu_usage_seconds_total{ oops\n'); d.end(); }, (e) => isKubemeterError(e) && e.message.includes('http://n1/metrics/resource'));
  const big = resourceDecoder(opts({ maxBodyChars: 10 }));
  assert.throws(() => big.push('# '.repeat(20)), (e) => isKubemeterError(e, 'KM_TOO_LARGE'));
});

test('secondsToNanoseconds is exact for printed kubelet counters', () => {
  assert.equal(secondsToNanoseconds(4.710169), 4_710_169_000n);
  assert.equal(secondsToNanoseconds(6197.005020909), 6_197_005_020_909n);
  assert.equal(secondsToNanoseconds(1.72395638218014e5), 172_395_638_218_014n);
  assert.equal(secondsToNanoseconds(32503705.52427), 32_503_705_524_270_000n);
  assert.equal(secondsToNanoseconds(0), 0n);
  assert.equal(secondsToNanoseconds(-1), 0n);
  assert.equal(secondsToNanoseconds(NaN), 0n);
  fc.assert(fc.property(fc.bigInt({ min: 1n, max: 2n ** 62n }), (ns) => {
    const printed = Number(ns) / 1e9;
    const back = secondsToNanoseconds(printed);
    // Within what a float64 can carry of the original.
    const tolerance = ns < 2n ** 53n ? 0n : ns / 2n ** 50n;
    assert.ok((back > ns ? back - ns : ns - back) <= tolerance, `${ns} → ${printed} → ${back}`);
  }));
});

test('both kubelet endpoints decode the same fake-kubelet state to the same scrape (conformance)', async (t) => {
  const k = await startFakeKubelet();
  t.after(() => k.close());
  k.state.timestampMs = 1_750_000_000_000;
  const a = k.container('default', 'web-1', 'app');
  a.cpuNs = 123_456_789_000n;
  a.workingSetBytes = 50_000_000;
  a.startTimeSeconds = 1_749_990_000;
  const b = k.container('default', 'web-1', 'sidecar');
  b.cpuNs = 5_000_000_000n;
  b.workingSetBytes = 0;
  b.startTimeSeconds = 1_749_990_000;
  const c = k.container('kube-system', 'dns', 'coredns');
  c.cpuNs = 0n; // dropped: zero CPU
  c.workingSetBytes = 10;
  for (const endpoint of ['resource', 'summary'] as const) {
    const res = await fetch(`${k.url}${endpoint === 'resource' ? '/metrics/resource' : '/stats/summary?only_cpu_and_memory=true'}`);
    const text = await res.text();
    const d = (endpoint === 'resource' ? resourceDecoder : summaryDecoder)(opts());
    d.push(text);
    const s = d.end();
    assert.deepEqual(s.nodeSample, { timestampMs: 1_750_000_000_000, cpuUsageCoreNanoSeconds: 1_000_000_000_000n, workingSetBytes: 1_073_741_824 }, endpoint);
    const got = s.containers.map((x) => [x.namespace, x.pod, x.container, x.cpuUsageCoreNanoSeconds, x.workingSetBytes, x.startTimeNs, x.timestampMs])
      .sort((p, q) => String(p[2]).localeCompare(String(q[2])));
    assert.deepEqual(got, [
      ['default', 'web-1', 'app', 123_456_789_000n, 50_000_000, 1_749_990_000e9, 1_750_000_000_000],
      ['default', 'web-1', 'sidecar', 5_000_000_000n, 0, 1_749_990_000e9, 1_750_000_000_000],
    ], endpoint);
  }
});
