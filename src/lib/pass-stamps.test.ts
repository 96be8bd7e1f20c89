import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dropUnstamped } from './pass-stamps.ts';

test('dropUnstamped keeps the entries of the pass, drops (and hands over) the others, and counts what stays', () => {
  const map = new Map([['a', { pass: 3 }], ['b', { pass: 2 }], ['c', { pass: 3 }], ['d', { pass: 4 }]]);
  const dropped: number[] = [];
  assert.equal(dropUnstamped(map, 3, (v) => dropped.push(v.pass)), 2);
  assert.deepEqual([...map.keys()], ['a', 'c']);
  assert.deepEqual(dropped, [2, 4]);
  assert.equal(dropUnstamped(map, 5), 0);
  assert.equal(map.size, 0);
});
