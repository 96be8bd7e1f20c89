/**
 * The protobuf wire format, read by hand for the few CRI messages the agent uses (see
 * cri-messages.ts for why not protobufjs; the tests write messages with
 * test/support/proto-writer.ts). A reader walks a byte range field by field; every length is
 * checked against the range, every varint against its 10-byte limit, and unknown fields of every
 * wire type — groups included, to a bounded depth — are skipped as protobuf's own decoders skip
 * them. Malformed input is a KubemeterError (InvalidDocument), never another exception.
 */
import { ErrorCode, KubemeterError } from '../../lib/errors.ts';

/** Wire types (the low three bits of a tag). */
export const WireType = { Varint: 0, Fixed64: 1, Bytes: 2, StartGroup: 3, EndGroup: 4, Fixed32: 5 } as const;

/** Deepest group nesting skipped in an unknown field (protobuf-go allows 10000; nothing the CRI sends nests at all). */
export const maxGroupDepth = 100;

/** A failure to decode, naming the message and the byte offset. */
export function wireError(what: string, offset: number, why: string): KubemeterError {
  return new KubemeterError(ErrorCode.InvalidDocument, `protobuf ${what}: ${why} at byte ${offset}`, { source: what });
}

/** A cursor over one protobuf message (a byte range of `buf`); `what` names it in errors. */
export class ProtoReader {
  readonly buf: Buffer;
  readonly what: string;
  pos: number;
  end: number;

  constructor(buf: Uint8Array, what: string, start = 0, end = buf.length) {
    // Buffer for its native UTF-8 slicing (no subarray per string).
    this.buf = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    this.what = what;
    this.pos = start;
    this.end = end;
  }

  /** Whether fields remain in the current range. */
  more(): boolean {
    return this.pos < this.end;
  }

  /** The next tag (field number << 3 | wire type); field 0 and wire types 6 and 7 are refused. */
  tag(): number {
    const at = this.pos;
    const t = this.varint();
    if (t > 0xffffffff || t >>> 3 === 0) throw wireError(this.what, at, `invalid tag ${t}`);
    if ((t & 7) > 5) throw wireError(this.what, at, `invalid wire type ${t & 7}`);
    return t;
  }

  /**
   * A varint as a number, exact up to 2^53; larger values (only in fields read with varint64)
   * come back rounded, which is harmless for tags and lengths: they then exceed any buffer.
   */
  varint(): number {
    const buf = this.buf;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw wireError(this.what, this.pos, 'truncated varint');
      const b = buf[this.pos++]!;
      if (i === 9 && b > 1) throw wireError(this.what, this.pos - 1, 'varint overflows 64 bits');
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 128;
    }
    throw wireError(this.what, this.pos, 'varint longer than 10 bytes');
  }

  /** A varint as an unsigned 64-bit bigint (uint64). */
  varint64(): bigint {
    const start = this.pos;
    // Seven bytes or fewer (< 2^49) are exact as a number; only longer ones pay for a bigint.
    const n = this.varint();
    if (this.pos - start <= 7) return BigInt(n);
    let value = 0n;
    let shift = 0n;
    for (let p = start; p < this.pos; p++, shift += 7n) value |= BigInt(this.buf[p]! & 0x7f) << shift;
    return BigInt.asUintN(64, value);
  }

  /** A varint as a signed 64-bit bigint (int64: negative values are ten-byte two's complement). */
  int64(): bigint {
    return BigInt.asIntN(64, this.varint64());
  }

  /**
   * An int64 of nanoseconds as milliseconds, truncated toward zero as int64 division does. CRI
   * timestamps (~1.7e18 ns) pass 2^53, so a number cannot hold them; rather than a bigint per
   * timestamp (one per sandbox, container and layer each pass), the two 32-bit halves are
   * divided exactly in doubles. Negative values (never sent in practice) take the bigint path.
   */
  int64Millis(): number {
    const start = this.pos;
    const n = this.varint();
    // Below 2^49, n / 1e6 rounds to a double too close to the true quotient to cross an integer.
    if (this.pos - start <= 7) return Math.trunc(n / 1e6);
    const buf = this.buf;
    let lo = 0;
    for (let i = 0; i < 4; i++) lo |= (buf[start + i]! & 0x7f) << (7 * i);
    const b4 = buf[start + 4]! & 0x7f;
    lo = (lo | ((b4 & 0x0f) << 28)) >>> 0;
    let hi = b4 >> 4;
    for (let i = 5; i < this.pos - start; i++) hi |= (buf[start + i]! & 0x7f) << (7 * i - 32);
    hi >>>= 0;
    if (hi >= 0x80000000) return Number(BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo)) / 1_000_000n);
    // hi·2^32 = hi·4294·10^6 + hi·967296, and hi·967296 + lo < 2^53: every step is exact.
    return hi * 4294 + Math.floor((hi * 967296 + lo) / 1e6);
  }

  /** The payload range of a length-delimited field: [start, end) of `buf`; the cursor moves past it. */
  bytes(): [number, number] {
    const at = this.pos;
    const length = this.varint();
    if (length > this.end - this.pos) throw wireError(this.what, at, `length ${length} beyond the ${this.end - this.pos} bytes left`);
    const start = this.pos;
    this.pos += length;
    return [start, this.pos];
  }

  /** A length-delimited field as UTF-8 text (invalid sequences become U+FFFD, as a metrics agent prefers a name to none). */
  string(): string {
    const [start, end] = this.bytes();
    return start === end ? '' : this.buf.toString('utf8', start, end);
  }

  /** A reader over the payload of a length-delimited field (a nested message). */
  message(what: string): ProtoReader {
    const [start, end] = this.bytes();
    return new ProtoReader(this.buf, what, start, end);
  }

  /** Skip the value of a field whose tag was just read, whatever its wire type. */
  skip(tag: number): void {
    this.skipValue(tag, 0);
  }

  private skipValue(tag: number, depth: number): void {
    const at = this.pos;
    switch (tag & 7) {
      case WireType.Varint:
        this.varint();
        return;
      case WireType.Fixed64:
        this.advance(8, at);
        return;
      case WireType.Bytes:
        this.bytes();
        return;
      case WireType.Fixed32:
        this.advance(4, at);
        return;
      case WireType.StartGroup: {
        if (depth >= maxGroupDepth) throw wireError(this.what, at, `groups nested deeper than ${maxGroupDepth}`);
        for (;;) {
          if (!this.more()) throw wireError(this.what, this.pos, `unterminated group ${tag >>> 3}`);
          const inner = this.tag();
          if ((inner & 7) === WireType.EndGroup) {
            if (inner >>> 3 !== tag >>> 3) throw wireError(this.what, this.pos, `group ${tag >>> 3} ended by ${inner >>> 3}`);
            return;
          }
          this.skipValue(inner, depth + 1);
        }
      }
      default:
        // An end-group tag with no group open.
        throw wireError(this.what, at, `unexpected end of group ${tag >>> 3}`);
    }
  }

  private advance(n: number, at: number): void {
    if (n > this.end - this.pos) throw wireError(this.what, at, `fixed${n * 8} beyond the ${this.end - this.pos} bytes left`);
    this.pos += n;
  }
}
