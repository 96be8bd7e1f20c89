/**
 * Slabs hold exactly the texts written into them: heads (unless written from names), tails and
 * timestamps, as UTF-8, with the ASCII flag true exactly when every kept character is ASCII;
 * also for an item larger than a slab and for two builders at work at once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { itemSlab, SlabBuilder, slabChars, type ItemSlab, type ItemText } from './item-slab.ts';

const text = fc.string({ unit: fc.constantFrom('a', '{', '"', '\\', 'é', '\u2028', '😀', 'z', ':'), maxLength: 40 });
const item = fc.record({ head: text, tail: text, timestampMs: fc.integer({ min: 0, max: 2 ** 45 }), headFromNames: fc.boolean() });

function check(slab: ItemSlab, texts: readonly ItemText[]): void {
  texts.forEach((t, i) => {
    assert.equal(slab.hasHead(i), t.headFromNames !== true && t.head !== '');
    assert.equal(slab.head(i), t.headFromNames === true ? '' : t.head);
    assert.equal(slab.tail(i), t.tail);
    assert.equal(slab.timestampsMs[i], t.timestampMs);
  });
  const kept = texts.map((t) => (t.headFromNames === true ? '' : t.head) + t.tail).join('');
  assert.equal(slab.ascii, [...kept].every((c) => c.charCodeAt(0) < 0x80));
  assert.equal(slab.bytes.toString('utf8'), kept);
}

test('a slab gives back every text it was made of, and knows when all of it is ASCII', () => {
  fc.assert(fc.property(fc.array(item, { minLength: 1, maxLength: 20 }), (texts) => check(itemSlab(texts), texts)), { numRuns: 300 });
});

test('an item larger than a slab gets a slab of its own; two builders at once do not mix', () => {
  const huge: ItemText = { head: '{"h":', tail: `"${'é'.repeat(slabChars)}"}`, timestampMs: 1 };
  const small: ItemText = { head: '{"a":', tail: '1}', timestampMs: 2, headFromNames: true };
  const a = new SlabBuilder();
  const b = new SlabBuilder();
  assert.ok(a.fits(small));
  a.add(small);
  assert.equal(a.fits(huge), false, 'a slab with items takes no more than slabChars');
  // b starts while a holds the scratch, and takes an item beyond the scratch.
  assert.ok(b.fits(huge));
  b.add(huge);
  assert.equal(b.fits(small), false);
  a.add({ ...small, tail: '2}' });
  const slabB = b.finish();
  const slabA = a.finish();
  check(slabA, [small, { ...small, tail: '2}' }]);
  check(slabB, [huge]);
  // Both start over empty.
  a.add(small);
  check(a.finish(), [small]);
});
