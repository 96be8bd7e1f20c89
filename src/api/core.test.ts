import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isKubemeterError } from '../lib/errors.ts';
import { decodeNode, decodeNodeList, decodePartialObjectMetadataList, decodePod, decodePodList, decodeWatchEvent } from './core.ts';

const node = {
  kind: 'Node', apiVersion: 'v1',
  metadata: { name: 'kind-worker', uid: '0b1c', resourceVersion: '812', creationTimestamp: '2026-08-01T09:00:00Z',
    labels: { 'kubernetes.io/os': 'linux' }, annotations: { 'node.alpha.kubernetes.io/ttl': '0' }, managedFields: [{}] },
  spec: { podCIDR: '10.244.1.0/24' },
  status: {
    capacity: { cpu: '8', memory: '32810412Ki', pods: '110' },
    allocatable: { cpu: '8', memory: '32708012Ki', pods: '110' },
    conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: '2026-08-04T10:15:00Z', lastTransitionTime: '2026-08-01T09:00:30Z', reason: 'KubeletReady', message: 'kubelet is posting ready status' }],
    addresses: [{ type: 'InternalIP', address: '172.18.0.3' }, { type: 'Hostname', address: 'kind-worker' }],
    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    nodeInfo: { kubeletVersion: 'v1.33.1', operatingSystem: 'linux', architecture: 'amd64', containerRuntimeVersion: 'containerd://2.1.1', swap: { capacity: 0 } },
    images: [{ names: ['x'] }],
  },
};

const pod = {
  metadata: { name: 'web-0', namespace: 'shop', uid: 'u1', labels: { app: 'web' }, creationTimestamp: '2026-08-04T10:00:00Z' },
  spec: {
    nodeName: 'kind-worker',
    containers: [{ name: 'app', image: 'nginx', resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '128Mi' } } }],
    initContainers: [{ name: 'log-shipper', restartPolicy: 'Always', resources: { requests: { cpu: '10m' } } }],
    resources: { requests: { cpu: '1' } },
    overhead: { cpu: '250m' },
  },
  status: {
    phase: 'Running', startTime: '2026-08-04T10:00:01Z',
    containerStatuses: [{ name: 'app', containerID: 'containerd://abc', started: true, ready: true, restartCount: 0,
      state: { running: { startedAt: '2026-08-04T10:00:05Z' } } }],
    initContainerStatuses: [{ name: 'log-shipper', ready: true, restartCount: 1, state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
  },
};

test('Node: the fields kubemeter uses, unknown fields dropped', () => {
  const n = decodeNode(JSON.stringify(node));
  assert.equal(n.metadata.name, 'kind-worker');
  assert.equal(n.metadata.creationTimestamp, Date.parse('2026-08-01T09:00:00Z'));
  assert.equal(n.status?.allocatable?.memory, '32708012Ki');
  assert.equal(n.status?.daemonEndpoints?.kubeletEndpoint?.Port, 10250);
  assert.equal(n.status?.conditions?.[0]?.type, 'Ready');
  assert.equal(n.status?.nodeInfo?.swap?.capacity, 0);
  assert.ok(!('managedFields' in n.metadata));
  assert.ok(!('images' in (n.status ?? {})));
  const list = decodeNodeList(JSON.stringify({ kind: 'NodeList', metadata: { resourceVersion: '900' }, items: [node] }));
  assert.equal(list.metadata.resourceVersion, '900');
  assert.equal(list.items.length, 1);
});

test('Pod: containers, native sidecars, pod-level resources, statuses', () => {
  const p = decodePod(JSON.stringify(pod));
  assert.equal(p.spec?.initContainers?.[0]?.restartPolicy, 'Always');
  assert.deepEqual(p.spec?.containers[0]?.resources, { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '128Mi' } });
  assert.equal(p.spec?.resources?.requests?.cpu, '1');
  assert.equal(p.spec?.overhead?.cpu, '250m');
  assert.equal(p.status?.containerStatuses?.[0]?.state?.running?.startedAt, Date.parse('2026-08-04T10:00:05Z'));
  assert.equal(p.status?.initContainerStatuses?.[0]?.state?.terminated?.exitCode, 0);
  assert.equal(decodePodList(JSON.stringify({ metadata: {}, items: null })).items.length, 0);
});

test('violations name the path and source', () => {
  const bad = structuredClone(pod) as { spec: { containers: { resources: unknown }[] } };
  bad.spec.containers[0]!.resources = { requests: { cpu: 1 } };
  assert.throws(() => decodePod(JSON.stringify(bad), 'GET /api/v1/pods'), {
    message: 'invalid Pod document from GET /api/v1/pods: spec.containers[0].resources.requests.cpu: expected a string (got 1)',
  });
  assert.throws(() => decodeNode('{"metadata":{"labels":[]}}'), {
    message: 'invalid Node document: metadata.labels: expected an object of strings (got an array)',
  });
});

test('watch events: objects, bookmarks and errors', () => {
  const added = decodeWatchEvent('Pod', JSON.stringify({ type: 'ADDED', object: pod }));
  assert.equal(added.type, 'ADDED');
  if (added.type === 'ADDED') assert.equal(added.object.metadata.name, 'web-0');
  const bm = decodeWatchEvent('Pod', '{"type":"BOOKMARK","object":{"kind":"Pod","metadata":{"resourceVersion":"12"}}}');
  assert.deepEqual(bm, { type: 'BOOKMARK', object: { metadata: { resourceVersion: '12', creationTimestamp: null } } });
  const er = decodeWatchEvent('Node', '{"type":"ERROR","object":{"kind":"Status","status":"Failure","message":"too old resource version","reason":"Expired","code":410}}');
  assert.deepEqual(er, { type: 'ERROR', object: { status: 'Failure', message: 'too old resource version', reason: 'Expired', code: 410 } });
  assert.throws(() => decodeWatchEvent('Node', '{"type":"SYNC","object":{}}'), {
    message: 'invalid watch event of Node document: type: expected ADDED, MODIFIED, DELETED, BOOKMARK or ERROR (got "SYNC")',
  });
  const meta = decodePartialObjectMetadataList('{"kind":"PartialObjectMetadataList","metadata":{},"items":[{"metadata":{"name":"a","labels":{"x":"y"}}}]}');
  assert.equal(meta.items[0]?.metadata.labels?.x, 'y');
});

test('fuzz: decoders only ever throw KubemeterError', () => {
  const check = (text: string): void => {
    for (const d of [decodeNode, decodePod, decodeNodeList, decodePodList, decodePartialObjectMetadataList,
      (t: string) => decodeWatchEvent('Pod', t)]) {
      try {
        d(text);
      } catch (e) {
        if (!isKubemeterError(e)) throw e;
      }
    }
  };
  fc.assert(fc.property(fc.json(), check), { numRuns: 200 });
  const text = JSON.stringify(pod);
  fc.assert(fc.property(fc.nat({ max: text.length - 1 }), fc.jsonValue(), (at, v) => {
    check(text.slice(0, at) + JSON.stringify(v) + text.slice(at + 1));
  }), { numRuns: 300 });
});
