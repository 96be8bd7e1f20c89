import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeNode, decodeNodeList, decodePod, decodePodList } from '../api/core.ts';
import { decodeStatus } from '../api/meta.ts';
import { apiRequest, notFoundText, type ApiResponse } from '../apiserver/http.ts';
import { handleCoreApi, type CoreSource } from './core-api.ts';
import type { NodeDescription, PodDescription } from './core-objects.ts';
import { standaloneHandler } from './http.ts';

const t0 = Date.UTC(2025, 0, 2, 3, 4, 5);

const node: NodeDescription = {
  name: 'vm', uid: 'u-node', createdMs: t0, labels: { 'kubernetes.io/hostname': 'vm' },
  capacity: { memory: '16Gi', cpu: '4' }, allocatable: { memory: '16Gi', cpu: '4' },
  addresses: [{ type: 'InternalIP', address: '10.0.0.5' }, { type: 'Hostname', address: 'vm' }],
  kubeletPort: 40001, ready: true, heartbeatMs: t0 + 1000, readySinceMs: t0,
  nodeInfo: { machineID: 'm', bootID: 'b', kernelVersion: '6.1.0', osImage: 'Debian', containerRuntimeVersion: '', kubeletVersion: 'v0.1.0-kubemeter', architecture: 'amd64' },
};

function pod(namespace: string, name: string, extra: Partial<PodDescription> = {}): PodDescription {
  return { namespace, name, uid: `u-${namespace}-${name}`, startTimeMs: t0, labels: { 'kubemeter.io/source': 'systemd' }, nodeName: 'vm', hostIP: '10.0.0.5', containers: [{ name, startTimeMs: t0 }], ...extra };
}

const source: CoreSource = {
  nodeDescriptions: () => [node],
  podDescriptions: () => [
    pod('system', 'sshd'),
    pod('docker', 'web', { labels: { 'kubemeter.io/source': 'docker' }, containers: [{ name: 'web', startTimeMs: t0, cpuLimitMilli: 1500, memoryLimitBytes: 256n * 1024n * 1024n }] }),
    pod('system', 'cron', { nodeName: undefined }),
  ],
  serverAddress: () => '127.0.0.1:4443',
  resourceVersion: () => '42',
};

function get(url: string, method = 'GET'): ApiResponse {
  const r = handleCoreApi(apiRequest(method, url), source);
  assert.ok(r !== undefined, url);
  return r;
}

test('discovery: /api and /api/v1', () => {
  const api = JSON.parse(get('/api').body) as Record<string, unknown>;
  assert.deepEqual(api, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:4443' }] });
  const v1 = JSON.parse(get('/api/v1/').body) as { resources: { name: string; verbs: string[] }[] };
  assert.deepEqual(v1.resources.map((r) => [r.name, r.verbs]), [['nodes', ['get', 'list']], ['pods', ['get', 'list']]]);
});

test('nodes: list and get decode as core/v1 and carry what kubectl top reads', () => {
  const list = get('/api/v1/nodes');
  assert.equal(list.status, 200);
  assert.equal(list.contentType, 'application/json');
  const nodes = decodeNodeList(list.body);
  assert.equal(nodes.metadata.resourceVersion, '42');
  assert.deepEqual(nodes.items[0]?.status?.allocatable, { cpu: '4', memory: '16Gi' });
  const one = decodeNode(get('/api/v1/nodes/vm').body);
  assert.equal(one.metadata.creationTimestamp, t0);
  assert.deepEqual(one.status?.conditions?.map((c) => [c.type, c.status]), [['Ready', 'True']]);
  assert.equal(one.status?.daemonEndpoints?.kubeletEndpoint?.Port, 40001);
  assert.equal(JSON.parse(get('/api/v1/nodes/vm').body).kind, 'Node');
  // Go field order: kind, apiVersion, metadata, spec, status; resource lists sorted by key.
  assert.match(get('/api/v1/nodes/vm').body, /^\{"kind":"Node","apiVersion":"v1","metadata":\{"name":"vm","uid":"u-node","creationTimestamp":"2025-01-02T03:04:05Z".*"capacity":\{"cpu":"4","memory":"16Gi"\}/);
});

test('pods: lists sorted by namespace/name, namespaced lists, get, limits and defaulted requests', () => {
  const all = decodePodList(get('/api/v1/pods').body);
  assert.deepEqual(all.items.map((p) => `${p.metadata.namespace}/${p.metadata.name}`), ['docker/web', 'system/cron', 'system/sshd']);
  const sys = decodePodList(get('/api/v1/namespaces/system/pods').body);
  assert.deepEqual(sys.items.map((p) => p.metadata.name), ['cron', 'sshd']);
  const web = decodePod(get('/api/v1/namespaces/docker/pods/web').body);
  assert.deepEqual(web.spec?.containers[0]?.resources, { limits: { cpu: '1500m', memory: '256Mi' }, requests: { cpu: '1500m', memory: '256Mi' } });
  assert.equal(web.status?.phase, 'Running');
  assert.equal(web.spec?.nodeName, 'vm');
  const raw = JSON.parse(get('/api/v1/namespaces/docker/pods/web').body) as { status: { qosClass: string } };
  assert.equal(raw.status.qosClass, 'Guaranteed');
  const sshd = JSON.parse(get('/api/v1/namespaces/system/pods/sshd').body) as { spec: { containers: { resources: unknown }[] }; status: { qosClass: string } };
  assert.deepEqual(sshd.spec.containers[0]!.resources, {});
  assert.equal(sshd.status.qosClass, 'BestEffort');
});

test('selectors filter like kube-apiserver and unknown field labels are a 400', () => {
  const names = (url: string): string[] => decodePodList(get(url).body).items.map((p) => p.metadata.name ?? '');
  assert.deepEqual(names('/api/v1/pods?labelSelector=kubemeter.io%2Fsource%3Ddocker'), ['web']);
  assert.deepEqual(names('/api/v1/pods?fieldSelector=spec.nodeName%3Dvm'), ['web', 'sshd']);
  assert.deepEqual(names('/api/v1/pods?fieldSelector=status.phase%3DRunning,metadata.namespace%3Dsystem'), ['cron', 'sshd']);
  assert.deepEqual(decodeNodeList(get('/api/v1/nodes?labelSelector=kubernetes.io%2Fhostname%3Dother').body).items, []);
  const bad = get('/api/v1/pods?fieldSelector=spec.foo%3Dx');
  assert.equal(bad.status, 400);
  assert.deepEqual(decodeStatus(bad.body), { status: 'Failure', message: 'field label not supported: spec.foo', reason: 'BadRequest', code: 400 });
  assert.equal(get('/api/v1/pods?labelSelector=a%20in%20(').status, 400);
});

test('errors: 404 Status for unknown objects and paths, 405 for writes and watches', () => {
  const missing = get('/api/v1/nodes/nope');
  assert.equal(missing.status, 404);
  assert.deepEqual(decodeStatus(missing.body), { status: 'Failure', message: 'nodes "nope" not found', reason: 'NotFound', details: { name: 'nope', kind: 'nodes' }, code: 404 });
  assert.equal(decodeStatus(get('/api/v1/namespaces/system/pods/web').body).message, 'pods "web" not found');
  for (const p of ['/api/v2', '/api/v1/services', '/api/v1/namespaces', '/api/v1/nodes/vm/proxy']) {
    const r = get(p);
    assert.equal(r.status, 404, p);
    assert.equal(decodeStatus(r.body).reason, 'NotFound', p);
  }
  const post = get('/api/v1/namespaces/system/pods', 'POST');
  assert.equal(post.status, 405);
  assert.equal(decodeStatus(post.body).message, 'create is not supported on resources of kind "pods"');
  assert.equal(decodeStatus(get('/api/v1/nodes/vm', 'DELETE').body).message, 'delete is not supported on resources of kind "nodes"');
  assert.equal(decodeStatus(get('/api/v1/pods?watch=true').body).message, 'watch is not supported on resources of kind "pods"');
  assert.equal(get('/api', 'POST').status, 405);
  assert.equal(handleCoreApi(apiRequest('GET', '/apis'), source), undefined);
  assert.equal(handleCoreApi(apiRequest('GET', '/apix'), source), undefined);
});

test('the combined handler: core first, the metrics router next, plain 404s become Status', () => {
  const seen: string[] = [];
  const h = standaloneHandler({ core: source, metrics: (req) => {
    seen.push(req.path);
    return req.path === '/apis' ? { status: 200, contentType: 'application/json', body: '{}' } : notFoundText;
  } });
  assert.equal(h(apiRequest('GET', '/api/v1/nodes')).status, 200);
  assert.equal(h(apiRequest('GET', '/apis')).body, '{}');
  const other = h(apiRequest('GET', '/logs'));
  assert.equal(other.status, 404);
  assert.equal(decodeStatus(other.body).message, 'the server could not find the requested resource');
  assert.deepEqual(seen, ['/apis', '/logs']);
});
