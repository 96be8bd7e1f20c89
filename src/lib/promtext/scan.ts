/**
 * Character-level building blocks of the exposition scanner: character classes, the fast number
 * scanners, and error-message helpers. Every scan relies on the line's terminating '\n' as a
 * sentinel, so loops need no bounds checks (charCodeAt past the end would give NaN and stop them too).
 */

export const NL = 0x0a;
export const SP = 0x20;
export const TAB = 0x09;
export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;

/** Character class bits (ASCII only; everything else is in none of them). */
export const NAME_START = 1;
export const NAME_CHAR = 2;
export const LABEL_START = 4;
export const LABEL_CHAR = 8;
const CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const letter = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
  const digit = c >= 0x30 && c <= 0x39;
  if (letter || c === 0x3a) CLASS[c] = NAME_START | NAME_CHAR;
  if (digit) CLASS[c] = NAME_CHAR | LABEL_CHAR;
  if (letter) CLASS[c] = (CLASS[c] ?? 0) | LABEL_START | LABEL_CHAR;
}

/** Is code unit `c` in character class `flag`? */
export function is(c: number, flag: number): boolean {
  return c < 128 && ((CLASS[c] ?? 0) & flag) !== 0;
}

/** Where a scan ended (the parser itself is passed as the cursor). */
export interface Cursor {
  pos: number;
}

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17,
  1e18, 1e19, 1e20, 1e21, 1e22];

/**
 * A decimal float token at `p` with at most 15 digits and a decimal exponent within ±22, or
 * undefined for anything else (special values, long mantissas, syntax errors: the caller's slow
 * path decides). This is Clinger's fast path: the mantissa (< 10^15 < 2^53) and 10^|exp| are exact,
 * so one IEEE multiplication or division yields the correctly rounded value, as Go's ParseFloat does.
 * Sets `cur.pos` to the end of the token on success.
 */
export function scanFastFloat(s: string, p: number, cur: Cursor): number | undefined {
  let c = s.charCodeAt(p);
  let neg = false;
  if (c === 0x2d /* - */) {
    neg = true;
    c = s.charCodeAt(++p);
  } else if (c === 0x2b /* + */) c = s.charCodeAt(++p);
  let mantissa = 0;
  let digits = 0;
  let exp = 0;
  while (c >= 0x30 && c <= 0x39) {
    mantissa = mantissa * 10 + (c - 0x30);
    digits++;
    c = s.charCodeAt(++p);
  }
  if (c === 0x2e /* . */) {
    c = s.charCodeAt(++p);
    while (c >= 0x30 && c <= 0x39) {
      mantissa = mantissa * 10 + (c - 0x30);
      digits++;
      exp--;
      c = s.charCodeAt(++p);
    }
  }
  if (digits === 0 || digits > 15) return undefined;
  if (c === 0x65 || c === 0x45 /* e E */) {
    c = s.charCodeAt(++p);
    let expNeg = false;
    if (c === 0x2d || c === 0x2b) {
      expNeg = c === 0x2d;
      c = s.charCodeAt(++p);
    }
    let e = 0;
    let expDigits = 0;
    while (c >= 0x30 && c <= 0x39 && expDigits < 4) {
      e = e * 10 + (c - 0x30);
      expDigits++;
      c = s.charCodeAt(++p);
    }
    if (expDigits === 0) return undefined; // "1e" is invalid: the slow path reports it
    exp += expNeg ? -e : e;
  }
  if (c !== SP && c !== TAB && c !== NL) return undefined;
  let v: number;
  if (exp === 0) v = mantissa;
  else if (exp > 0 && exp <= 22) v = mantissa * (POW10[exp] ?? NaN);
  else if (exp < 0 && exp >= -22) v = mantissa / (POW10[-exp] ?? NaN);
  else return undefined;
  cur.pos = p;
  return neg ? -v : v;
}

/** An unsigned decimal integer token of at most 15 digits at `p`, or undefined; sets `cur.pos` on success. */
export function scanFastInteger(s: string, p: number, cur: Cursor): number | undefined {
  let c = s.charCodeAt(p);
  let v = 0;
  const start = p;
  while (c >= 0x30 && c <= 0x39) {
    v = v * 10 + (c - 0x30);
    c = s.charCodeAt(++p);
  }
  if (p === start || p - start > 15 || (c !== SP && c !== TAB && c !== NL)) return undefined;
  cur.pos = p;
  return v;
}

/** The end of the token at `p`: the next blank or line end. */
export function tokenEnd(s: string, p: number): number {
  let c = s.charCodeAt(p);
  while (c !== SP && c !== TAB && c !== NL && !Number.isNaN(c)) c = s.charCodeAt(++p);
  return p;
}

/** A short description of the character at `p` for error messages. */
export function describe(s: string, p: number): string {
  const c = s.charCodeAt(p);
  if (c === NL || Number.isNaN(c)) return 'end of line';
  if (c === 0x0d) return 'a carriage return (CRLF line endings are not valid in the text format)';
  return JSON.stringify(String.fromCodePoint(s.codePointAt(p) ?? c));
}

/** `s[from, to)` quoted for an error message, cut at 40 characters. */
export function quoteSlice(s: string, from: number, to: number): string {
  return JSON.stringify(to - from > 40 ? `${s.slice(from, from + 40)}…` : s.slice(from, to));
}

/** A hint for tokens that carry a carriage return. */
export function crHint(token: string): string {
  return token.includes('\r') ? ' (a carriage return: CRLF line endings are not valid in the text format)' : '';
}
