/**
 * Property tests for Quantity: round trips, the output grammar, exact comparison and the parse
 * value rules, each checked against bigint arithmetic written independently of the implementation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Quantity, QuantityError } from './quantity.ts';
import type { QuantityFormat } from './quantity.ts';

// A fixed seed keeps the suite deterministic; set QUANTITY_FC_SEED to explore other inputs.
fc.configureGlobal({ seed: Number(process.env['QUANTITY_FC_SEED'] ?? 424242) });

const MAX_INT64 = (1n << 63n) - 1n;
const CANONICAL = /^(0|-?[1-9][0-9]*(|[numkMGTPE]|[KMGTPE]i|e-?[1-9][0-9]*))$/;

const formatArb = fc.constantFrom<QuantityFormat>('DecimalSI', 'BinarySI', 'DecimalExponent');
const mantissaArb = fc.oneof(
  fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }),
  fc.bigInt({ min: -MAX_INT64, max: MAX_INT64 }),
  fc.integer({ min: -4096, max: 4096 }).map((n) => BigInt(n) << BigInt((n & 7) * 10)),
);
/** Values a parser can produce: multiples of 1n. */
const quantityArb = fc.tuple(mantissaArb, fc.integer({ min: -9, max: 40 }), formatArb)
  .map(([m, s, f]) => Quantity.ofDecimal(m, s, f));

/** Exact rational `mantissa × 10^scale` as a normalised [numerator, denominator]. */
function rational(m: bigint, s: number): [bigint, bigint] {
  return s >= 0 ? [m * 10n ** BigInt(s), 1n] : [m, 10n ** BigInt(-s)];
}

/** The family a canonical string's suffix belongs to. */
function familyOf(s: string): QuantityFormat {
  if (/[KMGTPE]i$/.test(s)) return 'BinarySI';
  return /e-?[0-9]+$/.test(s) ? 'DecimalExponent' : 'DecimalSI';
}

test('parse(toString(q)) equals q and toString is idempotent', () => {
  fc.assert(fc.property(quantityArb, (q) => {
    const s = q.toString();
    assert.match(s, CANONICAL);
    const p = Quantity.parse(s);
    // A BinarySI value beyond 2^63-1 comes only from arithmetic; parsing caps it (as in Go).
    const binaryAboveCap = q.format === 'BinarySI' && (q.value() > MAX_INT64 || q.value() < -MAX_INT64);
    if (binaryAboveCap) return;
    if (q.format === 'BinarySI' && familyOf(s) === 'DecimalSI') {
      // A byte count printed without a binary suffix ("324000") reads back as DecimalSI and then
      // prints in that family ("324k"); from there on the form is a fixed point.
      assert.equal(Quantity.parse(p.toString()).toString(), p.toString());
    } else {
      assert.equal(p.toString(), s);
    }
    assert.equal(p.cmp(q), 0, `${s} reparses to ${p.toString()}`);
    if (!q.isZero()) assert.equal(p.format, familyOf(s));
    const integral = q.cmp(Quantity.of(q.value(), 'DecimalSI')) === 0;
    // A whole number of KiB keeps a binary suffix and reparses as BinarySI; any other byte count
    // prints as a plain integer, which reads back as DecimalSI (in Go as well).
    if (q.format === 'BinarySI' && integral && q.value() !== 0n && q.value() % 1024n === 0n) {
      assert.equal(p.format, 'BinarySI');
    }
  }), { numRuns: 500 });
});

test('canonical exponents are multiples of three and never lose digits', () => {
  fc.assert(fc.property(quantityArb, (q) => {
    const s = q.toString();
    const e = /e(-?[0-9]+)$/.exec(s);
    if (e) assert.equal(Math.abs(Number(e[1])) % 3, 0);
    assert.equal(s.startsWith('-0'), false);
    assert.equal(s.startsWith('+'), false);
  }), { numRuns: 300 });
});

test('cmp agrees with exact rational comparison', () => {
  const arb = fc.tuple(fc.bigInt({ min: -(10n ** 25n), max: 10n ** 25n }), fc.integer({ min: -30, max: 30 }));
  fc.assert(fc.property(arb, arb, formatArb, ([m1, s1], [m2, s2], f) => {
    const [a, da] = rational(m1, s1);
    const [b, db] = rational(m2, s2);
    const want = a * db === b * da ? 0 : a * db < b * da ? -1 : 1;
    const x = Quantity.ofDecimal(m1, s1, f);
    const y = Quantity.ofScaled(m2, s2);
    assert.equal(x.cmp(y), want);
    assert.equal(y.cmp(x), want === 0 ? 0 : -want);
    assert.equal(x.equals(y), want === 0);
  }), { numRuns: 500 });
});

test('value and milliValue round the exact value away from zero', () => {
  fc.assert(fc.property(fc.bigInt({ min: -(10n ** 22n), max: 10n ** 22n }), fc.integer({ min: -15, max: 15 }),
    fc.integer({ min: -12, max: 12 }), (m, s, target) => {
      const [n, d] = rational(m, s - target); // value in units of 10^target
      let want = n / d;
      if (want * d !== n) want += n < 0n ? -1n : 1n;
      assert.equal(Quantity.ofScaled(m, s).scaledValue(target), want);
    }), { numRuns: 500 });
});

test('parse computes the documented exact value for random well-formed spellings', () => {
  const decimal: Record<string, number> = { '': 0, n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
  const binary: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
  const digits = fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength: 25 });
  const suffix = fc.oneof(
    fc.constantFrom(...Object.keys(decimal), ...Object.keys(binary)),
    fc.tuple(fc.constantFrom('e', 'E'), fc.integer({ min: -40, max: 40 })).map(([c, e]) => `${c}${e}`),
  );
  fc.assert(fc.property(fc.constantFrom('', '-', '+'), digits, fc.option(digits, { nil: undefined }), suffix,
    (sign, int, frac, suf) => {
      if (int === '' && (frac === undefined || frac === '')) return; // digit-less spellings: tested by vectors
      const text = `${sign}${int}${frac === undefined ? '' : `.${frac}`}${suf}`;
      const q = Quantity.parse(text);
      // Exact value as numerator / 10^k, scaled by the suffix.
      let num = BigInt((int || '0') + (frac ?? '')) * (sign === '-' ? -1n : 1n);
      let den = 10n ** BigInt(frac?.length ?? 0);
      let format: QuantityFormat = suf in decimal ? 'DecimalSI' : suf in binary ? 'BinarySI' : 'DecimalExponent';
      const pow = suf in decimal ? decimal[suf]! : suf in binary ? 0 : Number(suf.slice(1));
      if (suf in binary) num <<= BigInt(binary[suf]!);
      if (pow >= 0) num *= 10n ** BigInt(pow);
      else den *= 10n ** BigInt(-pow);
      // Round the magnitude up to a multiple of 1n.
      const nanos = num * 1_000_000_000n;
      let n = nanos / den;
      if (n * den !== nanos) n += num < 0n ? -1n : 1n;
      if (format === 'BinarySI' && (n > MAX_INT64 * 1_000_000_000n || n < -MAX_INT64 * 1_000_000_000n)) {
        n = (n < 0n ? -MAX_INT64 : MAX_INT64) * 1_000_000_000n;
      }
      if (format === 'BinarySI' && n !== 0n && n > -1_000_000_000n && n < 1_000_000_000n) format = 'DecimalSI';
      assert.equal(q.cmp(Quantity.ofScaled(n, -9)), 0, text);
      assert.equal(q.format, format, text);
    }), { numRuns: 1000 });
});

test('parse throws only QuantityError, and whatever it accepts round-trips', () => {
  const alphabet = fc.constantFrom(...'0123456789.+-eEinumkKMGTPi xZ\u00a0');
  const inputs = fc.oneof(fc.string({ unit: alphabet, maxLength: 30 }), fc.string({ unit: 'binary', maxLength: 30 }),
    fc.string({ maxLength: 30 }));
  fc.assert(fc.property(inputs, (text) => {
    let q: Quantity;
    try {
      q = Quantity.parse(text);
    } catch (e) {
      assert.ok(e instanceof QuantityError, `${JSON.stringify(text)} threw ${String(e)}`);
      assert.equal(e.input, text);
      return;
    }
    const s = q.toString();
    assert.match(s, CANONICAL);
    assert.equal(Quantity.parse(s).cmp(q), 0);
  }), { numRuns: 3000 });
});

test('JSON round trip and arithmetic laws', () => {
  fc.assert(fc.property(quantityArb, quantityArb, (a, b) => {
    const back = Quantity.fromJSON(JSON.parse(JSON.stringify(a)));
    const binaryAboveCap = a.format === 'BinarySI' && (a.value() > MAX_INT64 || a.value() < -MAX_INT64);
    if (!binaryAboveCap) assert.equal(back.cmp(a), 0);
    assert.equal(a.add(b).sub(b).cmp(a), 0);
    assert.equal(a.add(b).cmp(b.add(a)), 0);
    assert.equal(a.neg().neg().cmp(a), 0);
    assert.equal(a.add(a.neg()).isZero(), true);
    assert.equal(a.add(b).format, a.isZero() ? b.format : a.format);
    if (a.sign() > 0) assert.equal(a.neg().toString(), `-${a.toString()}`);
  }), { numRuns: 300 });
});
