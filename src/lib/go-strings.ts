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

/**
 * Go's `<` on strings: UTF-8 byte order, which is code point order. JavaScript's `<` compares
 * UTF-16 code units, which differs for characters above U+FFFF versus U+E000–U+FFFF. A lone
 * surrogate orders as the U+FFFD it becomes when the text is written as UTF-8 (and that Go's
 * decoders would have made of it).
 */
export function compareGoStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Outside the surrogates, code unit order is code point order.
    if ((x < 0xd800 || x > 0xdfff) && (y < 0xd800 || y > 0xdfff)) return x < y ? -1 : 1;
    // A surrogate, paired or lone (which needs its neighbours to tell): compare the UTF-8 bytes.
    // Rare (astral characters), so the allocation stays off the common path.
    return Buffer.compare(Buffer.from(a), Buffer.from(b));
  }
  // One is a prefix of the other in UTF-16, hence also in UTF-8, except when the longer one
  // completes a pair the shorter one ends half of: U+FFFD's bytes (EF…) are below any 4-byte
  // sequence (F0…), so the shorter one still comes first.
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}
