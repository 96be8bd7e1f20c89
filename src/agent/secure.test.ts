import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultSecureFlags } from '../auth/flags.ts';
import { loadKubeConfig } from '../kube/kubeconfig.ts';
import { readCgroupMounts } from '../cgroup/mounts.ts';
import { createCgroupReader } from '../cgroup/reader.ts';
import { startFakeApiserver } from '../../test/support/fake-apiserver.ts';
import { createTestPki } from '../../test/support/pki.ts';
import { writeGeneratedHost } from '../../test/support/agent-fixtures.ts';
import { Collector } from './collector.ts';
import { createAgentHandler } from './http.ts';
import { startSecurePort } from './secure.ts';

function get(url: string, options: { ca: string; cert?: string; key?: string; token?: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca: options.ca, cert: options.cert, key: options.key, headers: options.token ? { authorization: `Bearer ${options.token}` } : {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('secure port: client certificates and TokenReview authenticate, SubjectAccessReview on nodes/stats and nodes/metrics authorizes', async (t) => {
  const api = await startFakeApiserver();
  t.after(() => api.close());
  const pki = createTestPki();
  t.after(() => pki.cleanup());
  const dir = mkdtempSync(join(tmpdir(), 'kubemeter-secure-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeGeneratedHost(dir, 2, 1);

  const servingCa = pki.ca('kubelet-ca');
  const serving = pki.issue(servingCa, { commonName: 'node-1', ipAddresses: ['127.0.0.1'], usage: 'server' });
  const clientCa = pki.ca('client-ca');
  const client = pki.issue(clientCa, { commonName: 'metrics-client', organizations: ['scrapers'], usage: 'client' });
  api.tokens.set('t0k', { username: 'alice', groups: ['ops'] });
  api.authorize = (spec) => ({
    allowed: (spec.user === 'metrics-client' && spec.resourceAttributes?.subresource === 'metrics') || (spec.user === 'alice' && spec.resourceAttributes?.subresource === 'stats'),
  });

  const roots = { procRoot: join(dir, 'proc'), sysRoot: join(dir, 'sys') };
  const collector = new Collector({
    reader: createCgroupReader(readCgroupMounts(roots)), procRoot: roots.procRoot, nodeName: 'node-1', cgroupRoot: '/', driver: 'auto',
    identity: [], standalone: undefined, fs: { rootDir: undefined, imageFsDir: undefined },
  });
  await collector.collectOnce();
  const flags = { ...defaultSecureFlags('kubelet'), bindAddress: '127.0.0.1', securePort: 0, tlsCertFile: serving.certPath, tlsPrivateKeyFile: serving.keyPath, clientCaFile: clientCa.certPath };
  const port = await startSecurePort({
    flags, nodeName: 'node-1', authorizationMode: 'Webhook',
    connection: await loadKubeConfig({ kubeconfig: api.writeKubeconfig(join(dir, 'kubeconfig')) }),
    handler: createAgentHandler({ source: collector }),
  });
  t.after(() => port.close());
  const base = `https://127.0.0.1:${port.port}`;
  const ca = servingCa.certPem;

  assert.deepEqual(await get(`${base}/stats/summary`, { ca }), { status: 401, body: 'Unauthorized' });
  const metrics = await get(`${base}/metrics/resource`, { ca, cert: client.certPem, key: client.keyPem });
  assert.equal(metrics.status, 200);
  assert.match(metrics.body, /^resource_scrape_error 0$/m);
  assert.deepEqual(await get(`${base}/stats/summary`, { ca, cert: client.certPem, key: client.keyPem }), {
    status: 403,
    body: 'Forbidden (user=metrics-client, verb=get, resource=nodes, subresource=stats)',
  });
  const summary = await get(`${base}/stats/summary?only_cpu_and_memory=true`, { ca, token: 't0k' });
  assert.equal(summary.status, 200);
  assert.ok(summary.body.startsWith(`{\n "node": {\n  "nodeName": "node-1"`), summary.body.slice(0, 60));
  assert.equal((await get(`${base}/stats/summary`, { ca, token: 'wrong' })).status, 401);

  const sar = api.requests.filter((r) => r.path === '/apis/authorization.k8s.io/v1/subjectaccessreviews').map((r) => (r.body as { spec: { resourceAttributes: unknown } }).spec.resourceAttributes);
  assert.deepEqual(sar[0], { verb: 'get', version: 'v1', resource: 'nodes', subresource: 'metrics', name: 'node-1' });
});
