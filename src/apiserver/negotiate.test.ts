import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { negotiate } from './negotiate.ts';
import { MetricsHandler, type MetricsSource } from './metrics-handler.ts';
import { apiRequest } from './http.ts';

const KUBECTL_GET = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

test('negotiate: the first servable clause in goautoneg order decides', () => {
  assert.deepEqual(negotiate(''), { kind: 'object' });
  assert.deepEqual(negotiate('application/vnd.kubernetes.protobuf, */*'), { kind: 'object' });
  assert.deepEqual(negotiate(KUBECTL_GET), { kind: 'table', version: 'v1' });
  assert.deepEqual(negotiate('application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json'), { kind: 'table', version: 'v1beta1' });
  // A plain type first means the client prefers the object.
  assert.deepEqual(negotiate('application/json, application/json;as=Table;v=v1;g=meta.k8s.io'), { kind: 'object' });
  // Quality wins over order; an unknown Table version or another transformation is skipped.
  assert.deepEqual(negotiate('application/json;q=0.5, application/json;as=Table;v=v1beta1;g=meta.k8s.io'), { kind: 'table', version: 'v1beta1' });
  assert.deepEqual(negotiate('application/json;as=Table;v=v2;g=meta.k8s.io, application/json;as=Table;v=v1beta1;g=meta.k8s.io'), { kind: 'table', version: 'v1beta1' });
  assert.deepEqual(negotiate('application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io, application/json'), { kind: 'object' });
  assert.deepEqual(negotiate('application/json;as=Table;v=v1;g=example.com'), { kind: 'object' });
  // Concrete types sort before wildcards at equal quality.
  assert.deepEqual(negotiate('*/*, application/json;as=Table;v=v1;g=meta.k8s.io'), { kind: 'table', version: 'v1' });
  assert.deepEqual(negotiate('text/html, application/json;as=Table;v=v1;g=meta.k8s.io;q=0'), { kind: 'object' });
});

test('negotiate never throws on arbitrary headers', () => {
  fc.assert(fc.property(fc.string({ maxLength: 200 }), (h) => {
    const r = negotiate(h);
    assert.ok(r.kind === 'object' || r.kind === 'table');
  }));
});

const T = Date.UTC(2026, 7, 4, 10, 15, 15);
const source: MetricsSource = {
  node: (name) => (name === 'n1' ? { name, labels: {} } : undefined),
  nodes: () => [{ name: 'n1', labels: {} }],
  pod: (ns, name) => (ns === 'default' && name === 'p1' ? { namespace: ns, name, labels: {} } : undefined),
  pods: () => [{ namespace: 'default', name: 'p1', labels: {} }],
  nodeUsage: (name) => (name === 'n1' ? { name, timestampMs: T, windowNs: 15e9, cpuNanoCores: 250e6, workingSetBytes: 1 << 30 } : undefined),
  podUsage: (ns, name) => (name === 'p1' ? { namespace: ns, name, timestampMs: T, windowNs: 15e9, containers: [{ name: 'a', cpuNanoCores: 1e6, workingSetBytes: 4096 }] } : undefined),
};
const handler = new MetricsHandler({ source, nowMs: () => T + 5_000 });
const call = (path: string, accept = ''): { status: number; body: string } => {
  const req = apiRequest('GET', `/apis/metrics.k8s.io/v1beta1/${path}`, { accept });
  const q = path.indexOf('?');
  const r = handler.handle(req, (q < 0 ? path : path.slice(0, q)).split('/'))!;
  return { status: r.status, body: r.body };
};

test('Table output carries the meta.k8s.io version the client asked for', () => {
  const v1 = JSON.parse(call('nodes', KUBECTL_GET).body) as { apiVersion: string; rows: { object: { apiVersion: string } }[] };
  assert.deepEqual([v1.apiVersion, v1.rows[0]?.object.apiVersion], ['meta.k8s.io/v1', 'meta.k8s.io/v1']);
  const b = call('namespaces/default/pods/p1', 'application/json;as=Table;v=v1beta1;g=meta.k8s.io');
  assert.equal(b.body, '{"kind":"Table","apiVersion":"meta.k8s.io/v1beta1","metadata":{},"columnDefinitions":[' +
    '{"name":"Name","type":"string","format":"name","description":"Name of the resource","priority":0},' +
    '{"name":"cpu","type":"string","format":"quantity","description":"","priority":0},{"name":"memory","type":"string","format":"quantity","description":"","priority":0},' +
    '{"name":"Window","type":"string","format":"duration","description":"","priority":0}],' +
    '"rows":[{"cells":["p1","1m","4Ki","15s"],"object":{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1beta1","metadata":{"name":"p1","namespace":"default","creationTimestamp":"2026-08-04T10:15:20Z"}}}]}\n');
  const empty = call('pods?labelSelector=app%3Dnone', 'application/json;as=Table;v=v1beta1;g=meta.k8s.io');
  assert.equal(empty.body, '{"kind":"Table","apiVersion":"meta.k8s.io/v1beta1","metadata":{},"columnDefinitions":null,"rows":null}\n');
  assert.match(call('nodes?includeObject=Object', KUBECTL_GET).body, /"object":\{"kind":"NodeMetrics","apiVersion":"metrics.k8s.io\/v1beta1"/);
  assert.doesNotMatch(call('nodes?includeObject=None', KUBECTL_GET).body, /"object"/);
});

test('invalid includeObject, limit and timeoutSeconds: 400 with the generic apiserver texts', () => {
  const bad = (path: string, accept = ''): unknown => {
    const r = call(path, accept);
    assert.equal(r.status, 400, path);
    return (JSON.parse(r.body) as { message: string }).message;
  };
  assert.equal(bad('nodes?includeObject=All', KUBECTL_GET), 'Unable to convert to Table as requested: includeObject: Invalid value: "All": must be \'Metadata\', \'Object\', \'None\', or empty');
  // includeObject only matters for Tables; a missing object is a 404 first.
  assert.equal(call('nodes?includeObject=All').status, 200);
  assert.equal(call('nodes/nope?includeObject=All', KUBECTL_GET).status, 404);
  assert.equal(bad('nodes?limit=ten'), 'strconv.ParseInt: parsing "ten": invalid syntax');
  assert.equal(bad('pods?limit='), 'strconv.ParseInt: parsing "": invalid syntax');
  assert.equal(bad('pods?limit=99999999999999999999'), 'strconv.ParseInt: parsing "99999999999999999999": value out of range');
  // timeoutSeconds is decoded before limit, and both before the selectors.
  assert.equal(bad('nodes?limit=x&timeoutSeconds=1.5'), 'strconv.ParseInt: parsing "1.5": invalid syntax');
  assert.equal(bad('nodes?labelSelector=a%20in%20b&limit=x'), 'strconv.ParseInt: parsing "x": invalid syntax');
  // A valid limit is accepted; paging is not implemented, the whole list comes back.
  assert.equal(call('nodes?limit=1&timeoutSeconds=-5').status, 200);
  assert.equal(call('nodes?limit=%2B3').status, 200);
  // watch: the query decoder's bool, checked after decoding.
  assert.equal(call('nodes?watch=yes').status, 405);
  assert.equal(call('nodes?watch=FALSE').status, 200);
  assert.equal(bad('nodes?watch=1&limit=x'), 'strconv.ParseInt: parsing "x": invalid syntax');
});
