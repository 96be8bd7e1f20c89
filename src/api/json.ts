/**
 * JSON text helpers shared by the wire types: Go `encoding/json` string escaping, map-key order,
 * `json.Indent`, a lossless parser for uint64 counters and the `metav1.Time` token.
 */
import { ErrorCode, KubemeterError, errorMessage } from '../lib/errors.ts';
import { formatMetaTime } from '../lib/go-format.ts';
import { compareGoStrings } from '../lib/go-strings.ts';

/** `metav1.Time` in memory: milliseconds since the Unix epoch (UTC), or null for Go's zero time. */
export type Time = number | null;

// Characters that make Go's encoder leave the plain fast path: quote, backslash, controls, the
// HTML-significant <, > and & (Go escapes them by default), and everything above ASCII (U+2028,
// U+2029 and lone surrogates need escaping; other non-ASCII passes through unchanged).
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be found
const needsEscape = /["\\<>&\u0000-\u001f\u0080-\uffff]/;
const hex = '0123456789abcdef';

/**
 * A JSON string literal exactly as Go's `encoding/json` writes it: `<`, `>`, `&`, U+2028 and
 * U+2029 as `\u003c`…, `\b \f \n \r \t` short forms, other controls as `\u00XX`, and a lone
 * surrogate (invalid UTF-8 in Go terms) as `\ufffd`.
 */
export function goQuote(s: string): string {
  if (!needsEscape.test(s)) return `"${s}"`;
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep: string | undefined;
    if (c < 0x20) {
      rep = c === 0x0a ? '\\n' : c === 0x0d ? '\\r' : c === 0x09 ? '\\t' : c === 0x08 ? '\\b' : c === 0x0c ? '\\f'
        : `\\u00${hex[c >> 4]}${hex[c & 15]}`;
    } else if (c === 0x22) rep = '\\"';
    else if (c === 0x5c) rep = '\\\\';
    else if (c === 0x3c) rep = '\\u003c';
    else if (c === 0x3e) rep = '\\u003e';
    else if (c === 0x26) rep = '\\u0026';
    else if (c === 0x2028) rep = '\\u2028';
    else if (c === 0x2029) rep = '\\u2029';
    else if (c >= 0xd800 && c <= 0xdfff) {
      const next = s.charCodeAt(i + 1);
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        i++; // a valid pair: keep both halves verbatim
        continue;
      }
      rep = '\\ufffd';
    }
    if (rep === undefined) continue;
    out += s.slice(start, i) + rep;
    start = i + 1;
  }
  return `${out}${s.slice(start)}"`;
}

/** A `map[string]string` as Go writes it: keys sorted in byte order. */
export function goStringMap(m: Readonly<Record<string, string>>): string {
  const keys = Object.keys(m);
  if (keys.length > 1) keys.sort(compareGoStrings);
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    out += `${i === 0 ? '' : ','}${goQuote(k)}:${goQuote(m[k]!)}`;
  }
  return `${out}}`;
}

/** A `[]string` as Go writes it (`null` for an absent slice). */
export function goStringArray(a: readonly string[] | undefined | null): string {
  if (a === undefined || a === null) return 'null';
  let out = '[';
  for (let i = 0; i < a.length; i++) out += (i === 0 ? '' : ',') + goQuote(a[i]!);
  return `${out}]`;
}

// List encoders format the same few seconds over and over (every item's creationTimestamp and a
// handful of sample times): cache the text per whole second.
const timeCache = new Map<number, string>();

const textCache = new Map<number, string>();

/** The text of a non-null `metav1.Time` without quotes (`2022-11-11T07:58:13Z`), cached per second. */
export function timeText(t: number): string {
  const sec = Math.floor(t / 1000);
  let text = textCache.get(sec);
  if (text === undefined) {
    text = formatMetaTime(t);
    if (textCache.size >= 256) textCache.clear();
    textCache.set(sec, text);
  }
  return text;
}

/** The JSON token of a `metav1.Time`: `"2022-11-11T07:58:13Z"` (whole seconds, UTC) or `null`. */
export function timeJson(t: Time | undefined): string {
  if (t === null || t === undefined) return 'null';
  const sec = Math.floor(t / 1000);
  let json = timeCache.get(sec);
  if (json === undefined) {
    json = `"${formatMetaTime(t)}"`;
    if (timeCache.size >= 256) timeCache.clear();
    timeCache.set(sec, json);
  }
  return json;
}

/**
 * A float64 as Go's `encoding/json` writes it. For finite values JavaScript's shortest round-trip
 * text is identical (both switch to exponent form below 1e-6 and from 1e21, `1e-7`, `1e+21`);
 * only -0 differs. NaN and infinities are refused, as Go refuses them.
 */
export function goFloatJson(v: number, field: string): string {
  if (!Number.isFinite(v)) {
    throw new KubemeterError(ErrorCode.InvalidDocument, `${field}: cannot encode ${v} as JSON`);
  }
  return Object.is(v, -0) ? '-0' : String(v);
}

/**
 * Go's `json.Indent(dst, src, "", indent)` for compact JSON text produced by our encoders (no
 * insignificant whitespace): one element per line, `": "` after keys, empty `{}`/`[]` kept inline.
 */
export function indentJson(compact: string, indent: string): string {
  let out = '';
  let depth = 0;
  let start = 0;
  const n = compact.length;
  for (let i = 0; i < n; i++) {
    const c = compact.charCodeAt(i);
    if (c === 0x22) {
      // Skip over the string literal, honouring escapes.
      for (i++; i < n; i++) {
        const d = compact.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
      }
      continue;
    }
    let rep: string;
    if (c === 0x7b || c === 0x5b) {
      const next = compact.charCodeAt(i + 1);
      if (next === 0x7d || next === 0x5d) {
        i++; // empty object/array stays "{}"/"[]"
        continue;
      }
      depth++;
      rep = `${compact[i]}\n${indent.repeat(depth)}`;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
      rep = `\n${indent.repeat(depth)}${compact[i]}`;
    } else if (c === 0x2c) {
      rep = `,\n${indent.repeat(depth)}`;
    } else if (c === 0x3a) {
      rep = ': ';
    } else continue;
    out += compact.slice(start, i) + rep;
    start = i + 1;
  }
  return out + compact.slice(start);
}

/**
 * A number literal that was written with a fraction or exponent (`1.0`, `1e3`) but has an integral
 * value. Integer fields refuse it, as Go refuses to decode `1.0` into a uint64; float fields unwrap it.
 */
export class FloatLiteral {
  /** The literal's numeric value. */
  readonly value: number;

  constructor(value: number) {
    this.value = value;
  }
}

const integerLiteral = /^-?(?:0|[1-9][0-9]*)$/;

function exactReviver(this: unknown, _key: string, value: unknown, ctx?: { source?: string }): unknown {
  if (typeof value !== 'number' || ctx?.source === undefined) return value;
  const src = ctx.source;
  if (integerLiteral.test(src)) return Number.isSafeInteger(value) ? value : BigInt(src);
  return Number.isInteger(value) ? new FloatLiteral(value) : value;
}

/**
 * Parses JSON text without losing integer precision: integers outside ±(2^53−1) become `bigint`
 * (read from the literal's source text, so uint64 counters stay exact), integral values written
 * as floats become FloatLiteral. Syntax errors throw KubemeterError(InvalidDocument).
 */
export function parseJsonExact(text: string, what: string, source?: string): unknown {
  try {
    return JSON.parse(text, exactReviver as (this: unknown, key: string, value: unknown) => unknown);
  } catch (e) {
    throw invalidJson(e, what, source);
  }
}

/** JSON.parse for documents without uint64 fields; syntax errors throw KubemeterError(InvalidDocument). */
export function parseJson(text: string, what: string, source?: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw invalidJson(e, what, source);
  }
}

function invalidJson(e: unknown, what: string, source: string | undefined): KubemeterError {
  const from = source === undefined ? '' : ` from ${source}`;
  return new KubemeterError(ErrorCode.InvalidDocument, `invalid ${what} document${from}: not JSON: ${errorMessage(e)}`, {
    cause: e,
    ...(source === undefined ? {} : { source }),
  });
}
