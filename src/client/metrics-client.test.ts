import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCode, isKubemeterError } from '../lib/errors.ts';
import { MetricsClient, MetricsClientError } from './index.ts';
import { startTopApiServer } from '../../test/support/top-apiserver.ts';
import { container, node, nodeMetrics, pod, podMetrics, type TopFixture } from '../../test/support/top-fixture.ts';

const now = Date.UTC(2026, 7, 4, 10, 0, 0);

function fixture(): TopFixture {
  return {
    nodes: [
      node('n1', { cpu: '4', memory: '16Gi', allocCpu: '3920m', allocMemory: '15Gi', labels: { zone: 'a' }, createdMs: now - 1e7 }),
      node('n2', { cpu: '2', memory: '8Gi', allocCpu: '2', allocMemory: '8Gi', labels: { zone: 'b' }, createdMs: now - 1e7 }),
    ],
    nodeMetrics: [nodeMetrics('n1', '250264852n', '8318172Ki', now, { zone: 'a' }), nodeMetrics('n2', '1', '1Gi', now, { zone: 'b' })],
    pods: [
      // Same pod name in two namespaces: joins must use namespace/name.
      pod('a', 'web', { nodeName: 'n1', containers: [container('app', { requests: { cpu: '100m', memory: '100Mi' }, limits: { cpu: '1', memory: '200Mi' } })], createdMs: now - 1e6 }),
      pod('b', 'web', {
        nodeName: 'n2',
        containers: [container('app', { requests: { cpu: '200m', memory: '64Mi' }, limits: { memory: '1Gi' } })],
        initContainers: [container('mesh', { requests: { cpu: '50m', memory: '32Mi' }, limits: { cpu: '100m', memory: '64Mi' } }, { restartPolicy: 'Always' }), container('migrate', { requests: { cpu: '1', memory: '16Mi' } })],
        createdMs: now - 1e6,
      }),
      pod('c', 'sized', { nodeName: 'n1', containers: [container('x'), container('y')], resources: { requests: { cpu: '2', memory: '1Gi' }, limits: { cpu: '4', memory: '2Gi' } }, createdMs: now - 1e6 }),
    ],
    podMetrics: [
      podMetrics('a', 'web', [{ name: 'app', cpu: '50m', memory: '50Mi' }], now, { app: 'web' }),
      podMetrics('b', 'web', [{ name: 'app', cpu: '100m', memory: '32Mi' }, { name: 'mesh', cpu: '25m', memory: '16Mi' }], now, { app: 'web' }),
      podMetrics('c', 'sized', [{ name: 'x', cpu: '1', memory: '512Mi' }, { name: 'y', cpu: '0', memory: '0' }], now, { app: 'sized' }),
    ],
  };
}

async function setup(t: { after: (fn: () => unknown) => void }) {
  const server = await startTopApiServer({ fixture: fixture() });
  const client = MetricsClient.fromUrl(server.url);
  t.after(async () => {
    client.close();
    await server.close();
  });
  return { server, client };
}

test('lists node metrics with exact quantities and a canonical label selector', async (t) => {
  const { server, client } = await setup(t);
  const nodes = await client.listNodeMetrics({ labelSelector: 'zone in (b, a)' });
  assert.deepEqual(nodes.map((n) => n.name), ['n1', 'n2']);
  assert.equal(nodes[0]!.usage['cpu']!.toString(), '250264852n');
  assert.equal(nodes[0]!.usage['cpu']!.milliValue(), 251n);
  assert.equal(nodes[0]!.windowMs, 15012);
  assert.equal(server.requests.at(-1)!.url, '/apis/metrics.k8s.io/v1beta1/nodes?labelSelector=zone+in+%28a%2Cb%29');
  assert.deepEqual((await client.listNodeMetrics({ labelSelector: 'zone=b' })).map((n) => n.name), ['n2']);
});

test('single GETs, namespaces, field selectors', async (t) => {
  const { server, client } = await setup(t);
  assert.equal((await client.getNodeMetrics('n2')).usage['memory']!.value(), 1073741824n);
  const all = await client.listPodMetrics();
  assert.deepEqual(all.map((p) => `${p.namespace}/${p.name}`), ['a/web', 'b/web', 'c/sized']);
  assert.equal(server.requests.at(-1)!.url, '/apis/metrics.k8s.io/v1beta1/pods');
  assert.deepEqual((await client.listPodMetrics({ namespace: 'b' })).map((p) => p.containers.length), [2]);
  assert.deepEqual((await client.listPodMetrics({ fieldSelector: 'metadata.namespace=c' })).map((p) => p.name), ['sized']);
  const one = await client.getPodMetrics('a', 'web');
  assert.equal(one.containers[0]!.usage['cpu']!.toString(), '50m');
});

test('typed errors name the request, the server and the Status message', async (t) => {
  const { server, client } = await setup(t);
  await assert.rejects(client.getPodMetrics('a', 'nope'), (e: unknown) => {
    assert.ok(e instanceof MetricsClientError);
    assert.equal(e.notFound, true);
    assert.equal(e.reason, 'NotFound');
    assert.equal(e.statusMessage, 'pods "nope" not found');
    assert.equal(e.code, ErrorCode.HttpStatus);
    assert.equal(e.request.verb, 'get');
    assert.ok(e.message.includes(server.url), e.message);
    assert.ok(e.message.includes('pods.metrics.k8s.io "nope" in namespace "a"'), e.message);
    return true;
  });
  await assert.rejects(client.listPodMetrics({ labelSelector: 'a in (b' }), (e: unknown) => isKubemeterError(e, ErrorCode.InvalidSelector));
});

test('cancellation and timeouts', async (t) => {
  const hang = http.createServer(() => undefined);
  await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
  t.after(() => {
    hang.closeAllConnections();
    hang.close();
  });
  const client = MetricsClient.fromUrl(`http://127.0.0.1:${(hang.address() as AddressInfo).port}`);
  t.after(() => client.close());
  const ctl = new AbortController();
  const p = client.listNodeMetrics({ signal: ctl.signal });
  ctl.abort();
  await assert.rejects(p, (e: unknown) => e instanceof MetricsClientError && e.code === ErrorCode.Aborted);
  await assert.rejects(client.listNodeMetrics({ timeoutMs: 50 }), (e: unknown) => e instanceof MetricsClientError && e.code === ErrorCode.Timeout);
});

test('topPods: namespace-safe join, sidecar-aware requests, correct memory sums, pod-level resources', async (t) => {
  const { client } = await setup(t);
  const pods = await client.topPods();
  const by = new Map(pods.map((p) => [p.key, p]));
  const a = by.get('a/web')!;
  assert.equal(a.cpu.requests!.quantity.toString(), '100m');
  assert.equal(a.cpu.requestPercent, 50);
  assert.equal(a.memory.requests!.quantity.toString(), '100Mi');
  assert.equal(a.memory.limits!.quantity.toString(), '200Mi');
  assert.equal(a.memory.limitPercent, 25);
  const b = by.get('b/web')!;
  // app 200m + sidecar 50m = 250m; the classic init container (1 core + 50m sidecar before it) wins.
  assert.equal(b.cpu.requests!.quantity.toString(), '1050m');
  assert.equal(b.memory.requests!.quantity.toString(), '96Mi');
  assert.equal(b.cpu.limits, undefined, 'app has no CPU limit: unbounded');
  assert.equal(b.memory.limits!.quantity.toString(), '1088Mi');
  assert.equal(b.cpu.usage!.quantity.toString(), '125m');
  assert.deepEqual(b.containers.map((c) => [c.name, c.kind]), [['mesh', 'sidecar'], ['app', 'container']]);
  const c = by.get('c/sized')!;
  assert.equal(c.cpu.requests!.quantity.toString(), '2');
  assert.equal(c.cpu.requestPercent, 50);
  assert.equal(c.memory.limitPercent, 25);
  assert.equal(c.cpu.usage!.value, 1);
});

test('topNodes: usage against allocatable and capacity, requests of scheduled pods', async (t) => {
  const { client } = await setup(t);
  const [n1, n2] = await client.topNodes({ pods: true });
  assert.equal(n1!.cpu.allocatablePercent, 6);
  assert.equal(n1!.memory.allocatablePercent, 52);
  assert.equal(n1!.cpu.capacityPercent, 6);
  assert.equal(n1!.cpu.requests!.quantity.toString(), '2100m');
  assert.equal(n2!.cpu.usage!.value, 1);
  assert.equal(n2!.cpu.allocatablePercent, 50);
  assert.equal(n2!.cpu.limits, undefined);
});
