import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatGoDuration, formatGoFloat, formatMetaTime, parseGoDuration, parseMetaTime } from './go-format.ts';
import { ErrorCode, isKubemeterError } from './errors.ts';

test('formatGoFloat matches Go strconv.FormatFloat(v, g, -1, 64) on known values', () => {
  const cases: Array<[number, string]> = [
    [16752640, '1.675264e+07'],
    [1e6, '1e+06'],
    [212992, '212992'],
    [4.710169, '4.710169'],
    [0, '0'],
    [-0, '-0'],
    [NaN, 'NaN'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
    [1.2345678e-5, '1.2345678e-05'],
    [1.2e-5, '1.2e-05'],
    [123456, '123456'],
    [1234567, '1.234567e+06'],
    [999999, '999999'],
    [999999.5, '999999.5'],
    [1137475584, '1.137475584e+09'],
    [40.384910049, '40.384910049'],
    [1750607841.8297591, '1.7506078418297591e+09'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [0.000123, '0.000123'],
    [-1, '-1'],
    [-2.5e-7, '-2.5e-07'],
    [1e21, '1e+21'],
    [1e100, '1e+100'],
    [5e-324, '5e-324'],
    [Number.MAX_VALUE, '1.7976931348623157e+308'],
    [100, '100'],
    [0.1, '0.1'],
    [123456.789, '123456.789'],
  ];
  for (const [v, want] of cases) assert.equal(formatGoFloat(v), want, `formatGoFloat(${v})`);
});

/**
 * An independent reference: shortest digits taken from String(v) (which switches notation at 1e21
 * and 1e-7, unlike Go), re-laid out with Go's 'g' rule (exponent form iff exp < -4 || exp >= 6).
 */
function referenceGoFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const sign = v < 0 ? '-' : '';
  const s = String(Math.abs(v));
  let mant = s;
  let exp10 = 0;
  const e = s.indexOf('e');
  if (e >= 0) {
    mant = s.slice(0, e);
    exp10 = Number(s.slice(e + 1));
  }
  const dot = mant.indexOf('.');
  const intPart = dot < 0 ? mant : mant.slice(0, dot);
  const fracPart = dot < 0 ? '' : mant.slice(dot + 1);
  let all = intPart + fracPart;
  let pointPos = intPart.length + exp10; // digits before the decimal point
  const lead = all.length - all.replace(/^0+/, '').length;
  all = all.slice(lead);
  pointPos -= lead;
  const digits = all.replace(/0+$/, '');
  const exp = pointPos - 1;
  if (exp < -4 || exp >= 6) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const ae = Math.abs(exp);
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${ae < 10 ? `0${ae}` : ae}`;
  }
  if (pointPos <= 0) return `${sign}0.${'0'.repeat(-pointPos)}${digits}`;
  if (digits.length <= pointPos) return `${sign}${digits}${'0'.repeat(pointPos - digits.length)}`;
  return `${sign}${digits.slice(0, pointPos)}.${digits.slice(pointPos)}`;
}

test('formatGoFloat equals the String()-derived reference and round-trips (fast-check)', () => {
  const values = fc.oneof(
    fc.double(),
    fc.integer({ min: -2_000_000, max: 2_000_000 }),
    fc.double({ min: 1e-6, max: 1e7, noNaN: true }),
    fc.integer({ min: 0, max: 2 ** 40 }).map((n) => n * 4096),
  );
  fc.assert(
    fc.property(values, (v) => {
      const got = formatGoFloat(v);
      assert.equal(got, referenceGoFloat(v));
      if (Number.isFinite(v)) assert.ok(Object.is(Number(got), v), `${got} does not round-trip to ${v}`);
    }),
    { numRuns: 20_000 },
  );
});

test('formatGoDuration matches Go time.Duration.String()', () => {
  const cases: Array<[bigint, string]> = [
    [0n, '0s'],
    [1n, '1ns'],
    [999n, '999ns'],
    [1000n, '1µs'],
    [1500n, '1.5µs'],
    [1_000_000n, '1ms'],
    [1_100_000n, '1.1ms'],
    [15_012_000_000n, '15.012s'],
    [60_000_000_000n, '1m0s'],
    [3_600_000_000_000n, '1h0m0s'],
    [3_723_500_000_000n, '1h2m3.5s'],
    [-1_500n, '-1.5µs'],
    [-90_000_000_000n, '-1m30s'],
    [9_223_372_036_854_775_807n, '2562047h47m16.854775807s'],
    [-9_223_372_036_854_775_808n, '-2562047h47m16.854775808s'],
  ];
  for (const [ns, want] of cases) assert.equal(formatGoDuration(ns), want);
});

test('parseGoDuration matches Go time.ParseDuration', () => {
  const ok: Array<[string, bigint]> = [
    ['0', 0n],
    ['-0', 0n],
    ['+0', 0n],
    ['15s', 15_000_000_000n],
    ['1m30s', 90_000_000_000n],
    ['500ms', 500_000_000n],
    ['1.5h', 5_400_000_000_000n],
    ['-1.5h', -5_400_000_000_000n],
    ['2µs', 2_000n],
    ['2μs', 2_000n],
    ['2us', 2_000n],
    ['3ns', 3n],
    ['.5s', 500_000_000n],
    ['5.s', 5_000_000_000n],
    ['1h1m1s1ms1us1ns', 3_661_001_001_001n],
    ['0.000000001s', 1n],
    ['1.0000000001h', 3_600_000_000_360n],
    ['9223372036854775807ns', 9_223_372_036_854_775_807n],
    ['-9223372036854775808ns', -9_223_372_036_854_775_808n],
  ];
  for (const [text, want] of ok) assert.equal(parseGoDuration(text), want, text);
  const bad: Array<[string, string]> = [
    ['', 'time: invalid duration ""'],
    ['x', 'time: invalid duration "x"'],
    ['-', 'time: invalid duration "-"'],
    ['.s', 'time: invalid duration ".s"'],
    ['5', 'time: missing unit in duration "5"'],
    ['1s5', 'time: missing unit in duration "1s5"'],
    ['5q', 'time: unknown unit "q" in duration "5q"'],
    ['5 s', 'time: unknown unit " s" in duration "5 s"'],
    ['1µ', 'time: unknown unit "\\xc2\\xb5" in duration "1\\xc2\\xb5"'],
    ['9223372036854775808ns', 'time: invalid duration "9223372036854775808ns"'],
    ['3000000h', 'time: invalid duration "3000000h"'],
  ];
  for (const [text, want] of bad) {
    assert.throws(
      () => parseGoDuration(text),
      (e: unknown) => isKubemeterError(e, ErrorCode.InvalidFlag) && e.message === want,
      text,
    );
  }
});

test('parseGoDuration inverts formatGoDuration and never throws anything but InvalidFlag', () => {
  const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
  fc.assert(fc.property(int64, (ns) => parseGoDuration(formatGoDuration(ns)) === ns), { numRuns: 5000 });
  fc.assert(
    fc.property(fc.string({ maxLength: 30 }), (s) => {
      try {
        parseGoDuration(s);
      } catch (e) {
        assert.ok(isKubemeterError(e, ErrorCode.InvalidFlag), String(e));
      }
    }),
    { numRuns: 5000 },
  );
});

test('formatMetaTime: RFC 3339, UTC, truncated to seconds', () => {
  assert.equal(formatMetaTime(Date.UTC(2024, 4, 1, 12, 0, 3, 999)), '2024-05-01T12:00:03Z');
  assert.equal(formatMetaTime(0), '1970-01-01T00:00:00Z');
  assert.equal(formatMetaTime(-1), '1969-12-31T23:59:59Z');
  assert.throws(() => formatMetaTime(NaN), (e: unknown) => isKubemeterError(e, ErrorCode.Internal));
  assert.throws(() => formatMetaTime(Date.UTC(10000, 0, 1)), (e: unknown) => isKubemeterError(e));
});

test('parseMetaTime accepts RFC 3339 with offsets and fractions, rejects the rest', () => {
  assert.equal(parseMetaTime('2024-05-01T12:00:03Z'), Date.UTC(2024, 4, 1, 12, 0, 3));
  assert.equal(parseMetaTime('2024-05-01T14:00:03.123456+02:00'), Date.UTC(2024, 4, 1, 12, 0, 3, 123));
  assert.equal(parseMetaTime('2024-05-01T11:30:03.5-00:30'), Date.UTC(2024, 4, 1, 12, 0, 3, 500));
  assert.equal(parseMetaTime('2024-02-29T00:00:00Z'), Date.UTC(2024, 1, 29));
  assert.equal(parseMetaTime('0050-01-01T00:00:00Z'), new Date('0050-01-01T00:00:00Z').getTime());
  for (const bad of [
    '',
    'null',
    '2024-05-01',
    '2024-05-01 12:00:03Z',
    '2024-05-01t12:00:03Z',
    '2024-05-01T12:00:03z',
    '2024-05-01T12:00:03',
    '2024-02-30T00:00:00Z',
    '2023-02-29T00:00:00Z',
    '2024-13-01T00:00:00Z',
    '2024-05-01T24:00:00Z',
    '2024-05-01T12:60:00Z',
    '2024-05-01T12:00:60Z',
    '2024-05-01T12:00:03.Z',
    '2024-05-01T12:00:03+24:00',
    '2024-05-01T12:00:03+0200',
  ]) {
    assert.throws(() => parseMetaTime(bad), (e: unknown) => isKubemeterError(e, ErrorCode.InvalidDocument), bad);
  }
  fc.assert(
    fc.property(fc.integer({ min: -62_135_596_800_000, max: 253_402_300_799_000 }), (ms) => {
      const truncated = Math.floor(ms / 1000) * 1000;
      assert.equal(parseMetaTime(formatMetaTime(ms)), truncated);
    }),
  );
});
