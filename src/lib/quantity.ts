/**
 * Kubernetes `resource.Quantity`, exact: `mantissa × 10^scale` with a bigint mantissa, never a
 * float. Parsing, canonical output, accessors and arithmetic follow apimachinery's
 * pkg/api/resource. Unlike Go's type, a Quantity is immutable: arithmetic returns a new value.
 */
import { QuantityError } from './quantity-error.ts';
import { formatCanonical } from './quantity-format.ts';
import { MAX_INT64, MAX_POW10, MAX_UINT64, compareMagnitude, pow10, roundAwayMantissa } from './quantity-math.ts';
import { parseQuantityText } from './quantity-parse.ts';
import type { QuantityFormat } from './quantity-parse.ts';

export type { QuantityFormat } from './quantity-parse.ts';
export { QuantityError, QUANTITY_ERROR_MESSAGES, QUANTITY_REGEXP } from './quantity-error.ts';
export type { QuantityErrorKind } from './quantity-error.ts';

/** Go's strings.TrimSpace set (unicode.IsSpace), which differs from String.prototype.trim. */
const GO_SPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g;

/** A format string Go would not recognise formats as DecimalExponent; keep that for JS callers. */
function knownFormat(format: string): QuantityFormat {
  return format === 'DecimalSI' || format === 'BinarySI' ? format : 'DecimalExponent';
}

function checkScale(scale: number, input: string): void {
  if (!Number.isSafeInteger(scale)) throw new QuantityError('range', input, `quantity scale ${scale} is not an integer`);
}

/** An exact decimal quantity with a remembered serialisation format. */
export class Quantity {
  /** How the value serialises: the suffix family it was parsed from or built with. */
  readonly format: QuantityFormat;
  readonly #mantissa: bigint;
  readonly #scale: number;
  /** The canonical string, computed on first use (the value never changes). */
  #text: string | undefined;

  private constructor(mantissa: bigint, scale: number, format: QuantityFormat) {
    this.#mantissa = mantissa;
    this.#scale = scale;
    this.format = format;
  }

  /** ParseQuantity: parse the serialised form; throws QuantityError with Kubernetes' message. */
  static parse(text: string): Quantity {
    const p = parseQuantityText(text);
    return new Quantity(p.mantissa, p.scale, p.format);
  }

  /**
   * A decoded JSON value as Quantity.UnmarshalJSON reads it: null is zero, a string is trimmed
   * of surrounding whitespace then parsed, a number (or bigint) is parsed from its decimal text.
   */
  static fromJSON(v: unknown): Quantity {
    if (v === null) return ZERO_DECIMAL_SI;
    if (typeof v === 'string') return Quantity.parse(v.replace(GO_SPACE, ''));
    if (typeof v === 'bigint') return Quantity.parse(v.toString());
    if (typeof v === 'number' && Number.isFinite(v)) return Quantity.parse(String(v));
    throw new QuantityError('format', typeof v === 'number' ? String(v) : typeof v);
  }

  /**
   * CPU usage in nanocores as metrics-server builds it: DecimalSI at scale -9. A count above
   * int64 (up to uint64) loses its last digit, as metrics-server's uint64Quantity does.
   */
  static fromNanocores(nanocores: bigint): Quantity {
    if (nanocores > MAX_INT64 && nanocores <= MAX_UINT64) return new Quantity(nanocores / 10n, -8, 'DecimalSI');
    return new Quantity(nanocores, -9, 'DecimalSI');
  }

  /** Memory in bytes as metrics-server builds it: BinarySI at scale 0 (same uint64 rule). */
  static fromBytes(bytes: bigint): Quantity {
    if (bytes > MAX_INT64 && bytes <= MAX_UINT64) return new Quantity(bytes / 10n, 1, 'BinarySI');
    return new Quantity(bytes, 0, 'BinarySI');
  }

  /** NewQuantity: `value` units in the given format. */
  static of(value: bigint, format: QuantityFormat): Quantity {
    return new Quantity(value, 0, knownFormat(format));
  }

  /** NewMilliQuantity: `milli` thousandths in the given format. */
  static ofMilli(milli: bigint, format: QuantityFormat): Quantity {
    return new Quantity(milli, -3, knownFormat(format));
  }

  /** NewScaledQuantity: `value × 10^scale`, DecimalSI. */
  static ofScaled(value: bigint, scale: number): Quantity {
    checkScale(scale, `${value}e${scale}`);
    return new Quantity(value, scale, 'DecimalSI');
  }

  /** NewDecimalQuantity: `mantissa × 10^scale` in the given format (any scale, any size). */
  static ofDecimal(mantissa: bigint, scale: number, format: QuantityFormat): Quantity {
    checkScale(scale, `${mantissa}e${scale}`);
    return new Quantity(mantissa, scale, knownFormat(format));
  }

  /** A zero in the given format (DecimalSI by default, as the literal "0" parses). */
  static zero(format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(0n, 0, knownFormat(format));
  }

  /** The canonical form: no fraction, largest exponent/suffix of the format's family. */
  toString(): string {
    return (this.#text ??= formatCanonical(this.#mantissa, this.#scale, this.format));
  }

  /** JSON.stringify writes the canonical string, as MarshalJSON does. */
  toJSON(): string {
    return this.toString();
  }

  /** Whole units (cores, bytes), rounded away from zero. */
  value(): bigint {
    return this.scaledValue(0);
  }

  /** Thousandths (millicores), rounded away from zero: kubectl's CPU column. */
  milliValue(): bigint {
    return this.scaledValue(-3);
  }

  /** The value in units of 10^scale, rounded away from zero; exact (no int64 overflow). */
  scaledValue(scale: number): bigint {
    if (!Number.isSafeInteger(scale)) checkScale(scale, this.toString());
    const m = this.#mantissa;
    const shift = this.#scale - scale;
    if (shift === 0 || m === 0n) return m;
    if (shift < 0) return roundAwayMantissa(m, this.#scale, scale);
    if (shift > MAX_POW10) throw new QuantityError('range', this.toString());
    return m * pow10(shift);
  }

  /** Exact sum; the format is the receiver's, or the argument's when the receiver is zero. */
  add(q: Quantity): Quantity {
    if (this.#mantissa === 0n) return q;
    if (q.#mantissa === 0n) return this;
    return this.#combine(q.#mantissa, q.#scale);
  }

  /** Exact difference; the format follows the same rule as add. */
  sub(q: Quantity): Quantity {
    if (this.#mantissa === 0n) return q.neg();
    if (q.#mantissa === 0n) return this;
    return this.#combine(-q.#mantissa, q.#scale);
  }

  /** The negated value, same format. */
  neg(): Quantity {
    return this.#mantissa === 0n ? this : new Quantity(-this.#mantissa, this.#scale, this.format);
  }

  /** -1, 0 or 1 as this is below, equal to or above q (exact; formats are ignored). */
  cmp(q: Quantity): -1 | 0 | 1 {
    const a = this.sign();
    const b = q.sign();
    if (a !== b) return a < b ? -1 : 1;
    if (a === 0) return 0;
    const c = compareMagnitude(this.#mantissa, this.#scale, q.#mantissa, q.#scale);
    return a > 0 || c === 0 ? c : c === 1 ? -1 : 1;
  }

  /** Numeric equality, whatever the formats. */
  equals(q: Quantity): boolean {
    return this.cmp(q) === 0;
  }

  /** Is the value zero? */
  isZero(): boolean {
    return this.#mantissa === 0n;
  }

  /** -1, 0 or 1. */
  sign(): -1 | 0 | 1 {
    return this.#mantissa === 0n ? 0 : this.#mantissa < 0n ? -1 : 1;
  }

  /** The nearest float64 (correctly rounded; ±Infinity beyond the float range). For display only. */
  asApproximateFloat64(): number {
    // Number() of decimal text rounds correctly, which mantissa × 10^scale in floats does not.
    return this.#scale === 0 ? Number(this.#mantissa) : Number(`${this.#mantissa}e${this.#scale}`);
  }

  #combine(m: bigint, s: number): Quantity {
    const own = this.#scale;
    if (Math.abs(own - s) > MAX_POW10) throw new QuantityError('range', `${this.toString()} ± ${m}e${s}`);
    if (own === s) return new Quantity(this.#mantissa + m, own, this.format);
    if (own < s) return new Quantity(this.#mantissa + m * pow10(s - own), own, this.format);
    return new Quantity(this.#mantissa * pow10(own - s) + m, s, this.format);
  }
}

const ZERO_DECIMAL_SI = Quantity.zero('DecimalSI');
