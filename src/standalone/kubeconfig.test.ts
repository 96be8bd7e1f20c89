import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCertificateAuthority, issueCertificate } from '../auth/x509-gen.ts';
import { loadKubeConfig } from '../kube/kubeconfig.ts';
import { KUBECONFIG_MARKER, renderKubeconfig, writeKubeconfig } from './kubeconfig.ts';

const ca = createCertificateAuthority({ commonName: 'kc-ca' });
const admin = issueCertificate(ca, { commonName: 'kubemeter-admin', organizations: ['system:masters'], usage: 'client' });
const text = renderKubeconfig({ server: 'https://127.0.0.1:4443', caPem: ca.certPem, clientCertPem: admin.certPem, clientKeyPem: admin.keyPem });

test('the kubeconfig loads with the kubeconfig loader kubectl-compatible clients use', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubemeter-kc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'sub', 'kubemeter.config');
  writeKubeconfig(path, text);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.equal(statSync(join(dir, 'sub')).mode & 0o777, 0o700);
  const conn = await loadKubeConfig({ kubeconfig: path, env: {} });
  assert.equal(conn.server, 'https://127.0.0.1:4443');
  assert.equal(conn.ca?.toString('utf8'), ca.certPem);
  const creds = await conn.credentials.get();
  assert.deepEqual(creds.clientCertificate, { certPem: admin.certPem, keyPem: admin.keyPem });
  assert.ok(readFileSync(path, 'utf8').startsWith(`${KUBECONFIG_MARKER}\n`));
  assert.match(text, /current-context: kubemeter\n/);
});

test('a kubeconfig kubemeter did not write is never replaced; its own is', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubemeter-kc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const mine = join(dir, 'config');
  writeFileSync(mine, 'apiVersion: v1\nkind: Config\nclusters: []\n');
  assert.throws(() => writeKubeconfig(mine, text), /config exists and was not written by kubemeter up; not replacing it/);
  assert.equal(readFileSync(mine, 'utf8'), 'apiVersion: v1\nkind: Config\nclusters: []\n');
  const ours = join(dir, 'kubemeter.config');
  writeKubeconfig(ours, text);
  writeKubeconfig(ours, text.replace('4443', '5443'));
  assert.match(readFileSync(ours, 'utf8'), /server: https:\/\/127\.0\.0\.1:5443/);
});
