import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetricsStore, type StoreEvent } from './store.ts';
import type { ContainerSample, NodeScrape } from './types.ts';
import { rateBetween, durationSeconds } from './rate.ts';

const T = 1_700_000_000_000; // ms
const sec = (s: number): number => s * 1000;

function container(pod: string, name: string, tsMs: number, cpuNs: bigint, mem: number, startMs = T - sec(3600)): ContainerSample {
  return { namespace: 'ns', pod, container: name, timestampMs: tsMs, cpuUsageCoreNanoSeconds: cpuNs, workingSetBytes: mem, startTimeNs: startMs * 1e6 };
}

function scrape(tsMs: number, nodeCpu: bigint, containers: ContainerSample[], node = 'n1'): NodeScrape {
  return { node, nodeSample: { timestampMs: tsMs, cpuUsageCoreNanoSeconds: nodeCpu, workingSetBytes: 1 << 30 }, containers };
}

function newStore(events: StoreEvent[] = []): MetricsStore {
  return new MetricsStore({ resolutionMs: sec(15), onEvent: (e) => events.push(e) });
}

test('a node is served after two scrapes with the rate between them', () => {
  const s = newStore();
  s.storeNode(scrape(T, 10_000_000_000n, []), T);
  assert.equal(s.nodeUsage('n1'), undefined);
  s.storeNode(scrape(T + 15_012, 12_000_000_000n, []), T + 15_000);
  // 2e9 ns / 15.012 s = 133226751.9… → truncated
  assert.deepEqual(s.nodeUsage('n1'), { name: 'n1', timestampMs: T + 15_012, windowNs: 15_012_000_000, cpuNanoCores: 133226751, workingSetBytes: 1 << 30 });
});

test('repeating the same kubelet sample keeps the previous point and never makes the store ready', () => {
  const s = newStore();
  const batch = scrape(T, 5n, [container('p', 'c', T, 5n, 100)]);
  s.storeNode(batch, T);
  s.storeNode(batch, T + 15_000);
  s.storeNode(batch, T + 30_000);
  assert.equal(s.ready(), false);
  assert.deepEqual(s.pointCounts(), { node: 0, container: 0 });
  s.storeNode(scrape(T + 10_000, 6n, [container('p', 'c', T + 10_000, 7n, 100)]), T + 45_000);
  s.storeNode(scrape(T + 10_000, 6n, [container('p', 'c', T + 10_000, 7n, 100)]), T + 60_000);
  // Same sample again: prev kept, still servable.
  assert.equal(s.podUsage('ns', 'p')?.windowNs, 10_000_000_000);
  assert.equal(s.ready(), true);
});

test('fresh-container rule: 10 s old is served after one scrape, 9 s old is not', () => {
  const s = newStore();
  s.storeNode(scrape(T, 1n, [container('p10', 'c', T, 2_000_000_000n, 100, T - sec(10)), container('p9', 'c', T, 2_000_000_000n, 100, T - sec(9))]), T);
  assert.deepEqual(s.podUsage('ns', 'p10'), {
    namespace: 'ns', name: 'p10', timestampMs: T, windowNs: 10_000_000_000, containers: [{ name: 'c', cpuNanoCores: 200_000_000, workingSetBytes: 100 }],
  });
  assert.equal(s.podUsage('ns', 'p9'), undefined);
  // A start time after the sample time is not fresh.
  s.storeNode(scrape(T, 1n, [container('pf', 'c', T, 2n, 100, T + sec(1))]), T);
  assert.equal(s.podUsage('ns', 'pf'), undefined);
});

test('fresh-container window keeps sub-millisecond digits of the float start time', () => {
  const s = newStore();
  const startNs = Math.trunc(1.7506078401348257e9 * 1e9);
  const ts = 1750607852000;
  s.storeNode({ node: 'n1', nodeSample: undefined, containers: [{ namespace: 'ns', pod: 'p', container: 'c', timestampMs: ts, cpuUsageCoreNanoSeconds: 1_000_000_000n, workingSetBytes: 1, startTimeNs: startNs }] }, ts);
  const u = s.podUsage('ns', 'p');
  assert.equal(u?.windowNs, Number(BigInt(ts) * 1_000_000n - BigInt(startNs)));
  assert.equal(u?.windowNs, 11_865_174_272);
});

test('restart: start at T+15 sampled at T+25 gives a 10 s window and 500m', () => {
  const s = newStore();
  s.storeNode(scrape(T, 1n, [container('p', 'c', T, 100_000_000_000n, 100)]), T);
  s.storeNode(scrape(T + sec(10), 2n, [container('p', 'c', T + sec(10), 110_000_000_000n, 100)]), T + sec(10));
  assert.equal(s.podUsage('ns', 'p')?.containers[0]?.cpuNanoCores, 1_000_000_000);
  s.storeNode(scrape(T + sec(25), 3n, [container('p', 'c', T + sec(25), 5_000_000_000n, 100, T + sec(15))]), T + sec(25));
  const u = s.podUsage('ns', 'p');
  assert.equal(u?.windowNs, 10_000_000_000);
  assert.equal(u?.containers[0]?.cpuNanoCores, 500_000_000);
});

test('restart of an old container without the fresh rule hides the pod for one scrape', () => {
  const s = newStore();
  s.storeNode(scrape(T, 1n, [container('p', 'c', T, 100n, 100)]), T);
  s.storeNode(scrape(T + sec(15), 2n, [container('p', 'c', T + sec(15), 200n, 100)]), T + sec(15));
  assert.ok(s.podUsage('ns', 'p'));
  // Restarted 20 s before the sample (> resolution): no synthetic prev.
  s.storeNode(scrape(T + sec(45), 3n, [container('p', 'c', T + sec(45), 50n, 100, T + sec(25))]), T + sec(45));
  assert.equal(s.podUsage('ns', 'p'), undefined);
  s.storeNode(scrape(T + sec(60), 4n, [container('p', 'c', T + sec(60), 1_500_000_050n, 100, T + sec(25))]), T + sec(60));
  assert.equal(s.podUsage('ns', 'p')?.containers[0]?.cpuNanoCores, 100_000_000);
});

test('a counter decrease skips the container; the pod keeps its other containers', () => {
  const events: StoreEvent[] = [];
  const s = newStore(events);
  s.storeNode(scrape(T, 1n, [container('p', 'a', T, 100n, 1), container('p', 'b', T, 100n, 1)]), T);
  s.storeNode(scrape(T + sec(15), 2n, [container('p', 'a', T + sec(15), 50n, 1), container('p', 'b', T + sec(15), 15_000_000_100n, 2)]), T + sec(15));
  assert.deepEqual(s.podUsage('ns', 'p')?.containers, [{ name: 'b', cpuNanoCores: 1_000_000_000, workingSetBytes: 2 }]);
  assert.deepEqual(events.map((e) => [e.kind, e.container, e.error]), [['rate-error', 'a', 'unexpected decrease in cumulative CPU usage value']]);
  // A node counter reset (reboot) hides the node for one scrape.
  s.storeNode(scrape(T + sec(30), 1n, []), T + sec(30));
  assert.equal(s.nodeUsage('n1'), undefined);
  s.storeNode(scrape(T + sec(45), 1_500_000_001n, []), T + sec(45));
  assert.equal(s.nodeUsage('n1')?.cpuNanoCores, 100_000_000);
});

test('pod timestamp and window come from the container with the earliest timestamp', () => {
  const s = newStore();
  s.storeNode(scrape(T, 1n, [container('p', 'a', T, 1n, 1), container('p', 'b', T - 2000, 1n, 1)]), T);
  s.storeNode(scrape(T + sec(15), 2n, [container('p', 'a', T + sec(17), 1n, 1), container('p', 'b', T + sec(14), 1n, 1)]), T + sec(15));
  const u = s.podUsage('ns', 'p');
  assert.equal(u?.timestampMs, T + sec(14));
  assert.equal(u?.windowNs, 16_000_000_000);
  assert.deepEqual(u?.containers.map((c) => c.name), ['a', 'b']);
});

test('a pod with a container lacking a previous point is omitted whole', () => {
  const s = newStore();
  s.storeNode(scrape(T, 1n, [container('p', 'a', T, 1n, 1)]), T);
  s.storeNode(scrape(T + sec(15), 2n, [container('p', 'a', T + sec(15), 2n, 1), container('p', 'new', T + sec(15), 2n, 1)]), T + sec(15));
  assert.equal(s.podUsage('ns', 'p'), undefined);
  assert.deepEqual(s.pointCounts(), { node: 1, container: 1 });
});

test('a failed scrape keeps the node one cycle; two failures drop it; removal is immediate', () => {
  const s = newStore();
  s.storeNode(scrape(T, 1n, [container('p', 'c', T, 1n, 1)]), T);
  s.storeNode(scrape(T + sec(15), 15_000_000_001n, [container('p', 'c', T + sec(15), 2n, 1)]), T + sec(15));
  // The scrape at T+30 failed: prune at T+30 keeps everything.
  s.prune(new Set(['n1']), T + sec(30));
  assert.equal(s.nodeUsage('n1')?.timestampMs, T + sec(15));
  assert.ok(s.podUsage('ns', 'p'));
  // Recovery at T+45 serves at once, with the window spanning the gap.
  s.storeNode(scrape(T + sec(45), 45_000_000_001n, [container('p', 'c', T + sec(45), 3n, 1)]), T + sec(45));
  assert.deepEqual([s.nodeUsage('n1')?.windowNs, s.nodeUsage('n1')?.cpuNanoCores], [30_000_000_000, 1_000_000_000]);
  // Two more failures: beyond 2 × resolution the node and its pods go.
  s.prune(new Set(['n1']), T + sec(75) + 1);
  assert.equal(s.nodeUsage('n1'), undefined);
  assert.equal(s.podUsage('ns', 'p'), undefined);
  assert.deepEqual(s.podKeys(), []);
  s.storeNode(scrape(T, 1n, [container('q', 'c', T, 1n, 1)], 'n2'), T);
  s.prune(new Set(), T);
  assert.deepEqual(s.nodeNames(), []);
});

test('pods vanish with the scrape that no longer reports them, and move between nodes', () => {
  const s = newStore();
  s.storeNode(scrape(T, 1n, [container('p', 'c', T, 1n, 1), container('q', 'c', T, 1n, 1)]), T);
  assert.deepEqual(s.podKeys().map((k) => k.name), ['p', 'q']);
  s.storeNode(scrape(T + 1, 1n, [container('q', 'c', T + 1, 1n, 1)]), T + 1);
  assert.deepEqual(s.podKeys().map((k) => k.name), ['q']);
  s.storeNode(scrape(T + 2, 1n, [container('q', 'c', T + 2, 1n, 1)], 'n2'), T + 2);
  s.storeNode(scrape(T + 3, 1n, [], 'n1'), T + 3);
  assert.deepEqual(s.podKeys().map((k) => k.name), ['q']);
  // Back to n1, listed as n1 listed it before: the pod is n1's again, and n2 no longer has it.
  s.storeNode(scrape(T + 4, 1n, [container('q', 'c', T + 4, 1n, 1)], 'n1'), T + 4);
  assert.equal(s.nodePodCount('n1'), 1);
  assert.equal(s.nodePodCount('n2'), 0);
  s.storeNode(scrape(T + 5, 1n, [container('q', 'c', T + 5, 1n, 1)], 'n2'), T + 5);
  s.storeNode(scrape(T + 6, 1n, [container('q', 'c', T + 6, 1n, 1)], 'n1'), T + 6);
  assert.deepEqual([s.nodePodCount('n1'), s.nodePodCount('n2'), s.podKeys().length], [1, 0, 1]);
});

test('zero working set is served; duplicate containers keep the first', () => {
  const events: StoreEvent[] = [];
  const s = newStore(events);
  s.storeNode(scrape(T, 1n, [container('p', 'c', T, 1n, 0), container('p', 'c', T, 9n, 9)]), T);
  s.storeNode(scrape(T + sec(15), 2n, [container('p', 'c', T + sec(15), 15_000_000_001n, 0)]), T + sec(15));
  assert.deepEqual(s.podUsage('ns', 'p')?.containers, [{ name: 'c', cpuNanoCores: 1_000_000_000, workingSetBytes: 0 }]);
  assert.equal(events[0]?.kind, 'duplicate-container');
});

test('a pod reported in two separate runs is one pod; containers not reported again are dropped', () => {
  const events: StoreEvent[] = [];
  const s = newStore(events);
  const at = (ts: number, cpu: bigint): ContainerSample[] => [
    container('p', 'b', ts, cpu, 1), container('q', 'x', ts, cpu, 1), container('p', 'a', ts, cpu, 2), container('p', 'b', ts, 99n * cpu, 3),
  ];
  s.storeNode(scrape(T, 1n, at(T, 1_000_000_000n)), T);
  s.storeNode(scrape(T + sec(15), 2n, at(T + sec(15), 2_000_000_000n)), T + sec(15));
  assert.deepEqual(s.podUsage('ns', 'p')?.containers, [
    { name: 'a', cpuNanoCores: 66_666_666, workingSetBytes: 2 },
    { name: 'b', cpuNanoCores: 66_666_666, workingSetBytes: 1 },
  ]);
  assert.deepEqual(events.map((e) => [e.kind, e.pod, e.container]), [['duplicate-container', 'p', 'b'], ['duplicate-container', 'p', 'b']]);
  assert.equal(s.nodePodCount('n1'), 2);
  s.storeNode(scrape(T + sec(30), 3n, [container('p', 'a', T + sec(30), 3_000_000_000n, 2), container('q', 'x', T + sec(30), 3_000_000_000n, 1)]), T + sec(30));
  assert.deepEqual(s.podUsage('ns', 'p')?.containers.map((c) => c.name), ['a']);
  assert.deepEqual(s.pointCounts(), { node: 1, container: 2 });
});

test('rate arithmetic matches Go float64 semantics', () => {
  assert.equal(durationSeconds(17_913_000_000), 17.913);
  const r = rateBetween(
    { timestampMs: 17_913, cpuUsageCoreNanoSeconds: 4_710_169_000n, workingSetBytes: 0, startTimeNs: 0 },
    { timestampMs: 0, cpuUsageCoreNanoSeconds: 0n, workingSetBytes: 0, startTimeNs: 0 },
  );
  assert.deepEqual(r, { ok: true, windowNs: 17_913_000_000, cpuNanoCores: Math.trunc(4710169000 / 17.913) });
  assert.deepEqual(
    rateBetween({ timestampMs: 2, cpuUsageCoreNanoSeconds: 1n, workingSetBytes: 0, startTimeNs: 1 }, { timestampMs: 1, cpuUsageCoreNanoSeconds: 0n, workingSetBytes: 0, startTimeNs: 2 }),
    { ok: false, error: 'unexpected decrease in startTime of node/container' },
  );
});
