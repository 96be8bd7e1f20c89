import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ErrorCode, isKubemeterError } from '../lib/errors.ts';
import { decodeAccessVerdict, decodeTokenVerdict } from './reviews.ts';

const src = 'https://kube-apiserver/apis/authentication.k8s.io/v1/tokenreviews';

test('TokenReview verdict: every field the auth layer reads, absent ones as Go zero values', () => {
  assert.deepEqual(decodeTokenVerdict({
    kind: 'TokenReview', apiVersion: 'authentication.k8s.io/v1', spec: { token: 'secret' },
    status: { authenticated: true, user: { username: 'system:serviceaccount:kube-system:m', uid: 'u1', groups: ['system:authenticated'],
      extra: { 'authentication.kubernetes.io/pod-name': ['p'], scopes: null } }, audiences: ['https://kubernetes.default.svc'] },
  }, src), {
    authenticated: true,
    user: { username: 'system:serviceaccount:kube-system:m', uid: 'u1', groups: ['system:authenticated'],
      extra: { 'authentication.kubernetes.io/pod-name': ['p'], scopes: [] } },
    audiences: ['https://kubernetes.default.svc'],
    error: '',
  });
  const empty = { authenticated: false, user: { username: '', uid: '', groups: [], extra: {} }, audiences: [], error: '' };
  assert.deepEqual(decodeTokenVerdict({ kind: 'TokenReview' }, src), empty);
  assert.deepEqual(decodeTokenVerdict({ kind: 'TokenReview', status: null }, src), empty);
  assert.deepEqual(decodeTokenVerdict({ kind: 'TokenReview', status: { authenticated: true } }, src), { ...empty, authenticated: true });
  assert.deepEqual(decodeTokenVerdict({ kind: 'TokenReview', status: { error: 'token expired' } }, src), { ...empty, error: 'token expired' });
});

test('SubjectAccessReview verdict: a missing allowed or denied is false', () => {
  assert.deepEqual(decodeAccessVerdict({ kind: 'SubjectAccessReview', status: { allowed: true, reason: 'RBAC: allowed' } }, src),
    { allowed: true, denied: false, reason: 'RBAC: allowed', evaluationError: '' });
  assert.deepEqual(decodeAccessVerdict({ kind: 'SubjectAccessReview', status: { denied: true, evaluationError: 'e' } }, src),
    { allowed: false, denied: true, reason: '', evaluationError: 'e' });
  assert.deepEqual(decodeAccessVerdict({ kind: 'SubjectAccessReview' }, src), { allowed: false, denied: false, reason: '', evaluationError: '' });
  assert.deepEqual(decodeAccessVerdict({ kind: 'SubjectAccessReview', status: { allowed: null } }, src),
    { allowed: false, denied: false, reason: '', evaluationError: '' });
});

test('an answer of another kind, or none, is refused', () => {
  for (const v of [{}, { kind: 'Status' }, null, [], 'TokenReview']) {
    assert.throws(() => decodeTokenVerdict(v, src), { code: ErrorCode.InvalidDocument, message: `${src}: answer is not a TokenReview` });
    assert.throws(() => decodeAccessVerdict(v, src), { code: ErrorCode.InvalidDocument, message: `${src}: answer is not a SubjectAccessReview` });
  }
});

test('a field of the wrong type is an error naming it, not a silent false', () => {
  assert.throws(() => decodeAccessVerdict({ kind: 'SubjectAccessReview', status: { allowed: 'yes' } }, src), {
    message: `invalid SubjectAccessReview document from ${src}: status.allowed: expected a boolean (got "yes")`,
  });
  assert.throws(() => decodeTokenVerdict({ kind: 'TokenReview', status: { user: { groups: [1] } } }, src), {
    message: `invalid TokenReview document from ${src}: status.user.groups[0]: expected a string (got 1)`,
  });
});

test('fuzz: the verdict decoders only ever throw KubemeterError', () => {
  const answer = fc.record({ kind: fc.constantFrom('TokenReview', 'SubjectAccessReview'), status: fc.jsonValue() }, { requiredKeys: ['kind'] });
  fc.assert(fc.property(fc.oneof(fc.jsonValue(), answer), (v) => {
    for (const d of [decodeTokenVerdict, decodeAccessVerdict]) {
      try {
        d(v, src);
      } catch (e) {
        if (!isKubemeterError(e)) throw e;
      }
    }
  }), { numRuns: 300 });
});
