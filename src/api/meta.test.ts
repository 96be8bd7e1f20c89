import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isKubemeterError } from '../lib/errors.ts';
import {
  metricsAPIGroupBody, metricsAPIGroupListBody, metricsAPIResourceListBody, encodeAPIVersions,
} from './discovery.ts';
import {
  badRequestStatus, decodeStatus, encodeStatus, forbiddenStatus, internalErrorStatus, methodNotSupportedStatus,
  notFoundStatus, unauthorizedStatus,
} from './meta.ts';
import { encodeTable } from './table.ts';
import { goQuote, indentJson, parseJsonExact, FloatLiteral } from './json.ts';

test('discovery documents are byte-identical to metrics-server', () => {
  assert.equal(metricsAPIResourceListBody(),
    '{"kind":"APIResourceList","apiVersion":"v1","groupVersion":"metrics.k8s.io/v1beta1","resources":[' +
    '{"name":"nodes","singularName":"","namespaced":false,"kind":"NodeMetrics","verbs":["get","list"]},' +
    '{"name":"pods","singularName":"","namespaced":true,"kind":"PodMetrics","verbs":["get","list"]}]}\n');
  assert.equal(metricsAPIGroupBody(),
    '{"kind":"APIGroup","apiVersion":"v1","name":"metrics.k8s.io","versions":[{"groupVersion":"metrics.k8s.io/v1beta1",' +
    '"version":"v1beta1"}],"preferredVersion":{"groupVersion":"metrics.k8s.io/v1beta1","version":"v1beta1"}}\n');
  assert.equal(metricsAPIGroupListBody(),
    '{"kind":"APIGroupList","apiVersion":"v1","groups":[{"name":"metrics.k8s.io","versions":[{"groupVersion":' +
    '"metrics.k8s.io/v1beta1","version":"v1beta1"}],"preferredVersion":{"groupVersion":"metrics.k8s.io/v1beta1","version":"v1beta1"}}]}\n');
  assert.equal(encodeAPIVersions(['v1'], [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:6443' }]),
    '{"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"127.0.0.1:6443"}]}\n');
});

test('Status objects have the exact shapes of apimachinery errors', () => {
  const mgr = { group: 'metrics.k8s.io', resource: 'podmetrics' };
  assert.equal(encodeStatus(notFoundStatus(mgr, 'ns/p')),
    '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"podmetrics.metrics.k8s.io \\"ns/p\\" not found",' +
    '"reason":"NotFound","details":{"name":"ns/p","group":"metrics.k8s.io","kind":"podmetrics"},"code":404}\n');
  assert.equal(encodeStatus(notFoundStatus({ group: '', resource: 'node' }, 'n')),
    '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"node \\"n\\" not found","reason":"NotFound",' +
    '"details":{"name":"n","kind":"node"},"code":404}\n');
  assert.equal(forbiddenStatus({ group: 'metrics.k8s.io', resource: 'nodes' }, '',
    'User "u" cannot list resource "nodes" in API group "metrics.k8s.io" at the cluster scope').message,
  'nodes.metrics.k8s.io is forbidden: User "u" cannot list resource "nodes" in API group "metrics.k8s.io" at the cluster scope');
  assert.equal(forbiddenStatus({ group: 'metrics.k8s.io', resource: 'pods' }, 'p', 'x').message, 'pods.metrics.k8s.io "p" is forbidden: x');
  assert.equal(forbiddenStatus({ group: '', resource: '' }, '', 'User "u" cannot get path "/metrics"').message,
    'forbidden: User "u" cannot get path "/metrics"');
  assert.equal(encodeStatus(internalErrorStatus('failed listing pods: boom')),
    '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Internal error occurred: failed listing pods: boom",' +
    '"reason":"InternalError","details":{"causes":[{"message":"failed listing pods: boom"}]},"code":500}\n');
  assert.equal(encodeStatus(unauthorizedStatus()),
    '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}\n');
  assert.equal(methodNotSupportedStatus({ group: 'metrics.k8s.io', resource: 'nodes' }, 'watch').message,
    'watch is not supported on resources of kind "nodes.metrics.k8s.io"');
  assert.equal(badRequestStatus('bad selector').code, 400);
  const round = decodeStatus(encodeStatus(notFoundStatus(mgr, 'ns/p')));
  assert.deepEqual(round, notFoundStatus(mgr, 'ns/p'));
  assert.throws(() => decodeStatus('{"code":"x"}', 'u'), /^KubemeterError: invalid Status document from u: code: expected a 32-bit integer/);
});

test('Table matches the reference sample', () => {
  const text = encodeTable({
    columnDefinitions: [
      { name: 'Name', type: 'string', format: 'name', description: 'Name of the resource', priority: 0 },
      { name: 'cpu', type: 'string', format: 'quantity', description: '', priority: 0 },
      { name: 'memory', type: 'string', format: 'quantity', description: '', priority: 0 },
      { name: 'Window', type: 'string', format: 'duration', description: '', priority: 0 },
    ],
    rows: [{ cells: ['pod1', '250264852n', '12240Ki', '15.012s'],
      object: { metadata: { name: 'pod1', namespace: 'default', creationTimestamp: Date.parse('2026-08-04T10:15:32Z') } } }],
  });
  assert.equal(text, '{"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":{},' +
    '"columnDefinitions":[{"name":"Name","type":"string","format":"name","description":"Name of the resource","priority":0},' +
    '{"name":"cpu","type":"string","format":"quantity","description":"","priority":0},' +
    '{"name":"memory","type":"string","format":"quantity","description":"","priority":0},' +
    '{"name":"Window","type":"string","format":"duration","description":"","priority":0}],' +
    '"rows":[{"cells":["pod1","250264852n","12240Ki","15.012s"],' +
    '"object":{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":{"name":"pod1","namespace":"default","creationTimestamp":"2026-08-04T10:15:32Z"}}}]}\n');
  assert.equal(encodeTable({ columnDefinitions: [], rows: [] }),
    '{"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":{},"columnDefinitions":null,"rows":null}\n');
});

const wellFormed = (s: string): string =>
  s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');

test('goQuote escapes as Go encoding/json does', () => {
  assert.equal(goQuote('plain-ascii_1.2'), '"plain-ascii_1.2"');
  assert.equal(goQuote('<a href="x">&</a>'), '"\\u003ca href=\\"x\\"\\u003e\\u0026\\u003c/a\\u003e"');
  assert.equal(goQuote('\b\f\n\r\t\u0000\u001f\u007f\\'), '"\\b\\f\\n\\r\\t\\u0000\\u001f\u007f\\\\"');
  assert.equal(goQuote('\u2028\u2029é😀'), '"\\u2028\\u2029é😀"');
  assert.equal(goQuote('a\ud800b\udc00'), '"a\\ufffdb\\ufffd"');
  // Equivalent to JSON.stringify except for Go's extra escapes.
  fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => {
    const expected = JSON.stringify(wellFormed(s))
      .replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    const lone = [...s].some((c) => c.length === 1 && c.charCodeAt(0) >= 0xd800 && c.charCodeAt(0) <= 0xdfff);
    if (!lone) assert.equal(goQuote(s), expected);
    assert.equal(JSON.parse(goQuote(s)), wellFormed(s));
  }), { numRuns: 200 });
});

test('indentJson matches json.MarshalIndent layout', () => {
  assert.equal(indentJson('{"a":[1,{"b":"x,:{}"}],"c":{},"d":[]}', ' '),
    '{\n "a": [\n  1,\n  {\n   "b": "x,:{}"\n  }\n ],\n "c": {},\n "d": []\n}');
  fc.assert(fc.property(fc.jsonValue(), (v) => {
    const compact = JSON.stringify(v);
    assert.equal(indentJson(compact, '  '), JSON.stringify(v, null, 2));
  }), { numRuns: 300 });
});

test('parseJsonExact keeps big integers exact and marks float-written integers', () => {
  const v = parseJsonExact('{"a":18446744073709551615,"b":-9007199254740993,"c":1.0,"d":1.5,"e":7}', 'T') as Record<string, unknown>;
  assert.equal(v.a, 18446744073709551615n);
  assert.equal(v.b, -9007199254740993n);
  assert.ok(v.c instanceof FloatLiteral);
  assert.equal(v.d, 1.5);
  assert.equal(v.e, 7);
  assert.throws(() => parseJsonExact('{', 'T', 'src'), (e) => isKubemeterError(e) && e.message.startsWith('invalid T document from src: not JSON'));
});
