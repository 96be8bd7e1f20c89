import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ErrorCode, isKubemeterError } from '../lib/errors.ts';
import { JsonObjectFramer } from './json-framer.ts';
import { Backoff } from './backoff.ts';
import { ManualClock } from '../lib/clock.ts';

const framer = (max = 1 << 20): JsonObjectFramer => new JsonObjectFramer({ maxObjectBytes: max, source: 'test' });

test('objects split across chunks at any byte, with or without newlines, braces inside strings', () => {
  fc.assert(
    fc.property(
      fc.array(fc.dictionary(fc.string(), fc.jsonValue()), { minLength: 1, maxLength: 5 }),
      fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }),
      fc.boolean(),
      (objs, cuts, newlines) => {
        const text = objs.map((o) => JSON.stringify(o)).join(newlines ? '\n' : '');
        const bytes = Buffer.from(text);
        const f = framer();
        const out: unknown[] = [];
        let pos = 0;
        let i = 0;
        while (pos < bytes.length) {
          const n = cuts[i++ % cuts.length]!;
          for (const t of f.push(bytes.subarray(pos, pos + n))) out.push(JSON.parse(t));
          pos += n;
        }
        assert.deepEqual(out, objs.map((o) => JSON.parse(JSON.stringify(o)) as unknown));
        assert.equal(f.isIdle(), true);
      },
    ),
  );
});

test('tricky strings: escaped quotes and braces', () => {
  const f = framer();
  const a = { s: 'a"}{\\', t: '\\"' };
  assert.deepEqual(f.push(Buffer.from(`${JSON.stringify(a)}\n{"b":1}`)).map((t) => JSON.parse(t) as unknown), [a, { b: 1 }]);
});

test('garbage between objects and oversized events are errors, never hangs', () => {
  assert.throws(() => framer().push(Buffer.from('{"a":1} x')), (e: unknown) => isKubemeterError(e, ErrorCode.InvalidDocument));
  const f = framer(100);
  assert.throws(() => {
    for (let i = 0; i < 10; i++) f.push(Buffer.from(i === 0 ? '{"a":"' : 'xxxxxxxxxxxxxxxxxxxx'));
  }, (e: unknown) => isKubemeterError(e, ErrorCode.TooLarge));
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
    try {
      framer(1000).push(Buffer.from(b));
    } catch (e) {
      assert.ok(isKubemeterError(e));
    }
  }));
});

test('backoff doubles up to the cap, adds jitter, and resets after a quiet period', () => {
  const clock = new ManualClock();
  let r = 0;
  const b = new Backoff({ initialMs: 800, maxMs: 30_000, clock, random: () => r });
  assert.deepEqual([b.next(), b.next(), b.next(), b.next(), b.next(), b.next(), b.next()], [800, 1600, 3200, 6400, 12800, 25600, 30000]);
  r = 0.5;
  assert.equal(b.next(), 45_000);
  clock.advance(120_000);
  r = 0;
  assert.equal(b.next(), 800);
  b.reset();
  assert.equal(b.next(), 800);
});
