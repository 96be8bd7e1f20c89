/**
 * The server as a member of kube-apiserver's aggregation path, end to end over real TLS: the front
 * proxy's certificate makes identity headers trusted (and nothing else does), client certificates,
 * TokenReview bearer tokens, SubjectAccessReview with its caches, the aggregator's own identity.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { get, rbac, remoteUser, secureRig, statusBody } from './secure-rig.test.ts';

const NODES = '/apis/metrics.k8s.io/v1beta1/nodes';
const POD = '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/web-1';
const unauthorized = statusBody(401, 'Unauthorized', 'Unauthorized');

test('front proxy: its certificate makes X-Remote-* trusted; SubjectAccessReview decides per user', async (t) => {
  const r = await secureRig(t);
  const ok = await get(r, NODES, { cert: r.proxyCert, headers: remoteUser('alice', ['dev', 'ops'], [['example.com%2Fteam', 'a b'], ['example.com%2Fteam', 'c']]) });
  assert.equal(ok.status, 200);
  assert.equal(ok.body, r.expected(NODES));
  assert.deepEqual(r.sars().at(-1), {
    resourceAttributes: { verb: 'list', group: 'metrics.k8s.io', version: 'v1beta1', resource: 'nodes' },
    user: 'alice', groups: ['dev', 'ops', 'system:authenticated'], extra: { 'example.com/team': ['a b', 'c'] },
  });
  const pod = await get(r, POD, { cert: r.proxyCert, headers: remoteUser('bob') });
  assert.equal(pod.body, r.expected(POD));
  assert.deepEqual(r.sars().at(-1)?.resourceAttributes, { namespace: 'default', verb: 'get', group: 'metrics.k8s.io', version: 'v1beta1', resource: 'pods', name: 'web-1' });

  const denied = await get(r, NODES, { cert: r.proxyCert, headers: remoteUser('mallory', ['outsiders']) });
  assert.equal(denied.status, 403);
  assert.equal(denied.body, statusBody(403, 'Forbidden', 'nodes.metrics.k8s.io is forbidden: User "mallory" cannot list resource "nodes" in API group "metrics.k8s.io" at the cluster scope', { group: 'metrics.k8s.io', kind: 'nodes' }));
  const deniedPod = await get(r, POD, { cert: r.proxyCert, headers: remoteUser('mallory') });
  assert.equal(deniedPod.body, statusBody(403, 'Forbidden', 'pods.metrics.k8s.io "web-1" is forbidden: User "mallory" cannot get resource "pods" in API group "metrics.k8s.io" in the namespace "default"', { name: 'web-1', group: 'metrics.k8s.io', kind: 'pods' }));
  // The authorizer's reason is appended, as upstream does.
  r.api.authorize = () => ({ allowed: false, reason: 'no RBAC policy matched' });
  const withReason = await get(r, '/apis/metrics.k8s.io/v1beta1/pods', { cert: r.proxyCert, headers: remoteUser('trudy') });
  assert.equal(JSON.parse(withReason.body).message, 'pods.metrics.k8s.io is forbidden: User "trudy" cannot list resource "pods" in API group "metrics.k8s.io" at the cluster scope: no RBAC policy matched');
});

test('the aggregator: discovery as system:kube-aggregator/system:masters without a review; OpenAPI as system:aggregator through RBAC', async (t) => {
  const r = await secureRig(t);
  r.api.authorize = () => ({ allowed: false });
  const before = r.sars().length;
  for (const path of ['/apis/metrics.k8s.io/v1beta1', '/apis', '/apis/metrics.k8s.io']) {
    const d = await get(r, path, { cert: r.proxyCert, headers: remoteUser('system:kube-aggregator', ['system:masters']) });
    assert.equal(d.status, 200, path);
    assert.equal(d.body, r.expected(path));
  }
  assert.equal(r.sars().length, before, 'system:masters is allowed without a SubjectAccessReview');
  // Without RBAC the OpenAPI fetch is denied (kube-apiserver only logs it) …
  assert.equal((await get(r, '/openapi/v2', { cert: r.proxyCert, headers: remoteUser('system:aggregator') })).status, 403);
  // … with the bootstrap discovery roles (system:authenticated may get /openapi/*) it is served,
  // once the cached denial has expired.
  r.api.authorize = rbac(new Set());
  r.authClock.advance(10_001);
  for (const path of ['/openapi/v2', '/openapi/v3', '/openapi/v3/apis/metrics.k8s.io/v1beta1']) {
    const o = await get(r, path, { cert: r.proxyCert, headers: remoteUser('system:aggregator') });
    assert.equal(o.status, 200, path);
    assert.equal(o.body, r.expected(path));
  }
  assert.deepEqual(r.sars().at(-1), { nonResourceAttributes: { path: '/openapi/v3/apis/metrics.k8s.io/v1beta1', verb: 'get' }, user: 'system:aggregator', groups: ['system:authenticated'] });
  // /metrics is not an always-allowed path: it needs a review (denied here), as upstream.
  assert.equal((await get(r, '/metrics', { cert: r.proxyCert, headers: remoteUser('prometheus') })).status, 403);
});

test('identity headers are not trusted without the front-proxy certificate', async (t) => {
  const r = await secureRig(t);
  const masters = remoteUser('admin', ['system:masters']);
  // No certificate: anonymous, whatever the headers say; anonymous is then denied.
  const forged = await get(r, NODES, { headers: masters });
  assert.equal(forged.status, 403);
  assert.equal(JSON.parse(forged.body).message, 'nodes.metrics.k8s.io is forbidden: User "system:anonymous" cannot list resource "nodes" in API group "metrics.k8s.io" at the cluster scope');
  assert.deepEqual(r.sars().at(-1)?.user, 'system:anonymous');
  // Health stays open to anonymous probes (always-allowed paths), but only those.
  assert.deepEqual([(await get(r, '/healthz')).body, (await get(r, '/livez')).status, (await get(r, '/readyz')).status], ['ok', 200, 200]);
  assert.equal((await get(r, '/healthz/ping')).status, 403);

  // A proxy certificate from another CA, an unlisted CN, an expired one: 401, headers ignored.
  const rogueCa = r.pki.ca('rogue-ca');
  const wrongCa = r.pki.issue(rogueCa, { commonName: 'front-proxy-client', usage: 'client' });
  const wrongCn = r.pki.issue(r.proxyCa, { commonName: 'evil-proxy', usage: 'client' });
  const now = Date.now();
  const expired = r.pki.issue(r.proxyCa, { commonName: 'front-proxy-client', usage: 'client', notBefore: new Date(now - 3 * 86_400_000), notAfter: new Date(now - 86_400_000) });
  const serverOnly = r.pki.issue(r.proxyCa, { commonName: 'front-proxy-client', usage: 'server' });
  for (const [name, cert] of [['wrong CA', wrongCa], ['wrong CN', wrongCn], ['expired', expired], ['no clientAuth usage', serverOnly]] as const) {
    const res = await get(r, NODES, { cert, headers: masters });
    assert.equal(res.status, 401, name);
    assert.equal(res.body, unauthorized, name);
    assert.equal(res.headers['content-type'], 'application/json', name);
  }
  // A client-CA certificate authenticates as itself; its identity headers are ignored.
  const dave = r.pki.issue(r.clientCa, { commonName: 'dave', organizations: ['qa'], usage: 'client' });
  const asDave = await get(r, NODES, { cert: dave, headers: masters });
  assert.equal(asDave.status, 403);
  assert.deepEqual([r.sars().at(-1)?.user, r.sars().at(-1)?.groups], ['dave', ['qa', 'system:authenticated']]);
  assert.match(JSON.parse(asDave.body).message, /User "dave" cannot list/);
});

test('client certificates: user = CN, groups = O; signed by another CA or expired: 401', async (t) => {
  const r = await secureRig(t);
  const bob = r.pki.issue(r.clientCa, { commonName: 'bob', organizations: ['viewers'], usage: 'client' });
  const ok = await get(r, POD, { cert: bob });
  assert.equal(ok.status, 200);
  assert.equal(ok.body, r.expected(POD));
  assert.deepEqual([r.sars().at(-1)?.user, r.sars().at(-1)?.groups], ['bob', ['viewers', 'system:authenticated']]);
  // system:masters in O passes without a review.
  const root = r.pki.issue(r.clientCa, { commonName: 'root', organizations: ['system:masters'], usage: 'client' });
  const n = r.sars().length;
  assert.equal((await get(r, '/metrics', { cert: root })).status, 200);
  assert.equal(r.sars().length, n);
  const fromProxyCa = r.pki.issue(r.proxyCa, { commonName: 'bob', usage: 'client' });
  assert.equal((await get(r, POD, { cert: fromProxyCa })).status, 401, 'the front-proxy CA does not sign user certificates');
  const old = r.pki.issue(r.clientCa, { commonName: 'bob', usage: 'client', notBefore: new Date(Date.now() - 2 * 86_400_000), notAfter: new Date(Date.now() - 60_000) });
  assert.equal((await get(r, POD, { cert: old })).body, unauthorized);
});

test('bearer tokens by TokenReview, answers cached for --authentication-token-webhook-cache-ttl', async (t) => {
  const r = await secureRig(t);
  const ok = await get(r, NODES, { token: 'carol-token' });
  assert.equal(ok.status, 200);
  assert.equal(ok.body, r.expected(NODES));
  assert.deepEqual(r.sars().at(-1), { resourceAttributes: { verb: 'list', group: 'metrics.k8s.io', version: 'v1beta1', resource: 'nodes' }, user: 'carol', groups: ['viewers', 'system:authenticated'], uid: 'u-carol' });
  assert.equal(r.tokenReviews(), 1);
  assert.equal((await get(r, NODES, { token: 'carol-token' })).status, 200);
  assert.equal(r.tokenReviews(), 1, 'second use within 10 s comes from the cache');
  // A revoked token keeps working until its cached answer expires, then is refused.
  r.api.tokens.delete('carol-token');
  r.authClock.advance(9_000);
  assert.equal((await get(r, NODES, { token: 'carol-token' })).status, 200);
  assert.equal(r.tokenReviews(), 1);
  r.authClock.advance(1_001);
  assert.equal((await get(r, NODES, { token: 'carol-token' })).body, unauthorized);
  assert.equal(r.tokenReviews(), 2);
  // Failures are cached too.
  assert.equal((await get(r, NODES, { token: 'nope' })).status, 401);
  assert.equal((await get(r, NODES, { token: 'nope' })).status, 401);
  assert.equal(r.tokenReviews(), 3);
  // An authenticated but unauthorized token user: 403, not 401.
  assert.equal((await get(r, NODES, { token: 'mallory-token' })).status, 403);
});

test('SubjectAccessReview answers are cached with separate allowed and denied TTLs', async (t) => {
  const r = await secureRig(t, { flags: { authorizationWebhookCacheAuthorizedTtlMs: 10_000, authorizationWebhookCacheUnauthorizedTtlMs: 3_000 } });
  const bob = r.pki.issue(r.clientCa, { commonName: 'bob', usage: 'client' });
  const eve = r.pki.issue(r.clientCa, { commonName: 'eve', usage: 'client' });
  const reviewsFor = (user: string): number => r.sars().filter((s) => s.user === user).length;
  const status = async (cert: typeof bob): Promise<number> => (await get(r, NODES, { cert })).status;
  assert.deepEqual([await status(bob), await status(bob), await status(eve), await status(eve)], [200, 200, 403, 403]);
  assert.deepEqual([reviewsFor('bob'), reviewsFor('eve')], [1, 1]);
  // RBAC changes: eve now allowed, bob removed. Cached answers hold until their TTL.
  r.api.authorize = rbac(new Set(['eve']));
  r.authClock.advance(3_001);
  assert.deepEqual([await status(bob), await status(eve)], [200, 200], 'bob still cached as allowed; eve re-asked after 3 s');
  assert.deepEqual([reviewsFor('bob'), reviewsFor('eve')], [1, 2]);
  r.authClock.advance(7_000);
  assert.deepEqual([await status(bob), await status(eve)], [403, 200]);
  assert.deepEqual([reviewsFor('bob'), reviewsFor('eve')], [2, 2]);
  // Each distinct request is its own review: the node name is part of the attributes.
  assert.equal((await get(r, `${NODES}/node-a`, { cert: eve })).status, 200);
  assert.deepEqual(r.sars().at(-1)?.resourceAttributes, { verb: 'get', group: 'metrics.k8s.io', version: 'v1beta1', resource: 'nodes', name: 'node-a' });
});

test('a SubjectAccessReview that fails is a 500 with the generic apiserver text, never an allow', async (t) => {
  const r = await secureRig(t);
  const bob = r.pki.issue(r.clientCa, { commonName: 'bob', usage: 'client' });
  r.api.failNext(5, 500, (_m, p) => p.endsWith('/subjectaccessreviews'));
  const res = await get(r, `${NODES}?labelSelector=a%3Db`, { cert: bob });
  assert.equal(res.status, 500);
  assert.match(res.body, /^Internal Server Error: "\/apis\/metrics\.k8s\.io\/v1beta1\/nodes\?labelSelector=a%3Db": /);
});
