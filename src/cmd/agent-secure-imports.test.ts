/**
 * Keeps the agent's secure port light: a real `kubemeter agent` with the secure port (self-signed
 * certificate, TLS/auth stack, Status error bodies) and a CRI endpoint reports every module it
 * loaded. zod (loaded by the API schemas: ~3 MiB of heap, ~4 MiB of resident memory), yaml, the
 * Kubernetes client and Node's bundled undici must not be among them: the agent never decodes
 * with zod, and without a cluster it needs no client. gRPC loads only once the CRI socket exists.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeGeneratedHost } from '../../test/support/agent-fixtures.ts';

const srcDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Packages the secure agent without a cluster must not load. */
const heavyPackages = ['zod', 'yaml', '@kubernetes/client-node', 'undici'];
/** Packages only a CRI socket that exists may load. */
const grpcPackages = ['@grpc/grpc-js', '@grpc/proto-loader', 'protobufjs'];

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

interface LoadReport {
  code: number;
  loaded: string[];
  builtins: string[];
}

/** Run the agent in a child until its secure port accepts a TLS request; what it loaded. */
async function secureAgentLoads(dir: string, criSocket: string): Promise<LoadReport> {
  const script = `
    const { registerHooks } = process.getBuiltinModule('node:module');
    const loaded = [];
    registerHooks({ load(url, context, next) { loaded.push(url); return next(url, context); } });
    const { run } = await import(${JSON.stringify(join(srcDir, 'cmd', 'agent.ts'))});
    const done = run(process.argv.slice(1));
    const https = process.getBuiltinModule('node:https');
    const port = Number(process.argv[process.argv.indexOf('--port') + 1]);
    let status = 0;
    for (let i = 0; i < 400 && status === 0; i++) {
      // An unauthenticated request: the error path (kubelet 401 body) runs too.
      status = await new Promise((r) => https.get({ host: '127.0.0.1', port, path: '/stats/summary', rejectUnauthorized: false, agent: false }, (res) => { res.resume(); res.on('end', () => r(res.statusCode)); }).once('error', () => r(0)));
      if (status === 0) await new Promise((r) => setTimeout(r, 25));
    }
    process.emit('SIGTERM');
    const code = await done;
    process.stdout.write(JSON.stringify({ code, status, loaded, builtins: process.moduleLoadList }));
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, '--', '--proc-root', join(dir, 'proc'), '--sys-root', join(dir, 'sys'),
    '--read-only-port=0', '--port', String(await freePort()), '--address=127.0.0.1', `--cert-dir=${join(dir, 'pki')}`, '--node-ip=127.0.0.1',
    '--authorization-mode=AlwaysAllow', `--container-runtime-endpoint=unix://${criSocket}`, '--standalone=false', '--root-dir', dir, '--log-level=error'],
  { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KUBERNETES_SERVICE_HOST: '' } });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exit = await new Promise<number | null>((r) => child.once('exit', r));
  assert.equal(exit, 0, err);
  const report = JSON.parse(out) as LoadReport & { status: number };
  assert.equal(report.code, 0, err);
  assert.equal(report.status, 401, 'the secure port answered an unauthenticated request');
  assert.ok(report.loaded.some((u) => u.endsWith('/auth/responses.ts')), 'the hook saw the error responses load');
  return report;
}

function fromPackages(loaded: readonly string[], packages: readonly string[]): string[] {
  return loaded.filter((u) => packages.some((p) => u.includes(`/node_modules/${p}/`)));
}

test('agent: the secure port with a CRI endpoint whose socket does not exist loads no zod, yaml, client, undici or gRPC', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubemeter-agent-secure-imports-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeGeneratedHost(dir, 2, 1);
  const report = await secureAgentLoads(dir, join(dir, 'no-cri.sock'));
  assert.deepEqual(fromPackages(report.loaded, heavyPackages), []);
  assert.deepEqual(fromPackages(report.loaded, grpcPackages), []);
  assert.deepEqual(report.builtins.filter((m) => m.startsWith('NativeModule internal/deps/undici')), []);
});
