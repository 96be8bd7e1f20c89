import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, KubemeterError, errorMessage, isKubemeterError, quoteInput } from './errors.ts';

test('KubemeterError carries a stable code, source and cause', () => {
  const cause = new Error('boom');
  const e = new KubemeterError(ErrorCode.InvalidFile, 'cpu.stat: bad line', { cause, source: '/sys/x/cpu.stat' });
  assert.equal(e.code, 'KM_INVALID_FILE');
  assert.equal(e.source, '/sys/x/cpu.stat');
  assert.equal(e.cause, cause);
  assert.ok(isKubemeterError(e));
  assert.ok(isKubemeterError(e, ErrorCode.InvalidFile));
  assert.ok(!isKubemeterError(e, ErrorCode.Timeout));
  assert.ok(!isKubemeterError(new Error('x')));
});

test('every code is unique and prefixed', () => {
  const codes = Object.values(ErrorCode);
  assert.equal(new Set(codes).size, codes.length);
  for (const c of codes) assert.match(c, /^KM_[A-Z_]+$/);
});

test('quoteInput caps and quotes untrusted input', () => {
  assert.equal(quoteInput('abc'), '"abc"');
  assert.equal(quoteInput('x'.repeat(100), 5), '"xxxxx…"');
  assert.equal(quoteInput('a\nb'), '"a\\nb"');
  assert.equal(errorMessage(new Error('m')), 'm');
  assert.equal(errorMessage(42), '42');
});
