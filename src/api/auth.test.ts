import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isKubemeterError } from '../lib/errors.ts';
import { buildTokenReviewRequest, decodeTokenReview } from './authn.ts';
import { buildSubjectAccessReviewRequest, decodeSubjectAccessReview } from './authz.ts';

test('TokenReview request and response', () => {
  assert.equal(buildTokenReviewRequest({ token: 'abc<>' }),
    '{"kind":"TokenReview","apiVersion":"authentication.k8s.io/v1","spec":{"token":"abc\\u003c\\u003e"}}');
  assert.equal(buildTokenReviewRequest({ token: 't', audiences: ['https://kubernetes.default.svc'] }),
    '{"kind":"TokenReview","apiVersion":"authentication.k8s.io/v1","spec":{"token":"t","audiences":["https://kubernetes.default.svc"]}}');
  const r = decodeTokenReview(JSON.stringify({
    kind: 'TokenReview', apiVersion: 'authentication.k8s.io/v1', metadata: { creationTimestamp: null },
    spec: { token: 'secret' },
    status: { authenticated: true, user: { username: 'system:serviceaccount:kube-system:metrics-server', uid: 'u',
      groups: ['system:serviceaccounts', 'system:authenticated'], extra: { 'authentication.kubernetes.io/pod-name': ['p'] } },
    audiences: ['https://kubernetes.default.svc'] },
  }));
  assert.equal(r.status.authenticated, true);
  assert.equal(r.status.user?.username, 'system:serviceaccount:kube-system:metrics-server');
  assert.deepEqual(r.status.user?.extra, { 'authentication.kubernetes.io/pod-name': ['p'] });
  assert.ok(!JSON.stringify(r).includes('secret'));
  assert.deepEqual(decodeTokenReview('{"status":{"error":"token expired"}}').status, { error: 'token expired' });
  assert.deepEqual(decodeTokenReview('{}').status, {});
  assert.throws(() => decodeTokenReview('{"status":{"user":{"groups":"admins"}}}', 'kube-apiserver'), {
    message: 'invalid TokenReview document from kube-apiserver: status.user.groups: expected an array or null (got "admins")',
  });
});

test('SubjectAccessReview request in Go field order, and verdicts', () => {
  assert.equal(buildSubjectAccessReviewRequest({
    user: 'alice', groups: ['dev', 'system:authenticated'], extra: { scopes: ['a'], a: [] }, uid: 'u1',
    resourceAttributes: { namespace: 'default', verb: 'list', group: 'metrics.k8s.io', version: 'v1beta1', resource: 'pods' },
  }), '{"kind":"SubjectAccessReview","apiVersion":"authorization.k8s.io/v1","spec":{"resourceAttributes":{"namespace":"default",' +
    '"verb":"list","group":"metrics.k8s.io","version":"v1beta1","resource":"pods"},"user":"alice","groups":["dev","system:authenticated"],' +
    '"extra":{"a":[],"scopes":["a"]},"uid":"u1"}}');
  assert.equal(buildSubjectAccessReviewRequest({ user: 'u', nonResourceAttributes: { path: '/metrics', verb: 'get' } }),
    '{"kind":"SubjectAccessReview","apiVersion":"authorization.k8s.io/v1","spec":{"nonResourceAttributes":{"path":"/metrics","verb":"get"},"user":"u"}}');
  assert.deepEqual(decodeSubjectAccessReview('{"kind":"SubjectAccessReview","status":{"allowed":true,"reason":"RBAC: allowed by ClusterRoleBinding"}}'),
    { allowed: true, reason: 'RBAC: allowed by ClusterRoleBinding' });
  assert.deepEqual(decodeSubjectAccessReview('{"status":{"denied":true}}'), { allowed: false, denied: true });
  assert.deepEqual(decodeSubjectAccessReview('{}'), { allowed: false });
  assert.throws(() => decodeSubjectAccessReview('{"status":{"allowed":"yes"}}'), {
    message: 'invalid SubjectAccessReview document: status.allowed: expected a boolean (got "yes")',
  });
});

test('fuzz: decoders only ever throw KubemeterError', () => {
  fc.assert(fc.property(fc.json(), (text) => {
    for (const d of [decodeTokenReview, decodeSubjectAccessReview]) {
      try {
        d(text);
      } catch (e) {
        if (!isKubemeterError(e)) throw e;
      }
    }
  }), { numRuns: 300 });
});
