/**
 * The real kubectl against the secured server: a kubeconfig with a client certificate, one with
 * a bearer token (checked by TokenReview), the serving certificate verified by kubectl, and a user
 * RBAC denies, who must see upstream's Forbidden message exactly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { kubeconfigFor, kubectl, secureRig } from './secure-rig.test.ts';

const paths = ['/apis/metrics.k8s.io/v1beta1/nodes', '/apis/metrics.k8s.io/v1beta1/nodes/node-a', '/apis/metrics.k8s.io/v1beta1/pods', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/web-1'];

test('kubectl with a client certificate, with a TokenReview token, and as a user RBAC denies', async (t) => {
  const r = await secureRig(t);
  const bob = kubeconfigFor(r, 'bob', { cert: r.pki.issue(r.clientCa, { commonName: 'bob', organizations: ['viewers'], usage: 'client' }) });
  const carol = kubeconfigFor(r, 'carol', { token: 'carol-token' });
  for (const path of paths) {
    for (const kc of [bob, carol]) {
      const out = await kubectl(kc, 'get', '--raw', path);
      assert.equal(out.code, 0, `${path}: ${out.stderr}`);
      assert.equal(out.stdout, r.expected(path), path);
    }
  }
  // `kubectl get` discovers the group through the server and asks for a meta.k8s.io Table.
  const cache = ['--cache-dir', join(r.pki.dir, 'kubectl-cache')];
  assert.equal((await kubectl(bob, ...cache, 'get', 'nodemetrics')).stdout, 'NAME     CPU    MEMORY   WINDOW\nnode-a   250m   1Gi      15s\n');
  assert.equal((await kubectl(carol, ...cache, 'get', 'podmetrics', '-A')).stdout, 'NAMESPACE   NAME    CPU    MEMORY    WINDOW\ndefault     web-1   250m   12240Ki   15s\n');
  const mallory = kubeconfigFor(r, 'mallory', { cert: r.pki.issue(r.clientCa, { commonName: 'mallory', usage: 'client' }) });
  const denied = await kubectl(mallory, 'get', '--raw', '/apis/metrics.k8s.io/v1beta1/nodes');
  assert.equal(denied.code, 1);
  assert.equal(denied.stderr, 'Error from server (Forbidden): nodes.metrics.k8s.io is forbidden: User "mallory" cannot list resource "nodes" in API group "metrics.k8s.io" at the cluster scope\n');
  const deniedPod = await kubectl(mallory, 'get', '--raw', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/web-1');
  assert.equal(deniedPod.stderr, 'Error from server (Forbidden): pods.metrics.k8s.io "web-1" is forbidden: User "mallory" cannot get resource "pods" in API group "metrics.k8s.io" in the namespace "default"\n');
  assert.equal((await kubectl(mallory, ...cache, 'get', 'nodemetrics')).stderr, 'Error from server (Forbidden): nodes.metrics.k8s.io is forbidden: User "mallory" cannot list resource "nodes" in API group "metrics.k8s.io" at the cluster scope\n');
  const revoked = kubeconfigFor(r, 'revoked', { token: 'no-such-token' });
  const unauthorized = await kubectl(revoked, 'get', '--raw', '/apis/metrics.k8s.io/v1beta1/nodes');
  assert.equal(unauthorized.code, 1);
  assert.match(unauthorized.stderr, /^error: You must be logged in to the server \(Unauthorized\)\n$/);
});
