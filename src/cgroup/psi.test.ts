import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isKubemeterError } from '../lib/errors.ts';
import type { PressureLine, PressureSample } from './psi.ts';
import { parsePressure } from './psi.ts';
import { createCgroupReader } from './reader.ts';


/** What parsePressure makes of `text`, or 'error' when it refuses it (always with a KubemeterError). */
function parsedOrError(text: string): PressureSample | 'error' {
  try {
    return parsePressure(text, 'p');
  } catch (e) {
    assert.ok(isKubemeterError(e), String(e));
    return 'error';
  }
}

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

/** opencontainers' statPSI rules written plainly (split, Number): the oracle for the byte parser. */
function oracle(text: string): PressureSample | 'error' {
  const zero = (): PressureLine => ({ avg10: 0, avg60: 0, avg300: 0, totalMicroseconds: 0n });
  let some: PressureLine | undefined;
  let full: PressureLine | undefined;
  for (const line of text.split('\n')) {
    const kind = line.startsWith('some ') ? 'some' : line.startsWith('full ') ? 'full' : undefined;
    if (kind === undefined) continue;
    const out = zero();
    for (const pair of line.slice(5).split(' ')) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      if (eq <= 0) return 'error';
      const [key, value] = [pair.slice(0, eq), pair.slice(eq + 1)];
      if (key === 'total') {
        if (!/^\d+$/.test(value) || BigInt(value) > (1n << 64n) - 1n) return 'error';
        out.totalMicroseconds = BigInt(value);
      } else if (key === 'avg10' || key === 'avg60' || key === 'avg300') {
        if (!/^(\d+|\d+\.\d+)$/.test(value)) return 'error';
        out[key] = Number(value);
      }
    }
    if (kind === 'some') some = out;
    else full = out;
  }
  if (some === undefined && full === undefined) return 'error';
  return { some: some ?? zero(), full: full ?? zero() };
}

test('the byte parser agrees with the plain rules, numbers to the last bit', () => {
  const decimal = fc.tuple(fc.nat({ max: 10_000 }), fc.nat({ max: 99 }), fc.integer({ min: 0, max: 3 })).map(([i, f, digits]) => (digits === 0 ? String(i) : `${i}.${String(f).padStart(2, '0').slice(0, digits)}`));
  const value = fc.oneof(decimal, fc.bigInt({ min: 0n, max: (1n << 65n) }).map(String), fc.constantFrom('', '1.', '.5', '1.2.3', '-1', 'x', '12345678901234567.5'));
  const pair = fc.tuple(fc.constantFrom('avg10', 'avg60', 'avg300', 'total', 'avg', 'future', ''), value).map(([k, v]) => `${k}=${v}`);
  const line = fc.oneof(
    fc.tuple(fc.constantFrom('some', 'full', 'other'), fc.array(fc.oneof(pair, fc.constantFrom('', 'junk')), { maxLength: 5 })).map(([k, ps]) => `${k} ${ps.join(' ')}`),
    fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 10 }),
  );
  fc.assert(
    fc.property(fc.array(line, { maxLength: 3 }), (lines) => {
      const text = lines.join('\n');
      assert.deepEqual(parsedOrError(text), oracle(text), JSON.stringify(text));
    }),
    { numRuns: 1000 },
  );
});

test('kernel-printed text (the native fast path) agrees with the plain rules, numbers to the last bit', () => {
  const avg = fc.tuple(fc.oneof(fc.nat({ max: 100 }), fc.nat()), fc.nat({ max: 99 })).map(([i, f]) => `${i}.${String(f).padStart(2, '0')}`);
  const total = fc.oneof(fc.nat().map(String), fc.bigInt({ min: 0n, max: 10n ** 15n - 1n }).map(String), fc.bigInt({ min: 10n ** 15n, max: 1n << 64n }).map(String));
  const line = (kind: string): fc.Arbitrary<string> => fc.tuple(avg, avg, avg, total).map(([a, b, c, t]) => `${kind} avg10=${a} avg60=${b} avg300=${c} total=${t}\n`);
  fc.assert(
    fc.property(line('some'), fc.option(line('full')), (some, full) => {
      const text = some + (full ?? '');
      assert.deepEqual(parsedOrError(text), oracle(text), JSON.stringify(text));
    }),
    { numRuns: 1000 },
  );
});

test('the v2 reader gives an unchanged pressure file the sample it parsed before, and parses any change', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubemeter-psi-reuse-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cg = join(dir, 'pod');
  mkdirSync(cg);
  writeFileSync(join(cg, 'cpu.stat'), 'usage_usec 5\n');
  const idle = 'some avg10=0.00 avg60=0.00 avg300=0.00 total=7\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=3\n';
  for (const f of ['cpu.pressure', 'io.pressure']) writeFileSync(join(cg, f), idle);
  const reader = createCgroupReader({ version: 'v2', hybrid: false, controllers: {}, unified: { dir, root: '/' } });
  t.after(() => reader.close?.());
  const first = reader.readStats('/pod', { pressure: true }).pressure!;
  assert.deepEqual(first.cpu, parsePressure(idle, 'p'));
  const again = reader.readStats('/pod', { pressure: true }).pressure!;
  assert.equal(again.cpu, first.cpu, 'the same text: the same sample');
  assert.notEqual(again.cpu, again.io, 'per file, not per text');
  // Replaced (a new inode: the reader opens it afresh) with other values, then garbage, then the first text again.
  const busy = idle.replace('total=7', 'total=8');
  writeFileSync(join(cg, 'cpu.pressure.new'), busy);
  renameSync(join(cg, 'cpu.pressure.new'), join(cg, 'cpu.pressure'));
  const changed = reader.readStats('/pod', { pressure: true });
  assert.equal(changed.pressure!.cpu!.some.totalMicroseconds, 8n);
  writeFileSync(join(cg, 'cpu.pressure.new'), 'some avg10=x\n');
  renameSync(join(cg, 'cpu.pressure.new'), join(cg, 'cpu.pressure'));
  const broken = reader.readStats('/pod', { pressure: true });
  assert.equal(broken.pressure!.cpu, undefined);
  assert.equal(broken.pressureErrors?.length, 1);
  writeFileSync(join(cg, 'cpu.pressure.new'), idle);
  renameSync(join(cg, 'cpu.pressure.new'), join(cg, 'cpu.pressure'));
  assert.deepEqual(reader.readStats('/pod', { pressure: true }).pressure!.cpu, parsePressure(idle, 'p'));
});
