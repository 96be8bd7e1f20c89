/**
 * The world the server's security tests run in, all real and on 127.0.0.1: a PKI generated at
 * test time (client CA, front-proxy CA, serving CA, kubelet CA), a fake kube-apiserver answering
 * TokenReview and SubjectAccessReview with real response shapes and holding the
 * extension-apiserver-authentication ConfigMap, one fake kubelet with a pod, and the server
 * itself scraping it and serving over TLS through the shared secure layer. Holds no tests itself;
 * named `.test.ts` because only test files may reach into test/support.
 */
import https from 'node:https';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { ManualClock } from '../lib/clock.ts';
import type { ClusterConnection } from '../kube/kubeconfig.ts';
import { loadKubeConfig } from '../kube/kubeconfig.ts';
import { defaultSecureFlags, type SecureFlags } from '../auth/flags.ts';
import { apiRequest } from '../apiserver/http.ts';
import type { MetricsServer } from './server.ts';
import type { Serving } from './serve.ts';
import type { FakeKubelet } from '../../test/support/fake-kubelet.ts';
import { startFakeApiserver, type FakeApiserver, type SarSpec, type SarStatus } from '../../test/support/fake-apiserver.ts';
import { startNodesFileServer } from '../../test/support/nodes-file-server.ts';
import type { TestCa, TestCert, TestPki } from '../../test/support/pki.ts';

const run = promisify(execFile);

type After = { after: (fn: () => unknown) => void };

/** Paths RBAC's bootstrap roles system:discovery and system:public-info-viewer open to every authenticated user. */
const discoveryPaths = ['/api', '/api/*', '/apis', '/apis/*', '/openapi', '/openapi/*', '/version', '/version/', '/healthz', '/livez', '/readyz'];

/**
 * kube-apiserver's RBAC for the tests: discovery paths for system:authenticated, get/list on
 * metrics.k8s.io and scrape.kubemeter.io for the users in `viewers` (what the aggregated reader
 * roles grant); everything else has no opinion (allowed: false).
 */
export function rbac(viewers: ReadonlySet<string>): (spec: SarSpec) => SarStatus {
  return (spec) => {
    const groups = spec.groups ?? [];
    const nra = spec.nonResourceAttributes;
    if (nra !== undefined) {
      const path = nra.path ?? '';
      const open = discoveryPaths.some((p) => (p.endsWith('*') ? path.startsWith(p.slice(0, -1)) : path === p));
      return { allowed: nra.verb === 'get' && open && groups.includes('system:authenticated') };
    }
    const ra = spec.resourceAttributes ?? {};
    return { allowed: viewers.has(spec.user ?? '') && (ra.group === 'metrics.k8s.io' || ra.group === 'scrape.kubemeter.io') && (ra.verb === 'get' || ra.verb === 'list') };
  };
}

/** Everything a security test needs. */
export interface SecureRig {
  pki: TestPki;
  api: FakeApiserver;
  clientCa: TestCa;
  proxyCa: TestCa;
  servingCa: TestCa;
  /** The aggregator's front-proxy client certificate (CN front-proxy-client). */
  proxyCert: TestCert;
  server: MetricsServer;
  serving: Serving;
  /** The fake kubelet of node-a (faults, counters). */
  kubelet: FakeKubelet;
  /** Clock of the scrape loop and the store. */
  metricsClock: ManualClock;
  /** Clock of the authentication and authorization caches. */
  authClock: ManualClock;
  /** The body the handler gives for `path` (what an authorized client must receive). */
  expected(path: string, accept?: string): string;
  /** SubjectAccessReview and TokenReview requests the fake kube-apiserver has seen. */
  sars(): SarSpec[];
  tokenReviews(): number;
}

/** One HTTPS reply. */
export interface Reply {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** Options of secureRig. */
export interface SecureRigOptions {
  flags?: Partial<SecureFlags>;
  /** Override the SubjectAccessReview connection (default: the fake kube-apiserver). */
  authorizationConnection?: ClusterConnection | null;
}

/** Build the world; everything is closed in `t.after`. */
export async function secureRig(t: After, o: SecureRigOptions = {}): Promise<SecureRig> {
  const T0 = Date.UTC(2026, 7, 4, 10, 15, 0);
  const { pki, kubelets: [kubelet], clock: metricsClock, server, dir } = await startNodesFileServer(t, {
    nodes: ['node-a'],
    nodesYaml: ([port]) => `- {name: node-a, address: 127.0.0.1, port: ${port}}\n`,
    startMs: T0 + 5_000,
    requestTimeoutMs: 2_000,
    concurrency: 2,
    dirPrefix: 'kubemeter-secure-',
  });
  if (kubelet === undefined) throw new Error('no kubelet started');
  const api = await startFakeApiserver();
  t.after(() => api.close());
  kubelet.state.timestampMs = T0;
  const app = kubelet.container('default', 'web-1', 'app');
  app.workingSetBytes = 12_533_760;
  app.cpuNs = 1_000_000_000n;
  // Two scrapes 15 s apart: every endpoint has data to serve.
  await server.loop.tick();
  kubelet.tick(15_000, 250_000_000n);
  metricsClock.advance(15_000);
  await server.loop.tick();

  const clientCa = pki.ca('client-ca');
  const proxyCa = pki.ca('front-proxy-ca');
  const servingCa = pki.ca('serving-ca');
  const servingCert = pki.issue(servingCa, { commonName: 'kubemeter', usage: 'server', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  // The front-proxy settings come from the ConfigMap, as in a cluster; the client CA from the flag.
  api.setExtensionAuthentication({
    'requestheader-client-ca-file': proxyCa.certPem,
    'requestheader-allowed-names': '["front-proxy-client"]',
    'requestheader-username-headers': '["X-Remote-User"]',
    'requestheader-group-headers': '["X-Remote-Group"]',
    'requestheader-extra-headers-prefix': '["X-Remote-Extra-"]',
  });
  api.tokens.set('carol-token', { username: 'carol', uid: 'u-carol', groups: ['viewers'] });
  api.tokens.set('mallory-token', { username: 'mallory', groups: ['outsiders'] });
  api.authorize = rbac(new Set(['alice', 'bob', 'carol']));
  const connection = await loadKubeConfig({ kubeconfig: api.writeKubeconfig(join(pki.dir, 'kubeconfig')) });
  // Certificates are generated against the real time; the manual clock starts there.
  const authClock = new ManualClock(Date.now());
  const flags: SecureFlags = {
    ...defaultSecureFlags('apiserver'),
    bindAddress: '127.0.0.1',
    securePort: 0,
    certDir: join(dir, 'certs'),
    tlsCertFile: servingCert.certPath,
    tlsPrivateKeyFile: servingCert.keyPath,
    clientCaFile: clientCa.certPath,
    ...o.flags,
  };
  const serving = await server.serve({
    flags,
    authenticationConnection: connection,
    authorizationConnection: o.authorizationConnection !== undefined ? o.authorizationConnection : connection,
    clock: authClock,
  });
  t.after(() => serving.close());
  const count = (p: string): RecordedBodies => api.requests.filter((r) => r.path === p).map((r) => r.body);
  return {
    pki, api, clientCa, proxyCa, servingCa, server, serving, authClock, kubelet, metricsClock,
    proxyCert: pki.issue(proxyCa, { commonName: 'front-proxy-client', usage: 'client' }),
    expected: (path, accept = '') => server.handle(apiRequest('GET', path, { accept })).body,
    sars: () => count('/apis/authorization.k8s.io/v1/subjectaccessreviews').map((b) => (b as { spec: SarSpec }).spec),
    tokenReviews: () => count('/apis/authentication.k8s.io/v1/tokenreviews').length,
  };
}

type RecordedBodies = unknown[];

/** GET `path` on a fresh TLS connection (each request carries its own identity), verifying the server. */
export function get(rig: Pick<SecureRig, 'serving' | 'servingCa'>, path: string, o: { cert?: TestCert; headers?: [string, string][]; token?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    // Arrays make Node send one header line per value, as kube-apiserver does for groups.
    const headers: Record<string, string[]> = {};
    for (const [k, v] of o.headers ?? []) (headers[k] ??= []).push(v);
    if (o.token !== undefined) headers['authorization'] = [`Bearer ${o.token}`];
    const req = https.request(`${rig.serving.url}${path}`, {
      agent: false,
      ca: rig.servingCa.certPem,
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

/** The front proxy's identity headers for a user. */
export function remoteUser(user: string, groups: readonly string[] = [], extra: readonly [string, string][] = []): [string, string][] {
  return [['X-Remote-User', user], ...groups.map((g): [string, string] => ['X-Remote-Group', g]), ...extra.map(([k, v]): [string, string] => [`X-Remote-Extra-${k}`, v])];
}

/** A Kubernetes Status body as the server writes it (compact JSON and a newline). */
export function statusBody(code: number, reason: string, message: string, details?: Record<string, string>): string {
  return `${JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details === undefined ? {} : { details }), code })}\n`;
}

/** A kubeconfig for the rig's server with a client certificate or a bearer token; returns its path. */
export function kubeconfigFor(r: SecureRig, name: string, user: { cert?: TestCert; token?: string }): string {
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const cred = user.cert !== undefined ? { 'client-certificate-data': b64(user.cert.certPem), 'client-key-data': b64(user.cert.keyPem) } : { token: user.token };
  const path = join(r.pki.dir, `${name}.kubeconfig`);
  writeFileSync(path, JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
    clusters: [{ name: 'k', cluster: { server: r.serving.url, 'certificate-authority-data': b64(r.servingCa.certPem) } }],
    users: [{ name: 'u', user: cred }],
    contexts: [{ name: 'c', context: { cluster: 'k', user: 'u' } }],
  }), { mode: 0o600 });
  return path;
}

/** Runs the real kubectl with `kubeconfig`; never rejects. */
export async function kubectl(kubeconfig: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run('kubectl', ['--kubeconfig', kubeconfig, ...args], { timeout: 30_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}
