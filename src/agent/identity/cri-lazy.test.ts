import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, isKubemeterError } from '../../lib/errors.ts';
import type { CriStorage } from './cri.ts';
import { criSocketPath, lazyCri } from './cri-lazy.ts';
import type { IdentityProvider } from './types.ts';
import { emptyIdentity } from './types.ts';

/** A stand-in for cri.ts that counts what was created and closed. */
function fakeModule(): { load: () => Promise<{ criIdentity: () => IdentityProvider; criStorage: () => CriStorage }>; loads: number; created: string[]; closed: string[] } {
  const state = {
    loads: 0,
    created: [] as string[],
    closed: [] as string[],
    load: async () => {
      state.loads++;
      await Promise.resolve();
      return {
        criIdentity: (): IdentityProvider => {
          state.created.push('identity');
          return { name: 'cri', lookup: () => Promise.resolve(emptyIdentity()), close: () => void state.closed.push('identity') };
        },
        criStorage: (): CriStorage => {
          state.created.push('storage');
          return {
            writableLayers: () => Promise.resolve(new Map()),
            imageFsInfo: () => Promise.resolve({ imageFs: undefined, containerFs: undefined }),
            close: () => void state.closed.push('storage'),
          };
        },
      };
    },
  };
  return state;
}

const signal = new AbortController().signal;

test('lazy CRI: nothing loads while the socket is absent; calls fail as Network errors naming the endpoint and the path', async () => {
  const m = fakeModule();
  const cri = lazyCri({ endpoint: 'unix:///run/nothing/here.sock', exists: () => false, load: m.load });
  assert.equal(cri.identity.name, 'cri');
  for (const call of [() => cri.identity.lookup(signal), () => cri.storage.writableLayers(signal), () => cri.storage.imageFsInfo(signal)]) {
    await assert.rejects(call(), (e: unknown) => isKubemeterError(e, ErrorCode.Network) && e.message.includes('unix:///run/nothing/here.sock') && e.message.includes('no socket at /run/nothing/here.sock'));
  }
  assert.equal(m.loads, 0);
  assert.equal(cri.loaded(), false);
  cri.identity.close();
  cri.storage.close();
  assert.deepEqual(m.closed, []);
});

test('lazy CRI: the first calls after the socket appears load the module once and create each client once', async () => {
  const m = fakeModule();
  let present = false;
  const cri = lazyCri({ endpoint: '/run/cri.sock', exists: () => present, load: m.load });
  await assert.rejects(cri.identity.lookup(signal));
  present = true;
  const [a, b] = await Promise.all([cri.identity.lookup(signal), cri.identity.lookup(signal), cri.storage.writableLayers(signal), cri.storage.imageFsInfo(signal)]);
  assert.deepEqual([a.pods.size, b.pods.size], [0, 0]);
  assert.equal(m.loads, 1);
  assert.deepEqual(m.created.sort(), ['identity', 'storage']);
  // Once loaded, the socket's presence is gRPC's business (it reconnects).
  present = false;
  await cri.identity.lookup(signal);
  assert.equal(cri.loaded(), true);
  cri.identity.close();
  cri.storage.close();
  assert.deepEqual(m.closed.sort(), ['identity', 'storage']);
  await assert.rejects(cri.identity.lookup(signal), (e: unknown) => isKubemeterError(e, ErrorCode.Network) && /client closed/.test(e.message));
});

test('lazy CRI: closed while the module loads, no client is created', async () => {
  const m = fakeModule();
  const cri = lazyCri({ endpoint: '/run/cri.sock', exists: () => true, load: m.load });
  const pending = cri.identity.lookup(signal);
  cri.identity.close();
  await assert.rejects(pending, /client closed/);
  assert.deepEqual(m.created, []);
});

test('lazy CRI: the default check sees a real unix socket', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubemeter-cri-lazy-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const socket = join(dir, 'cri.sock');
  const m = fakeModule();
  const cri = lazyCri({ endpoint: `unix://${socket}`, load: m.load });
  await assert.rejects(cri.identity.lookup(signal), /no socket at/);
  const server = createServer();
  await new Promise<void>((r) => server.listen(socket, r));
  t.after(() => server.close());
  await cri.identity.lookup(signal);
  assert.equal(m.loads, 1);
});

test('lazy CRI: endpoints other than unix sockets are refused at once, as by criTarget', () => {
  assert.equal(criSocketPath('unix:///run/containerd/containerd.sock'), '/run/containerd/containerd.sock');
  assert.equal(criSocketPath('unix:/run/crio/crio.sock'), '/run/crio/crio.sock');
  assert.equal(criSocketPath('/run/x.sock'), '/run/x.sock');
  for (const bad of ['tcp://1.2.3.4:1', 'npipe:////./pipe/x', 'run/x.sock', '']) {
    assert.throws(() => lazyCri({ endpoint: bad }), (e: unknown) => isKubemeterError(e, ErrorCode.InvalidFlag) && e.message.includes('only unix sockets'));
  }
});
