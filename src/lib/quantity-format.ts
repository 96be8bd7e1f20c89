/**
 * The canonical form of a resource.Quantity (String(), MarshalJSON): no fractional digits, no
 * precision lost, the largest exponent or suffix of the format's family. Pure and string-based:
 * the mantissa is converted to decimal text once and the rest is slicing, because this runs for
 * every CPU and memory value the server serialises.
 */
import type { QuantityFormat } from './quantity-parse.ts';
import { pow10 } from './quantity-math.ts';

/** DecimalSI suffixes by (exponent + 9) / 3. */
const SI_SUFFIXES = ['n', 'u', 'm', '', 'k', 'M', 'G', 'T', 'P', 'E'] as const;

/** BinarySI suffixes by the number of factors of 1024. */
const BINARY_SUFFIXES = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'] as const;

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** The largest multiple of three an int32 exponent can hold. */
const MAX_EXPONENT = 2147483646;

/**
 * How many zeros we are willing to pad a mantissa with to keep the exponent inside int32, so that
 * the spelling decodes to the same value in Kubernetes (which truncates wider exponents).
 */
const MAX_EXPONENT_PAD = 64;

/** Number of trailing '0' characters of a decimal digit string. */
function trailingZeros(digits: string): number {
  let i = digits.length - 1;
  while (i > 0 && digits.charCodeAt(i) === 48) i--;
  return digits.length - 1 - i;
}

/** The canonical string of `mantissa × 10^scale` in `format`. */
export function formatCanonical(mantissa: bigint, scale: number, format: QuantityFormat): string {
  if (mantissa === 0n) return '0';
  const negative = mantissa < 0n;
  const abs = negative ? -mantissa : mantissa;
  const sign = negative ? '-' : '';
  if (format !== 'BinarySI') return decimalForm(sign, abs.toString(), scale, format);

  // Byte counts: integer arithmetic on a double is exact below 2^53 and avoids bigint division.
  if (scale === 0 && abs <= MAX_SAFE) {
    let v = Number(abs);
    if (v < 1024) return decimalForm(sign, String(v), 0, 'DecimalSI');
    let k = 0;
    while (v % 1024 === 0) { v /= 1024; k++; } // at most 5 times below 2^53
    return sign + String(v) + BINARY_SUFFIXES[k]!;
  }

  const digits = abs.toString();
  const zeros = trailingZeros(digits);
  const exponent = scale + zeros;
  const core = digits.length - zeros;
  // Fractional, or below 1024 (at most four digits): BinarySI would lose precision or look odd.
  if (exponent < 0 || (core + exponent <= 4 && Number(digits.slice(0, core)) * 10 ** exponent < 1024)) {
    return decimalForm(sign, digits, scale, 'DecimalSI');
  }
  // 10^70 already holds seven factors of 1024, one more than the largest suffix (Ei).
  if (exponent < 70) {
    let n = BigInt(digits.slice(0, core)) * pow10(exponent);
    let k = 0;
    while (k < 7 && (n & 1023n) === 0n) { n >>= 10n; k++; }
    if (k <= 6) return sign + n.toString() + BINARY_SUFFIXES[k]!;
  }
  return decimalForm(sign, digits, scale, 'DecimalExponent');
}

/** The decimal-family form of `digits × 10^scale` (digits without sign, not all zeros). */
function decimalForm(sign: string, digits: string, scale: number, format: QuantityFormat): string {
  const zeros = trailingZeros(digits);
  let exponent = scale + zeros;
  // Lower the exponent to a multiple of three (never raise it: 1.5 is 1500m, not 0.0015k) by
  // keeping up to two of the stripped zeros or appending them.
  const keep = ((exponent % 3) + 3) % 3;
  exponent -= keep;
  let mantissa = keep <= zeros ? digits.slice(0, digits.length - zeros + keep) : digits + '0'.repeat(keep - zeros);
  if (exponent > MAX_EXPONENT && exponent - MAX_EXPONENT <= MAX_EXPONENT_PAD) {
    mantissa += '0'.repeat(exponent - MAX_EXPONENT);
    exponent = MAX_EXPONENT;
  }
  let suffix: string;
  if (format === 'DecimalSI' && exponent >= -9 && exponent <= 18) suffix = SI_SUFFIXES[(exponent + 9) / 3]!;
  else if (exponent === 0) suffix = '';
  // Beyond the SI table (10^21 and up, or below nano from a constructor) DecimalSI falls back to
  // the exponent form instead of printing a number with the wrong magnitude.
  else suffix = `e${exponent}`;
  return sign + mantissa + suffix;
}
