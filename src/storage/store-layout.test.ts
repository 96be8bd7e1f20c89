import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MetricsStore } from './store.ts';
import type { ContainerSample, PodUsage } from './types.ts';
import { compareGoStrings } from '../lib/go-strings.ts';

const T = 1_700_000_000_000;
const stepMs = 15_000;
const pods = ['p0', 'p1', 'p2', 'p3'];
const names = ['a', 'b', 'istio-proxy', 'c'];

/** Pod → the container names it reports in one scrape (absent: the pod is not reported). */
type Scrape = Map<string, string[]>;

const scrapeArb: fc.Arbitrary<Scrape> = fc
  .array(fc.tuple(fc.constantFrom(...pods), fc.shuffledSubarray(names, { minLength: 1 })), { maxLength: 4 })
  .map((entries) => new Map(entries));

/** Cumulative CPU of a container at scrape k: grows with k, differs by container. */
function cpuAt(k: number, pod: string, name: string): bigint {
  return BigInt(k + 1) * BigInt(1_000_000 * (1 + pods.indexOf(pod) * 7 + names.indexOf(name)));
}

function samplesOf(k: number, s: Scrape): ContainerSample[] {
  const out: ContainerSample[] = [];
  for (const [pod, cs] of s) {
    for (const c of cs) {
      out.push({ namespace: 'ns', pod, container: c, timestampMs: T + k * stepMs, cpuUsageCoreNanoSeconds: cpuAt(k, pod, c), workingSetBytes: 100 + names.indexOf(c), startTimeNs: (T - 3_600_000) * 1e6 });
    }
  }
  return out;
}

/** What metrics-server serves after scrapes k − 1 and k: a pod whose every container is in both. */
function expected(k: number, prev: Scrape | undefined, now: Scrape, pod: string): PodUsage | undefined {
  const cs = now.get(pod);
  const before = prev?.get(pod);
  if (cs === undefined || before === undefined || cs.some((c) => !before.includes(c))) return undefined;
  return {
    namespace: 'ns', name: pod, timestampMs: T + k * stepMs, windowNs: stepMs * 1e6,
    containers: [...cs].sort(compareGoStrings).map((c) => ({ name: c, cpuNanoCores: Math.trunc(Number(cpuAt(k, pod, c) - cpuAt(k - 1, pod, c)) / 15), workingSetBytes: 100 + names.indexOf(c) })),
  };
}

test('pods whose containers come and go between scrapes are served as metrics-server would (slot runs laid out again)', () => {
  fc.assert(fc.property(fc.array(scrapeArb, { minLength: 1, maxLength: 8 }), (scrapes) => {
    const store = new MetricsStore({ resolutionMs: stepMs });
    let prev: Scrape | undefined;
    for (const [k, now] of scrapes.entries()) {
      store.storeNode({ node: 'n1', nodeSample: undefined, containers: samplesOf(k, now) }, T + k * stepMs);
      let servable = 0;
      for (const pod of pods) {
        const want = expected(k, prev, now, pod);
        assert.deepEqual(store.podUsage('ns', pod), want, `scrape ${k}, pod ${pod}`);
        const before = prev?.get(pod);
        for (const c of now.get(pod) ?? []) if (before?.includes(c) === true) servable++;
      }
      assert.equal(store.pointCounts().container, servable);
      assert.equal(store.nodePodCount('n1'), now.size);
      prev = now;
    }
  }), { numRuns: 300 });
});
