import { test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import http2 from 'node:http2';
import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../lib/clock.ts';
import { startFakeApiserver } from '../../test/support/fake-apiserver.ts';
import type { FakeApiserver } from '../../test/support/fake-apiserver.ts';
import { createTestPki } from '../../test/support/pki.ts';
import type { TestCa, TestCert, TestPki } from '../../test/support/pki.ts';
import { loadKubeConfig } from '../kube/kubeconfig.ts';
import { kubeletAttributes } from './attributes.ts';
import { startDelegatedAuth } from './delegation.ts';
import { defaultSecureFlags } from './flags.ts';
import type { SecureFlags } from './flags.ts';
import { startSecureServer } from './secure-server.ts';
import type { SecureHandler, SecureServer, SecureServerOptions } from './secure-server.ts';
import { loadServingCertificate } from './serving-cert.ts';

interface World {
  pki: TestPki;
  api: FakeApiserver;
  clientCa: TestCa;
  proxyCa: TestCa;
  proxyCert: TestCert;
  aliceCert: TestCert;
  server: SecureServer;
  clock: ManualClock;
  sars: () => number;
  tokenReviews: () => number;
}

type After = { after: (fn: () => unknown) => void };

const echo: SecureHandler = (_req, res, user, ctx) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ user, verb: ctx.attributes.verb, method: ctx.method }));
};

async function world(t: After, o: { flags?: Partial<SecureFlags>; server?: Partial<SecureServerOptions>; handler?: SecureHandler; profile?: 'apiserver' | 'kubelet' } = {}): Promise<World> {
  const pki = createTestPki();
  t.after(() => pki.cleanup());
  const api = await startFakeApiserver();
  t.after(() => api.close());
  const clientCa = pki.ca('client-ca');
  const proxyCa = pki.ca('front-proxy-ca');
  const proxyCert = pki.issue(proxyCa, { commonName: 'front-proxy-client', usage: 'client' });
  const aliceCert = pki.issue(clientCa, { commonName: 'alice', organizations: ['dev', 'ops'], usage: 'client' });
  const serving = pki.issue(pki.ca('serving-ca'), { commonName: 'kubemeter', usage: 'server', ipAddresses: ['127.0.0.1'] });
  const flags: SecureFlags = {
    ...defaultSecureFlags(o.profile ?? 'apiserver'),
    clientCaFile: clientCa.certPath,
    requestheaderClientCaFile: proxyCa.certPath,
    requestheaderAllowedNames: ['front-proxy-client'],
    authenticationSkipLookup: true,
    ...o.flags,
  };
  const conn = await loadKubeConfig({ kubeconfig: api.writeKubeconfig(join(pki.dir, 'kubeconfig')) });
  // Certificates are generated against the real time; the manual clock starts there.
  const clock = new ManualClock(Date.now());
  const auth = await startDelegatedAuth({ flags, authenticationConnection: conn, authorizationConnection: conn, clock, caReloadIntervalMs: 0, profile: o.profile });
  t.after(() => auth.close());
  const cert = await loadServingCertificate({ certFile: serving.certPath, keyFile: serving.keyPath, certDir: pki.dir, reloadIntervalMs: 0 });
  t.after(() => cert.close());
  const server = await startSecureServer({
    bindAddress: '127.0.0.1',
    port: 0,
    servingCertificate: cert,
    authenticator: auth.authenticator,
    authorizer: auth.authorizer,
    clientCAs: auth.clientCAs,
    maxRequestsInflight: flags.maxRequestsInflight,
    ...o.server,
  }, o.handler ?? echo);
  t.after(() => server.close());
  api.tokens.set('good-token', { username: 'carol', uid: 'u-1', groups: ['viewers'], extra: { scopes: ['a'] } });
  api.authorize = (spec) => ({ allowed: spec.user === 'bob' || spec.user === 'alice' || spec.user === 'carol', reason: spec.user === 'mallory' ? 'no RBAC policy matched' : '' });
  const count = (p: string): (() => number) => () => api.requests.filter((r) => r.path === p).length;
  return { pki, api, clientCa, proxyCa, proxyCert, aliceCert, server, clock, sars: count('/apis/authorization.k8s.io/v1/subjectaccessreviews'), tokenReviews: count('/apis/authentication.k8s.io/v1/tokenreviews') };
}

interface Reply {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** One request on a fresh TLS connection (so each carries its own client identity). */
function get(w: World, path: string, o: { cert?: TestCert; headers?: [string, string][]; method?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    // Arrays make Node send one header line per value, as kube-apiserver does for groups.
    const headers: Record<string, string[]> = {};
    for (const [k, v] of o.headers ?? []) (headers[k] ??= []).push(v);
    const req = https.request(`${w.server.url}${path}`, {
      method: o.method ?? 'GET',
      agent: false,
      rejectUnauthorized: false, // the serving certificate is checked in its own test
      ...(o.cert ? { cert: o.cert.certPem, key: o.cert.keyPem } : {}),
      headers,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const userOf = (r: Reply): { name: string; groups: string[]; extra: Record<string, string[]>; uid: string } => (JSON.parse(r.body) as { user: { name: string; groups: string[]; extra: Record<string, string[]>; uid: string } }).user;

test('front proxy: a verified certificate with an allowed CN makes X-Remote-* trusted, repeated headers kept', async (t) => {
  const w = await world(t);
  const r = await get(w, '/apis/metrics.k8s.io/v1beta1/nodes', {
    cert: w.proxyCert,
    headers: [['X-Remote-User', 'bob'], ['X-Remote-Group', 'g1'], ['X-Remote-Group', 'a,b'], ['X-Remote-Extra-Example.com%2fteam', 'a b'], ['X-Remote-Extra-Example.com%2fteam', 'c'], ['X-Remote-Extra-Scopes', 'x']],
  });
  assert.equal(r.status, 200, r.body);
  assert.deepEqual(userOf(r), { name: 'bob', uid: '', groups: ['g1', 'a,b', 'system:authenticated'], extra: { 'example.com/team': ['a b', 'c'], scopes: ['x'] } });
  const sar = w.api.requests.find((q) => q.path === '/apis/authorization.k8s.io/v1/subjectaccessreviews');
  assert.deepEqual(sar?.body, {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    spec: { resourceAttributes: { verb: 'list', group: 'metrics.k8s.io', version: 'v1beta1', resource: 'nodes' }, user: 'bob', groups: ['g1', 'a,b', 'system:authenticated'], extra: { 'example.com/team': ['a b', 'c'], scopes: ['x'] } },
  });
});

test('front proxy rejections: wrong CA, CN not allowed, expired; forged headers without the certificate are ignored', async (t) => {
  const w = await world(t);
  const hdr: [string, string][] = [['X-Remote-User', 'bob'], ['X-Remote-Group', 'system:masters']];
  const otherCa = w.pki.ca('attacker-ca');
  const wrongCa = w.pki.issue(otherCa, { commonName: 'front-proxy-client', usage: 'client' });
  const wrongCn = w.pki.issue(w.proxyCa, { commonName: 'evil-proxy', usage: 'client' });
  const expired = w.pki.issue(w.proxyCa, { commonName: 'front-proxy-client', usage: 'client', notBefore: new Date(w.clock.nowMs() - 10 * 86_400_000), notAfter: new Date(w.clock.nowMs() - 86_400_000) });
  const serverOnly = w.pki.issue(w.proxyCa, { commonName: 'front-proxy-client', usage: 'server' });
  const unauthorized = '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}\n';
  for (const cert of [wrongCa, wrongCn, expired, serverOnly]) {
    const r = await get(w, '/apis/metrics.k8s.io/v1beta1/nodes', { cert, headers: hdr });
    assert.equal(r.status, 401, cert.certPath);
    assert.equal(r.body, unauthorized);
    assert.equal(r.headers['content-type'], 'application/json');
  }
  // No certificate: the identity headers mean nothing; the request is anonymous and denied.
  const forged = await get(w, '/apis/metrics.k8s.io/v1beta1/namespaces/x/pods/p', { headers: hdr });
  assert.equal(forged.status, 403);
  assert.equal(forged.body, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods.metrics.k8s.io \\"p\\" is forbidden: User \\"system:anonymous\\" cannot get resource \\"pods\\" in API group \\"metrics.k8s.io\\" in the namespace \\"x\\"","reason":"Forbidden","details":{"name":"p","group":"metrics.k8s.io","kind":"pods"},"code":403}\n');
  // A client-CA certificate is a user, and its headers are still not trusted.
  const alice = await get(w, '/apis/metrics.k8s.io/v1beta1/nodes', { cert: w.aliceCert, headers: hdr });
  assert.equal(alice.status, 200);
  assert.deepEqual(userOf(alice), { name: 'alice', uid: '', groups: ['dev', 'ops', 'system:authenticated'], extra: {} });
});

test('bearer tokens via TokenReview, cached for the TTL (injected clock); invalid tokens get 401', async (t) => {
  const w = await world(t);
  const r = await get(w, '/apis/metrics.k8s.io/v1beta1/pods', { headers: [['Authorization', 'Bearer good-token']] });
  assert.equal(r.status, 200, r.body);
  assert.deepEqual(userOf(r), { name: 'carol', uid: 'u-1', groups: ['viewers', 'system:authenticated'], extra: { scopes: ['a'] } });
  assert.deepEqual(w.api.requests.find((q) => q.path.endsWith('/tokenreviews'))?.body, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: 'good-token' } });
  await get(w, '/apis/metrics.k8s.io/v1beta1/pods', { headers: [['Authorization', 'Bearer good-token']] });
  assert.equal(w.tokenReviews(), 1, 'second request served from the cache');
  w.clock.advance(10_001);
  await get(w, '/apis/metrics.k8s.io/v1beta1/pods', { headers: [['Authorization', 'Bearer good-token']] });
  assert.equal(w.tokenReviews(), 2, 'reviewed again after the 10 s TTL');
  const bad = await get(w, '/healthz', { headers: [['Authorization', 'Bearer nope']] });
  assert.equal(bad.status, 401, 'an invalid token is not anonymous, even on an always-allowed path');
  await get(w, '/healthz', { headers: [['Authorization', 'Bearer nope']] });
  assert.equal(w.tokenReviews(), 3, 'failures are cached too');
});

test('authorization: always-allow paths, system:masters, SAR allow/deny with separate TTLs', async (t) => {
  const w = await world(t, { flags: { authorizationWebhookCacheAuthorizedTtlMs: 60_000, authorizationWebhookCacheUnauthorizedTtlMs: 5_000 } });
  const proxied = (user: string, groups: string[] = []): [string, string][] => [['X-Remote-User', user], ...groups.map((g): [string, string] => ['X-Remote-Group', g])];
  assert.equal((await get(w, '/healthz')).status, 200);
  assert.equal((await get(w, '/livez')).status, 200);
  assert.equal((await get(w, '/readyz')).status, 200);
  assert.equal(w.sars(), 0, 'always-allowed paths need no SubjectAccessReview');
  const metrics = await get(w, '/metrics');
  assert.equal(metrics.status, 403);
  assert.match(metrics.body, /"message":"forbidden: User \\"system:anonymous\\" cannot get path \\"\/metrics\\""/);
  const aggregator = await get(w, '/apis/metrics.k8s.io/v1beta1', { cert: w.proxyCert, headers: proxied('system:kube-aggregator', ['system:masters']) });
  assert.equal(aggregator.status, 200);
  const sarsBefore = w.sars();
  const mallory = await get(w, '/apis/metrics.k8s.io/v1beta1/nodes/n1', { cert: w.proxyCert, headers: proxied('mallory') });
  assert.equal(mallory.status, 403);
  assert.match(mallory.body, /"message":"nodes.metrics.k8s.io \\"n1\\" is forbidden: User \\"mallory\\" cannot get resource \\"nodes\\" in API group \\"metrics.k8s.io\\" at the cluster scope: no RBAC policy matched"/);
  await get(w, '/apis/metrics.k8s.io/v1beta1/nodes/n1', { cert: w.proxyCert, headers: proxied('bob') });
  await get(w, '/apis/metrics.k8s.io/v1beta1/nodes/n1', { cert: w.proxyCert, headers: proxied('mallory') });
  await get(w, '/apis/metrics.k8s.io/v1beta1/nodes/n1', { cert: w.proxyCert, headers: proxied('bob') });
  assert.equal(w.sars() - sarsBefore, 2, 'one SAR per distinct question while cached');
  w.clock.advance(5_001);
  await get(w, '/apis/metrics.k8s.io/v1beta1/nodes/n1', { cert: w.proxyCert, headers: proxied('mallory') });
  await get(w, '/apis/metrics.k8s.io/v1beta1/nodes/n1', { cert: w.proxyCert, headers: proxied('bob') });
  assert.equal(w.sars() - sarsBefore, 3, 'the denial expired after 5 s, the allowance did not');
  w.api.failNext(10, 500, (m, p) => p.endsWith('/subjectaccessreviews'));
  w.clock.advance(60_001);
  const err = await get(w, '/apis/metrics.k8s.io/v1beta1/nodes/n1', { cert: w.proxyCert, headers: proxied('bob') });
  assert.equal(err.status, 500);
  assert.match(err.body, /^Internal Server Error: "\/apis\/metrics.k8s.io\/v1beta1\/nodes\/n1": POST https:\/\/127\.0\.0\.1:\d+\/apis\/authorization.k8s.io\/v1\/subjectaccessreviews: 500 InternalError: injected failure 500\n$/);
});

test('--max-requests-inflight: 429 with Retry-After beyond the limit, system:masters still served', async (t) => {
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => (release = r));
  let entered = 0;
  const w = await world(t, {
    server: { maxRequestsInflight: 1 },
    handler: async (_req, res, user) => {
      entered++;
      if (user.name === 'bob') await gate;
      res.end('done');
    },
  });
  const first = get(w, '/healthz', { cert: w.proxyCert, headers: [['X-Remote-User', 'bob']] });
  for (let i = 0; i < 500 && entered === 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(w.server.inflight(), 1);
  const second = await get(w, '/healthz');
  assert.equal(second.status, 429);
  assert.equal(second.body, 'Too many requests, please try again later.\n');
  assert.equal(second.headers['retry-after'], '1');
  const master = await get(w, '/healthz', { cert: w.proxyCert, headers: [['X-Remote-User', 'admin'], ['X-Remote-Group', 'system:masters']] });
  assert.equal(master.status, 200);
  release();
  assert.equal((await first).status, 200);
  assert.equal(w.server.inflight(), 0);
});

test('HTTP/2 clients work (ALPN h2), with client certificates', async (t) => {
  const w = await world(t);
  const session = http2.connect(w.server.url, { rejectUnauthorized: false, cert: w.aliceCert.certPem, key: w.aliceCert.keyPem });
  t.after(() => session.close());
  const { status, body, alpn } = await new Promise<{ status: number; body: string; alpn: string }>((resolve, reject) => {
    const req = session.request({ ':path': '/apis/metrics.k8s.io/v1beta1/nodes' });
    let status = 0;
    const chunks: Buffer[] = [];
    req.on('response', (h) => (status = Number(h[':status'])));
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve({ status, body: Buffer.concat(chunks).toString('utf8'), alpn: String((session.socket as TLSSocket).alpnProtocol) }));
    req.on('error', reject);
    req.end();
  });
  assert.equal(alpn, 'h2');
  assert.equal(status, 200, body);
  assert.equal((JSON.parse(body) as { user: { name: string } }).user.name, 'alice');
});

test('TLS below 1.2 is refused', async (t) => {
  const w = await world(t);
  const err = await new Promise<Error | undefined>((resolve) => {
    const req = https.request(`${w.server.url}/healthz`, { agent: false, rejectUnauthorized: false, maxVersion: 'TLSv1.1', minVersion: 'TLSv1' }, (res) => {
      res.resume();
      resolve(undefined);
    });
    req.on('error', resolve);
    req.end();
  });
  assert.ok(err instanceof Error, 'a TLS 1.1 handshake must fail');
});

test('request timeout: 504 Status and the handler sees its signal abort', async (t) => {
  let aborted = false;
  const w = await world(t, {
    server: { requestTimeoutMs: 100 },
    handler: (_req, _res, _user, ctx) => new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => {
      aborted = true;
      resolve();
    })),
  });
  const r = await get(w, '/healthz');
  assert.equal(r.status, 504);
  assert.equal(r.body, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Timeout: request did not complete within requested timeout - context deadline exceeded","reason":"Timeout","details":{},"code":504}\n');
  assert.equal(aborted, true);
});

test('URL and header size caps', async (t) => {
  const w = await world(t, { server: { maxUrlBytes: 100, maxHeaderBytes: 2000 } });
  assert.equal((await get(w, `/healthz?${'a'.repeat(200)}`)).status, 414);
  assert.equal((await get(w, '/healthz', { headers: [['X-Big', 'b'.repeat(3000)]] })).status, 431);
});

test('the serving certificate is reloaded when its files change', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubemeter-reload-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const w = await world(t);
  const ca = w.pki.ca('rotating-ca');
  const one = w.pki.issue(ca, { commonName: 'first', usage: 'server', ipAddresses: ['127.0.0.1'] });
  const two = w.pki.issue(ca, { commonName: 'second', usage: 'server', ipAddresses: ['127.0.0.1'] });
  const certFile = join(dir, 'tls.crt');
  const keyFile = join(dir, 'tls.key');
  writeFileSync(certFile, one.certPem);
  writeFileSync(keyFile, one.keyPem);
  const cert = await loadServingCertificate({ certFile, keyFile, certDir: dir, reloadIntervalMs: 0 });
  t.after(() => cert.close());
  const auth = { authenticate: () => Promise.resolve({ ok: true as const, user: { name: 'x', uid: '', groups: [], extra: {} }, method: 'anonymous' as const }) };
  const server = await startSecureServer({ bindAddress: '127.0.0.1', port: 0, servingCertificate: cert, authenticator: auth, authorizer: { authorize: () => Promise.resolve({ decision: 'allow', reason: '' }) }, clientCAs: () => [] }, (_q, s) => void s.end('ok'));
  t.after(() => server.close());
  const peerCn = (): Promise<string> => new Promise((resolve, reject) => {
    const req = https.request(`${server.url}/`, { agent: false, ca: ca.certPem }, (res) => {
      res.resume();
      resolve(new X509Certificate((res.socket as TLSSocket).getPeerCertificate().raw).subject);
    });
    req.on('error', reject);
    req.end();
  });
  assert.equal(await peerCn(), 'CN=first');
  writeFileSync(keyFile, 'not a key');
  assert.equal(await cert.reload(), false, 'a broken pair is not loaded');
  writeFileSync(certFile, two.certPem);
  writeFileSync(keyFile, two.keyPem);
  assert.equal(await cert.reload(), true);
  assert.equal(await peerCn(), 'CN=second');
  void w;
});

test('kubelet style: nodes/<subresource> attributes, plain-text 401/403, no anonymous', async (t) => {
  const w = await world(t, { profile: 'kubelet', server: { errorStyle: 'kubelet', attributes: (m, u) => kubeletAttributes(m, u, { nodeName: 'node-1' }) } });
  const anon = await get(w, '/metrics/resource');
  assert.equal(anon.status, 401);
  assert.equal(anon.body, 'Unauthorized');
  const mallory = w.pki.issue(w.clientCa, { commonName: 'system:metrics-server', usage: 'client' });
  const denied = await get(w, '/metrics/resource', { cert: mallory });
  assert.equal(denied.status, 403);
  assert.equal(denied.body, 'Forbidden (user=system:metrics-server, verb=get, resource=nodes, subresource=metrics)');
  const ok = await get(w, '/stats/summary', { cert: w.aliceCert });
  assert.equal(ok.status, 200);
  const sar = w.api.requests.filter((q) => q.path.endsWith('/subjectaccessreviews')).at(-1);
  assert.deepEqual((sar?.body as { spec: unknown }).spec, { resourceAttributes: { verb: 'get', version: 'v1', resource: 'nodes', subresource: 'stats', name: 'node-1' }, user: 'alice', groups: ['dev', 'ops', 'system:authenticated'] });
});
