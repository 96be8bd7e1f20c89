import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { join } from 'node:path';
import { ManualClock } from '../lib/clock.ts';
import { startFakeApiserver } from '../../test/support/fake-apiserver.ts';
import { createTestPki } from '../../test/support/pki.ts';
import { loadKubeConfig } from '../kube/kubeconfig.ts';
import { startDelegatedAuth } from './delegation.ts';
import { applySecureFlag, defaultSecureFlags, parseSecureFlags } from './flags.ts';
import { parseExtensionAuthData } from './extension-config.ts';
import { ensureSelfSignedCertificate, loadServingCertificate } from './serving-cert.ts';
import { silentLogger } from '../lib/log.ts';
import https from 'node:https';
import { serveSecurely } from './serve.ts';

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (cond()) return;
    await delay(10);
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('CA and header settings come from the extension-apiserver-authentication ConfigMap and follow its updates', async (t) => {
  const pki = createTestPki();
  t.after(() => pki.cleanup());
  const api = await startFakeApiserver();
  t.after(() => api.close());
  const clientCa = pki.ca('client-ca');
  const proxyCa1 = pki.ca('front-proxy-ca-1');
  const proxyCa2 = pki.ca('front-proxy-ca-2');
  const data = (proxyCaPem: string): Record<string, string> => ({
    'client-ca-file': clientCa.certPem,
    'requestheader-client-ca-file': proxyCaPem,
    'requestheader-allowed-names': '["front-proxy-client"]',
    'requestheader-username-headers': '["X-Remote-User"]',
    'requestheader-group-headers': '["X-Remote-Group"]',
    'requestheader-extra-headers-prefix': '["X-Remote-Extra-"]',
  });
  api.setExtensionAuthentication(data(proxyCa1.certPem));
  const conn = await loadKubeConfig({ kubeconfig: api.writeKubeconfig(join(pki.dir, 'kc')) });
  const auth = await startDelegatedAuth({ flags: defaultSecureFlags(), authenticationConnection: conn, authorizationConnection: conn, clock: new ManualClock(Date.now()) });
  t.after(() => auth.close());
  let changes = 0;
  auth.onChange(() => changes++);
  const cert1 = pki.issue(proxyCa1, { commonName: 'front-proxy-client', usage: 'client' });
  const cert2 = pki.issue(proxyCa2, { commonName: 'front-proxy-client', usage: 'client' });
  const request = (pem: string): Parameters<typeof auth.authenticator.authenticate>[0] => ({ rawHeaders: ['X-Remote-User', 'bob'], peerCertificates: [new X509Certificate(pem)] });

  assert.equal(auth.clientCAs().length, 2);
  assert.deepEqual(auth.config().requestHeader?.allowedNames, ['front-proxy-client']);
  const ok1 = await auth.authenticator.authenticate(request(cert1.certPem));
  assert.equal(ok1.ok && ok1.user.name, 'bob');
  assert.equal((await auth.authenticator.authenticate(request(cert2.certPem))).ok, false);

  api.setExtensionAuthentication(data(proxyCa2.certPem)); // the front-proxy CA rotates
  await until(() => changes > 0 && auth.config().requestHeader?.caPool.pem.includes(proxyCa2.certPem.trim().split('\n')[1]!) === true, 'the ConfigMap update');
  const ok2 = await auth.authenticator.authenticate(request(cert2.certPem));
  assert.equal(ok2.ok && ok2.user.name, 'bob');
  assert.equal((await auth.authenticator.authenticate(request(cert1.certPem))).ok, false);
});

test('lookup failures: fatal unless tolerated; a missing ConfigMap is not an error', async (t) => {
  const pki = createTestPki();
  t.after(() => pki.cleanup());
  const api = await startFakeApiserver();
  t.after(() => api.close());
  const conn = await loadKubeConfig({ kubeconfig: api.writeKubeconfig(join(pki.dir, 'kc')) });
  const missing = await startDelegatedAuth({ flags: defaultSecureFlags(), authenticationConnection: conn, authorizationConnection: conn });
  assert.deepEqual(missing.clientCAs(), []);
  await missing.close();
  api.failNext(1, 403, (_m, p) => p.endsWith('/extension-apiserver-authentication'));
  await assert.rejects(startDelegatedAuth({ flags: defaultSecureFlags(), authenticationConnection: conn, authorizationConnection: conn, logger: silentLogger }), /unable to load configmap based request-header-client-ca-file: GET .* 403/);
  api.failNext(1, 403, (_m, p) => p.endsWith('/extension-apiserver-authentication'));
  const tolerated = await startDelegatedAuth({ flags: { ...defaultSecureFlags(), authenticationTolerateLookupFailure: true }, authenticationConnection: conn, authorizationConnection: conn });
  await tolerated.close();
  await assert.rejects(startDelegatedAuth({ flags: defaultSecureFlags(), authenticationConnection: null, authorizationConnection: null }), /no authentication kubeconfig/);
});

test('ConfigMap data parsing: JSON lists, empty values, bad JSON named', () => {
  assert.deepEqual(parseExtensionAuthData({ 'client-ca-file': 'PEM' }), { clientCaPem: 'PEM' });
  const rh = parseExtensionAuthData({ 'requestheader-client-ca-file': 'P', 'requestheader-allowed-names': '[]', 'requestheader-username-headers': '["X-Remote-User"]' }).requestHeader;
  assert.deepEqual(rh, { caPem: 'P', allowedNames: [], usernameHeaders: ['X-Remote-User'], uidHeaders: [], groupHeaders: [], extraHeaderPrefixes: [] });
  assert.throws(() => parseExtensionAuthData({ 'requestheader-client-ca-file': 'P', 'requestheader-group-headers': 'X-Remote-Group' }), /requestheader-group-headers is not a JSON list/);
});

test('flags: upstream names, Go durations, string slices, TLS versions and cipher names', () => {
  const f = parseSecureFlags([
    '--secure-port=10250', '--cert-dir', '/tmp/certs', '--requestheader-allowed-names=front-proxy-client,aggregator',
    '--requestheader-allowed-names=third', '--authentication-token-webhook-cache-ttl=1m30s', '--authorization-webhook-cache-unauthorized-ttl', '5s',
    '--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics', '--authentication-skip-lookup', '--tls-min-version=VersionTLS13',
    '--tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_AES_128_GCM_SHA256', '--request-timeout=30s', '--max-requests-inflight=10',
  ]);
  assert.equal(f.securePort, 10250);
  assert.equal(f.certDir, '/tmp/certs');
  assert.deepEqual(f.requestheaderAllowedNames, ['front-proxy-client', 'aggregator', 'third']);
  assert.equal(f.authenticationTokenWebhookCacheTtlMs, 90_000);
  assert.equal(f.authorizationWebhookCacheUnauthorizedTtlMs, 5_000);
  assert.equal(f.authorizationWebhookCacheAuthorizedTtlMs, 10_000);
  assert.deepEqual(f.authorizationAlwaysAllowPaths, ['/healthz', '/readyz', '/livez', '/metrics']);
  assert.equal(f.authenticationSkipLookup, true);
  assert.equal(f.tlsMinVersion, 'TLSv1.3');
  assert.deepEqual(f.tlsCipherSuites, ['ECDHE-RSA-AES128-GCM-SHA256', 'TLS_AES_128_GCM_SHA256']);
  assert.equal(f.requestTimeoutMs, 30_000);
  assert.equal(f.maxRequestsInflight, 10);
  assert.throws(() => parseSecureFlags(['--tls-min-version=VersionTLS11']), /below 1.2 are not supported/);
  assert.throws(() => parseSecureFlags(['--tls-cipher-suites=NOPE']), /Cipher suite NOPE not supported or doesn't exist/);
  assert.throws(() => parseSecureFlags(['--request-timeout=soon']), /time: invalid duration "soon"/);
  assert.throws(() => parseSecureFlags(['--secure-port=99999']), /--secure-port/);
  assert.throws(() => parseSecureFlags(['--anonymous-auth=maybe']), /ParseBool/);
  assert.equal(applySecureFlag(defaultSecureFlags(), 'metric-resolution', '15s'), false);
  const kubelet = defaultSecureFlags('kubelet');
  assert.deepEqual([kubelet.anonymousAuth, kubelet.authenticationTokenWebhookCacheTtlMs, kubelet.authorizationWebhookCacheAuthorizedTtlMs, kubelet.authorizationWebhookCacheUnauthorizedTtlMs], [false, 120_000, 300_000, 30_000]);
});

test('self-signed serving certificate in --cert-dir: SANs, chain, reuse', async (t) => {
  const pki = createTestPki();
  t.after(() => pki.cleanup());
  const dir = join(pki.dir, 'certs');
  const files = await ensureSelfSignedCertificate(dir, ['metrics-server.kube-system.svc', '10.96.0.10', '0.0.0.0'], silentLogger);
  const cert = await loadServingCertificate({ certDir: dir, reloadIntervalMs: 0 });
  t.after(() => cert.close());
  assert.equal(cert.files.certFile, files.certFile);
  const pem = cert.current().certPem;
  const leaf = new X509Certificate(pem);
  assert.match(leaf.subject, /^CN=localhost@\d+$/);
  for (const san of ['DNS:localhost', 'DNS:metrics-server.kube-system.svc', 'IP Address:127.0.0.1', 'IP Address:10.96.0.10']) assert.ok(leaf.subjectAltName?.includes(san), san);
  assert.ok(!leaf.subjectAltName?.includes('0.0.0.0'));
  const ca = new X509Certificate(pem.slice(pem.indexOf('-----END CERTIFICATE-----') + 26));
  assert.equal(leaf.verify(ca.publicKey), true, 'the file holds the serving certificate then its CA');
  const again = await ensureSelfSignedCertificate(dir, [], silentLogger);
  const cert2 = await loadServingCertificate({ certFile: again.certFile, keyFile: again.keyFile, certDir: dir, reloadIntervalMs: 0 });
  t.after(() => cert2.close());
  assert.equal(cert2.current().certPem, pem, 'a valid existing pair is reused');
  await assert.rejects(loadServingCertificate({ certFile: files.certFile, certDir: dir }), /must be given together/);
});

test('serveSecurely: flags to a running server with a generated certificate', async (t) => {
  const pki = createTestPki();
  t.after(() => pki.cleanup());
  const flags = { ...defaultSecureFlags(), bindAddress: '127.0.0.1', securePort: 0, certDir: join(pki.dir, 'generated'), authenticationSkipLookup: true };
  const serving = await serveSecurely({ flags, handler: (_req, res) => void res.end('ok'), authenticationConnection: null, authorizationConnection: null });
  t.after(() => serving.close());
  assert.equal(serving.certificate.files.generated, true);
  const get = (path: string): Promise<number> => new Promise((resolve, reject) => {
    const req = https.request(`${serving.server.url}${path}`, { agent: false, ca: serving.certificate.current().certPem.slice(serving.certificate.current().certPem.indexOf('-----END CERTIFICATE-----') + 26) }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
  assert.equal(await get('/healthz'), 200, 'the generated certificate verifies for 127.0.0.1 against its CA');
  assert.equal(await get('/metrics'), 403, 'no authorizer configured: only always-allowed paths pass');
});
