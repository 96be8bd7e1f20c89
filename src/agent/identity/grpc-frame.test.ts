import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ErrorCode, isKubemeterError } from '../../lib/errors.ts';
import { frameGrpcMessage, GrpcMessageReader } from './grpc-frame.ts';

const reader = (maxMessageBytes = 1024, maxMessages = 1): GrpcMessageReader => new GrpcMessageReader({ maxMessageBytes, maxMessages, what: 'CRI X on unix:///s' });

/** Split `bytes` at the given cut points (sorted, deduplicated). */
function pieces(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const c of [...at, bytes.length]) {
    out.push(bytes.subarray(prev, c));
    prev = c;
  }
  return out;
}

test('gRPC messages are reassembled from DATA chunks split anywhere', () => {
  fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { minLength: 1, maxLength: 3 }), fc.array(fc.nat(), { maxLength: 8 }), (messages, cuts) => {
    const wire = Buffer.concat(messages.map((m) => frameGrpcMessage(m)));
    const r = reader(1024, 3);
    for (const p of pieces(wire, cuts)) r.push(p);
    r.finish();
    assert.deepEqual(r.messages.map((m) => [...m]), messages.map((m) => [...m]));
  }));
});

test('a message cut short, a second message of a unary call, compression and reserved flags are refused', () => {
  const one = frameGrpcMessage(Uint8Array.of(1, 2, 3));
  for (const cut of [1, 4, 5, 7]) {
    const r = reader();
    r.push(one.subarray(0, cut));
    assert.throws(() => r.finish(), (e: unknown) => isKubemeterError(e, ErrorCode.InvalidDocument) && /INTERNAL: response ended inside a message/.test(e.message), `cut at ${cut}`);
  }
  assert.throws(() => reader().push(Buffer.concat([one, one])), /INTERNAL: more than 1 response message/);
  assert.throws(() => reader().push(Buffer.from([1, 0, 0, 0, 1, 9])), /compression, none was negotiated/);
  assert.throws(() => reader().push(Buffer.from([0x80, 0, 0, 0, 0])), /reserved flag 128/);
  const empty = reader();
  empty.push(frameGrpcMessage(new Uint8Array(0)));
  empty.finish();
  assert.equal(empty.messages[0]?.length, 0);
});

test('a message above the limit is refused from its prefix, before its bytes arrive', () => {
  const r = reader(16 * 1024 * 1024);
  // 0xffffffff bytes declared: the prefix alone is enough to refuse it, nothing is allocated.
  assert.throws(() => r.push(Buffer.from([0, 0xff, 0xff, 0xff, 0xff])),
    (e: unknown) => isKubemeterError(e, ErrorCode.TooLarge) && e.message.includes('RESOURCE_EXHAUSTED: received message larger than max (4294967295 vs. 16777216 bytes)'));
  const exact = reader(3);
  exact.push(frameGrpcMessage(Uint8Array.of(1, 2, 3)));
  assert.throws(() => reader(2).push(frameGrpcMessage(Uint8Array.of(1, 2, 3))), /3 vs. 2 bytes/);
});

test('fuzz: arbitrary response bodies in arbitrary chunks read or fail with a KubemeterError', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), fc.array(fc.nat(), { maxLength: 6 }), (body, cuts) => {
    const r = reader(64, 2);
    try {
      for (const p of pieces(body, cuts)) r.push(p);
      r.finish();
      for (const m of r.messages) assert.ok(m.length <= 64);
    } catch (e) {
      if (!isKubemeterError(e, ErrorCode.InvalidDocument) && !isKubemeterError(e, ErrorCode.TooLarge)) throw e;
    }
  }), { numRuns: 2000 });
});
