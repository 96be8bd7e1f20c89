/** The store's pods as stable, sorted API pods with namespace ranges and lookups. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compareGoStrings } from '../lib/go-strings.ts';
import type { ApiPod } from '../apiserver/metrics-handler.ts';
import { MetricsStore } from '../storage/store.ts';
import type { ContainerSample } from '../storage/types.ts';
import { podItem } from '../apiserver/item-cache.ts';
import { StorePodIndex, type StorePodKey } from './store-pods.ts';

class Keys {
  keys: { namespace: string; name: string; version: number; nodeName: string }[] = [];
  set(pairs: [string, string][]): void {
    // Like the store: a new array only when the pod set changes, objects kept for pods that stay.
    const old = new Map(this.keys.map((k) => [`${k.namespace}\u0000${k.name}`, k]));
    this.keys = pairs
      .map(([namespace, name]) => old.get(`${namespace}\u0000${name}`) ?? { namespace, name, version: 1, nodeName: 'n' })
      .sort((a, b) => compareGoStrings(a.namespace, b.namespace) || compareGoStrings(a.name, b.name));
  }
  podKeys(): readonly StorePodKey[] {
    return this.keys;
  }
  podVersion(namespace: string, name: string): number | undefined {
    return this.keys.find((k) => k.namespace === namespace && k.name === name)?.version;
  }
}

function view(index: StorePodIndex, namespace: string | undefined): readonly ApiPod[] {
  const { pods, from, to } = index.sorted(namespace);
  return pods.slice(from, to);
}

test('namespaces are contiguous ranges found by binary search; pods are found by name', () => {
  const keys = new Keys();
  keys.set([['b', 'x'], ['a', 'y'], ['a', 'x'], ['c', 'z'], ['ab', 'q'], ['é', 'p'], ['B', 'k']]);
  const index = new StorePodIndex(keys);
  const names = (ns: string | undefined): string[] => view(index, ns).map((p) => `${p.namespace}/${p.name}`);
  assert.deepEqual(names(undefined), ['B/k', 'a/x', 'a/y', 'ab/q', 'b/x', 'c/z', 'é/p']);
  assert.deepEqual(names('a'), ['a/x', 'a/y']);
  assert.deepEqual(names('ab'), ['ab/q']);
  assert.deepEqual(names('é'), ['é/p']);
  assert.deepEqual(names('aa'), []);
  assert.deepEqual(names(''), []);
  assert.equal(index.find('a', 'y')?.name, 'y');
  assert.equal(index.find('a', 'z'), undefined);
  assert.equal(index.find('c', 'z')?.namespace, 'c');
  assert.deepEqual(view(index, undefined).map((p) => p.labels), view(index, undefined).map(() => ({})));
});

test('pod objects stay the same while their pod stays, across changes of the pod set', () => {
  const keys = new Keys();
  keys.set([['a', 'x'], ['a', 'y']]);
  const index = new StorePodIndex(keys);
  const [x, y] = view(index, undefined);
  assert.equal(view(index, undefined)[0], x);
  // Versions are the store keys' own, read through the pod object.
  keys.keys[0]!.version = 7;
  assert.equal(index.version(x!), 7);
  assert.equal(index.version({ namespace: 'a', name: 'x', labels: {} }), undefined);
  keys.set([['a', 'x'], ['a', 'w']]);
  const now = view(index, undefined);
  assert.deepEqual(now.map((p) => p.name), ['w', 'x']);
  assert.equal(now[1], x, 'x kept its object');
  assert.notEqual(now[0], y);
  assert.equal(index.find('a', 'y'), undefined);
});

test('random pod sets: every namespace range and lookup agrees with a scan', () => {
  const str = fc.string({ unit: fc.constantFrom('a', 'b', 'B', '-', 'é', '😀'), maxLength: 3 });
  fc.assert(fc.property(fc.array(fc.tuple(str, str), { maxLength: 30 }), fc.array(str, { maxLength: 5 }), (pairs, probes) => {
    const uniq = [...new Map(pairs.map((p) => [`${p[0]}\u0000${p[1]}`, p])).values()];
    const keys = new Keys();
    keys.set(uniq);
    const index = new StorePodIndex(keys);
    for (const ns of [...probes, ...uniq.map((p) => p[0])]) {
      assert.deepEqual(view(index, ns).map((p) => p.name), keys.keys.filter((k) => k.namespace === ns).map((k) => k.name));
    }
    for (const [ns, name] of uniq) assert.equal(index.find(ns, name)?.name, name);
    for (const ns of probes) assert.equal(index.find(ns, '\uffff'), undefined);
  }), { numRuns: 200 });
});

test('a real store under pod churn: lists see its pods in order, gets never rebuild the index', () => {
  const T = 1_700_000_000_000;
  const str = fc.string({ unit: fc.constantFrom('a', 'b', 'B', '-', 'é'), minLength: 1, maxLength: 2 });
  // Steps: store node N with these (namespace, pod) pairs, or remove node N.
  const step = fc.oneof(
    fc.record({ node: fc.integer({ min: 0, max: 3 }), pods: fc.array(fc.tuple(str, str), { maxLength: 8 }) }),
    fc.record({ remove: fc.integer({ min: 0, max: 3 }) }),
  );
  fc.assert(fc.property(fc.array(fc.tuple(step, fc.boolean()), { maxLength: 25 }), (steps) => {
    const store = new MetricsStore({ resolutionMs: 15_000 });
    let podKeysCalls = 0;
    const counted = { podKeys: () => (podKeysCalls++, store.podKeys()), podVersion: (ns: string, n: string) => store.podVersion(ns, n) };
    const index = new StorePodIndex(counted);
    // The store's key object of each listed pod: a pod that stays keeps its key.
    const keyOf = (p: ApiPod): object => (p as ApiPod & { key: object }).key;
    let before = new Map<object, ApiPod>();
    for (const [[s, listNow], k] of steps.map((x, i) => [x, i] as const)) {
      if ('remove' in s) store.removeNode(`n${s.remove}`);
      else {
        const containers: ContainerSample[] = s.pods.map(([namespace, pod]) => ({ namespace, pod, container: 'c', startTimeNs: (T - 3_600_000) * 1e6, timestampMs: T + k, cpuUsageCoreNanoSeconds: BigInt(k + 1), workingSetBytes: 1 }));
        store.storeNode({ node: `n${s.node}`, nodeSample: undefined, containers }, T + k);
      }
      const calls = podKeysCalls;
      for (const key of store.podKeys()) {
        const found = index.find(key.namespace, key.name);
        assert.equal(found?.name, key.name);
        assert.equal(index.version(found!), key.version);
      }
      assert.equal(index.find('zz', 'none'), undefined);
      assert.equal(podKeysCalls, calls, 'gets do not rebuild the index');
      if (!listNow) continue;
      const listed = view(index, undefined);
      const expected = [...store.podKeys()].map((p) => `${p.namespace}/${p.name}`);
      const sortedExpected = [...expected].sort((a, b) => compareGoStrings(a.split('/')[0]!, b.split('/')[0]!) || compareGoStrings(a.split('/')[1]!, b.split('/')[1]!));
      assert.deepEqual(expected, sortedExpected, 'the store keeps its pods sorted as they change');
      assert.deepEqual(listed.map((p) => `${p.namespace}/${p.name}`), expected);
      for (const p of listed) assert.equal(index.find(p.namespace, p.name), p, 'a listed pod is found as the same object');
      for (const node of ['n0', 'n1', 'n2', 'n3']) {
        const mine = listed.filter((p) => store.podKeys().some((k) => k.nodeName === node && k.namespace === p.namespace && k.name === p.name));
        const group = index.nodePods(node);
        const inIndex = group.filter((p) => listed.includes(p));
        assert.ok(inIndex.length === mine.length && mine.every((p) => inIndex.includes(p)), `the pods ${node} reported`);
        // Pods that left the index may stay in a group, without an item to refresh.
        for (const p of group) if (!listed.includes(p)) assert.equal(p.item, undefined);
      }
      for (const p of listed) p.item = podItem(index.version(p)!, p, undefined);
      for (const p of listed) {
        const was = before.get(keyOf(p));
        if (was !== undefined) assert.equal(was, p, 'a pod that stayed keeps its object');
      }
      before = new Map(listed.map((p) => [keyOf(p), p]));
    }
  }), { numRuns: 300 });
});
