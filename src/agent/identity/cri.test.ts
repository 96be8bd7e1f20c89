/**
 * The hand-written CRI client against a real gRPC server (@grpc/grpc-js with protobufjs, serving
 * testdata/cri-runtime-v1.proto): an independent implementation of both sides of the wire.
 */
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { ErrorCode, isKubemeterError } from '../../lib/errors.ts';
import { answer, startCriServer } from '../../../test/support/cri-server.ts';
import type { CriHandlers, CriServer } from '../../../test/support/cri-server.ts';
import { criIdentity, criStorage } from './cri.ts';
import { GrpcError } from './grpc-unix.ts';

const signal = new AbortController().signal;
const here = dirname(fileURLToPath(import.meta.url));
const srcRoot = resolve(here, '../..');

/** A fresh directory and a socket path in it, removed after the test. */
function socketIn(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'kubemeter-cri-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'cri.sock');
}

async function serve(t: TestContext, socket: string, handlers: CriHandlers): Promise<CriServer> {
  const server = await startCriServer(socket, handlers);
  t.after(() => server.stop());
  return server;
}

const isGrpc = (code: ErrorCode, status: string, message: RegExp) => (e: unknown): boolean =>
  e instanceof GrpcError && e.code === code && e.status === status && message.test(e.message);

test('CRI: a status from the runtime is a KubemeterError naming the status, the call and the endpoint', async (t) => {
  const socket = socketIn(t);
  await serve(t, socket, {
    ListPodSandbox: (_c, cb) => cb({ code: grpc.status.PERMISSION_DENIED, details: 'not for you: 100% ✓' }),
    ListContainerStats: (_c, cb) => cb({ code: grpc.status.UNAVAILABLE, details: 'shim gone' }),
  });
  const endpoint = `unix://${socket}`;
  const identity = criIdentity({ endpoint });
  t.after(() => identity.close());
  await assert.rejects(identity.lookup(signal), isGrpc(ErrorCode.RpcStatus, 'PERMISSION_DENIED', new RegExp(`^CRI ListPodSandbox on ${endpoint}: PERMISSION_DENIED: not for you: 100% ✓$`)));
  const storage = criStorage({ endpoint });
  t.after(() => storage.close());
  await assert.rejects(storage.writableLayers(signal), isGrpc(ErrorCode.Network, 'UNAVAILABLE', /CRI ListContainerStats on .*: UNAVAILABLE: shim gone/));
  // Methods the server does not serve.
  await assert.rejects(storage.imageFsInfo(signal), isGrpc(ErrorCode.RpcStatus, 'UNIMPLEMENTED', /CRI ImageFsInfo/));
});

test('CRI: a runtime that never answers: DEADLINE_EXCEEDED, with the deadline sent as grpc-timeout', async (t) => {
  const socket = socketIn(t);
  const deadlines: unknown[] = [];
  await serve(t, socket, { ListContainerStats: (call) => void deadlines.push(call.getDeadline()) });
  // Long enough for the server to see the call on a loaded machine; the test asserts no timing.
  const storage = criStorage({ endpoint: socket, timeoutMs: 1500 });
  t.after(() => storage.close());
  await assert.rejects(storage.writableLayers(signal), isGrpc(ErrorCode.Timeout, 'DEADLINE_EXCEEDED', /CRI ListContainerStats/));
  assert.equal(deadlines.length, 1);
  assert.ok(Number.isFinite(Number(deadlines[0])), `the server saw a deadline (${String(deadlines[0])})`);
  // Cancelled by the caller.
  const ctl = new AbortController();
  const pending = criStorage({ endpoint: socket, timeoutMs: 60_000 });
  t.after(() => pending.close());
  const call = pending.writableLayers(ctl.signal);
  ctl.abort();
  await assert.rejects(call, isGrpc(ErrorCode.Aborted, 'CANCELLED', /cancelled by the caller/));
  await assert.rejects(pending.writableLayers(AbortSignal.abort(new DOMException('late', 'TimeoutError'))), isGrpc(ErrorCode.Timeout, 'DEADLINE_EXCEEDED', /cancelled/));
});

test('CRI: an answer above the receive limit is refused (16 MiB by default, as the kubelet)', async (t) => {
  const socket = socketIn(t);
  const big = 'x'.repeat(16 * 1024 * 1024);
  await serve(t, socket, {
    ListContainers: answer({ containers: [{ id: 'a'.repeat(2000), metadata: { name: 'c' }, labels: { 'io.kubernetes.pod.uid': 'u1' } }] }),
    ListPodSandbox: answer({ items: [] }),
    ImageFsInfo: answer({ image_filesystems: [{ fs_id: { mountpoint: big } }] }),
  });
  const small = criIdentity({ endpoint: socket, maxReceiveMessageBytes: 1024 });
  t.after(() => small.close());
  await assert.rejects(small.lookup(signal), isGrpc(ErrorCode.TooLarge, 'RESOURCE_EXHAUSTED', /CRI ListContainers on .*: RESOURCE_EXHAUSTED: received message larger than max \(20\d\d vs\. 1024 bytes\)/));
  const storage = criStorage({ endpoint: socket, timeoutMs: 30_000 });
  t.after(() => storage.close());
  await assert.rejects(storage.imageFsInfo(signal), isGrpc(ErrorCode.TooLarge, 'RESOURCE_EXHAUSTED', /vs\. 16777216 bytes/));
  // The connection is still good after the refusal.
  const ok = criIdentity({ endpoint: socket });
  t.after(() => ok.close());
  assert.equal((await ok.lookup(signal)).containers.size, 1);
});

test('CRI: the runtime restarting (socket gone, then back) is survived by the same client', async (t) => {
  const socket = socketIn(t);
  const sandbox = { id: 's1', metadata: { name: 'web-0', uid: 'u1', namespace: 'shop' }, created_at: '1700000000000000000' };
  const handlers = { ListPodSandbox: answer({ items: [sandbox] }), ListContainers: answer({ containers: [] }) };
  let server = await startCriServer(socket, handlers);
  t.after(() => server.stop());
  const identity = criIdentity({ endpoint: `unix:${socket}`, timeoutMs: 5000 });
  t.after(() => identity.close());
  assert.equal((await identity.lookup(signal)).pods.get('u1')?.name, 'web-0');
  server.stop();
  rmSync(socket, { force: true });
  await assert.rejects(identity.lookup(signal), isGrpc(ErrorCode.Network, 'UNAVAILABLE', /CRI List(PodSandbox|Containers) on unix:.*cri\.sock: UNAVAILABLE: .*ENOENT/));
  server = await startCriServer(socket, { ...handlers, ListPodSandbox: answer({ items: [{ ...sandbox, metadata: { ...sandbox.metadata, name: 'web-1' } }] }) });
  assert.ok(existsSync(socket));
  assert.equal((await identity.lookup(signal)).pods.get('u1')?.name, 'web-1');
});

test('CRI: a closed client refuses calls', async (t) => {
  const socket = socketIn(t);
  await serve(t, socket, { ImageFsInfo: answer({}) });
  const storage = criStorage({ endpoint: socket });
  assert.deepEqual(await storage.imageFsInfo(signal), { imageFs: undefined, containerFs: undefined });
  storage.close();
  await assert.rejects(storage.imageFsInfo(signal), isGrpc(ErrorCode.Network, 'UNAVAILABLE', /client closed/));
  assert.throws(() => criStorage({ endpoint: 'tcp://127.0.0.1:1' }), (e: unknown) => isKubemeterError(e, ErrorCode.InvalidFlag));
});

/** Local modules reachable from `entry` by static and dynamic imports. */
function moduleGraph(entry: string): Map<string, string> {
  const seen = new Map<string, string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    const text = readFileSync(file, 'utf8');
    seen.set(file, text);
    // `import … from './x.ts'`, `export … from './x.ts'`, `import('./x.ts')`; type-only imports are erased.
    for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^;]*?from\s+'(\.[^']+)'|import\('(\.[^']+)'\)/gm)) {
      if (m[2] !== undefined) continue;
      const spec = m[3] ?? m[4]!;
      assert.match(spec, /\.ts$/, `${relative(srcRoot, file)} imports ${spec}, which is not a TypeScript module`);
      visit(resolve(dirname(file), spec));
    }
  };
  visit(entry);
  return seen;
}

test('the CRI client and the agent command read no file of their own at run time and use no gRPC package', () => {
  for (const entry of [join(here, 'cri.ts'), join(srcRoot, 'cmd', 'agent.ts')]) {
    const graph = moduleGraph(entry);
    assert.ok(graph.size > 1);
    for (const [file, text] of graph) {
      const code = text.replace(/^\s*(\/\/|\*|\/\*).*$/gm, '');
      // Files next to the code are found through the module's own URL or directory.
      assert.doesNotMatch(code, /import\.meta\.(url|dirname|filename)|__dirname|\.proto\b/, `${relative(srcRoot, file)} locates a file next to itself`);
      assert.doesNotMatch(code, /from '(@grpc\/|protobufjs)|import\('(@grpc\/|protobufjs)/, `${relative(srcRoot, file)} imports a gRPC package`);
    }
  }
  assert.ok(moduleGraph(join(srcRoot, 'cmd', 'agent.ts')).has(join(here, 'cri.ts')), 'the agent command reaches the CRI client');
});
