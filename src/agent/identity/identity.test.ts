import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, isKubemeterError } from '../../lib/errors.ts';
import { KubeClient } from '../../kube/client.ts';
import { loadKubeConfig } from '../../kube/kubeconfig.ts';
import { startCriServer } from '../../../test/support/cri-server.ts';
import { makePod, startFakeApiserver } from '../../../test/support/fake-apiserver.ts';
import { criIdentity } from './cri.ts';
import { decodeEngineContainers, listEngineContainers } from './engine.ts';
import { decodeNodePod, kubeApiIdentity } from './kube-api.ts';
import type { IdentityProvider } from './types.ts';

const sandbox = '5a'.repeat(32);
const app = 'ab'.repeat(32);
const uid = '11111111-2222-4333-8444-555555555555';

test('CRI: a real gRPC server on a unix socket names pods, containers and sandboxes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubemeter-cri-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const calls: string[] = [];
  const socket = join(dir, 'cri.sock');
  const server = await startCriServer(socket, {
    ListPodSandbox: (_call, cb) => {
      calls.push('ListPodSandbox');
      cb(null, {
        items: [{ id: sandbox, metadata: { name: 'web-0', uid, namespace: 'shop', attempt: 0 }, state: 'SANDBOX_READY', created_at: '1700000000123456789', labels: {}, annotations: { 'io.kubernetes.cri.sandbox-log-directory': '/var/log/pods/x' } }],
      });
    },
    ListContainers: (_call, cb) => {
      calls.push('ListContainers');
      cb(null, {
        containers: [
          { id: app, pod_sandbox_id: sandbox, metadata: { name: 'nginx', attempt: 1 }, image: { image: 'nginx:1' }, state: 'CONTAINER_RUNNING', created_at: '1700000001000000000', labels: { 'io.kubernetes.container.name': 'nginx' } },
          // Labels only (metadata missing), pod found through the label UID.
          { id: 'cd'.repeat(32), pod_sandbox_id: 'unknown', labels: { 'io.kubernetes.pod.uid': uid, 'io.kubernetes.container.name': 'sidecar' } },
          // Neither metadata nor labels: not named.
          { id: 'ef'.repeat(32), pod_sandbox_id: 'unknown' },
        ],
      });
    },
  });
  t.after(() => server.stop());

  const provider = criIdentity({ endpoint: `unix://${socket}` });
  t.after(() => provider.close());
  const s = await provider.lookup(new AbortController().signal);
  assert.deepEqual(s.pods.get(uid), { uid, name: 'web-0', namespace: 'shop', startTimeMs: 1700000000123 });
  assert.deepEqual(s.containers.get(sandbox), { id: sandbox, podUid: uid, name: 'POD', sandbox: true, createdAtMs: 1700000000123 });
  assert.deepEqual(s.containers.get(app), { id: app, podUid: uid, name: 'nginx', sandbox: false, createdAtMs: 1700000001000 });
  assert.equal(s.containers.get('cd'.repeat(32))?.name, 'sidecar');
  assert.equal(s.containers.has('ef'.repeat(32)), false);
  assert.deepEqual(calls.sort(), ['ListContainers', 'ListPodSandbox']);
});

test('CRI: an absent socket is a Network error naming the endpoint; endpoints other than unix are refused', async () => {
  const provider = criIdentity({ endpoint: '/nonexistent/kubemeter.sock', timeoutMs: 2000 });
  try {
    await assert.rejects(provider.lookup(new AbortController().signal), (e: unknown) => isKubemeterError(e) && /\/nonexistent\/kubemeter.sock/.test(e.message));
  } finally {
    provider.close();
  }
  assert.throws(() => criIdentity({ endpoint: 'tcp://1.2.3.4:1' }), (e: unknown) => isKubemeterError(e, ErrorCode.InvalidFlag));
});

test('Docker/Podman engine API over a unix socket', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubemeter-engine-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const socket = join(dir, 'docker.sock');
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/containers/json')) {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify([
        { Id: 'd0'.repeat(32), Names: ['/redis'], Labels: { 'com.docker.compose.project': 'shop' }, Created: 1700000000, State: 'running' },
        { Names: ['/no-id'] },
      ]));
      return;
    }
    res.statusCode = 404;
    res.end('{"message":"page not found"}');
  });
  await new Promise<void>((r) => server.listen(socket, r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const list = await listEngineContainers(`unix://${socket}`);
  assert.deepEqual(list, [{ id: 'd0'.repeat(32), name: 'redis', labels: { 'com.docker.compose.project': 'shop' }, createdMs: 1700000000000 }]);
  await assert.rejects(listEngineContainers(join(dir, 'absent.sock')), (e: unknown) => isKubemeterError(e, ErrorCode.Network));
  assert.throws(() => decodeEngineContainers({ not: 'an array' }, 's'), /expected a JSON array/);
});

test('Kubernetes API: pods bound to this node, container ids from statuses', async (t) => {
  const api = await startFakeApiserver();
  t.after(() => api.close());
  const dir = mkdtempSync(join(tmpdir(), 'kubemeter-kapi-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const mine = makePod('shop', 'web-0', { nodeName: 'n1' });
  (mine.metadata as Record<string, unknown>).uid = uid;
  mine.status = { phase: 'Running', startTime: '2024-05-01T12:00:03Z', containerStatuses: [{ name: 'nginx', containerID: `containerd://${app}` }] };
  const other = makePod('shop', 'web-1', { nodeName: 'n2' });
  (other.metadata as Record<string, unknown>).uid = '99999999-2222-4333-8444-555555555555';
  api.pods.upsert(mine);
  api.pods.upsert(other);
  const client = new KubeClient(await loadKubeConfig({ kubeconfig: api.writeKubeconfig(join(dir, 'kubeconfig')) }));
  const provider: IdentityProvider = kubeApiIdentity({ client, nodeName: 'n1' });
  t.after(() => provider.close());
  let snapshot;
  for (let i = 0; i < 100 && snapshot === undefined; i++) {
    snapshot = await provider.lookup(new AbortController().signal).catch(() => undefined);
    if (snapshot === undefined) await sleep(50);
  }
  assert.ok(snapshot !== undefined, 'the informer synced');
  assert.deepEqual([...snapshot.pods.values()], [{ uid, name: 'web-0', namespace: 'shop', startTimeMs: Date.UTC(2024, 4, 1, 12, 0, 3) }]);
  assert.deepEqual(snapshot.containers.get(app), { id: app, podUid: uid, name: 'nginx', sandbox: false, createdAtMs: undefined });
  assert.throws(() => decodeNodePod({ metadata: { name: 'x' } }, 'pod'), /pod without metadata/);
});
