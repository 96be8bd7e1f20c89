/**
 * End to end on 127.0.0.1: fake kubelets behind a nodes file, the real scrape loop, store and
 * HTTPS API, checked byte for byte; then the real kubectl as a client.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { request } from 'node:https';
import { connect } from 'node:http2';
import type { ManualClock } from '../lib/clock.ts';
import { apiRequest } from '../apiserver/http.ts';
import type { MetricsServer } from './server.ts';
import { defaultSecureFlags } from '../auth/flags.ts';
import type { FakeKubelet } from '../../test/support/fake-kubelet.ts';
import { startNodesFileServer } from '../../test/support/nodes-file-server.ts';
import { createTestPki } from '../../test/support/pki.ts';

const run = promisify(execFile);
const T0 = Date.UTC(2026, 7, 4, 10, 15, 0);

interface Rig {
  k1: FakeKubelet;
  k2: FakeKubelet;
  clock: ManualClock;
  server: MetricsServer;
  dir: string;
  get(path: string, accept?: string): { status: number; body: string };
  /** Advance kubelets by 15 s (k1 +0.25 core per container, k2 +1 core) and tick. */
  cycle(): Promise<void>;
}

async function rig(t: TestContext, nodeSelector = ''): Promise<Rig> {
  const { kubelets: [k1, k2], clock, server, dir, get } = await startNodesFileServer(t, {
    nodes: ['node-a', 'node-b'],
    nodesYaml: ([a, b]) => [
      `- {name: node-a, address: 127.0.0.1, port: ${a}, labels: {role: web, zone: a}}`,
      `- {name: node-b, address: 127.0.0.1, port: ${b}, labels: {role: infra, zone: b}}`,
      `- {name: node-c, address: 127.0.0.1, port: 1, labels: {role: web, zone: c}}`,
      '',
    ].join('\n'),
    startMs: T0 + 5_000,
    nodeSelector,
    requestTimeoutMs: 2_000,
    concurrency: 4,
    dirPrefix: 'kubemeter-server-',
  });
  assert.ok(k1 !== undefined && k2 !== undefined);
  for (const k of [k1, k2]) k.state.timestampMs = T0;
  const web = k1.container('default', 'web-1', 'app');
  web.cpuNs = 100_000_000_000n;
  web.workingSetBytes = 12_533_760;
  const side = k1.container('default', 'web-1', 'sidecar');
  side.cpuNs = 1_000_000_000n;
  side.workingSetBytes = 0;
  const dns = k2.container('kube-system', 'coredns-1', 'coredns');
  dns.cpuNs = 4_710_169_000n;
  dns.workingSetBytes = 1_616_273_408;
  const cycle = async (): Promise<void> => {
    k1.tick(15_000, 250_000_000n);
    k2.tick(15_012, 1_000_000_000n);
    clock.advance(15_000);
    await server.loop.tick();
  };
  return { k1, k2, clock, server, dir, get, cycle };
}

test('nodes and pods are served with exact quantities, windows and timestamps after two scrapes', async (t) => {
  const r = await rig(t);
  await r.server.loop.tick();
  assert.equal(r.get('/readyz').status, 500);
  assert.equal(r.get('/readyz?verbose').body, [
    '[+]ping ok', '[+]log ok', '[+]poststarthook/max-in-flight-filter ok', '[+]poststarthook/storage-object-count-tracker-hook ok',
    '[-]metric-storage-ready failed: reason withheld', '[+]metric-informer-sync ok', '[+]metadata-informer-sync ok', '[+]shutdown ok', 'readyz check failed', '',
  ].join('\n'));
  assert.equal(r.get('/apis/metrics.k8s.io/v1beta1/nodes').body, '{"kind":"NodeMetricsList","apiVersion":"metrics.k8s.io/v1beta1","metadata":{},"items":[]}\n');
  await r.cycle();
  // node-a: +0.25 core × 2 containers + … node counter +0.25 core·15 s over 15 s
  const created = '"creationTimestamp":"2026-08-04T10:15:20Z"';
  assert.equal(r.get('/apis/metrics.k8s.io/v1beta1/nodes').body,
    '{"kind":"NodeMetricsList","apiVersion":"metrics.k8s.io/v1beta1","metadata":{},"items":[' +
    `{"metadata":{"name":"node-a",${created},"labels":{"role":"web","zone":"a"}},"timestamp":"2026-08-04T10:15:15Z","window":"15s","usage":{"cpu":"250m","memory":"1Gi"}},` +
    `{"metadata":{"name":"node-b",${created},"labels":{"role":"infra","zone":"b"}},"timestamp":"2026-08-04T10:15:15Z","window":"15.012s","usage":{"cpu":"1","memory":"1Gi"}}]}\n`);
  assert.equal(r.get('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/web-1').body,
    `{"kind":"PodMetrics","apiVersion":"metrics.k8s.io/v1beta1","metadata":{"name":"web-1","namespace":"default",${created}},"timestamp":"2026-08-04T10:15:15Z","window":"15s",` +
    '"containers":[{"name":"app","usage":{"cpu":"250m","memory":"12240Ki"}},{"name":"sidecar","usage":{"cpu":"250m","memory":"0"}}]}\n');
  assert.equal(r.get('/apis/metrics.k8s.io/v1beta1/pods').body,
    '{"kind":"PodMetricsList","apiVersion":"metrics.k8s.io/v1beta1","metadata":{},"items":[' +
    `{"metadata":{"name":"web-1","namespace":"default",${created}},"timestamp":"2026-08-04T10:15:15Z","window":"15s","containers":[{"name":"app","usage":{"cpu":"250m","memory":"12240Ki"}},{"name":"sidecar","usage":{"cpu":"250m","memory":"0"}}]},` +
    `{"metadata":{"name":"coredns-1","namespace":"kube-system",${created}},"timestamp":"2026-08-04T10:15:15Z","window":"15.012s","containers":[{"name":"coredns","usage":{"cpu":"1","memory":"1578392Ki"}}]}]}\n`);
  assert.equal(r.get('/readyz').body, 'ok');
  assert.match(r.get('/metrics').body, /^metrics_server_storage_points\{type="container"\} 3$/m);
  assert.match(r.get('/metrics').body, /^metrics_server_kubelet_request_total\{success="false"\} 2$/m);
});

test('errors: 404 texts, selectors, watch, methods', async (t) => {
  const r = await rig(t);
  await r.server.loop.tick();
  await r.cycle();
  const status = (path: string): unknown => JSON.parse(r.get(path).body);
  assert.deepEqual(status('/apis/metrics.k8s.io/v1beta1/nodes/nope'), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'node "nope" not found', reason: 'NotFound', details: { name: 'nope', kind: 'node' }, code: 404 });
  assert.deepEqual(status('/apis/metrics.k8s.io/v1beta1/nodes/node-c'), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'nodemetrics.metrics.k8s.io "node-c" not found', reason: 'NotFound', details: { name: 'node-c', group: 'metrics.k8s.io', kind: 'nodemetrics' }, code: 404 });
  assert.deepEqual(status('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/nope'), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'pods "nope" not found', reason: 'NotFound', details: { name: 'nope', kind: 'pods' }, code: 404 });
  assert.deepEqual(status('/apis/metrics.k8s.io/v1beta1/nodes?labelSelector=role%20in%20web'), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: "unable to parse requirement: found 'web' expected: '('", reason: 'BadRequest', code: 400 });
  assert.deepEqual(status('/apis/metrics.k8s.io/v1beta1/nodes?watch=true'), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'watch is not supported on resources of kind "nodes.metrics.k8s.io"', reason: 'MethodNotAllowed', details: { group: 'metrics.k8s.io', kind: 'nodes' }, code: 405 });
  assert.equal(r.server.handle(apiRequest('DELETE', '/apis/metrics.k8s.io/v1beta1/nodes/node-a')).status, 405);
  const names = (path: string): string[] => (JSON.parse(r.get(path).body) as { items: { metadata: { name: string } }[] }).items.map((i) => i.metadata.name);
  assert.deepEqual(names('/apis/metrics.k8s.io/v1beta1/nodes?labelSelector=role%3Dweb'), ['node-a']);
  assert.deepEqual(names('/apis/metrics.k8s.io/v1beta1/nodes?labelSelector=zone%20notin%20(a)'), ['node-b']);
  assert.deepEqual(names('/apis/metrics.k8s.io/v1beta1/nodes?fieldSelector=metadata.name!%3Dnode-a'), ['node-b']);
  assert.deepEqual(names('/apis/metrics.k8s.io/v1beta1/pods?fieldSelector=metadata.namespace%3Dkube-system'), ['coredns-1']);
  assert.deepEqual(names('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods'), ['web-1']);
  assert.equal(r.get('/apis/metrics.k8s.io/v1beta1/pods?fieldSelector=spec.nodeName%3Dx').status, 400);
  assert.equal(r.get('/nope').body, '404 page not found\n');
});

test('restart, counter reset, fresh container, node failure and recovery', async (t) => {
  const r = await rig(t);
  await r.server.loop.tick();
  await r.cycle();
  // A fresh container (12 s old at the next sample) in a new pod is served after one scrape.
  const fresh = r.k1.container('default', 'fresh', 'c');
  fresh.startTimeSeconds = (T0 + 30_000 - 12_000) / 1000;
  fresh.cpuNs = 0n;
  fresh.workingSetBytes = 2048;
  // Restart of app 5 s before the next sample: no previous point → web-1 hidden for a scrape.
  const app = r.k1.container('default', 'web-1', 'app');
  app.startTimeSeconds = (T0 + 25_000) / 1000;
  app.cpuNs = 0n;
  r.k2.fault = { kind: 'status', code: 500 };
  await r.cycle();
  // fresh: 0.25 core × 15 s of counter over its 12 s age.
  const f = JSON.parse(r.get('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/fresh').body) as { window: string; containers: { usage: { cpu: string; memory: string } }[] };
  assert.deepEqual([f.window, f.containers[0]?.usage], ['12s', { cpu: '312500u', memory: '2Ki' }]);
  assert.equal(r.get('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/web-1').status, 404);
  // node-b failed this cycle but is still served from its last two points.
  const nodeB = JSON.parse(r.get('/apis/metrics.k8s.io/v1beta1/nodes/node-b').body) as { timestamp: string };
  assert.equal(nodeB.timestamp, '2026-08-04T10:15:15Z');
  r.k2.fault = undefined;
  await r.cycle();
  const web = JSON.parse(r.get('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/web-1').body) as { containers: { name: string; usage: { cpu: string } }[] };
  assert.deepEqual(web.containers.map((c) => c.usage.cpu), ['250m', '250m']);
  const b = JSON.parse(r.get('/apis/metrics.k8s.io/v1beta1/nodes/node-b').body) as { window: string; usage: { cpu: string } };
  assert.deepEqual([b.window, b.usage.cpu], ['30.024s', '1']);
  // A counter reset hides the node for one scrape.
  r.k1.state.nodeCpuNs = 1n;
  await r.cycle();
  assert.equal(r.get('/apis/metrics.k8s.io/v1beta1/nodes/node-a').status, 404);
  await r.cycle();
  assert.equal(r.get('/apis/metrics.k8s.io/v1beta1/nodes/node-a').status, 200);
});

test('--node-selector excludes nodes from scraping and lists', async (t) => {
  const r = await rig(t, 'role=web');
  await r.server.loop.tick();
  await r.cycle();
  assert.equal(r.k2.requests.length, 0);
  assert.deepEqual((JSON.parse(r.get('/apis/metrics.k8s.io/v1beta1/nodes').body) as { items: unknown[] }).items.length, 1);
  assert.equal(r.get('/apis/metrics.k8s.io/v1beta1/nodes/node-b').status, 404);
});

test('served over HTTPS with HTTP/1.1 and HTTP/2 to a client certificate without any Kubernetes API; the real kubectl reads every endpoint', async (t) => {
  const r = await rig(t);
  await r.server.loop.tick();
  await r.cycle();
  // What `kubemeter up` runs: a client CA and nothing else. Members of system:masters are
  // authorized without SubjectAccessReview; the serving certificate is generated into --cert-dir.
  const pki = createTestPki();
  t.after(() => pki.cleanup());
  const clientCa = pki.ca('client-ca');
  const admin = pki.issue(clientCa, { commonName: 'admin', organizations: ['system:masters'], usage: 'client' });
  const viewer = pki.issue(clientCa, { commonName: 'viewer', usage: 'client' });
  const serving = await r.server.serve({
    flags: { ...defaultSecureFlags('apiserver'), bindAddress: '127.0.0.1', securePort: 0, certDir: join(r.dir, 'certs'), clientCaFile: clientCa.certPath, authenticationSkipLookup: true },
    authenticationConnection: null,
    authorizationConnection: null,
  });
  t.after(() => serving.close());
  const generated = readFileSync(join(r.dir, 'certs', 'apiserver.crt'), 'utf8');
  // apiserver.crt holds the serving certificate, then the CA that signed it.
  const servingCa = generated.slice(generated.indexOf('-----END CERTIFICATE-----') + 26);
  const base = serving.url;
  const h1 = (path: string, cert?: { certPem: string; keyPem: string }): Promise<{ status: number; body: string }> => new Promise((resolve, reject) => {
    request(`${base}${path}`, { ca: servingCa, agent: false, ...(cert === undefined ? {} : { cert: cert.certPem, key: cert.keyPem }) }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject).end();
  });
  assert.match((await h1('/apis/metrics.k8s.io/v1beta1', admin)).body, /"kind":"APIResourceList"/);
  assert.equal((await h1('/apis/metrics.k8s.io/v1beta1/nodes')).status, 403, 'anonymous');
  assert.equal((await h1('/apis/metrics.k8s.io/v1beta1/nodes', viewer)).status, 403, 'no SubjectAccessReview: only system:masters');
  assert.equal((await h1('/readyz')).body, 'ok');
  const h2 = await new Promise<string>((resolve, reject) => {
    const session = connect(base, { ca: servingCa, cert: admin.certPem, key: admin.keyPem });
    session.on('error', reject);
    const req = session.request({ ':path': '/apis/metrics.k8s.io' });
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      session.close();
      resolve(body);
    });
  });
  assert.equal(h2, '{"kind":"APIGroup","apiVersion":"v1","name":"metrics.k8s.io","versions":[{"groupVersion":"metrics.k8s.io/v1beta1","version":"v1beta1"}],"preferredVersion":{"groupVersion":"metrics.k8s.io/v1beta1","version":"v1beta1"}}\n');
  const kubeconfig = join(r.dir, 'kubeconfig');
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  // Server name `localhost`: the generated certificate must carry it as a SAN.
  writeFileSync(kubeconfig, `apiVersion: v1\nkind: Config\nclusters:\n- name: k\n  cluster:\n    server: https://localhost:${serving.port}\n    certificate-authority-data: ${b64(servingCa)}\nusers:\n- name: u\n  user: {client-certificate-data: ${b64(admin.certPem)}, client-key-data: ${b64(admin.keyPem)}}\ncontexts:\n- name: c\n  context: {cluster: k, user: u}\ncurrent-context: c\n`);
  const kubectl = async (...args: string[]): Promise<string> => (await run('kubectl', ['--kubeconfig', kubeconfig, ...args], { timeout: 20_000 })).stdout;
  for (const path of ['/apis', '/apis/metrics.k8s.io', '/apis/metrics.k8s.io/v1beta1', '/apis/metrics.k8s.io/v1beta1/nodes', '/apis/metrics.k8s.io/v1beta1/nodes/node-a',
    '/apis/metrics.k8s.io/v1beta1/pods', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/web-1']) {
    const out = await kubectl('get', '--raw', path);
    assert.equal(out, r.get(path).body, path);
  }
  for (const path of ['/version', '/openapi/v2', '/openapi/v3/apis/metrics.k8s.io/v1beta1', '/livez', '/readyz', '/healthz', '/metrics']) assert.ok((await kubectl('get', '--raw', path)).length > 0, path);
  await assert.rejects(kubectl('get', '--raw', '/apis/metrics.k8s.io/v1beta1/nodes/nope'), /NotFound|not found/);
});
