import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { ErrorCode, isKubemeterError } from '../lib/errors.ts';
import {
  decodeNodeMetrics, decodeNodeMetricsList, decodePodMetrics, decodePodMetricsList, encodeNodeMetrics,
  encodeNodeMetricsList, encodeNodeMetricsListWriter, encodePodMetrics, encodePodMetricsList,
  encodePodMetricsListPieces, encodePodMetricsListWriter, type NodeMetrics, type PodMetrics,
} from './metrics.ts';

const fixture = (name: string): string => readFileSync(new URL(`testdata/${name}`, import.meta.url), 'utf8');

test('golden: the reference samples round-trip byte for byte', () => {
  const node = fixture('node-metrics.json');
  assert.equal(encodeNodeMetrics(decodeNodeMetrics(node)), node);
  const pod = fixture('pod-metrics.json');
  assert.equal(encodePodMetrics(decodePodMetrics(pod)), pod);
  const nodes = fixture('node-metrics-list.json');
  const nl = decodeNodeMetricsList(nodes);
  assert.equal(encodeNodeMetricsList(nl.items, nl.metadata), nodes);
  assert.equal(encodeNodeMetricsListWriter(nl.items, nl.metadata), nodes);
  const pods = fixture('pod-metrics-list.json');
  const pl = decodePodMetricsList(pods);
  assert.equal(encodePodMetricsList(pl.items, pl.metadata), pods);
  assert.equal(encodePodMetricsListWriter(pl.items, pl.metadata), pods);
});

test('decoded values', () => {
  const m = decodeNodeMetrics(fixture('node-metrics.json'));
  assert.equal(m.timestamp, Date.parse('2026-08-04T10:15:21Z'));
  assert.equal(m.window, '15.012s');
  assert.deepEqual(m.usage, { cpu: '136136861n', memory: '595128Ki' });
  assert.equal(m.metadata.labels?.['kubernetes.io/os'], 'linux');
  const empty = decodePodMetricsList('{"kind":"PodMetricsList","apiVersion":"metrics.k8s.io/v1beta1","metadata":{},"items":null}');
  assert.deepEqual(empty, { metadata: {}, items: [] });
  assert.equal(encodePodMetricsList([]), '{"kind":"PodMetricsList","apiVersion":"metrics.k8s.io/v1beta1","metadata":{},"items":[]}\n');
});

function err(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert.ok(isKubemeterError(e, ErrorCode.InvalidDocument), String(e));
    return e.message;
  }
  assert.fail('expected an error');
}

test('schema violations name the field path and the source', () => {
  const pods = fixture('pod-metrics-list.json');
  assert.equal(err(() => decodePodMetricsList(pods.replace('"10m"', '"ten"'), 'https://metrics/pods')),
    'invalid PodMetricsList document from https://metrics/pods: items[1].containers[1].usage.cpu: ' +
    'expected a quantity such as "250m" or "128Mi" (got "ten")');
  assert.equal(err(() => decodePodMetricsList(pods.replace('"15s"', '"15 seconds"'))),
    'invalid PodMetricsList document: items[1].window: expected a Go duration such as "15.012s" (got "15 seconds")');
  assert.equal(err(() => decodePodMetricsList(pods.replace('"app":"web"', '"app":1'))),
    'invalid PodMetricsList document: items[1].metadata.labels["app"]: expected a string (got 1)');
  assert.equal(err(() => decodeNodeMetrics(fixture('node-metrics.json').replace('"NodeMetrics"', '"PodMetrics"'))),
    'invalid NodeMetrics document: kind: expected "NodeMetrics" (got "PodMetrics")');
  assert.equal(err(() => decodeNodeMetrics('{"metadata":{},"timestamp":5,"window":"1s","usage":{}}')),
    'invalid NodeMetrics document: timestamp: expected an RFC 3339 time or null (got 5)');
  assert.equal(err(() => decodePodMetrics('{"metadata":{},"window":"1s","containers":[{"usage":{}}]}')),
    'invalid PodMetrics document: containers[0].name: expected a string (got nothing)');
  assert.equal(err(() => decodePodMetrics('"x"')), 'invalid PodMetrics document: (document): expected an object (got "x")');
  // Non-canonical but valid quantities are accepted.
  assert.equal(decodeNodeMetrics('{"metadata":{},"window":"1m0s","usage":{"cpu":"1.5","memory":"1e3"}}').usage.cpu, '1.5');
});

test('Go escaping and map order in encoders', () => {
  const m: NodeMetrics = {
    metadata: { name: 'n<1>&', creationTimestamp: Date.parse('2026-08-04T10:15:32.900Z'), labels: { b: '\u2028', a: 'x\ud800y', 'é': '1', Z: '"' } },
    timestamp: null, window: '1µs', usage: { memory: '1Ki', cpu: '1' },
  };
  assert.equal(encodeNodeMetrics(m),
    '{"kind":"NodeMetrics","apiVersion":"metrics.k8s.io/v1beta1","metadata":{"name":"n\\u003c1\\u003e\\u0026",' +
    '"creationTimestamp":"2026-08-04T10:15:32Z","labels":{"Z":"\\"","a":"x\\ufffdy","b":"\\u2028","é":"1"}},' +
    '"timestamp":null,"window":"1µs","usage":{"cpu":"1","memory":"1Ki"}}\n');
  assert.equal(encodeNodeMetricsList([m]), encodeNodeMetricsListWriter([m]));
  // Array-index label keys: JSON.stringify would reorder them; the writer path is used.
  const n: NodeMetrics = { ...m, metadata: { name: 'x', labels: { b: '1', 10: '2', 9: '3' } } };
  assert.match(encodeNodeMetricsList([n]), /"labels":\{"10":"2","9":"3","b":"1"\}/);
});

const str = fc.string({ unit: fc.constantFrom('a', 'Z', '0', '9', '<', '>', '&', '"', '\\', '\n', '\u2028', 'é', '\ud800', '\udc00', '😀', '\u007f', '\u0001') });
const labels = fc.dictionary(fc.oneof(str, fc.nat({ max: 20 }).map(String)), str, { maxKeys: 4 });
const time = fc.option(fc.integer({ min: 0, max: 4102444800000 }), { nil: null });
const podArb: fc.Arbitrary<PodMetrics> = fc.record({
  metadata: fc.record({ name: str, namespace: str, creationTimestamp: time, labels }),
  timestamp: time,
  window: fc.constantFrom('15.012s', '1m0s', '999.5ms'),
  containers: fc.array(fc.record({ name: str, usage: fc.dictionary(str, fc.constantFrom('0', '10m', '5Mi')) }), { maxLength: 3 }),
});

test('fuzz: both list encoders write identical bytes that decode back to the same text', () => {
  fc.assert(fc.property(fc.array(podArb, { maxLength: 5 }), (items) => {
    const a = encodePodMetricsList(items);
    assert.equal(a, encodePodMetricsListWriter(items));
    JSON.parse(a); // always valid JSON
    const nodes = items.map((p) => ({ metadata: p.metadata, timestamp: p.timestamp, window: p.window, usage: p.containers[0]?.usage ?? {} }));
    assert.equal(encodeNodeMetricsList(nodes), encodeNodeMetricsListWriter(nodes));
  }), { numRuns: 300 });
});

test('fuzz: a list written in pieces, in any batches, is the same bytes as written at once', () => {
  fc.assert(fc.property(fc.array(podArb, { maxLength: 8 }), fc.array(fc.nat(3), { maxLength: 8 }), (items, cuts) => {
    // Split the items into batches of the given sizes (empty batches included), the rest last.
    const batches: PodMetrics[][] = [];
    let at = 0;
    for (const n of cuts) {
      batches.push(items.slice(at, at + n));
      at += n;
    }
    batches.push(items.slice(at));
    assert.equal([...encodePodMetricsListPieces(batches)].join(''), encodePodMetricsListWriter(items));
  }), { numRuns: 300 });
  assert.equal([...encodePodMetricsListPieces([])].join(''), encodePodMetricsList([]));
});

test('fuzz: decoders only ever throw KubemeterError', () => {
  const decoders = [decodeNodeMetrics, decodeNodeMetricsList, decodePodMetrics, decodePodMetricsList];
  const check = (text: string): void => {
    for (const d of decoders) {
      try {
        d(text);
      } catch (e) {
        if (!isKubemeterError(e)) throw e;
      }
    }
  };
  fc.assert(fc.property(fc.string(), check), { numRuns: 200 });
  fc.assert(fc.property(fc.json(), check), { numRuns: 200 });
  const pods = fixture('pod-metrics-list.json');
  fc.assert(fc.property(fc.nat({ max: pods.length - 1 }), fc.jsonValue(), (at, v) => {
    check(pods.slice(0, at) + JSON.stringify(v) + pods.slice(at + 1));
  }), { numRuns: 300 });
});
