/** The server fed by a (fake) kube-apiserver: nodes and Running pods from informers, labels for selectors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../lib/clock.ts';
import { silentLogger } from '../lib/log.ts';
import { everythingLabelSelector } from '../lib/labels.ts';
import { KubeClient } from '../kube/client.ts';
import { loadKubeConfig } from '../kube/kubeconfig.ts';
import { KubeletClient } from '../scraper/kubelet-client.ts';
import { apiRequest } from '../apiserver/http.ts';
import { KubeClusterView } from './kube-view.ts';
import { MetricsServer } from './server.ts';
import { startFakeApiserver, makeNode, makePod } from '../../test/support/fake-apiserver.ts';
import { startFakeKubelet } from '../../test/support/fake-kubelet.ts';

test('nodes and Running pods come from informers; pod labels drive labelSelector', async (t) => {
  const api = await startFakeApiserver();
  t.after(() => api.close());
  const kubelet = await startFakeKubelet();
  t.after(() => kubelet.close());
  const dir = mkdtempSync(join(tmpdir(), 'kubemeter-kv-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const node = makeNode('n1', { labels: { zone: 'a' } });
  (node.status as { daemonEndpoints: { kubeletEndpoint: { Port: number } } }).daemonEndpoints.kubeletEndpoint.Port = kubelet.port;
  api.nodes.upsert(node);
  api.pods.upsert(makePod('default', 'web', { nodeName: 'n1', labels: { app: 'web' } }));
  api.pods.upsert(makePod('default', 'db', { nodeName: 'n1', labels: { app: 'db' } }));
  api.pods.upsert(makePod('default', 'done', { nodeName: 'n1', phase: 'Succeeded' }));
  for (const pod of ['web', 'db', 'done']) {
    const c = kubelet.container('default', pod, 'app');
    c.cpuNs = 1_000_000_000n;
    c.workingSetBytes = 1024;
  }
  const connection = await loadKubeConfig({ kubeconfig: api.writeKubeconfig(join(dir, 'kubeconfig')) });
  const kube = new KubeClient(connection);
  t.after(() => kube.close());
  const cluster = new KubeClusterView({ client: kube, logger: silentLogger });
  const client = new KubeletClient();
  t.after(() => client.close());
  const clock = new ManualClock(kubelet.state.timestampMs);
  const server = new MetricsServer({
    cluster, client, clock, logger: silentLogger, nodeSelector: everythingLabelSelector,
    address: { preferredAddressTypes: ['InternalIP'], port: 1, useNodeStatusPort: true, scheme: 'http', endpoint: 'resource' },
    resolutionMs: 15_000, requestTimeoutMs: 2_000, concurrency: 2,
    version: { major: '0', minor: '1', gitVersion: 'v0.1.0', gitCommit: '', gitTreeState: '', buildDate: '', goVersion: '', compiler: '', platform: '' },
  });
  const ctl = new AbortController();
  t.after(() => ctl.abort());
  cluster.start(ctl.signal);
  await cluster.waitForSync(ctl.signal);
  await server.loop.tick();
  kubelet.tick(15_000, 100_000_000n);
  clock.advance(15_000);
  await server.loop.tick();
  const get = (path: string): { status: number; body: string } => server.handle(apiRequest('GET', path));
  const names = (path: string): string[] => (JSON.parse(get(path).body) as { items: { metadata: { name: string } }[] }).items.map((i) => i.metadata.name);
  assert.deepEqual(names('/apis/metrics.k8s.io/v1beta1/pods'), ['db', 'web']);
  assert.deepEqual(names('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods?labelSelector=app%3Dweb'), ['web']);
  assert.deepEqual(names('/apis/metrics.k8s.io/v1beta1/nodes?labelSelector=zone%3Da'), ['n1']);
  assert.match(get('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/web').body, /"labels":\{"app":"web"\}/);
  assert.match(get('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/done').body, /"message":"pods \\"done\\" not found"/);
  assert.equal(get('/readyz').status, 200);
  // A deleted node disappears at the next tick.
  api.nodes.remove('n1');
  for (let i = 0; i < 100 && cluster.nodes().length > 0; i++) await new Promise((r) => setTimeout(r, 20));
  await server.loop.tick();
  assert.deepEqual(names('/apis/metrics.k8s.io/v1beta1/nodes'), []);
  assert.deepEqual(names('/apis/metrics.k8s.io/v1beta1/pods'), []);
});
