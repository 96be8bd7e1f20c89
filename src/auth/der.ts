/**
 * The handful of ASN.1 DER encoders needed to build X.509 certificates (x509-gen.ts). Written by
 * hand because the library choice, @peculiar/x509, needs a global Reflect-metadata polyfill
 * (tsyringe) to load at all; certificate building needs only these few pure encoders.
 */

/** One DER tag-length-value. */
export function tlv(tag: number, content: Uint8Array): Buffer {
  const n = content.length;
  let len: Buffer;
  if (n < 0x80) len = Buffer.from([n]);
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    len = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), len, content]);
}

/** SEQUENCE of already-encoded items. */
export const seq = (...items: Uint8Array[]): Buffer => tlv(0x30, Buffer.concat(items));
/** SET of already-encoded items (callers pass one item per set, as X.509 names do). */
export const set = (...items: Uint8Array[]): Buffer => tlv(0x31, Buffer.concat(items));
/** BOOLEAN. */
export const bool = (v: boolean): Buffer => tlv(0x01, Buffer.from([v ? 0xff : 0]));
/** OCTET STRING. */
export const octets = (b: Uint8Array): Buffer => tlv(0x04, b);
/** UTF8String. */
export const utf8 = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'));
/** Constructed context-specific tag [n] EXPLICIT. */
export const explicit = (n: number, inner: Uint8Array): Buffer => tlv(0xa0 | n, inner);
/** Primitive context-specific tag [n] IMPLICIT. */
export const implicit = (n: number, content: Uint8Array): Buffer => tlv(0x80 | n, content);

/** INTEGER from unsigned big-endian bytes (a leading zero is added when the top bit is set). */
export function uint(bytes: Uint8Array): Buffer {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0 && (bytes[i + 1]! & 0x80) === 0) i++;
  const trimmed = bytes.subarray(i);
  return tlv(0x02, (trimmed[0]! & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

/** INTEGER from a small non-negative number. */
export const smallInt = (v: number): Buffer => uint(Buffer.from([v]));

/** OBJECT IDENTIFIER from dotted text. */
export function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out: number[] = [parts[0]! * 40 + parts[1]!];
  for (const p of parts.slice(2)) {
    const bytes: number[] = [p & 0x7f];
    for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128)) bytes.unshift(0x80 | (v & 0x7f));
    out.push(...bytes);
  }
  return tlv(0x06, Buffer.from(out));
}

/** BIT STRING with `unusedBits` padding bits in the last byte. */
export const bitString = (b: Uint8Array, unusedBits = 0): Buffer => tlv(0x03, Buffer.concat([Buffer.from([unusedBits]), b]));

/** X.509 Time: UTCTime for 1950–2049, GeneralizedTime otherwise (RFC 5280 §4.1.2.5). */
export function time(d: Date): Buffer {
  const y = d.getUTCFullYear();
  const p = (n: number): string => String(n).padStart(2, '0');
  const rest = `${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  if (y >= 1950 && y < 2050) return tlv(0x17, Buffer.from(`${p(y % 100)}${rest}`, 'ascii'));
  return tlv(0x18, Buffer.from(`${String(y).padStart(4, '0')}${rest}`, 'ascii'));
}
