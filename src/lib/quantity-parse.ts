/**
 * ParseQuantity: the scanner and the value rules of resource.Quantity, exact. Pure: text in,
 * `mantissa × 10^scale` and a Format out, or a QuantityError with Kubernetes' message.
 */
import { QuantityError } from './quantity-error.ts';
import { MAX_INT64, compareMagnitude, roundAwayMantissa, wrapInt32 } from './quantity-math.ts';

/** The three serialisation formats of a Quantity. */
export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

/** An exact parsed value: mantissa × 10^scale, remembered format. */
export interface ParsedQuantity {
  mantissa: bigint;
  scale: number;
  format: QuantityFormat;
}

/** Decimal SI suffixes and their power of ten. */
const DECIMAL_SUFFIXES: Readonly<Record<string, number>> = {
  '': 0, n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18,
};

/** Binary SI suffixes and their power of two. */
const BINARY_SUFFIXES: Readonly<Record<string, number>> = {
  Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60,
};

const MIN_INT64 = -(1n << 63n);

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** The characters Kubernetes' scanner takes as suffix letters: e E i n u m k K M G T P. */
function isSuffixLetter(c: number): boolean {
  switch (c) {
    case 101: case 69: case 105: case 110: case 117: case 109: // e E i n u m
    case 107: case 75: case 77: case 71: case 84: case 80: // k K M G T P
      return true;
    default:
      return false;
  }
}

/**
 * The exponent of an `e<int>`/`E<int>` suffix as Go's strconv.ParseInt(…, 10, 64) reads it, or
 * undefined when that fails (not an integer, or outside int64).
 */
function parseExponent(text: string): bigint | undefined {
  let i = 0;
  if (text.startsWith('+') || text.startsWith('-')) i = 1;
  if (i >= text.length) return undefined;
  for (let j = i; j < text.length; j++) if (!isDigit(text.charCodeAt(j))) return undefined;
  // Leading zeros are legal for ParseInt; strip them before bounding the length so a long run
  // of zeros cannot make BigInt() do quadratic work.
  let k = i;
  while (k < text.length - 1 && text.charCodeAt(k) === 48) k++;
  if (text.length - k > 19) return undefined;
  const v = BigInt(text.slice(k));
  const signed = text.startsWith('-') ? -v : v;
  return signed < MIN_INT64 || signed > MAX_INT64 ? undefined : signed;
}

/**
 * Longest text we parse. Converting n digits to a bigint costs O(n²) (a 2 MB quantity takes over a
 * second); real quantities are a few dozen characters, Kubernetes' own vectors at most ~140.
 */
export const MAX_QUANTITY_LENGTH = 4096;

const ZERO_DECIMAL_SI: ParsedQuantity = { mantissa: 0n, scale: 0, format: 'DecimalSI' };

/** Parse `text` with ParseQuantity's rules; throws QuantityError. */
export function parseQuantityText(text: string): ParsedQuantity {
  const end = text.length;
  if (end === 0) throw new QuantityError('format', text);
  if (end > MAX_QUANTITY_LENGTH) {
    throw new QuantityError('range', text.slice(0, 64), `quantity is longer than ${MAX_QUANTITY_LENGTH} characters`);
  }
  if (text === '0') return ZERO_DECIMAL_SI;

  let pos = 0;
  let negative = false;
  const first = text.charCodeAt(0);
  if (first === 45) { negative = true; pos = 1; } // '-'
  else if (first === 43) pos = 1; // '+'

  // Leading zeros; a run that reaches the end is a plain DecimalSI zero ("-", "+00").
  const zerosStart = pos;
  while (pos < end && text.charCodeAt(pos) === 48) pos++;
  if (pos >= end) return ZERO_DECIMAL_SI;
  const sawZeros = pos > zerosStart;

  const intStart = pos;
  while (pos < end && isDigit(text.charCodeAt(pos))) pos++;
  const intDigits = text.slice(intStart, pos);
  let fracDigits = '';
  if (pos < end && text.charCodeAt(pos) === 46) { // '.'
    const fracStart = ++pos;
    while (pos < end && isDigit(text.charCodeAt(pos))) pos++;
    fracDigits = text.slice(fracStart, pos);
  }

  // Suffix: a run of suffix letters, one optional sign, digits, then the end of the input.
  const suffixStart = pos;
  while (pos < end && isSuffixLetter(text.charCodeAt(pos))) pos++;
  if (pos < end && (text.charCodeAt(pos) === 43 || text.charCodeAt(pos) === 45)) pos++;
  while (pos < end && isDigit(text.charCodeAt(pos))) pos++;
  if (pos < end) throw new QuantityError('format', text);
  const suffix = text.slice(suffixStart);

  let format: QuantityFormat;
  let power: number; // of ten for the decimal families, of two for BinarySI
  const decimal = DECIMAL_SUFFIXES[suffix];
  const binary = BINARY_SUFFIXES[suffix];
  if (decimal !== undefined) {
    format = 'DecimalSI';
    power = decimal;
  } else if (binary !== undefined) {
    format = 'BinarySI';
    power = binary;
  } else {
    const c = suffix.charCodeAt(0);
    const exponent = suffix.length > 1 && (c === 101 || c === 69) ? parseExponent(suffix.slice(1)) : undefined;
    if (exponent === undefined) throw new QuantityError('suffix', text);
    format = 'DecimalExponent';
    // Kubernetes keeps the exponent in an int32 and truncates a wider one (so "1e4294967297" is
    // 10 to every Kubernetes component); stored objects decode that way, so we do too.
    power = Number(BigInt.asIntN(32, exponent));
  }

  const digits = intDigits + fracDigits;
  const fracLen = fracDigits.length;
  const isDecimal = format !== 'BinarySI';
  // Kubernetes' int64 fast path: at most 18 significant digits and a scale of at least nano,
  // computed in int32 arithmetic (so it can wrap).
  const fastScale = wrapInt32(power - fracLen);
  const fastPath = isDecimal
    ? Math.max(intDigits.length, 1) + fracLen <= 18 && fastScale >= -9
    : fracLen === 0 && 15 - Math.max(intDigits.length, 1) - Math.floor((power * 3) / 10) - 1 >= 0;

  if (digits.length === 0 && !sawZeros) {
    // A number with no digit at all ("", ".", "Ki", "e3") is zero on the fast path; the
    // arbitrary-precision path rejects it as not numeric ("Pi", "e-10").
    if (!fastPath) throw new QuantityError('numeric', text);
    return { mantissa: 0n, scale: 0, format };
  }
  let mantissa = BigInt(digits.length === 0 ? '0' : digits);
  if (mantissa === 0n) return { mantissa: 0n, scale: 0, format };
  if (negative) mantissa = -mantissa;

  let scale: number;
  if (isDecimal) {
    // The fast path's int32 scale is what Kubernetes decodes (even when it wrapped); elsewhere
    // the exact scale (Kubernetes would hang or fail there, so nothing was ever stored that way).
    scale = fastPath ? fastScale : power - fracLen;
  } else {
    mantissa <<= BigInt(power);
    scale = -fracLen;
  }

  // Round any magnitude finer than 1n up, away from zero, to the next nano.
  if (scale < -9) {
    mantissa = roundAwayMantissa(mantissa, scale, -9);
    scale = -9;
  }
  if (!isDecimal) {
    // BinarySI is capped at 2^63-1 in magnitude; below one it is written as DecimalSI.
    if (compareMagnitude(mantissa, scale, MAX_INT64, 0) > 0) {
      mantissa = mantissa < 0n ? -MAX_INT64 : MAX_INT64;
      scale = 0;
    } else if (compareMagnitude(mantissa, scale, 1n, 0) < 0) {
      format = 'DecimalSI';
    }
  }
  return { mantissa, scale, format };
}
