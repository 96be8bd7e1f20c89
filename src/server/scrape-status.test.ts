/**
 * scrape.kubemeter.io end to end on 127.0.0.1: fake kubelets with faults (hang, status codes,
 * garbage, refused connections, no usable address) behind a nodes file, the real scrape loop,
 * and the API's answers for each: reason, message, failure count, recovery; selectors, errors,
 * Table output, and that metrics.k8s.io discovery stays metrics-server's.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { ManualClock } from '../lib/clock.ts';
import { apiRequest } from '../apiserver/http.ts';
import { decodeNodeScrapeStatus, decodeNodeScrapeStatusList, type NodeScrapeStatus } from '../api/scrape-status.ts';
import type { MetricsServer } from './server.ts';
import type { FakeKubelet } from '../../test/support/fake-kubelet.ts';
import { startNodesFileServer } from '../../test/support/nodes-file-server.ts';

const T0 = Date.UTC(2026, 7, 4, 10, 15, 0);
const BASE = '/apis/scrape.kubemeter.io/v1alpha1/nodescrapestatuses';

interface Rig {
  good: FakeKubelet;
  bad: FakeKubelet;
  clock: ManualClock;
  server: MetricsServer;
  get(path: string, accept?: string): { status: number; body: string };
  status(name: string): NodeScrapeStatus['status'];
  /** Advance 15 s and tick. */
  cycle(): Promise<void>;
}

async function rig(t: TestContext, nodeSelector = ''): Promise<Rig> {
  const { kubelets: [good, bad], clock, server, get } = await startNodesFileServer(t, {
    nodes: ['node-a', 'node-b'],
    nodesYaml: ([a, b]) => [
      `- {name: node-a, address: 127.0.0.1, port: ${a}, labels: {role: web}}`,
      `- {name: node-b, address: 127.0.0.1, port: ${b}, labels: {role: infra}}`,
      '- {name: node-c, address: 127.0.0.1, port: 1, labels: {role: web}}',
      // Only InternalIP addresses are used: node-d (a host name) has no usable address.
      '- {name: node-d, address: node-d.invalid, port: 10250, labels: {role: edge}}',
      '',
    ].join('\n'),
    startMs: T0 + 5_000,
    nodeSelector,
    requestTimeoutMs: 1_000,
    concurrency: 4,
    dirPrefix: 'kubemeter-scrape-',
  });
  assert.ok(good !== undefined && bad !== undefined);
  for (const k of [good, bad]) {
    k.state.timestampMs = T0;
    const c = k.container('default', `web-${k.state.nodeName}`, 'app');
    c.cpuNs = 1_000_000_000n;
    c.workingSetBytes = 4096;
  }
  good.container('default', 'db', 'postgres').cpuNs = 5n;
  good.container('default', 'db', 'postgres').workingSetBytes = 1;
  return {
    good, bad, clock, server, get,
    status: (name) => decodeNodeScrapeStatus(get(`${BASE}/${name}`).body).status,
    cycle: async () => {
      for (const k of [good, bad]) k.tick(15_000, 100_000_000n);
      clock.advance(15_000);
      await server.loop.tick();
    },
  };
}

test('each failure class is reported with its message and count; a success resets the count and keeps the last error', async (t) => {
  const r = await rig(t);
  // Before the first tick every known node is listed, with nothing attempted yet.
  assert.deepEqual(decodeNodeScrapeStatusList(r.get(BASE).body).items.map((i) => [i.metadata.name, i.status]),
    [['node-a', { consecutiveFailures: 0 }], ['node-b', { consecutiveFailures: 0 }], ['node-c', { consecutiveFailures: 0 }], ['node-d', { consecutiveFailures: 0 }]]);
  await r.server.loop.tick();
  const t1 = T0 + 5_000;
  assert.equal(r.get(`${BASE}/node-a`).body,
    `{"kind":"NodeScrapeStatus","apiVersion":"scrape.kubemeter.io/v1alpha1","metadata":{"name":"node-a","creationTimestamp":"2026-08-04T10:15:05Z","labels":{"role":"web"}},` +
    `"status":{"endpoint":"https://127.0.0.1:${r.good.port}/metrics/resource","lastAttemptTime":"2026-08-04T10:15:05Z","lastSuccessTime":"2026-08-04T10:15:05Z","consecutiveFailures":0,"podsServed":2,"containersServed":2}}\n`);
  const c = r.status('node-c');
  assert.deepEqual([c.consecutiveFailures, c.lastError?.reason, c.lastError?.time, c.lastAttemptTime, c.lastSuccessTime], [1, 'network', t1, t1, undefined]);
  assert.match(c.lastError!.message, new RegExp(`^request to https://127\\.0\\.0\\.1:1/metrics/resource failed: .*ECONNREFUSED`));
  assert.deepEqual(r.status('node-d'), {
    consecutiveFailures: 1,
    lastAttemptTime: t1,
    lastError: { reason: 'address', message: 'no address matched types [InternalIP]', time: t1 },
  });

  const faults: [FakeKubelet['fault'], string, RegExp][] = [
    [{ kind: 'hang' }, 'timeout', new RegExp(`^request to https://127\\.0\\.0\\.1:${r.bad.port}/metrics/resource timed out after 1000 ms$`)],
    [{ kind: 'status', code: 403 }, 'http-status', /^request failed, status: "403 Forbidden"$/],
    [{ kind: 'garbage' }, 'decode', new RegExp(`^metrics text from https://127\\.0\\.0\\.1:${r.bad.port}/metrics/resource, line 1: expected '=' after label name "this"`)],
  ];
  let failures = 0;
  for (const [fault, reason, message] of faults) {
    r.bad.fault = fault;
    await r.cycle();
    failures++;
    const b = r.status('node-b');
    assert.equal(b.consecutiveFailures, failures, reason);
    assert.equal(b.lastError?.reason, reason);
    assert.match(b.lastError!.message, message);
    assert.equal(b.lastSuccessTime, t1, 'the last success stays the first tick');
    assert.equal(b.lastAttemptTime, r.clock.nowMs());
  }
  // The metrics API is unchanged by all this: node-b is simply absent after its points went stale.
  assert.equal(r.get('/apis/metrics.k8s.io/v1beta1/nodes/node-b').status, 404);

  r.bad.fault = undefined;
  await r.cycle();
  const recovered = r.status('node-b');
  assert.equal(recovered.consecutiveFailures, 0);
  assert.equal(recovered.lastSuccessTime, r.clock.nowMs());
  assert.equal(recovered.lastError?.reason, 'decode', 'the last error is kept, older than lastSuccessTime');
  assert.ok(recovered.lastError!.time! < recovered.lastSuccessTime!);
  assert.equal(r.status('node-c').consecutiveFailures, 5);
});

test('selectors, 404, 405, watch, bad options, Table; discovery lists both groups and keeps metrics.k8s.io intact', async (t) => {
  const r = await rig(t);
  await r.server.loop.tick();
  await r.cycle();
  const names = (q: string): string[] => decodeNodeScrapeStatusList(r.get(`${BASE}${q}`).body).items.map((i) => i.metadata.name!);
  assert.deepEqual(names(''), ['node-a', 'node-b', 'node-c', 'node-d']);
  assert.deepEqual(names('?labelSelector=role%3Dweb'), ['node-a', 'node-c']);
  assert.deepEqual(names('?fieldSelector=metadata.name%3Dnode-b'), ['node-b']);
  assert.deepEqual(names('?fieldSelector=metadata.name!%3Dnode-b&labelSelector=role!%3Dedge&limit=1'), ['node-a', 'node-c']);
  const status = (path: string, method = 'GET'): unknown => JSON.parse(r.server.handle(apiRequest(method, path)).body);
  assert.deepEqual(status(`${BASE}/nope`), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'nodescrapestatuses.scrape.kubemeter.io "nope" not found', reason: 'NotFound', details: { name: 'nope', group: 'scrape.kubemeter.io', kind: 'nodescrapestatuses' }, code: 404 });
  assert.deepEqual(status(`${BASE}?watch=1`), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'watch is not supported on resources of kind "nodescrapestatuses.scrape.kubemeter.io"', reason: 'MethodNotAllowed', details: { group: 'scrape.kubemeter.io', kind: 'nodescrapestatuses' }, code: 405 });
  assert.equal((status(`${BASE}/node-a`, 'DELETE') as { code: number }).code, 405);
  assert.equal((status(`${BASE}?labelSelector=role%20in%20web`) as { code: number }).code, 400);
  assert.equal((status(`${BASE}?fieldSelector=status.phase%3Dx`) as { code: number }).code, 400);
  assert.equal((status(`${BASE}?limit=x`) as { message: string }).message, 'strconv.ParseInt: parsing "x": invalid syntax');
  assert.equal((status('/apis/scrape.kubemeter.io/v1alpha1/other') as { code: number }).code, 404);

  const table = JSON.parse(r.get(`${BASE}?includeObject=None`, 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json').body) as {
    kind: string; columnDefinitions: { name: string; type: string; priority: number }[]; rows: { cells: unknown[]; object?: unknown }[];
  };
  assert.equal(table.kind, 'Table');
  assert.deepEqual(table.columnDefinitions.map((c) => [c.name, c.type, c.priority]), [
    ['Name', 'string', 0], ['Last Success', 'string', 0], ['Failures', 'integer', 0], ['Last Error', 'string', 0], ['Error Age', 'string', 0],
    ['Endpoint', 'string', 1], ['Message', 'string', 1],
  ]);
  assert.deepEqual(table.rows.map((row) => row.cells.slice(0, 5)), [
    ['node-a', '0s', 0, '<none>', '<none>'],
    ['node-b', '0s', 0, '<none>', '<none>'],
    ['node-c', '<none>', 2, 'network', '0s'],
    ['node-d', '<none>', 2, 'address', '0s'],
  ]);
  assert.equal(table.rows[0]!.object, undefined);
  r.clock.advance(125_000);
  const one = JSON.parse(r.get(`${BASE}/node-c`, 'application/json;as=Table;v=v1beta1;g=meta.k8s.io').body) as { apiVersion: string; rows: { cells: unknown[]; object: { kind: string } }[] };
  assert.equal(one.apiVersion, 'meta.k8s.io/v1beta1');
  assert.deepEqual(one.rows[0]!.cells.slice(0, 5), ['node-c', '<none>', 2, 'network', '2m5s']);
  assert.equal(one.rows[0]!.object.kind, 'PartialObjectMetadata');

  assert.equal(r.get('/apis/metrics.k8s.io').body, '{"kind":"APIGroup","apiVersion":"v1","name":"metrics.k8s.io","versions":[{"groupVersion":"metrics.k8s.io/v1beta1","version":"v1beta1"}],"preferredVersion":{"groupVersion":"metrics.k8s.io/v1beta1","version":"v1beta1"}}\n');
  assert.equal(r.get('/apis/metrics.k8s.io/v1beta1').body, '{"kind":"APIResourceList","apiVersion":"v1","groupVersion":"metrics.k8s.io/v1beta1","resources":[{"name":"nodes","singularName":"","namespaced":false,"kind":"NodeMetrics","verbs":["get","list"]},{"name":"pods","singularName":"","namespaced":true,"kind":"PodMetrics","verbs":["get","list"]}]}\n');
  assert.deepEqual((JSON.parse(r.get('/apis').body) as { groups: { name: string }[] }).groups.map((g) => g.name), ['metrics.k8s.io', 'scrape.kubemeter.io']);
  assert.equal(r.get('/apis/scrape.kubemeter.io/v1alpha1').body, '{"kind":"APIResourceList","apiVersion":"v1","groupVersion":"scrape.kubemeter.io/v1alpha1","resources":[{"name":"nodescrapestatuses","singularName":"nodescrapestatus","namespaced":false,"kind":"NodeScrapeStatus","verbs":["get","list"],"shortNames":["nss"]}]}\n');
  assert.equal(r.get('/apis/scrape.kubemeter.io').status, 200);
});

test('--node-selector: only scraped nodes have a status; nodes that leave are forgotten', async (t) => {
  const r = await rig(t, 'role=web');
  await r.server.loop.tick();
  assert.deepEqual(decodeNodeScrapeStatusList(r.get(BASE).body).items.map((i) => i.metadata.name), ['node-a', 'node-c']);
  assert.equal(r.get(`${BASE}/node-b`).status, 404);
  assert.equal(r.bad.requests.length, 0);
  assert.equal(r.server.scrapeStatus.size, 2);
});
