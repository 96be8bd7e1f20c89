/**
 * `kubemeter server` as a process: composed from flags, serving only after authentication and
 * authorization, saying at start what is insecure or closed, and stopping cleanly on SIGTERM.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { request } from 'node:https';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createTestPki } from '../../test/support/pki.ts';

test('kubemeter server with a client CA and a nodes file: warnings at start, 403 for anonymous, 200 for system:masters, clean SIGTERM', async (t) => {
  const pki = createTestPki();
  t.after(() => pki.cleanup());
  const clientCa = pki.ca('client-ca');
  const admin = pki.issue(clientCa, { commonName: 'admin', organizations: ['system:masters'], usage: 'client' });
  const nodes = pki.write('nodes.yaml', '[]\n');
  const main = new URL('./main.ts', import.meta.url).pathname;
  const child = spawn(process.execPath, [main, 'server', `--nodes-file=${nodes}`, '--kubelet-insecure-tls', '--bind-address=127.0.0.1', '--secure-port=0',
    `--cert-dir=${join(pki.dir, 'certs')}`, `--client-ca-file=${clientCa.certPath}`, '--logging-format=json'], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, KUBERNETES_SERVICE_HOST: '' } });
  t.after(() => child.kill('SIGKILL'));
  const logs: { level: string; msg: string; address?: string }[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stderr }).on('line', (line) => {
      const rec = JSON.parse(line) as { level: string; msg: string; address?: string };
      logs.push(rec);
      if (rec.msg === 'Serving securely') resolve(Number(rec.address?.split(':').at(-1)));
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${JSON.stringify(logs)}`)));
  });
  const warnings = logs.filter((l) => l.level === 'warn').map((l) => l.msg);
  assert.ok(warnings.some((m) => m.startsWith('--kubelet-insecure-tls: kubelet serving certificates are not verified')), warnings.join('\n'));
  assert.ok(warnings.some((m) => m.startsWith('no Kubernetes API for TokenReview')), warnings.join('\n'));
  assert.ok(warnings.some((m) => m.startsWith('no Kubernetes API for SubjectAccessReview')), warnings.join('\n'));
  const get = (path: string, cert?: { certPem: string; keyPem: string }): Promise<number> => new Promise((resolve, reject) => {
    request(`https://127.0.0.1:${port}${path}`, { rejectUnauthorized: false, agent: false, ...(cert ? { cert: cert.certPem, key: cert.keyPem } : {}) }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    }).on('error', reject).end();
  });
  assert.deepEqual([await get('/apis/metrics.k8s.io/v1beta1/nodes'), await get('/apis/metrics.k8s.io/v1beta1/nodes', admin), await get('/livez')], [403, 200, 200]);
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  assert.equal(await exit, 0);
});
