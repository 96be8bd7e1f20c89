import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { latin1 } from './bytes.ts';

test('latin1: the text of any range, as Buffer.toString gives it, from a Buffer or a plain Uint8Array', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: -4, max: 70 }), fc.integer({ min: -4, max: 70 }), fc.nat({ max: 8 }), (bytes, start, end, offset) => {
      const buffer = Buffer.from(bytes);
      // toString clamps a range outside the buffer and gives '' for an end before the start.
      const want = buffer.toString('latin1', start, end);
      assert.equal(latin1(buffer, start, end), want);
      // A view with an offset into a larger backing store, and a plain Uint8Array on it.
      const backing = new Uint8Array(offset + bytes.length + 3);
      backing.set(bytes, offset);
      assert.equal(latin1(new Uint8Array(backing.buffer, offset, bytes.length), start, end), want);
      assert.equal(latin1(Buffer.from(backing.buffer, offset, bytes.length), start, end), want);
    }),
  );
});

test('latin1: every byte value becomes the character of the same code', () => {
  const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const text = latin1(all, 0, 256);
  assert.equal(text.length, 256);
  for (let i = 0; i < 256; i++) assert.equal(text.charCodeAt(i), i);
});
