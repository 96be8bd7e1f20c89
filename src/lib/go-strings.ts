/** Go string semantics that leak into wire texts: `%q` quoting and byte-order comparison. */

/** Go's `%q` for a string: double-quoted with Go escapes (used in validation messages). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (cp === 7) out += '\\a';
    else if (cp === 8) out += '\\b';
    else if (cp === 12) out += '\\f';
    else if (cp === 10) out += '\\n';
    else if (cp === 13) out += '\\r';
    else if (cp === 9) out += '\\t';
    else if (cp === 11) out += '\\v';
    else if (cp < 0x20 || cp === 0x7f) out += '\\x' + cp.toString(16).padStart(2, '0');
    else if ((cp >= 0x80 && cp < 0xa0) || cp === 0xad) out += '\\u' + cp.toString(16).padStart(4, '0');
    else out += ch;
  }
  return out + '"';
}

/** Byte-order string comparison (Go's `<` on strings) for any Unicode input. */
export function byteCompare(a: string, b: string): number {
  if (a === b) return 0;
  // For BMP-only strings UTF-16 order equals UTF-8 byte order except around surrogates; fall back
  // to a Buffer comparison only when a surrogate is present.
  if (/[\ud800-\udfff]/.test(a) || /[\ud800-\udfff]/.test(b)) return Buffer.compare(Buffer.from(a), Buffer.from(b));
  return a < b ? -1 : 1;
}
