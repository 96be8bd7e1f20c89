/**
 * Pool chunks hold exactly the piece's latin1 bytes, come back once given back (and only then),
 * and nothing that is not a pool chunk ever enters the pool.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { chunkBytes, latin1Chunk, releaseLatin1Chunk } from './latin1-chunks.ts';

test('a chunk holds the piece as latin1; a piece longer than a chunk gets none', () => {
  fc.assert(fc.property(fc.string({ unit: fc.constantFrom('a', '{', '"', '\u00ff', '\u0080', '0'), maxLength: 300 }), (piece) => {
    const c = latin1Chunk(piece);
    assert.ok(c !== undefined);
    assert.equal(c.toString('latin1'), piece);
    releaseLatin1Chunk(c);
  }));
  assert.equal(latin1Chunk('x'.repeat(chunkBytes + 1)), undefined);
  assert.equal(latin1Chunk('x'.repeat(chunkBytes))?.length, chunkBytes);
});

test('a chunk given back is used again, once; other memory is never taken in', () => {
  const a = latin1Chunk('first');
  assert.ok(a !== undefined);
  const b = latin1Chunk('second');
  assert.ok(b !== undefined);
  assert.notEqual(a.buffer, b.buffer, 'a chunk in use is not handed out twice');
  releaseLatin1Chunk(a);
  releaseLatin1Chunk(a); // twice: still one entry
  const foreign = Buffer.alloc(chunkBytes);
  releaseLatin1Chunk(foreign);
  const c = latin1Chunk('third');
  assert.equal(c?.buffer, a.buffer);
  const d = latin1Chunk('fourth');
  assert.notEqual(d?.buffer, a.buffer);
  assert.notEqual(d?.buffer, foreign.buffer);
  assert.equal(b.toString('latin1'), 'second', 'a chunk in use keeps its bytes');
});
