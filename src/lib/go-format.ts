/**
 * Go-compatible formatting of the values kubemeter puts on the wire or accepts as flags:
 * `time.Duration` (String / ParseDuration), `metav1.Time` (RFC 3339 at seconds, UTC) and
 * `strconv.FormatFloat(v, 'g', -1, 64)` (the float format of the Prometheus text encoder).
 * The rules below follow Go's `time` and `strconv` packages; each function names the Go one it mirrors.
 */
import { ErrorCode, KubemeterError, quoteInput } from './errors.ts';

const NS_PER_US = 1_000n;
const NS_PER_MS = 1_000_000n;
const NS_PER_S = 1_000_000_000n;
const UINT63 = 1n << 63n; // 2^63: the magnitude of the most negative int64

/**
 * Go's `time.Duration.String()`: `1h2m3.5s`, `1m0s`, `1.5µs`, `0s`. Units below one second are used
 * only when the whole duration is below one second. Accepts any bigint (Go's range is int64).
 */
export function formatGoDuration(ns: bigint): string {
  const neg = ns < 0n;
  let u = neg ? -ns : ns;
  let out: string;
  if (u === 0n) return '0s';
  if (u < NS_PER_S) {
    // Go prints these with the largest unit that keeps the integer part non-zero.
    if (u < NS_PER_US) out = `${u}ns`;
    else if (u < NS_PER_MS) out = `${fraction(u, 3)}µs`;
    else out = `${fraction(u, 6)}ms`;
  } else {
    const seconds = `${fraction(u % (60n * NS_PER_S), 9)}s`;
    u /= 60n * NS_PER_S; // whole minutes
    if (u === 0n) out = seconds;
    else {
      const minutes = `${u % 60n}m`;
      u /= 60n; // whole hours
      out = u === 0n ? minutes + seconds : `${u}h${minutes}${seconds}`;
    }
  }
  return neg ? `-${out}` : out;
}

/** `v / 10^prec` as decimal text without trailing zeros (Go's `fmtFrac` + `fmtInt`). */
function fraction(v: bigint, prec: number): string {
  const scale = 10n ** BigInt(prec);
  const whole = v / scale;
  const frac = (v % scale).toString().padStart(prec, '0').replace(/0+$/, '');
  return frac === '' ? `${whole}` : `${whole}.${frac}`;
}

const unitNs: ReadonlyMap<string, bigint> = new Map([
  ['ns', 1n],
  ['us', NS_PER_US],
  ['µs', NS_PER_US], // U+00B5 micro sign
  ['μs', NS_PER_US], // U+03BC Greek small letter mu
  ['ms', NS_PER_MS],
  ['s', NS_PER_S],
  ['m', 60n * NS_PER_S],
  ['h', 3600n * NS_PER_S],
]);

/** Go's `time.quote`: ASCII printable characters as is, `"` and `\` escaped, other bytes as `\xNN`. */
function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (c >= 0x80 || c < 0x20) {
      for (const b of Buffer.from(ch, 'utf8')) out += `\\x${b.toString(16).padStart(2, '0')}`;
    } else {
      out += c === 0x22 || c === 0x5c ? `\\${ch}` : ch;
    }
  }
  return `${out}"`;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/**
 * Go's `time.ParseDuration` in nanoseconds: `15s`, `1m30s`, `-1.5h`, `500ms`, `2µs`/`2us`, `0`.
 * Throws KubemeterError(InvalidFlag) with Go's own message (`time: invalid duration "x"`, …).
 */
export function parseGoDuration(text: string): bigint {
  const invalid = (): KubemeterError =>
    new KubemeterError(ErrorCode.InvalidFlag, `time: invalid duration ${goQuote(text)}`);
  let s = text;
  let neg = false;
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') throw invalid();
  let total = 0n; // uint64 in Go: magnitude before the sign is applied
  let i = 0;
  while (i < s.length) {
    const first = s.charCodeAt(i);
    if (first !== 0x2e && !isDigit(first)) throw invalid();
    // Integer part: Go's leadingInt fails once the value passes 2^63.
    const intStart = i;
    let v = 0n;
    while (i < s.length && isDigit(s.charCodeAt(i))) {
      v = v * 10n + BigInt(s.charCodeAt(i) - 0x30);
      if (v > UINT63) throw invalid();
      i++;
    }
    const pre = i !== intStart;
    // Fraction: Go's leadingFraction silently stops accumulating digits once they would overflow.
    let f = 0n;
    let scale = 1;
    let post = false;
    if (i < s.length && s.charCodeAt(i) === 0x2e) {
      i++;
      const fracStart = i;
      let overflow = false;
      while (i < s.length && isDigit(s.charCodeAt(i))) {
        if (!overflow) {
          const y = f * 10n + BigInt(s.charCodeAt(i) - 0x30);
          if (f > (UINT63 - 1n) / 10n || y > UINT63) overflow = true;
          else {
            f = y;
            scale *= 10;
          }
        }
        i++;
      }
      post = i !== fracStart;
    }
    if (!pre && !post) throw invalid();
    const unitStart = i;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c === 0x2e || isDigit(c)) break;
      i++;
    }
    if (i === unitStart) {
      throw new KubemeterError(ErrorCode.InvalidFlag, `time: missing unit in duration ${goQuote(text)}`);
    }
    const unitText = s.slice(unitStart, i);
    const unit = unitNs.get(unitText);
    if (unit === undefined) {
      throw new KubemeterError(
        ErrorCode.InvalidFlag,
        `time: unknown unit ${goQuote(unitText)} in duration ${goQuote(text)}`,
      );
    }
    if (v > UINT63 / unit) throw invalid();
    v *= unit;
    if (f > 0n) {
      // Go computes the fraction in float64 ("nanosecond accurate for fractions of hours").
      v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
      if (v > UINT63) throw invalid();
    }
    total += v;
    if (total > UINT63) throw invalid();
  }
  if (neg) return -total;
  if (total > UINT63 - 1n) throw invalid();
  return total;
}

/**
 * `strconv.FormatFloat(v, 'g', -1, 64)`: the shortest digits that round-trip, in exponent form when
 * the decimal exponent is < -4 or >= 6 (Go fixes the decision precision at 6 in shortest mode, see
 * `formatDigits` in strconv/ftoa.go): `212992`, `1.675264e+07`, `1e+06`, `1.2e-05`, `NaN`, `+Inf`.
 * JavaScript's own `toString` switches to exponent form only at 1e21, so it is never used directly.
 */
export function formatGoFloat(v: number): string {
  if (Number.isInteger(v) && v > -1e6 && v < 1e6) {
    // Fast path for the common case (byte counts below 1e6, 0, 1): fixed form, no fraction.
    return v === 0 && Object.is(v, -0) ? '-0' : `${v}`;
  }
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  // toExponential() without an argument yields the shortest round-tripping digits: "-d.ddde+x".
  const e = v.toExponential();
  const ePos = e.indexOf('e');
  const neg = v < 0;
  const mantissa = e.slice(neg ? 1 : 0, ePos);
  const digits = mantissa.length > 1 ? mantissa[0] + mantissa.slice(2) : mantissa;
  const exp = Number(e.slice(ePos + 1));
  const sign = neg ? '-' : '';
  if (exp < -4 || exp >= 6) {
    const absExp = exp < 0 ? -exp : exp;
    return `${sign}${mantissa}e${exp < 0 ? '-' : '+'}${absExp < 10 ? '0' : ''}${absExp}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return sign + digits + '0'.repeat(exp + 1 - digits.length);
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

/**
 * `metav1.Time` JSON text (without the quotes): RFC 3339 in UTC truncated to whole seconds,
 * `2024-05-01T12:00:03Z`. `ms` is milliseconds since the epoch; years outside 0000–9999 are refused.
 */
export function formatMetaTime(ms: number): string {
  if (!Number.isFinite(ms)) {
    throw new KubemeterError(ErrorCode.Internal, `cannot format time ${ms}: not a finite number of milliseconds`);
  }
  const d = new Date(Math.floor(ms / 1000) * 1000); // Go truncates towards the past when formatting
  const year = d.getUTCFullYear();
  if (Number.isNaN(year) || year < 0 || year > 9999) {
    throw new KubemeterError(ErrorCode.Internal, `cannot format time ${ms}: year outside 0000-9999`);
  }
  // toISOString gives "YYYY-MM-DDTHH:MM:SS.000Z" for years 0000-9999.
  return `${d.toISOString().slice(0, 19)}Z`;
}

// YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM) — Go's time.Parse(time.RFC3339, …) grammar.
const rfc3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(?:(Z)|([+-])(\d{2}):(\d{2}))$/;

/**
 * Parses RFC 3339 text as `metav1.Time` does (`time.Parse(time.RFC3339, s)`): offsets and fractional
 * seconds are accepted; returns milliseconds since the epoch (sub-millisecond digits are truncated).
 * Throws KubemeterError(InvalidDocument) naming the text and what was wrong.
 */
export function parseMetaTime(text: string): number {
  const bad = (why: string): KubemeterError =>
    new KubemeterError(
      ErrorCode.InvalidDocument,
      `invalid time ${quoteInput(text)}: ${why} (expected RFC 3339 such as "2024-05-01T12:00:03Z")`,
    );
  const m = rfc3339.exec(text);
  if (m === null) throw bad('not in RFC 3339 form');
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number, number, number, number, number, number,
  ];
  if (month < 1 || month > 12) throw bad('month out of range');
  // Day 0 of the next month is the last day of this one. (setUTCFullYear, unlike Date.UTC, does not
  // map years 0-99 to 1900-1999.)
  const monthEnd = new Date(0);
  monthEnd.setUTCFullYear(year, month, 0);
  if (day < 1 || day > monthEnd.getUTCDate()) throw bad('day out of range');
  if (hour > 23) throw bad('hour out of range');
  if (minute > 59) throw bad('minute out of range');
  if (second > 59) throw bad('second out of range');
  let offsetMin = 0;
  if (m[8] === undefined) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23) throw bad('time zone offset hour out of range');
    if (om > 59) throw bad('time zone offset minute out of range');
    offsetMin = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const fracMs = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  const base = new Date(0);
  base.setUTCFullYear(year, month - 1, day);
  base.setUTCHours(hour, minute, second, fracMs);
  return base.getTime() - offsetMin * 60_000;
}
