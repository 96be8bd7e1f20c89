/** Pods kept sorted from informer events: always the reference order, handed-out arrays never change. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { ApiPod } from '../apiserver/metrics-handler.ts';
import { comparePods, SortedPodIndex } from './sorted-pods.ts';

const key = (p: ApiPod): string => `${p.namespace}/${p.name}`;

test('random add/update/delete events: every read is the live pods in Go order, by namespace too', () => {
  const str = fc.string({ unit: fc.constantFrom('a', 'b', 'B', '-', 'é', '😀', '\uffff'), maxLength: 3 });
  const event = fc.record({ kind: fc.constantFrom('upsert', 'upsert', 'delete', 'read'), ns: str, name: str });
  fc.assert(fc.property(fc.array(event, { maxLength: 60 }), (events) => {
    const index = new SortedPodIndex<ApiPod>();
    const live = new Map<string, ApiPod>();
    const handedOut: { array: readonly ApiPod[]; copy: ApiPod[] }[] = [];
    const check = (): void => {
      const expected = [...live.values()].sort(comparePods);
      const all = index.sorted(undefined);
      assert.deepEqual(all.pods.slice(all.from, all.to), expected);
      for (const ns of new Set([...live.values()].map((p) => p.namespace).concat(['', 'zz']))) {
        const r = index.sorted(ns);
        assert.deepEqual(r.pods.slice(r.from, r.to), expected.filter((p) => p.namespace === ns));
      }
      handedOut.push({ array: all.pods, copy: [...all.pods] });
    };
    for (const e of events) {
      const pod: ApiPod = { namespace: e.ns, name: e.name, labels: {} };
      const old = live.get(key(pod));
      if (e.kind === 'upsert') {
        // The informer's events: an add, or an update carrying the old object.
        if (old !== undefined) index.remove(old);
        index.add(pod);
        live.set(key(pod), pod);
      } else if (e.kind === 'delete' && old !== undefined) {
        index.remove(old);
        live.delete(key(pod));
      } else if (e.kind === 'read') check();
    }
    check();
    for (const h of handedOut) assert.deepEqual(h.array, h.copy, 'an array once handed out never changes');
  }), { numRuns: 300 });
});

test('an object added and removed between two reads never shows', () => {
  const index = new SortedPodIndex<ApiPod>();
  const a = { namespace: 'ns', name: 'a', labels: {} };
  const b = { namespace: 'ns', name: 'b', labels: {} };
  index.add(a);
  index.add(b);
  index.remove(a);
  const r = index.sorted('ns');
  assert.deepEqual(r.pods.slice(r.from, r.to), [b]);
  assert.equal(index.sorted(undefined).pods, r.pods, 'no events: the same array');
});

test('without reads the queued events stay bounded by the number of pods', () => {
  const index = new SortedPodIndex<ApiPod>();
  let pod: ApiPod = { namespace: 'ns', name: 'p', labels: {} };
  index.add(pod);
  for (let i = 0; i < 10_000; i++) {
    // The same pod updated again and again: one live pod, 20,000 events.
    const next = { namespace: 'ns', name: 'p', labels: { v: String(i) } };
    index.remove(pod);
    index.add(next);
    pod = next;
    assert.ok(index.pending() <= 1 + 1024 + 1, `pending ${index.pending()}`);
  }
  const r = index.sorted(undefined);
  assert.deepEqual(r.pods.slice(r.from, r.to), [pod]);
});
