/** The store's versions: a change of a node's or pod's usage always comes with a new version. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetricsStore } from './store.ts';
import type { ContainerSample, NodeScrape } from './types.ts';

const T = 1_700_000_000_000;

function scrape(node: string, tsMs: number, pods: string[]): NodeScrape {
  const containers: ContainerSample[] = pods.map((pod) => ({ namespace: 'ns', pod, container: 'c', timestampMs: tsMs, cpuUsageCoreNanoSeconds: BigInt(tsMs - T + 1) * 1000n, workingSetBytes: 100, startTimeNs: (T - 3_600_000) * 1e6 }));
  return { node, nodeSample: { timestampMs: tsMs, cpuUsageCoreNanoSeconds: BigInt(tsMs - T + 1) * 1000n, workingSetBytes: 1 << 20 }, containers };
}

test('versions change with every store of the node, differ between nodes and vanish with the pod', () => {
  const s = new MetricsStore({ resolutionMs: 15_000 });
  assert.equal(s.podVersion('ns', 'p'), undefined);
  assert.equal(s.nodeVersion('n1'), undefined);
  s.storeNode(scrape('n1', T, ['p']), T);
  s.storeNode(scrape('n2', T, ['q']), T);
  const v1 = s.podVersion('ns', 'p');
  assert.equal(typeof v1, 'number');
  assert.equal(s.nodeVersion('n1'), v1);
  assert.notEqual(s.podVersion('ns', 'q'), v1);
  // Reading does not change versions; storing the other node leaves this one alone.
  s.podUsage('ns', 'p');
  s.storeNode(scrape('n2', T + 15_000, ['q']), T + 15_000);
  assert.equal(s.podVersion('ns', 'p'), v1);
  s.storeNode(scrape('n1', T + 15_000, ['p']), T + 15_000);
  const v2 = s.podVersion('ns', 'p');
  assert.notEqual(v2, v1);
  // The pod moves to n2: its version is n2's, new.
  s.storeNode(scrape('n2', T + 30_000, ['q', 'p']), T + 30_000);
  assert.equal(s.podVersion('ns', 'p'), s.nodeVersion('n2'));
  assert.notEqual(s.podVersion('ns', 'p'), v2);
  s.removeNode('n2');
  assert.equal(s.podVersion('ns', 'p'), undefined);
  assert.equal(s.nodeVersion('n2'), undefined);
});
