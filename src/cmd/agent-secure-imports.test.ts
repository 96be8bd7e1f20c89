/**
 * Keeps the agent's secure port light: a real `kubemeter agent` with the secure port (self-signed
 * certificate, TLS/auth stack, Status error bodies) and a CRI endpoint reports every module it
 * loaded. zod (loaded by the API schemas: ~3 MiB of heap, ~4 MiB of resident memory), yaml, the
 * Kubernetes client and Node's bundled undici must not be among them: the agent never decodes
 * with zod, and without a cluster it needs no client. gRPC loads only once the CRI socket exists.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeGeneratedHost } from '../../test/support/agent-fixtures.ts';
import { agentModuleLoads, type AgentLoadReport } from '../../test/support/agent-loads.ts';
import { freePort } from '../../test/support/free-port.ts';

/** Packages the secure agent without a cluster must not load. */
const heavyPackages = ['zod', 'yaml', '@kubernetes/client-node', 'undici'];
/** Packages only a CRI socket that exists may load. */
const grpcPackages = ['@grpc/grpc-js', '@grpc/proto-loader', 'protobufjs'];


/** Run the agent until its secure port answers an unauthenticated request; what it loaded. */
async function secureAgentLoads(dir: string, criSocket: string): Promise<AgentLoadReport> {
  const report = await agentModuleLoads(['--proc-root', join(dir, 'proc'), '--sys-root', join(dir, 'sys'),
    '--read-only-port=0', '--port', String(await freePort()), '--address=127.0.0.1', `--cert-dir=${join(dir, 'pki')}`, '--node-ip=127.0.0.1',
    '--authorization-mode=AlwaysAllow', `--container-runtime-endpoint=unix://${criSocket}`, '--standalone=false', '--root-dir', dir, '--log-level=error'],
  'secure-port', { ...process.env, KUBERNETES_SERVICE_HOST: '' });
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
