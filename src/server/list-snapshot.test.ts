/**
 * A pod list is one moment of the store: every piece of a list written while nodes are stored
 * (and removed) comes from the store as it was when the list was asked for; and a listed pod's
 * item is made again as soon as its node is stored, not by the next list.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../lib/clock.ts';
import { silentLogger } from '../lib/log.ts';
import { everythingLabelSelector } from '../lib/labels.ts';
import { apiRequest } from '../apiserver/http.ts';
import { KubeletClient } from '../scraper/kubelet-client.ts';
import type { ContainerSample, NodeScrape } from '../storage/types.ts';
import type { ClusterView } from './cluster.ts';
import { MetricsServer } from './server.ts';

const T0 = Date.UTC(2026, 7, 4, 10, 15, 0);
const nodes = ['node-a', 'node-b', 'node-c'];
const podsPerNode = 400;

/** A cluster of three nodes that are never scraped here (the test stores their scrapes itself). */
const cluster: ClusterView = {
  nodes: () => [],
  node: () => undefined,
  podSource: undefined,
  synced: () => true,
  syncError: () => '',
  start: () => undefined,
  waitForSync: () => Promise.resolve(),
};

function newServer(t: TestContext): { server: MetricsServer; clock: ManualClock } {
  const client = new KubeletClient({});
  t.after(() => client.close());
  const clock = new ManualClock(T0 + 60_000);
  const server = new MetricsServer({
    cluster,
    client,
    address: { preferredAddressTypes: ['InternalIP'], port: 10250, useNodeStatusPort: true, scheme: 'https', endpoint: 'resource' },
    nodeSelector: everythingLabelSelector,
    resolutionMs: 15_000,
    requestTimeoutMs: 2_000,
    concurrency: 1,
    clock,
    logger: silentLogger,
    version: { major: '0', minor: '1', gitVersion: 'v0.1.0', gitCommit: '', gitTreeState: '', buildDate: '', goVersion: 'node', compiler: 'v8', platform: 'linux/amd64' },
  });
  return { server, clock };
}

/** Scrape `k` of node `n`: CPU and memory grow with k, so every scrape changes every item. */
function scrape(n: number, k: number, pods = podsPerNode): NodeScrape {
  const tsMs = T0 + k * 15_000 + n;
  const containers: ContainerSample[] = [];
  // Pod names interleave the nodes in list order, so every piece of a list has pods of each.
  for (let p = 0; p < pods; p++) {
    for (const c of ['app', 'sidecar']) {
      containers.push({ namespace: 'default', pod: `pod-${String(p).padStart(4, '0')}-${n}`, container: c, startTimeNs: (T0 - 3_600_000) * 1e6, timestampMs: tsMs, cpuUsageCoreNanoSeconds: BigInt(k * (p + 1)) * 1_000_000_000n, workingSetBytes: 1_000_000 + k * 4096 + p });
    }
  }
  return { node: nodes[n]!, nodeSample: { timestampMs: tsMs, cpuUsageCoreNanoSeconds: BigInt(k) * 4_000_000_000n, workingSetBytes: 8e9 }, containers };
}

const listPath = '/apis/metrics.k8s.io/v1beta1/pods';

test('a list written while every node is stored again, and one removed, is the store of the moment it was asked for', (t) => {
  const { server, clock } = newServer(t);
  for (const k of [0, 1]) for (let n = 0; n < nodes.length; n++) server.store.storeNode(scrape(n, k), T0 + k * 15_000);
  const first = server.handle(apiRequest('GET', listPath)).body;
  assert.equal((JSON.parse(first) as { items: unknown[] }).items.length, nodes.length * podsPerNode);

  for (let n = 0; n < nodes.length; n++) server.store.storeNode(scrape(n, 2), T0 + 30_000);
  clock.advance(1_000);
  // The reference: the same moment's list, joined at once.
  const expected = server.handle(apiRequest('GET', listPath)).body;
  assert.notEqual(expected, first);
  const streamed = server.handle(apiRequest('GET', listPath));
  assert.ok(streamed.pieces !== undefined);
  const pieces = streamed.pieces()[Symbol.iterator]();
  let body = '';
  let count = 0;
  for (let r = pieces.next(); r.done !== true; r = pieces.next()) {
    body += r.value;
    count++;
    // Between pieces: every node stored again (new points, one pod fewer on node-b), node-c gone.
    if (count === 1) {
      for (let n = 0; n < nodes.length; n++) server.store.storeNode(scrape(n, 3 + count, n === 1 ? podsPerNode - 1 : podsPerNode), T0 + 45_000);
      server.store.removeNode('node-c');
    }
  }
  assert.ok(count >= 3, `the list came in ${count} pieces`);
  assert.equal(body, expected);
  // The next list is the new moment: node-c's pods are gone, node-b has one pod fewer.
  const after = JSON.parse(server.handle(apiRequest('GET', listPath)).body) as { items: Array<{ timestamp: string }> };
  assert.equal(after.items.length, 2 * podsPerNode - 1);
  assert.ok(after.items.every((i) => i.timestamp !== (JSON.parse(expected) as { items: Array<{ timestamp: string }> }).items[0]!.timestamp));
});

test('stored nodes make their listed pods\' items again at once; nothing is made before a first list', (t) => {
  const { server } = newServer(t);
  // Items are made from podUsage: count its calls.
  const store = server.store;
  const podUsage = store.podUsage.bind(store);
  let usageCalls = 0;
  store.podUsage = (namespace, name) => {
    usageCalls++;
    return podUsage(namespace, name);
  };
  for (const k of [0, 1]) for (let n = 0; n < nodes.length; n++) store.storeNode(scrape(n, k, 3), T0 + k * 15_000);
  assert.equal(usageCalls, 0, 'no item is made before anything is listed');
  const list = (): string => server.handle(apiRequest('GET', listPath)).body;
  const before = list();
  assert.equal(usageCalls, 9);
  store.storeNode(scrape(0, 2, 3), T0 + 30_000);
  assert.equal(usageCalls, 12, 'the stored node\'s three pods were made again right away');
  const after = list();
  assert.equal(usageCalls, 12, 'the list found every item ready');
  assert.notEqual(after, before);
  // …and they are the store's: the same as a server that makes every item from scratch.
  const fresh = newServer(t).server;
  for (const k of [0, 1]) for (let n = 0; n < nodes.length; n++) fresh.store.storeNode(scrape(n, k, 3), T0 + k * 15_000);
  fresh.store.storeNode(scrape(0, 2, 3), T0 + 30_000);
  assert.equal(after, fresh.handle(apiRequest('GET', listPath)).body);
});

test('a list whose every item is ASCII says so (written as latin1); one beyond ASCII does not', (t) => {
  const { server } = newServer(t);
  for (const k of [0, 1]) for (let n = 0; n < 2; n++) server.store.storeNode(scrape(n, k, 2), T0 + k * 15_000);
  const ascii = server.handle(apiRequest('GET', listPath));
  assert.equal(ascii.piecesAscii, true);
  const wide = scrape(2, 0, 1);
  for (const k of [0, 1]) server.store.storeNode({ ...wide, containers: scrape(2, k, 1).containers.map((c) => ({ ...c, container: `${c.container}-é` })) }, T0 + k * 15_000);
  const mixed = server.handle(apiRequest('GET', listPath));
  assert.equal(mixed.piecesAscii, undefined);
  assert.match(mixed.body, /"name":"app-é"/);
  assert.equal(server.handle(apiRequest('GET', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods')).piecesAscii, undefined);
});
