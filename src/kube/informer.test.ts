import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeApiserver, makeNode, makePod } from '../../test/support/fake-apiserver.ts';
import type { FakeApiserver } from '../../test/support/fake-apiserver.ts';
import { KubeClient } from './client.ts';
import { loadKubeConfig } from './kubeconfig.ts';
import { Informer } from './informer.ts';
import type { InformerOptions } from './informer.ts';
import type { KubeObject } from './store.ts';

interface Obj extends KubeObject {
  metadata: { name: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string> };
  kind?: string;
  spec?: { nodeName?: string };
}

const decode = (v: unknown): Obj => {
  const o = v as Obj | null;
  if (typeof o !== 'object' || o === null || typeof o.metadata?.name !== 'string') throw new Error('not an object with metadata.name');
  return o;
};

/** Polls until `cond` holds; the deadline only bounds a failing test, it asserts nothing about speed. */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (cond()) return;
    await delay(10);
  }
  assert.fail(`timed out waiting for ${what}`);
}

async function setup(t: { after: (fn: () => unknown) => void }): Promise<{ api: FakeApiserver; client: KubeClient; sleeps: number[] }> {
  const api = await startFakeApiserver();
  t.after(() => api.close());
  const dir = mkdtempSync(join(tmpdir(), 'kubemeter-informer-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const client = new KubeClient(await loadKubeConfig({ kubeconfig: api.writeKubeconfig(join(dir, 'kc')) }));
  t.after(() => client.close());
  return { api, client, sleeps: [] };
}

function informer(client: KubeClient, sleeps: number[], t: { after: (fn: () => unknown) => void }, extra: Partial<InformerOptions<Obj>> = {}): Informer<Obj> {
  const inf = new Informer<Obj>({
    client,
    path: '/api/v1/pods',
    decode,
    // Record backoff delays, but only wait a moment: tests never sleep for real backoff times.
    sleep: async (ms, signal) => {
      sleeps.push(ms);
      await delay(5, undefined, { signal }).catch(() => {});
    },
    random: () => 0,
    ...extra,
  });
  t.after(() => inf.stop());
  return inf;
}

test('lists, syncs, then follows adds, updates and deletes from the watch', async (t) => {
  const { api, client, sleeps } = await setup(t);
  api.pods.upsert(makePod('default', 'a', { nodeName: 'n1' }));
  api.pods.upsert(makePod('kube-system', 'b', { nodeName: 'n1' }));
  const inf = informer(client, sleeps, t);
  const seen: string[] = [];
  inf.on({
    onAdd: (o) => seen.push(`add ${o.metadata.namespace}/${o.metadata.name}`),
    onUpdate: (old, o) => seen.push(`update ${o.metadata.name} ${old.metadata.resourceVersion}->${o.metadata.resourceVersion}`),
    onDelete: (o) => seen.push(`delete ${o.metadata.name}`),
  });
  assert.equal(inf.hasSynced(), false);
  inf.start();
  await inf.waitForSync();
  assert.equal(inf.hasSynced(), true);
  assert.deepEqual(inf.store.keys().sort(), ['default/a', 'kube-system/b']);
  assert.deepEqual(seen, ['add default/a', 'add kube-system/b']);
  await until(() => api.openWatches() === 1, 'the watch');
  const watchReq = api.requests.find((r) => r.query.get('watch') === '1');
  assert.equal(watchReq?.query.get('allowWatchBookmarks'), 'true');
  assert.equal(watchReq?.query.get('resourceVersion'), String(api.resourceVersion));

  const rvA = api.pods.get('a', 'default')?.metadata.resourceVersion;
  const updated = api.pods.upsert(makePod('default', 'a', { nodeName: 'n2' }));
  api.pods.upsert(makePod('default', 'c'));
  api.pods.remove('b', 'kube-system');
  await until(() => seen.length === 5, 'three events');
  assert.deepEqual(seen.slice(2), [`update a ${rvA}->${updated.metadata.resourceVersion}`, 'add default/c', 'delete b']);
  assert.equal(inf.store.getByName('default', 'a')?.spec?.nodeName, 'n2');
  assert.equal(inf.lastSyncResourceVersion, String(api.resourceVersion));
  assert.deepEqual(sleeps, []);
});

test('relists after the resourceVersion expired (ERROR event with a 410 Status) and reports the differences', async (t) => {
  const { api, client, sleeps } = await setup(t);
  api.pods.upsert(makePod('default', 'a'));
  api.pods.upsert(makePod('default', 'b'));
  const inf = informer(client, sleeps, t);
  const seen: string[] = [];
  inf.on({ onAdd: (o) => seen.push(`add ${o.metadata.name}`), onDelete: (o) => seen.push(`delete ${o.metadata.name}`) });
  inf.start();
  await inf.waitForSync();
  await until(() => api.openWatches() === 1, 'the watch');
  // Changes the informer misses while disconnected, then history is compacted away.
  api.closeWatches();
  api.pods.remove('a', 'default');
  api.pods.upsert(makePod('default', 'z'));
  api.compact();
  await until(() => inf.stats().expiredRelists === 1 && inf.store.size === 2 && inf.store.getByName('default', 'z') !== undefined, 'the relist');
  assert.deepEqual(seen, ['add a', 'add b', 'delete a', 'add z']);
  const lists = api.requests.filter((r) => r.query.get('watch') === null && r.method === 'GET');
  assert.equal(lists.length, 2);
  assert.equal(lists[0]?.query.get('resourceVersion'), '0');
  assert.equal(lists[1]?.query.get('resourceVersion'), null, 'after expiry the relist is a consistent read (resourceVersion="")');
  await until(() => api.openWatches() === 1, 'the new watch');
});

test('backs off with growing delays on errors and recovers without losing objects', async (t) => {
  const { api, client, sleeps } = await setup(t);
  api.pods.upsert(makePod('default', 'a'));
  api.failNext(3, 500, (m, p) => m === 'GET' && p === '/api/v1/pods');
  const inf = informer(client, sleeps, t, { backoff: { initialMs: 100, maxMs: 1000 } });
  inf.start();
  await inf.waitForSync();
  assert.deepEqual(sleeps, [100, 200, 400]);
  assert.equal(inf.stats().errors, 3);
  assert.match(inf.stats().lastError, /500 InternalError: injected failure 500/);
  assert.equal(inf.store.size, 1);
});

test('re-watches when the server ends the stream, from the last resourceVersion, bookmarks included', async (t) => {
  const { api, client, sleeps } = await setup(t);
  api.pods.upsert(makePod('default', 'a'));
  const inf = informer(client, sleeps, t);
  inf.start();
  await inf.waitForSync();
  await until(() => api.openWatches() === 1, 'the watch');
  api.nodes.upsert(makeNode('n1')); // moves the global resourceVersion; the pod watch only sees it by bookmark
  api.sendBookmarks();
  await until(() => inf.lastSyncResourceVersion === String(api.resourceVersion), 'the bookmark');
  api.closeWatches();
  await until(() => api.requests.filter((r) => r.query.get('watch') === '1').length === 2 && api.openWatches() === 1, 'the second watch');
  const second = api.requests.filter((r) => r.query.get('watch') === '1')[1];
  assert.equal(second?.query.get('resourceVersion'), String(api.resourceVersion));
  assert.equal(inf.stats().lists, 1, 'no relist when the watch just ends');
});

test('metadata-only, with label and field selectors, paginated', async (t) => {
  const { api, client, sleeps } = await setup(t);
  for (let i = 0; i < 7; i++) api.pods.upsert(makePod('default', `p${i}`, { nodeName: i % 2 === 0 ? 'n1' : 'n2', labels: { app: 'web' } }));
  api.pods.upsert(makePod('default', 'other', { nodeName: 'n1', labels: { app: 'db' } }));
  const inf = informer(client, sleeps, t, { metadataOnly: true, labelSelector: 'app=web', fieldSelector: 'spec.nodeName=n1', pageSize: 2 });
  inf.start();
  await inf.waitForSync();
  assert.deepEqual(inf.store.keys().sort(), ['default/p0', 'default/p2', 'default/p4', 'default/p6']);
  assert.equal(inf.store.getByName('default', 'p0')?.kind, 'PartialObjectMetadata');
  const first = api.requests.find((r) => r.query.get('watch') === null);
  assert.match(String(first?.headers.accept), /^application\/json;as=PartialObjectMetadataList;g=meta\.k8s\.io;v=v1/);
  assert.equal(api.requests.filter((r) => r.query.get('continue') !== null).length, 1, 'second page fetched with a continue token');
  await until(() => api.openWatches() === 1, 'the watch');
  const w = api.requests.find((r) => r.query.get('watch') === '1');
  assert.match(String(w?.headers.accept), /^application\/json;as=PartialObjectMetadata;g=meta\.k8s\.io;v=v1/);
  api.pods.upsert(makePod('default', 'p8', { nodeName: 'n1', labels: { app: 'web' } }));
  api.pods.upsert(makePod('default', 'p9', { nodeName: 'n2', labels: { app: 'web' } }));
  await until(() => inf.store.size === 5, 'the matching add');
  assert.equal(inf.store.getByName('default', 'p9'), undefined);
});

test('an object that does not decode is skipped and counted; a throwing handler does not stop the informer', async (t) => {
  const { api, client, sleeps } = await setup(t);
  api.pods.upsert(makePod('default', 'good'));
  api.pods.upsert(makePod('default', 'bad', { labels: { broken: 'yes' } }));
  const inf = informer(client, sleeps, t, {
    decode: (v) => {
      const o = decode(v);
      if (o.metadata.labels?.['broken'] === 'yes') throw new Error('broken object');
      return o;
    },
  });
  inf.on({ onAdd: () => { throw new Error('handler bug'); } });
  inf.start();
  await inf.waitForSync();
  assert.deepEqual(inf.store.keys(), ['default/good']);
  assert.equal(inf.stats().decodeErrors, 1);
  assert.equal(inf.stats().handlerErrors, 1);
  await until(() => api.openWatches() === 1, 'the watch');
  api.pods.upsert(makePod('default', 'later'));
  await until(() => inf.store.size === 2, 'the next add');
});

test('stop() ends the loop and closes the watch; waitForSync rejects when aborted first', async (t) => {
  const { api, client, sleeps } = await setup(t);
  api.failNext(1000, 503, (m, p) => m === 'GET' && p === '/api/v1/pods');
  const inf = informer(client, sleeps, t);
  inf.start();
  const ctl = new AbortController();
  const waiting = inf.waitForSync(ctl.signal);
  ctl.abort();
  await assert.rejects(waiting, /aborted/);
  await inf.stop();
  assert.equal(inf.hasSynced(), false);
  assert.equal(api.openWatches(), 0);
});
