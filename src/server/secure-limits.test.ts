/**
 * --max-requests-inflight end to end: a request held in authorization (its SubjectAccessReview
 * answered only when the test says so) occupies the only slot; the next one gets upstream's 429,
 * while the aggregator's system:masters probes are never refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadKubeConfig } from '../kube/kubeconfig.ts';
import { createTestPki } from '../../test/support/pki.ts';
import { get, remoteUser, secureRig } from './secure-rig.test.ts';

interface Gate {
  url: string;
  caPem: string;
  /** Resolves when `n` reviews are waiting. */
  waiting(n: number): Promise<void>;
  /** Answer every waiting review with allowed: true. */
  release(): void;
  close(): Promise<void>;
}

/** A SubjectAccessReview endpoint that holds every review until released. */
async function startGate(dir: string): Promise<Gate> {
  const pki = createTestPki();
  const ca = pki.ca('gate-ca');
  const cert = pki.issue(ca, { commonName: 'gate', usage: 'server', ipAddresses: ['127.0.0.1'] });
  pki.cleanup();
  const held: { res: ServerResponse; spec: unknown }[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const server = https.createServer({ cert: cert.certPem, key: cert.keyPem }, (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { spec: unknown };
      held.push({ res, spec: body.spec });
      for (const w of waiters.filter((x) => held.length >= x.n)) w.resolve();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  writeFileSync(join(dir, 'gate.kubeconfig'), JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'g',
    clusters: [{ name: 'g', cluster: { server: url, 'certificate-authority-data': Buffer.from(ca.certPem).toString('base64') } }],
    users: [{ name: 'g', user: { token: 'gate' } }],
    contexts: [{ name: 'g', context: { cluster: 'g', user: 'g' } }],
  }));
  return {
    url,
    caPem: ca.certPem,
    waiting: (n) => (held.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
    release() {
      for (const h of held.splice(0)) {
        const body = JSON.stringify({ kind: 'SubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', metadata: { creationTimestamp: null }, spec: h.spec, status: { allowed: true } });
        h.res.writeHead(201, { 'content-type': 'application/json' }).end(body);
      }
    },
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

test('--max-requests-inflight: 429 with Retry-After beyond the limit; system:masters still served', async (t) => {
  const dirPki = createTestPki();
  t.after(() => dirPki.cleanup());
  const gate = await startGate(dirPki.dir);
  t.after(() => gate.close());
  const gateConnection = await loadKubeConfig({ kubeconfig: join(dirPki.dir, 'gate.kubeconfig') });
  const r = await secureRig(t, { flags: { maxRequestsInflight: 1 }, authorizationConnection: gateConnection });
  const bob = r.pki.issue(r.clientCa, { commonName: 'bob', usage: 'client' });
  const held = get(r, '/apis/metrics.k8s.io/v1beta1/nodes', { cert: bob });
  await gate.waiting(1);
  assert.equal(r.serving.inflight(), 1);
  const refused = await get(r, '/apis/metrics.k8s.io/v1beta1/pods', { cert: bob });
  assert.equal(refused.status, 429);
  assert.equal(refused.body, 'Too many requests, please try again later.\n');
  assert.equal(refused.headers['retry-after'], '1');
  // The aggregator's availability check must not be starved by client load.
  const probe = await get(r, '/apis/metrics.k8s.io/v1beta1', { cert: r.proxyCert, headers: remoteUser('system:kube-aggregator', ['system:masters']) });
  assert.equal(probe.status, 200);
  // Health probes are authorized without a review, but count like any request.
  assert.equal((await get(r, '/livez')).status, 429);
  gate.release();
  const first = await held;
  assert.equal(first.status, 200);
  assert.equal(first.body, r.expected('/apis/metrics.k8s.io/v1beta1/nodes'));
  assert.equal(r.serving.inflight(), 0);
  assert.equal((await get(r, '/livez')).status, 200);
});
