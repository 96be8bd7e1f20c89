import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, isKubemeterError } from '../lib/errors.ts';
import { ManualClock } from '../lib/clock.ts';
import type { LogFields } from '../lib/log.ts';
import { createLogger } from '../lib/log.ts';
import { loadKubeConfig, loadInCluster } from './kubeconfig.ts';
import { parseKubeconfig, mergeKubeconfigs } from './kubeconfig-file.ts';

function tmp(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'kubemeter-kc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

function kc(o: { clusters?: [string, Record<string, unknown>][]; users?: [string, Record<string, unknown>][]; contexts?: [string, Record<string, unknown>][]; current?: string }): string {
  // Written as YAML by hand, the way people write kubeconfigs.
  const lines = ['apiVersion: v1', 'kind: Config'];
  const section = (name: string, key: string, items: [string, Record<string, unknown>][] | undefined): void => {
    if (items === undefined) return;
    lines.push(`${name}:`);
    for (const [n, body] of items) {
      lines.push(`- name: ${n}`, `  ${key}:`);
      for (const [k, v] of Object.entries(body)) lines.push(`    ${k}: ${JSON.stringify(v)}`);
    }
  };
  section('clusters', 'cluster', o.clusters);
  section('users', 'user', o.users);
  section('contexts', 'context', o.contexts);
  if (o.current !== undefined) lines.push(`current-context: ${o.current}`);
  return lines.join('\n') + '\n';
}

test('KUBECONFIG files merge as clientcmd does: first definition of a name and of current-context wins', async (t) => {
  const dir = tmp(t);
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  writeFileSync(a, kc({ clusters: [['c1', { server: 'https://a.example:6443' }]], users: [['u1', { token: 'from-a' }]], contexts: [['x', { cluster: 'c1', user: 'u1', namespace: 'team-a' }]] }));
  writeFileSync(b, kc({
    clusters: [['c1', { server: 'https://b.example:6443' }], ['c2', { server: 'https://c2.example' }]],
    users: [['u1', { token: 'from-b' }], ['u2', { token: 'two' }]],
    contexts: [['x', { cluster: 'c2', user: 'u2' }], ['y', { cluster: 'c2', user: 'u2' }]],
    current: 'x',
  }));
  const env = { KUBECONFIG: [a, join(dir, 'missing'), b, a].join(':') };
  const conn = await loadKubeConfig({ env });
  assert.equal(conn.server, 'https://a.example:6443');
  assert.equal(conn.namespace, 'team-a');
  assert.equal(conn.context, 'x');
  assert.deepEqual(await conn.credentials.get(), { token: 'from-a' });
  const y = await loadKubeConfig({ env, context: 'y', namespace: 'override' });
  assert.equal(y.server, 'https://c2.example');
  assert.equal(y.namespace, 'override');
  assert.deepEqual(await y.credentials.get(), { token: 'two' });
  await assert.rejects(loadKubeConfig({ env, context: 'nope' }), /context was not found for specified context: nope/);
});

test('~/.kube/config is the default; an explicit path must exist; relative paths resolve against the file', async (t) => {
  const dir = tmp(t);
  mkdirSync(join(dir, '.kube', 'certs'), { recursive: true });
  writeFileSync(join(dir, '.kube', 'certs', 'ca.crt'), 'CA PEM');
  writeFileSync(join(dir, '.kube', 'certs', 'tok'), ' file-token \n');
  writeFileSync(join(dir, '.kube', 'config'), kc({
    clusters: [['c', { server: 'https://h:1/prefix/', 'certificate-authority': 'certs/ca.crt', 'tls-server-name': 'kubernetes' }]],
    users: [['u', { tokenFile: 'certs/tok', as: 'bob', 'as-groups': ['g1'] }]],
    contexts: [['ctx', { cluster: 'c', user: 'u' }]],
    current: 'ctx',
  }));
  const conn = await loadKubeConfig({ env: {}, homeDir: dir });
  assert.equal(conn.server, 'https://h:1/prefix');
  assert.equal(conn.ca?.toString(), 'CA PEM');
  assert.equal(conn.tlsServerName, 'kubernetes');
  assert.equal(conn.namespace, 'default');
  assert.deepEqual(await conn.credentials.get(), { token: 'file-token' });
  assert.deepEqual(conn.impersonate, { user: 'bob', groups: ['g1'], extra: {} });
  const err = await loadKubeConfig({ kubeconfig: join(dir, 'nope'), env: {} }).catch((e: unknown) => e);
  assert.ok(isKubemeterError(err, ErrorCode.InvalidKubeconfig));
  assert.match(String(err), /cannot read kubeconfig .*nope/);
  await assert.rejects(loadKubeConfig({ env: {}, homeDir: join(dir, 'empty') }), /no configuration has been provided/);
});

test('client certificate data, insecure-skip-tls-verify warning, and the validation errors kubectl gives', async (t) => {
  const dir = tmp(t);
  const lines: LogFields[] = [];
  const logger = createLogger({ format: 'json', write: (l) => lines.push(JSON.parse(l) as LogFields) });
  const p = join(dir, 'kc');
  writeFileSync(p, kc({
    clusters: [['c', { server: 'https://h', 'insecure-skip-tls-verify': true }]],
    users: [['u', { 'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY') }]],
    contexts: [['ctx', { cluster: 'c', user: 'u' }]],
    current: 'ctx',
  }));
  const conn = await loadKubeConfig({ kubeconfig: p, logger });
  assert.equal(conn.insecureSkipTlsVerify, true);
  assert.deepEqual(await conn.credentials.get(), { clientCertificate: { certPem: 'CERT', keyPem: 'KEY' } });
  assert.ok(lines.some((l) => l['level'] === 'warn' && /insecure-skip-tls-verify/.test(String(l['msg']))));

  const bad = async (cluster: Record<string, unknown>, user: Record<string, unknown>): Promise<string> => {
    writeFileSync(p, kc({ clusters: [['c', cluster]], users: [['u', user]], contexts: [['ctx', { cluster: 'c', user: 'u' }]], current: 'ctx' }));
    const e = await loadKubeConfig({ kubeconfig: p }).catch((x: unknown) => x);
    assert.ok(isKubemeterError(e, ErrorCode.InvalidKubeconfig), String(e));
    return e.message;
  };
  assert.match(await bad({ server: 'https://h', 'insecure-skip-tls-verify': true, 'certificate-authority-data': b64('x') }, {}), /root certificates file with the insecure flag/);
  assert.match(await bad({ server: 'https://h' }, { token: 't', username: 'u', password: 'p' }), /more than one authentication method/);
  assert.match(await bad({ server: 'https://h' }, { 'client-certificate-data': b64('CERT') }), /must be given together/);
  assert.match(await bad({}, {}), /cluster has no server defined/);
  assert.match(await bad({ server: 'ftp://h' }, {}), /must be http\(s\)/);
  assert.match(await bad({ server: 'https://h', 'proxy-url': 'http://proxy:3128' }, {}), /proxy-url is not supported/);
  assert.match(await bad({ server: 'https://h' }, { 'auth-provider': { name: 'gcp' } }), /auth-provider "gcp" is not supported/);
  assert.match(await bad({ server: 'https://h', 'certificate-authority-data': '!!notbase64' }, {}), /certificate-authority-data must be base64 data/);
});

test('parse errors name the file and field; duplicate names in one file are rejected', () => {
  assert.throws(() => parseKubeconfig('clusters: [', '/k'), /kubeconfig \/k:/);
  assert.throws(() => parseKubeconfig('clusters: 3', '/k'), /clusters must be a list/);
  assert.throws(() => parseKubeconfig('clusters:\n- name: a\n  cluster: {server: 1}', '/k'), /clusters\[0\]\.cluster\.server must be a string/);
  assert.throws(() => parseKubeconfig('users:\n- name: a\n  user: {}\n- name: a\n  user: {}', '/k'), /duplicate name "a" in users/);
  assert.equal(parseKubeconfig('', '/k').clusters.size, 0);
  const m = mergeKubeconfigs([parseKubeconfig('current-context: ""', '/a'), parseKubeconfig('current-context: b', '/b')]);
  assert.equal(m.currentContext, 'b');
});

test('in-cluster: service host/port, CA, namespace, and the token file re-read as it rotates', async (t) => {
  const dir = tmp(t);
  writeFileSync(join(dir, 'token'), 'token-1');
  writeFileSync(join(dir, 'ca.crt'), 'SA CA');
  writeFileSync(join(dir, 'namespace'), 'kube-system\n');
  const clock = new ManualClock();
  const env = { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' };
  // With no kubeconfig anywhere, loadKubeConfig falls back to in-cluster.
  const conn = await loadKubeConfig({ env, homeDir: join(dir, 'nohome'), serviceAccountDir: dir, clock });
  assert.equal(conn.server, 'https://[fd00::1]:443');
  assert.equal(conn.origin, 'in-cluster');
  assert.equal(conn.ca?.toString(), 'SA CA');
  assert.equal(conn.namespace, 'kube-system');
  assert.deepEqual(await conn.credentials.get(), { token: 'token-1' });
  writeFileSync(join(dir, 'token'), 'token-2');
  assert.deepEqual(await conn.credentials.get(), { token: 'token-1' }, 'cached within the minute');
  clock.advance(60_000);
  assert.deepEqual(await conn.credentials.get(), { token: 'token-2' });
  writeFileSync(join(dir, 'token'), 'token-3');
  conn.credentials.invalidate(); // what a 401 does
  assert.deepEqual(await conn.credentials.get(), { token: 'token-3' });
  rmSync(join(dir, 'token'));
  clock.advance(60_000);
  assert.deepEqual(await conn.credentials.get(), { token: 'token-3' }, 'a failed re-read keeps the last good token');
  await assert.rejects(loadInCluster({ env: {} }), /KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be defined/);
});

test('exec credential plugins: environment, KUBERNETES_EXEC_INFO, caching until expiry, errors', async (t) => {
  const dir = tmp(t);
  const plugin = join(dir, 'plugin.sh');
  const infoFile = join(dir, 'info.json');
  const countFile = join(dir, 'count');
  writeFileSync(countFile, '');
  writeFileSync(plugin, `#!/bin/sh
printf '%s' "$KUBERNETES_EXEC_INFO" > ${infoFile}
echo x >> ${countFile}
cat <<EOF
{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{"token":"tok-$PLUGIN_SUFFIX","expirationTimestamp":"$EXPIRES"}}
EOF
`);
  chmodSync(plugin, 0o755);
  const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
  const p = join(dir, 'kc');
  const exec = { apiVersion: 'client.authentication.k8s.io/v1', command: './plugin.sh', args: ['a'], env: [{ name: 'PLUGIN_SUFFIX', value: 'one' }, { name: 'EXPIRES', value: '2026-01-01T00:10:00Z' }], interactiveMode: 'Never', provideClusterInfo: true };
  writeFileSync(p, JSON.stringify({
    clusters: [{ name: 'c', cluster: { server: 'https://h:6443', 'certificate-authority-data': b64('CA'), extensions: [{ name: 'client.authentication.k8s.io/exec', extension: { audience: 'x' } }] } }],
    users: [{ name: 'u', user: { exec } }],
    contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
    'current-context': 'ctx',
  }));
  const conn = await loadKubeConfig({ kubeconfig: p, clock, env: { PATH: process.env['PATH'] ?? '' } });
  assert.deepEqual(await conn.credentials.get(), { token: 'tok-one' });
  const info = JSON.parse(readFileSync(infoFile, 'utf8')) as unknown;
  assert.deepEqual(info, {
    kind: 'ExecCredential',
    apiVersion: 'client.authentication.k8s.io/v1',
    spec: { interactive: false, cluster: { server: 'https://h:6443', 'certificate-authority-data': b64('CA'), config: { audience: 'x' } } },
  });
  await conn.credentials.get();
  assert.equal(readFileSync(countFile, 'utf8').trim().split('\n').length, 1, 'cached while valid');
  clock.advance(11 * 60_000);
  await conn.credentials.get();
  assert.equal(readFileSync(countFile, 'utf8').trim().split('\n').length, 2, 'run again after expiry');

  const rewrite = (e: Record<string, unknown>): void => {
    writeFileSync(p, JSON.stringify({ clusters: [{ name: 'c', cluster: { server: 'https://h' } }], users: [{ name: 'u', user: { exec: { ...exec, ...e } } }], contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }], 'current-context': 'ctx' }));
  };
  rewrite({ interactiveMode: undefined });
  await assert.rejects(loadKubeConfig({ kubeconfig: p }), /interactiveMode must be specified/);
  rewrite({ apiVersion: 'client.authentication.k8s.io/v1alpha1' });
  await assert.rejects(loadKubeConfig({ kubeconfig: p }), /invalid apiVersion/);
  rewrite({ command: 'kubemeter-no-such-plugin', installHint: 'install it with: apt-get install x' });
  const missing = await loadKubeConfig({ kubeconfig: p });
  await assert.rejects(missing.credentials.get(), /executable kubemeter-no-such-plugin not found\n\ninstall it with/);
  rewrite({ command: '/bin/sh', args: ['-c', 'echo nope >&2; exit 3'] });
  const failing = await loadKubeConfig({ kubeconfig: p });
  await assert.rejects(failing.credentials.get(), /exit status 3: nope/);
});
