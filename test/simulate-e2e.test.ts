/**
 * End to end: `kubemeter simulate` with one node of every fault kind plus healthy ones, and the
 * real `kubemeter server` scraping it over HTTPS from the simulator's nodes file: every healthy
 * node and its pods are served; nodes that cannot be scraped are not, and the server stays up.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCertificateAuthority, issueCertificate } from '../src/auth/x509-gen.ts';
import { faultKinds } from '../src/sim/faults.ts';
import { faultLabel } from '../src/sim/nodes-file.ts';
import { freePort } from './support/free-port.ts';

const main = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'src', 'cmd', 'main.ts');

function start(args: string[]): ChildProcess & { output: () => string } {
  const c = spawn(process.execPath, [main, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  c.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  c.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  return Object.assign(c, { output: () => out });
}

function stop(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
  return new Promise((res) => {
    c.once('exit', () => res());
    c.kill('SIGTERM');
  });
}


async function until<T>(what: string, deadlineMs: number, fn: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`${what}: not reached in ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

test('kubemeter server serves every healthy node of a simulated cluster with faulty nodes', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubemeter-e2e-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const base = `127.${200 + Math.floor(Math.random() * 50)}.${Math.floor(Math.random() * 250)}.1`;
  const nodesFile = join(dir, 'nodes.json');
  const sim = start(['simulate', '--nodes', '20', '--pods-per-node', '5', '--containers-per-pod', '2', '--tls', '--port', '0', '--address-base', base,
    '--faults', faultKinds.map((k) => `${k}=1`).join(','), '--fault-latency', '4s', '--nodes-file-out', nodesFile, '--duration', '100s']);
  t.after(() => stop(sim));
  await until('nodes file', 30_000, async () => (existsSync(nodesFile) ? true : undefined));
  const nodes = JSON.parse(readFileSync(nodesFile, 'utf8')) as Array<{ name: string; labels: Record<string, string> }>;
  const healthy = nodes.filter((n) => n.labels[faultLabel] === undefined).map((n) => n.name).sort();
  // Faults in the data rather than the transport still produce a scrape.
  const unreachable = new Set(['latency', 'hang', 'http-500', 'http-403', 'truncate', 'garbage', 'huge']);
  const unscrapable = nodes.filter((n) => unreachable.has(n.labels[faultLabel] ?? '')).map((n) => n.name);
  assert.equal(healthy.length, 9);
  assert.equal(unscrapable.length, 7);

  const ca = createCertificateAuthority({ commonName: 'e2e-client-ca' });
  writeFileSync(join(dir, 'client-ca.crt'), ca.certPem);
  const admin = issueCertificate(ca, { commonName: 'e2e-admin', organizations: ['system:masters'], usage: 'client' });
  const port = await freePort();
  const server = start(['server', '--nodes-file', nodesFile, '--kubelet-insecure-tls', '--kubelet-use-node-status-port', '--secure-port', String(port),
    '--bind-address', '127.0.0.1', '--cert-dir', join(dir, 'certs'), '--client-ca-file', join(dir, 'client-ca.crt'),
    '--metric-resolution', '10s', '--kubelet-request-timeout', '2s']);
  t.after(() => stop(server));

  const get = (path: string): Promise<{ status: number; json: unknown }> => new Promise((res, rej) => {
    const req = request({ host: '127.0.0.1', port, path, cert: admin.certPem, key: admin.keyPem, rejectUnauthorized: false, timeout: 10_000 }, (r) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => res({ status: r.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString()) as unknown }));
    });
    req.on('error', rej);
    req.end();
  });
  type NodeList = { items: Array<{ metadata: { name: string }; usage: { cpu: string; memory: string } }> };
  const served = await until(`every healthy node served\n${server.output()}`, 60_000, async () => {
    const r = await get('/apis/metrics.k8s.io/v1beta1/nodes');
    const names = new Set((r.json as NodeList).items.map((i) => i.metadata.name));
    return healthy.every((n) => names.has(n)) ? (r.json as NodeList) : undefined;
  });
  // Memory in bytes as a binary-SI quantity: the largest exact suffix (4427264Ki is 4323Mi).
  for (const item of served.items) assert.match(item.usage.memory, /^\d+(?:Ki|Mi|Gi|Ti)?$/);
  const names = served.items.map((i) => i.metadata.name);
  for (const n of unscrapable) assert.ok(!names.includes(n), `${n} (${nodes.find((x) => x.name === n)?.labels[faultLabel]}) is not served`);
  const pods = await get('/apis/metrics.k8s.io/v1beta1/pods');
  assert.equal(pods.status, 200);
  assert.ok((pods.json as { items: unknown[] }).items.length >= healthy.length * 5, 'the healthy nodes\' pods are served');
  assert.equal(server.exitCode, null, 'the server is still running');
});
