/**
 * Exact decimal helpers for resource.Quantity: a value is `mantissa × 10^scale` with a bigint
 * mantissa and an integer `scale`. Nothing here ever goes through a float.
 */

/** The largest int64, the BinarySI parse cap. */
export const MAX_INT64 = (1n << 63n) - 1n;

/** The largest uint64 (the widest value metrics-server's uint64 helpers take). */
export const MAX_UINT64 = (1n << 64n) - 1n;

/**
 * The largest power of ten an operation may build (a power of ten this size is ~330 kbit and
 * takes about a millisecond). Beyond it an exact result is refused with a 'range' error instead of
 * letting a hostile exponent such as `1e2000000000` stall the process.
 */
export const MAX_POW10 = 100_000;

const SMALL_POW10: bigint[] = [];
for (let i = 0, p = 1n; i <= 40; i++, p *= 10n) SMALL_POW10.push(p);

/** 10^k for 0 ≤ k ≤ MAX_POW10 (callers check the bound). */
export function pow10(k: number): bigint {
  return SMALL_POW10[k] ?? 10n ** BigInt(k);
}

/** Number of decimal digits of |m| (1 for zero). */
export function digitCount(m: bigint): number {
  const s = m.toString();
  return m < 0n ? s.length - 1 : s.length;
}

/** Go's int32(x) for an integral number: two's-complement wrap into [-2^31, 2^31). */
export function wrapInt32(x: number): number {
  let r = (x + 2147483648) % 4294967296;
  if (r < 0) r += 4294967296;
  return r - 2147483648;
}

/**
 * `mantissa × 10^scale` rounded away from zero to a multiple of 10^target, as a mantissa at
 * scale `target`. Only valid when target > scale (the caller compares). Never builds a power of ten
 * larger than the mantissa: a magnitude below one unit of the target becomes ±1 directly.
 */
export function roundAwayMantissa(mantissa: bigint, scale: number, target: number): bigint {
  const k = target - scale;
  if (mantissa === 0n) return 0n;
  const sign = mantissa < 0n ? -1n : 1n;
  if (k > digitCount(mantissa)) return sign; // 0 < |v| < 10^target
  const d = pow10(k);
  const q = mantissa / d; // truncates toward zero
  return q * d === mantissa ? q : q + sign;
}

/** -1, 0 or 1 as |a × 10^as| is below, equal to or above |b × 10^bs|; aligns only when close. */
export function compareMagnitude(a: bigint, as: number, b: bigint, bs: number): -1 | 0 | 1 {
  if (a < 0n) a = -a;
  if (b < 0n) b = -b;
  if (a === 0n || b === 0n) return a === b ? 0 : a === 0n ? -1 : 1;
  if (as !== bs) {
    // 10^(digits+scale-1) ≤ |x| < 10^(digits+scale): different orders of magnitude decide alone,
    // so the alignment below never shifts by more than the longer mantissa's length.
    const ma = digitCount(a) + as;
    const mb = digitCount(b) + bs;
    if (ma !== mb) return ma < mb ? -1 : 1;
    if (as > bs) a *= pow10(as - bs);
    else b *= pow10(bs - as);
  }
  return a === b ? 0 : a < b ? -1 : 1;
}
