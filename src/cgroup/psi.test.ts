import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isKubemeterError } from '../lib/errors.ts';
import { parsePressure } from './psi.ts';

test('a cpu.pressure as the kernel prints it', () => {
  const p = parsePressure('some avg10=11.50 avg60=15.72 avg300=6.28 total=25805090\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n', 'cpu.pressure');
  assert.deepEqual(p, {
    some: { avg10: 11.5, avg60: 15.72, avg300: 6.28, totalMicroseconds: 25_805_090n },
    full: { avg10: 0, avg60: 0, avg300: 0, totalMicroseconds: 0n },
  });
});

test('older kernels without a full line for cpu, unknown keys and lines, totals beyond 2^53', () => {
  const p = parsePressure('some avg10=1.00 avg60=2.00 avg300=3.00 total=18446744073709551615 future=7\nother x\n', 'p');
  assert.equal(p.some.totalMicroseconds, (1n << 64n) - 1n);
  assert.deepEqual(p.full, { avg10: 0, avg60: 0, avg300: 0, totalMicroseconds: 0n });
});

test('garbage is an InvalidFile error naming the file', () => {
  for (const text of ['', 'garbage', 'some avg10=lots total=1\n', 'some avg10=1.00 total=-5\n', 'some total\n', 'full total=18446744073709551616\n']) {
    assert.throws(() => parsePressure(text, '/x/io.pressure'), (e: unknown) => isKubemeterError(e) && e.message.startsWith('/x/io.pressure'), JSON.stringify(text));
  }
  fc.assert(
    fc.property(fc.string(), (s) => {
      try {
        parsePressure(s, 'p');
      } catch (e) {
        assert.ok(isKubemeterError(e), String(e));
      }
    }),
  );
});
