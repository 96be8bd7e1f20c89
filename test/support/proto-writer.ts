/** A protobuf writer for the tests of the agent's hand-written CRI decoders. */
import { WireType } from '../../src/agent/identity/proto-wire.ts';

const utf8Encoder = new TextEncoder();

/**
 * Writes protobuf fields, for tests: the agent's CRI requests are empty messages and need none of
 * it; the tests build messages with unknown fields of every wire type.
 */
export class ProtoWriter {
  private readonly parts: number[] = [];

  /** A varint (unsigned, or a negative int64 as ten bytes). */
  varint(value: number | bigint): this {
    let v = BigInt.asUintN(64, BigInt(value));
    do {
      const b = Number(v & 0x7fn);
      v >>= 7n;
      this.parts.push(v === 0n ? b : b | 0x80);
    } while (v !== 0n);
    return this;
  }

  /** A tag. */
  tag(field: number, wireType: number): this {
    return this.varint(field * 8 + wireType);
  }

  /** A varint field. */
  uint(field: number, value: number | bigint): this {
    return this.tag(field, WireType.Varint).varint(value);
  }

  /** A length-delimited field of raw bytes. */
  bytes(field: number, payload: Uint8Array): this {
    this.tag(field, WireType.Bytes).varint(payload.length);
    for (const b of payload) this.parts.push(b);
    return this;
  }

  /** A string field. */
  string(field: number, text: string): this {
    return this.bytes(field, utf8Encoder.encode(text));
  }

  /** A nested message field. */
  message(field: number, inner: ProtoWriter): this {
    return this.bytes(field, inner.finish());
  }

  /** A fixed-width field (wire type 1 or 5) of `n` bytes taken from `value` little-endian. */
  fixed(field: number, wireType: typeof WireType.Fixed64 | typeof WireType.Fixed32, value: bigint): this {
    this.tag(field, wireType);
    const n = wireType === WireType.Fixed64 ? 8 : 4;
    for (let i = 0; i < n; i++) this.parts.push(Number((value >> BigInt(8 * i)) & 0xffn));
    return this;
  }

  /** A group field wrapping `inner`'s fields. */
  group(field: number, inner: ProtoWriter): this {
    this.tag(field, WireType.StartGroup);
    for (const b of inner.finish()) this.parts.push(b);
    return this.tag(field, WireType.EndGroup);
  }

  /** The bytes written. */
  finish(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}
