/**
 * scrape.kubemeter.io through the secure layer: the front proxy's identity reviewed as resource
 * `nodescrapestatuses` in group `scrape.kubemeter.io`, the aggregator's availability probe of the
 * second APIService, upstream's Forbidden text, and the real kubectl (`get --raw`, `get
 * nodescrapestatuses`, the short name `nss`, `-o wide`) watching a node fail and recover.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { get, kubeconfigFor, kubectl, remoteUser, secureRig, statusBody } from './secure-rig.test.ts';

const LIST = '/apis/scrape.kubemeter.io/v1alpha1/nodescrapestatuses';

test('front proxy and the aggregator: reviewed as nodescrapestatuses.scrape.kubemeter.io; the discovery probe passes without a review', async (t) => {
  const r = await secureRig(t);
  const ok = await get(r, `${LIST}/node-a`, { cert: r.proxyCert, headers: remoteUser('alice', ['dev']) });
  assert.equal(ok.status, 200);
  assert.equal(ok.body, r.expected(`${LIST}/node-a`));
  assert.deepEqual(r.sars().at(-1), {
    resourceAttributes: { verb: 'get', group: 'scrape.kubemeter.io', version: 'v1alpha1', resource: 'nodescrapestatuses', name: 'node-a' },
    user: 'alice', groups: ['dev', 'system:authenticated'],
  });
  const denied = await get(r, LIST, { cert: r.proxyCert, headers: remoteUser('mallory') });
  assert.equal(denied.status, 403);
  assert.equal(denied.body, statusBody(403, 'Forbidden', 'nodescrapestatuses.scrape.kubemeter.io is forbidden: User "mallory" cannot list resource "nodescrapestatuses" in API group "scrape.kubemeter.io" at the cluster scope', { group: 'scrape.kubemeter.io', kind: 'nodescrapestatuses' }));
  // kube-apiserver checks the second APIService like the first: GET /apis/<group>/<version> as system:kube-aggregator.
  r.api.authorize = () => ({ allowed: false });
  const before = r.sars().length;
  for (const path of ['/apis/scrape.kubemeter.io/v1alpha1', '/apis/scrape.kubemeter.io', '/apis']) {
    const d = await get(r, path, { cert: r.proxyCert, headers: remoteUser('system:kube-aggregator', ['system:masters']) });
    assert.equal(d.status, 200, path);
    assert.equal(d.body, r.expected(path));
  }
  assert.equal(r.sars().length, before);
});

test('the real kubectl sees a failing node, its reason, message and count, then the recovery', async (t) => {
  const r = await secureRig(t);
  const bob = kubeconfigFor(r, 'bob', { cert: r.pki.issue(r.clientCa, { commonName: 'bob', organizations: ['viewers'], usage: 'client' }) });
  const cache = ['--cache-dir', join(r.pki.dir, 'kubectl-cache')];
  for (const path of [LIST, `${LIST}/node-a`, '/apis/scrape.kubemeter.io/v1alpha1', '/apis']) {
    const out = await kubectl(bob, 'get', '--raw', path);
    assert.equal(out.code, 0, `${path}: ${out.stderr}`);
    assert.equal(out.stdout, r.expected(path), path);
  }
  const healthy = await kubectl(bob, ...cache, 'get', 'nodescrapestatuses');
  assert.equal(healthy.stderr, '');
  assert.equal(healthy.stdout, 'NAME     LAST SUCCESS   FAILURES   LAST ERROR   ERROR AGE\nnode-a   0s             0          <none>       <none>\n');

  r.kubelet.fault = { kind: 'status', code: 503 };
  for (let i = 0; i < 2; i++) {
    r.metricsClock.advance(15_000);
    await r.server.loop.tick();
  }
  r.metricsClock.advance(4_000);
  const failing = await kubectl(bob, ...cache, 'get', 'nss', 'node-a', '-o', 'wide');
  assert.equal(failing.stderr, '');
  const [head, row] = failing.stdout.trimEnd().split('\n');
  assert.deepEqual(head!.split(/\s{2,}/), ['NAME', 'LAST SUCCESS', 'FAILURES', 'LAST ERROR', 'ERROR AGE', 'ENDPOINT', 'MESSAGE']);
  const port = /:(\d+)\/metrics/.exec(r.expected(`${LIST}/node-a`))![1];
  assert.deepEqual(row!.split(/\s{2,}/), ['node-a', '34s', '2', 'http-status', '4s', `https://127.0.0.1:${port}/metrics/resource`, 'request failed, status: "503 Service Unavailable"']);
  const json = JSON.parse((await kubectl(bob, ...cache, 'get', 'nodescrapestatus', 'node-a', '-o', 'json')).stdout) as { status: { consecutiveFailures: number; lastError: { reason: string } } };
  assert.deepEqual([json.status.consecutiveFailures, json.status.lastError.reason], [2, 'http-status']);

  r.kubelet.fault = undefined;
  r.metricsClock.advance(11_000);
  await r.server.loop.tick();
  const recovered = await kubectl(bob, ...cache, 'get', 'nodescrapestatuses.scrape.kubemeter.io');
  assert.equal(recovered.stdout, 'NAME     LAST SUCCESS   FAILURES   LAST ERROR    ERROR AGE\nnode-a   0s             0          http-status   15s\n');
  const missing = await kubectl(bob, ...cache, 'get', 'nss', 'nope');
  assert.equal(missing.stderr, 'Error from server (NotFound): nodescrapestatuses.scrape.kubemeter.io "nope" not found\n');
  const mallory = kubeconfigFor(r, 'mallory', { cert: r.pki.issue(r.clientCa, { commonName: 'mallory', usage: 'client' }) });
  assert.equal((await kubectl(mallory, ...cache, 'get', 'nss')).stderr,
    'Error from server (Forbidden): nodescrapestatuses.scrape.kubemeter.io is forbidden: User "mallory" cannot list resource "nodescrapestatuses" in API group "scrape.kubemeter.io" at the cluster scope\n');
});
