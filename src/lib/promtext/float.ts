/**
 * Float and integer tokens as the Prometheus Go parser accepts them: `strconv.ParseFloat` minus the
 * characters `p`, `P` and `_` (expfmt refuses hex floats and digit separators), and
 * `strconv.ParseInt(s, 10, 64)` for timestamps. JavaScript's Number() is more permissive (`0x1A`,
 * `Infinity`, `''`, whitespace) and less (`inf`, `nan`), so the grammar is checked here first.
 */

/** Decimal float: optional sign, digits with an optional point (at least one digit), optional exponent. */
const decimalFloat = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * The value of a Go float token, `'invalid'` when Go's ParseFloat refuses the syntax, `'range'` when
 * the magnitude overflows float64 (Go returns ErrRange, and expfmt rejects it).
 */
export function parseGoFloatToken(token: string): number | 'invalid' | 'range' {
  if (decimalFloat.test(token)) {
    const v = Number(token);
    return Number.isFinite(v) ? v : 'range';
  }
  // Go's special(): [+-]inf, [+-]infinity, nan — case-insensitive; no sign on nan.
  const lower = token.toLowerCase();
  const body = lower[0] === '+' || lower[0] === '-' ? lower.slice(1) : lower;
  if (body === 'inf' || body === 'infinity') return lower[0] === '-' ? -Infinity : Infinity;
  if (lower === 'nan') return NaN;
  return 'invalid';
}

/** A decimal int64 token (`strconv.ParseInt(s, 10, 64)` syntax), limited to safe JS integers. */
export function parseTimestampToken(token: string): number | 'invalid' | 'range' {
  if (!/^[+-]?\d+$/.test(token)) return 'invalid';
  const v = Number(token);
  return Number.isSafeInteger(v) ? v : 'range';
}
