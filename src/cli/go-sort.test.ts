import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { goSortArray, goSort } from './go-sort.ts';

test('sorts any array of integers like a correct sort', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: -50, max: 50 }), { maxLength: 400 }), (xs) => {
      const got = [...xs];
      goSortArray(got, (a, b) => a < b);
      assert.deepEqual(got, [...xs].sort((a, b) => a - b));
    }),
    { numRuns: 300 },
  );
});

test('is deterministic: equal keys land in the same order for the same input', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 13, maxLength: 300 }), (keys) => {
      const a = keys.map((k, i) => ({ k, i }));
      const b = keys.map((k, i) => ({ k, i }));
      goSortArray(a, (x, y) => x.k < y.k);
      goSortArray(b, (x, y) => x.k < y.k);
      assert.deepEqual(a, b);
    }),
  );
});

test('unstable like Go: ties in a long run are reordered', () => {
  // 60 elements with two keys exercise pdqsort's partitioning (beyond the insertion-sort limit);
  // a stable sort would keep the original index order within each key.
  const items = Array.from({ length: 60 }, (_, i) => ({ k: i % 2, i }));
  goSortArray(items, (x, y) => x.k < y.k);
  const zeros = items.filter((x) => x.k === 0).map((x) => x.i);
  assert.deepEqual([...zeros].sort((a, b) => a - b), Array.from({ length: 30 }, (_, i) => i * 2));
  assert.notDeepEqual(zeros, [...zeros].sort((a, b) => a - b));
});

test('uses only less and swap (parallel arrays stay aligned)', () => {
  const keys = Array.from({ length: 500 }, (_, i) => (i * 7919) % 101);
  const tags = keys.map((k) => `t${k}`);
  goSort({
    len: keys.length,
    less: (i, j) => keys[i]! > keys[j]!,
    swap: (i, j) => {
      [keys[i], keys[j]] = [keys[j]!, keys[i]!];
      [tags[i], tags[j]] = [tags[j]!, tags[i]!];
    },
  });
  for (let i = 0; i < keys.length; i++) assert.equal(tags[i], `t${keys[i]}`);
  for (let i = 1; i < keys.length; i++) assert.ok(keys[i - 1]! >= keys[i]!);
});

test("ties come out in kubectl's order (vectors recorded from kubectl 1.32 top --sort-by=cpu)", () => {
  const cases: [number[], number[]][] = [
    [[1, 1, 1, 2, 1, 2, 1, 2, 1, 2, 2, 1, 2, 1, 1], [9, 10, 12, 3, 7, 5, 4, 8, 6, 0, 1, 11, 2, 13, 14]],
    [[2, 1, 1, 1, 2, 1, 2, 1, 2, 2, 2, 2, 1, 1], [9, 6, 11, 8, 4, 0, 10, 7, 1, 5, 3, 2, 12, 13]],
  ];
  for (const [keys, want] of cases) {
    const items = keys.map((k, i) => ({ k, i }));
    goSortArray(items, (a, b) => a.k > b.k);
    assert.deepEqual(items.map((x) => x.i), want);
  }
});
