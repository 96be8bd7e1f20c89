/** The store's pods as stable, sorted API pods with namespace ranges and lookups. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compareGoStrings } from '../lib/go-strings.ts';
import type { ApiPod } from '../apiserver/metrics-handler.ts';
import { StorePodIndex, type StorePodKey } from './store-pods.ts';

class Keys {
  keys: { namespace: string; name: string; version: number }[] = [];
  set(pairs: [string, string][]): void {
    // Like the store: a new array only when the pod set changes, objects kept for pods that stay.
    const old = new Map(this.keys.map((k) => [`${k.namespace}\u0000${k.name}`, k]));
    this.keys = pairs
      .map(([namespace, name]) => old.get(`${namespace}\u0000${name}`) ?? { namespace, name, version: 1 })
      .sort((a, b) => compareGoStrings(a.namespace, b.namespace) || compareGoStrings(a.name, b.name));
  }
  podKeys(): readonly StorePodKey[] {
    return this.keys;
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
