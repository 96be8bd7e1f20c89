import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ErrorCode } from './errors.ts';
import { Quantity, QuantityError, QUANTITY_ERROR_MESSAGES } from './quantity.ts';
import type { QuantityErrorKind, QuantityFormat } from './quantity.ts';

interface ParseVector {
  input: string;
  format: QuantityFormat;
  canonical: string;
  exact: string;
  value?: string;
  milliValue?: string;
  source: string;
  note?: string;
}

interface RejectVector {
  input: string;
  kind: QuantityErrorKind;
  source: string;
}

const vectors = JSON.parse(readFileSync(new URL('./testdata/quantity-vectors.json', import.meta.url), 'utf8')) as {
  parse: ParseVector[];
  corpus: ParseVector[];
  reject: RejectVector[];
  hang: string[];
};

/** The exact value "<digits>e<exponent>" of a vector, built without the parser. */
function exactOf(exact: string): Quantity {
  const [m, e] = exact.split('e');
  return Quantity.ofScaled(BigInt(m!), Number(e));
}

function checkParse(v: ParseVector): void {
  const q = Quantity.parse(v.input);
  const where = `${JSON.stringify(v.input)} (${v.source})`;
  assert.equal(q.format, v.format, `format of ${where}`);
  assert.equal(q.toString(), v.canonical, `String() of ${where}`);
  assert.equal(q.cmp(exactOf(v.exact)), 0, `value of ${where} is ${v.exact}`);
  if (v.value !== undefined) assert.equal(q.value().toString(), v.value, `Value() of ${where}`);
  if (v.milliValue !== undefined) assert.equal(q.milliValue().toString(), v.milliValue, `MilliValue() of ${where}`);
}

function assertQuantityError(fn: () => unknown, kind: QuantityErrorKind, input: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof QuantityError, `expected QuantityError for ${JSON.stringify(input)}, got ${String(e)}`);
    assert.equal(e.kind, kind, `kind for ${JSON.stringify(input)}`);
    assert.equal(e.code, ErrorCode.InvalidQuantity);
    assert.equal(e.input, input);
    assert.equal(e.message, QUANTITY_ERROR_MESSAGES[kind]);
    return true;
  });
}

test('upstream and reference parse vectors: format, canonical string, Value, MilliValue', () => {
  assert.ok(vectors.parse.length > 400);
  for (const v of vectors.parse) checkParse(v);
});

test('decode corpus rows of Kubernetes v1.37.0 decode to the same value and format', () => {
  assert.ok(vectors.corpus.length > 250);
  for (const v of vectors.corpus) checkParse(v);
});

test('rejected inputs throw QuantityError with Kubernetes wording and the input', () => {
  assert.ok(vectors.reject.length > 100);
  for (const v of vectors.reject) assertQuantityError(() => Quantity.parse(v.input), v.kind, v.input);
});

test('inputs that hung Kubernetes v1.37.0 return promptly', () => {
  for (const input of vectors.hang) {
    let q: Quantity | undefined;
    try {
      q = Quantity.parse(input);
    } catch (e) {
      assert.ok(e instanceof QuantityError, `${input}: ${String(e)}`);
    }
    if (q) assert.match(q.toString(), /^-?[0-9]+(e-?[0-9]+|[numkMGTPE]|)$/);
  }
  assert.equal(Quantity.parse('1e-2147483648').toString(), '1e-9');
  assert.equal(Quantity.parse('1000e2147483647').toString(), '10000e2147483646');
});

test('the literal 0 and every other spelling of zero print 0 and keep their family', () => {
  assert.equal(Quantity.parse('0').format, 'DecimalSI');
  assert.equal(Quantity.parse('0Ki').format, 'BinarySI');
  assert.equal(Quantity.parse('-0e3').format, 'DecimalExponent');
  for (const s of ['0', '-0', '0Ki', '0e9', '.', '-.', '0.000', '-0m']) {
    const q = Quantity.parse(s);
    assert.equal(q.toString(), '0');
    assert.equal(q.isZero(), true);
    assert.equal(q.sign(), 0);
  }
});

test('worked examples built by constructors (reference section 10)', () => {
  const q2 = Quantity.ofScaled(1500000000n, -9);
  assert.deepEqual([q2.format, q2.toString(), q2.value(), q2.milliValue()], ['DecimalSI', '1500m', 2n, 1500n]);
  const q3 = Quantity.of(609411072n, 'BinarySI');
  assert.deepEqual([q3.toString(), q3.value(), q3.milliValue()], ['595128Ki', 609411072n, 609411072000n]);
  const q4 = Quantity.of(1000n, 'BinarySI');
  assert.deepEqual([q4.format, q4.toString(), q4.value(), q4.milliValue()], ['BinarySI', '1k', 1000n, 1000000n]);
  const q5 = Quantity.of(0n, 'BinarySI');
  assert.deepEqual([q5.format, q5.toString(), q5.value(), q5.milliValue()], ['BinarySI', '0', 0n, 0n]);
  // Row 11 and 14: Go's int64 accessors overflow; ours are exact.
  assert.equal(Quantity.parse('3E').milliValue(), 3000000000000000000000n);
  assert.equal(Quantity.parse('8Ei').milliValue(), 9223372036854775807000n);
});

test('NewQuantity, NewMilliQuantity and NewScaledQuantity tables (quantity_test.go)', () => {
  const unknown = 'invalidFormatDefaultsToExponent' as QuantityFormat;
  const newSet: [bigint, QuantityFormat, string][] = [
    [1n, 'DecimalSI', '1'], [1000n, 'DecimalSI', '1k'], [1234000n, 'DecimalSI', '1234k'],
    [1024n, 'BinarySI', '1Ki'], [1000000n, unknown, '1e6'], [1024n * 1024n, 'BinarySI', '1Mi'],
  ];
  for (const [v, f, s] of newSet) {
    const q = Quantity.of(v, f);
    assert.equal(q.toString(), s);
    assert.equal(Quantity.parse(s).value(), v);
  }
  assert.equal(Quantity.of(1n, unknown).format, 'DecimalExponent');
  const milliSet: [bigint, QuantityFormat, string][] = [
    [1n, 'DecimalSI', '1m'], [1000n, 'DecimalSI', '1'], [1234000n, 'DecimalSI', '1234'],
    [1024n, 'BinarySI', '1024m'], [1000000n, unknown, '1e3'], [1024n * 1024n, 'BinarySI', '1048576m'],
  ];
  for (const [v, f, s] of milliSet) assert.equal(Quantity.ofMilli(v, f).toString(), s);
  const scaledSet: [bigint, number, string][] = [
    [1n, -9, '1n'], [1000n, -9, '1u'], [1n, -6, '1u'], [1000n, -6, '1m'], [1n, -3, '1m'], [1000n, -3, '1'],
    [1n, 0, '1'], [0n, -9, '0'], [0n, -6, '0'], [0n, -3, '0'], [0n, 0, '0'],
  ];
  for (const [v, sc, s] of scaledSet) {
    const q = Quantity.ofScaled(v, sc);
    assert.equal(q.toString(), s);
    assert.equal(Quantity.parse(s).scaledValue(sc), v);
  }
  // quantity_exact_cases_test.go constructors, canonical forms from the exact model.
  assert.equal(Quantity.of(1500n, '' as QuantityFormat).toString(), '1500');
  assert.equal(Quantity.ofMilli(1500n, '' as QuantityFormat).toString(), '1500e-3');
  assert.equal(Quantity.ofMilli(1500n, 'BinarySI').toString(), '1500m');
  assert.equal(Quantity.of(-(1n << 63n), 'DecimalSI').toString(), '-9223372036854775808');
  assert.equal(Quantity.ofScaled(9223372036854775807n, 1).toString(), '92233720368547758070');
  assert.equal(Quantity.ofScaled(1n, 21).toString(), '1e21');
  assert.equal(Quantity.ofScaled(7n, -18).toString(), '7e-18');
  assert.equal(Quantity.ofScaled(-7n, -400).toString(), '-700e-402');
  assert.equal(Quantity.ofScaled(100n, 2147483646).toString(), '100e2147483646');
  assert.equal(Quantity.ofScaled(1441n, -3).toString(), '1441m');
  // Seven factors of 1024 have no suffix: decimal form rather than a value 1024 times too small.
  assert.equal(Quantity.of(1n << 70n, 'BinarySI').toString(), '1180591620717411303424');
  assert.equal(Quantity.of(1n << 69n, 'BinarySI').toString(), '512Ei');
  for (const [v, s] of [[1023n, '1023'], [1024n, '1Ki'], [1536n, '1536'], [-2048n, '-2Ki'], [1n << 62n, '4Ei']] as const) {
    assert.equal(Quantity.of(v, 'BinarySI').toString(), s);
  }
});

test('TestQuantityString constructed values print canonically, and negated with a "-"', () => {
  const rows: [bigint, number, QuantityFormat, string][] = [
    [1024n ** 3n, 0, 'BinarySI', '1Gi'], [300n * 1024n ** 2n, 0, 'BinarySI', '300Mi'], [6n * 1024n, 0, 'BinarySI', '6Ki'],
    [1001n * 1024n ** 3n, 0, 'BinarySI', '1001Gi'], [1024n ** 4n, 0, 'BinarySI', '1Ti'], [5n, 0, 'BinarySI', '5'],
    [500n, -3, 'BinarySI', '500m'], [1n, 9, 'DecimalSI', '1G'], [1000n, 6, 'DecimalSI', '1G'],
    [1000000n, 3, 'DecimalSI', '1G'], [1000000000n, 0, 'DecimalSI', '1G'], [1n, -3, 'DecimalSI', '1m'],
    [80n, -3, 'DecimalSI', '80m'], [1080n, -3, 'DecimalSI', '1080m'], [108n, -2, 'DecimalSI', '1080m'],
    [10800n, -4, 'DecimalSI', '1080m'], [300n, 6, 'DecimalSI', '300M'], [1n, 12, 'DecimalSI', '1T'],
    [1234567n, 6, 'DecimalSI', '1234567M'], [1234567n, -3, 'BinarySI', '1234567m'], [3n, 3, 'DecimalSI', '3k'],
    [1025n, 0, 'BinarySI', '1025'], [0n, 0, 'DecimalSI', '0'], [0n, 0, 'BinarySI', '0'],
    [1n, 9, 'DecimalExponent', '1e9'], [1n, -3, 'DecimalExponent', '1e-3'], [1n, -9, 'DecimalExponent', '1e-9'],
    [80n, -3, 'DecimalExponent', '80e-3'], [300n, 6, 'DecimalExponent', '300e6'], [1n, 12, 'DecimalExponent', '1e12'],
    [1n, 3, 'DecimalExponent', '1e3'], [3n, 3, 'DecimalExponent', '3e3'], [0n, 0, 'DecimalExponent', '0'],
    [1n, -9, 'DecimalSI', '1n'], [80n, -9, 'DecimalSI', '80n'], [1080n, -9, 'DecimalSI', '1080n'],
    [108n, -8, 'DecimalSI', '1080n'], [10800n, -10, 'DecimalSI', '1080n'], [1n, -6, 'DecimalSI', '1u'],
    [80n, -6, 'DecimalSI', '80u'], [1080n, -6, 'DecimalSI', '1080u'],
  ];
  for (const [m, s, f, want] of rows) {
    const q = Quantity.ofDecimal(m, s, f);
    assert.equal(q.toString(), want);
    assert.equal(Quantity.parse(want).toString(), want);
    if (m !== 0n) assert.equal(q.neg().toString(), `-${want}`);
  }
});

test('fromNanocores and fromBytes build what metrics-server emits', () => {
  assert.equal(Quantity.fromNanocores(136136861n).toString(), '136136861n');
  assert.equal(Quantity.fromNanocores(1500000000n).toString(), '1500m');
  assert.equal(Quantity.fromNanocores(2000000000n).toString(), '2');
  assert.equal(Quantity.fromNanocores(250000n).toString(), '250u');
  assert.equal(Quantity.fromNanocores(0n).toString(), '0');
  assert.equal(Quantity.fromNanocores(0n).format, 'DecimalSI');
  assert.equal(Quantity.fromBytes(609411072n).toString(), '595128Ki');
  assert.equal(Quantity.fromBytes(1000n).toString(), '1k');
  assert.equal(Quantity.fromBytes(1023n).toString(), '1023');
  assert.equal(Quantity.fromBytes(1025n).toString(), '1025');
  assert.equal(Quantity.fromBytes(2n ** 30n).toString(), '1Gi');
  assert.equal(Quantity.fromBytes(5n * 2n ** 60n).toString(), '5Ei');
  assert.equal(Quantity.fromBytes(2n ** 53n + 1024n).toString(), '8796093022209Ki');
  assert.equal(Quantity.fromBytes(0n).format, 'BinarySI');
  // Above int64 metrics-server drops the last digit (NewScaledQuantity(val/10, scale+1)).
  assert.equal(Quantity.fromNanocores(9223372036854775817n).toString(), '9223372036854775810n');
  assert.equal(Quantity.fromNanocores(9223372036854775807n).toString(), '9223372036854775807n');
  assert.equal(Quantity.fromBytes(18446744073709551615n).toString(), '18446744073709551610');
  assert.equal(Quantity.fromBytes(18446744073709551616n).toString(), '16Ei');
});

test('add and sub are exact, immutable, and a zero receiver adopts the other format', () => {
  const zero = Quantity.parse('0');
  for (const s of ['100m', '1Gi']) {
    const v = Quantity.parse(s);
    assert.equal(v.add(zero).toString(), s);
    assert.equal(zero.add(v).toString(), s);
    assert.equal(zero.add(v).format, v.format);
    assert.equal(v.sub(zero).toString(), s);
    assert.equal(zero.sub(v).toString(), v.neg().toString());
    assert.equal(zero.sub(v).format, v.format);
  }
  const ten = Quantity.of(10n, 'DecimalSI');
  const tenBin = Quantity.of(10n, 'BinarySI');
  assert.equal(ten.add(Quantity.ofScaled(1n, 1)).toString(), '20');
  assert.equal(ten.add(Quantity.of(1n, 'BinarySI')).format, 'DecimalSI');
  assert.equal(tenBin.add(Quantity.of(1n, 'DecimalSI')).format, 'BinarySI');
  assert.equal(ten.sub(Quantity.ofScaled(1n, 1)).isZero(), true);
  assert.equal(tenBin.sub(Quantity.of(1n, 'DecimalSI')).value(), 9n);
  assert.equal(ten.toString(), '10');
  // kubectl's per-pod sums: "0" plus container usages takes the first container's format.
  const podMemory = [Quantity.parse('10Mi'), Quantity.parse('512Ki')].reduce((a, b) => a.add(b), Quantity.parse('0'));
  assert.deepEqual([podMemory.toString(), podMemory.format], ['10752Ki', 'BinarySI']);
  const cpu = Quantity.parse('100m').add(Quantity.parse('2.5')).add(Quantity.fromNanocores(1n));
  assert.equal(cpu.toString(), '2600000001n');
  assert.equal(Quantity.parse('1E').add(Quantity.parse('1n')).toString(), '1000000000000000000000000001n');
  assert.equal(Quantity.parse('-9.01').neg().toString(), '9010m');
  assert.equal(Quantity.ofDecimal(901n, -2, 'DecimalSI').neg().toString(), '-9010m');
  assert.equal(Quantity.of(-10n, 'BinarySI').neg().value(), 10n);
});

test('sums of random scaled values cancel exactly (TestAddSubRoundTripAcrossScales)', () => {
  let q = Quantity.zero();
  const terms: Quantity[] = [];
  for (let i = 0; i < 100; i++) {
    const j = BigInt(i) * 92233720368547n + 7n;
    terms.push(Quantity.ofScaled(j, (i % 20) - 10));
    q = q.add(terms[i]!);
  }
  for (const t of terms) q = q.sub(t);
  assert.equal(q.isZero(), true);
});

test('arithmetic that would need an absurd power of ten fails with a range error', () => {
  const huge = Quantity.parse('1e2147483647');
  assert.throws(() => huge.add(Quantity.parse('1')), (e: unknown) => e instanceof QuantityError && e.kind === 'range');
  assert.throws(() => huge.value(), (e: unknown) => e instanceof QuantityError && e.kind === 'range');
  assert.equal(huge.add(Quantity.zero()).toString(), '10e2147483646');
  assert.equal(huge.cmp(Quantity.parse('1')), 1);
  assert.equal(Quantity.parse('1e-1000').scaledValue(0), 1n);
  assert.equal(huge.asApproximateFloat64(), Infinity);
  assert.throws(() => Quantity.ofScaled(1n, 0.5), QuantityError);
  // Text beyond 4096 characters is refused before any quadratic digit conversion.
  assert.equal(Quantity.parse('9'.repeat(4000)).toString(), '9'.repeat(4000));
  assert.throws(() => Quantity.parse('9'.repeat(5000)), (e: unknown) => e instanceof QuantityError && e.kind === 'range');
});

test('cmp and equals compare exact values, ignoring format (TestQuantityCmp, TestQuantityCmpInt64AndDec)', () => {
  const pairs: [string, string, number][] = [['0', '0', 0], ['100m', '50m', 1], ['50m', '100m', -1], ['10000T', '100Gi', 1]];
  for (const [x, y, want] of pairs) assert.equal(Quantity.parse(x).cmp(Quantity.parse(y)), want);
  const maxI = 9223372036854775807n;
  const minI = -9223372036854775808n;
  const rows: [bigint, number, bigint, number, number][] = [
    [901n, -2, 901n, -2, 0], [90n, -1, 901n, -2, -1], [901n, -2, 900n, -2, 1], [0n, 0, 0n, 0, 0], [0n, 1, 0n, -1, 0],
    [800n, -3, 1n, 0, -1], [800n, -3, 79n, -2, 1], [maxI, 0, 1n, -1, 1], [maxI, 1, 1n, 0, 1], [maxI, 1, 1n, 1, 1],
    [maxI, 1, 0n, 1, 1], [maxI, -16, 1n, 3, -1], [minI, 0, 0n, 0, -1], [minI, -18, -1n, 0, -1], [minI, -19, -1n, 0, 1],
    [10n ** 18n, -17, 1n, 1, 0], [10n ** 18n, -17, -10n, 0, 1], [-(10n ** 18n), -17, -10n, 0, 0], [10n ** 18n, -17, 1n, 0, 1],
    [10n ** 18n + 1n, -17, 1n, 1, 1], [10n ** 18n - 1n, -17, 1n, 1, -1],
  ];
  for (const [am, as, bm, bs, want] of rows) {
    const a = Quantity.ofScaled(am, as);
    const b = Quantity.ofScaled(bm, bs);
    assert.equal(a.cmp(b), want, `${am}e${as} vs ${bm}e${bs}`);
    assert.equal(b.cmp(a), want === 0 ? 0 : -want);
    assert.equal(a.equals(b), want === 0);
  }
  assert.equal(Quantity.parse('1Ki').equals(Quantity.parse('1024')), true);
});

test('ScaledValue rounds away from zero (TestScaledValue, TestQuantityRoundUp)', () => {
  const rows: [number, number, bigint][] = [
    [-9, -9, 1n], [-9, -6, 1n], [-9, -3, 1n], [-9, 0, 1n], [-6, -9, 1000n], [-6, -6, 1n], [-6, -3, 1n], [-6, 0, 1n],
    [-3, -9, 1000000n], [-3, -6, 1000n], [-3, -3, 1n], [-3, 0, 1n], [0, -9, 1000000000n], [0, -6, 1000000n],
    [0, -3, 1000n], [0, 0, 1n], [2, -2, 10000n],
  ];
  for (const [from, to, want] of rows) assert.equal(Quantity.ofScaled(1n, from).scaledValue(to), want);
  const q = Quantity.parse('9.01');
  assert.deepEqual([q.scaledValue(-3), q.scaledValue(-2), q.scaledValue(-1), q.scaledValue(0), q.scaledValue(1), q.scaledValue(2)],
    [9010n, 901n, 91n, 10n, 1n, 1n]);
  const n = Quantity.parse('-9.01');
  assert.deepEqual([n.scaledValue(-1), n.scaledValue(0), n.scaledValue(1)], [-91n, -10n, -1n]);
});

test('asApproximateFloat64 gives the nearest double', () => {
  const rows: [string, number][] = [['2Ki', 2048], ['1.1Ki', 1126.4], ['1Mi', 1048576], ['2Gi', 2147483648], ['0', 0], ['12E', 1.2e19],
    ['9223372036854775807', 2 ** 63], ['-1.5', -1.5], ['100m', 0.1]];
  for (const [s, want] of rows) assert.equal(Quantity.parse(s).asApproximateFloat64(), want);
  assert.equal(Quantity.ofScaled(12n, 500).asApproximateFloat64(), Infinity);
  assert.equal(Quantity.ofScaled(-12n, 500).asApproximateFloat64(), -Infinity);
  assert.equal(Quantity.ofScaled(7340032n, -1).asApproximateFloat64(), 734003.2);
});

test('fromJSON follows UnmarshalJSON; toJSON writes the canonical string', () => {
  assert.equal(Quantity.fromJSON(null).isZero(), true);
  for (const [v, want] of [[' 1', '1'], ['1 ', '1'], [1, '1'], [10, '10'], [-1, '-1'], ['\t 100m\n', '100m'],
    ['\u00a01Gi\u0085', '1Gi'], [1e21, '1e21'], [0.5, '500m'], [1024n, '1024']] as const) {
    assert.equal(Quantity.fromJSON(v).toString(), want);
  }
  assertQuantityError(() => Quantity.fromJSON(''), 'format', '');
  assertQuantityError(() => Quantity.fromJSON('\ufeff1'), 'format', '\ufeff1');
  assertQuantityError(() => Quantity.fromJSON({}), 'format', 'object');
  assertQuantityError(() => Quantity.fromJSON(undefined), 'format', 'undefined');
  assertQuantityError(() => Quantity.fromJSON(Number.NaN), 'format', 'NaN');
  const body = JSON.stringify({ cpu: Quantity.parse('1.5'), memory: Quantity.parse('1.5Gi') });
  assert.equal(body, '{"cpu":"1500m","memory":"1536Mi"}');
  const back = JSON.parse(body) as { cpu: unknown };
  assert.equal(Quantity.fromJSON(back.cpu).milliValue(), 1500n);
});

test('toString is cached and stable', () => {
  const q = Quantity.fromNanocores(123456789n);
  assert.equal(q.toString(), '123456789n');
  assert.equal(q.toString(), q.toString());
  assert.equal(`${q}`, '123456789n');
});
