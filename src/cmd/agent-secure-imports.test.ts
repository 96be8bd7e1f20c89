/**
 * Keeps the agent's secure port light: a real `kubemeter agent` with the secure port (self-signed
 * certificate, TLS/auth stack, Status error bodies) and a CRI endpoint reports every module it
 * loaded. zod (loaded by the API schemas: ~3 MiB of heap, ~4 MiB of resident memory), yaml, the
 * Kubernetes client and Node's bundled undici must not be among them: the agent never decodes
 * with zod, and without a cluster it needs no client. The CRI client (node:http2 and hand-written
 * protobuf decoders) loads only once the CRI socket exists, and no gRPC package ever loads: not
 * while the socket is absent, not when a real gRPC runtime answers on it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeGeneratedHost } from '../../test/support/agent-fixtures.ts';
import { answer, startCriServer } from '../../test/support/cri-server.ts';
import { agentModuleLoads, type AgentLoadReport } from '../../test/support/agent-loads.ts';
import { freePort } from '../../test/support/free-port.ts';

/** Packages the secure agent without a cluster must not load. */
const heavyPackages = ['zod', 'yaml', '@kubernetes/client-node', 'undici'];
/** Packages the agent never loads: its CRI client is written on node:http2. */
const grpcPackages = ['@grpc/grpc-js', '@grpc/proto-loader', 'protobufjs'];
/** The agent's CRI client modules, loaded on the first call once the socket exists. */
const criModules = ['/agent/identity/cri.ts', '/agent/identity/grpc-unix.ts', '/agent/identity/cri-messages.ts'];


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
  assert.deepEqual(report.loaded.filter((u) => criModules.some((m) => u.endsWith(m))), []);
  assert.deepEqual(report.builtins.filter((m) => m.startsWith('NativeModule internal/deps/undici')), []);
});

test('agent: the secure port with a real gRPC CRI runtime answering uses it without loading any gRPC package', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubemeter-agent-secure-imports-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeGeneratedHost(dir, 2, 1);
  const calls: string[] = [];
  const socket = join(dir, 'cri.sock');
  const server = await startCriServer(socket, {
    ListPodSandbox: (call, cb) => {
      calls.push('ListPodSandbox');
      answer({ items: [] })(call, cb);
    },
    ListContainers: answer({ containers: [] }),
    ListContainerStats: answer({ stats: [] }),
    ImageFsInfo: answer({}),
  });
  t.after(() => server.stop());
  const report = await secureAgentLoads(dir, socket);
  // The first pass, before the port listens, asked the runtime for identities.
  assert.ok(calls.includes('ListPodSandbox'), 'the agent called the runtime');
  for (const m of criModules) assert.ok(report.loaded.some((u) => u.endsWith(m)), `${m} loaded`);
  assert.deepEqual(fromPackages(report.loaded, grpcPackages), []);
  assert.deepEqual(fromPackages(report.loaded, heavyPackages), []);
});
