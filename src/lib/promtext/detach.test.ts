import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { detachedCopy } from './detach.ts';

test('a detached copy equals the original, whatever the string', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 80 }), fc.nat(40), (s, cut) => {
    const slice = s.slice(Math.min(cut, s.length));
    assert.equal(detachedCopy(slice), slice);
    assert.equal(detachedCopy(slice).length, slice.length);
  }));
  assert.equal(detachedCopy('\ud800 lone surrogate and more'), '\ud800 lone surrogate and more');
});
