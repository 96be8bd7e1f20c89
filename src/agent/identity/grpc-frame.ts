/**
 * gRPC's length-prefixed messages (PROTOCOL-HTTP2: a compressed flag byte, a 4-byte big-endian
 * length, the message), written for a request and read back from the DATA of a response in
 * whatever pieces HTTP/2 delivers them. The declared length is checked against the receive limit
 * before anything is buffered, so an oversize answer costs nothing but its header.
 */
import { ErrorCode, KubemeterError } from '../../lib/errors.ts';

/** The 5-byte prefix of each message. */
export const grpcPrefixBytes = 5;

/** One message framed for the wire (uncompressed). */
export function frameGrpcMessage(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(grpcPrefixBytes + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  out.set(message, grpcPrefixBytes);
  return out;
}

/** Options of GrpcMessageReader. */
export interface GrpcMessageReaderOptions {
  /** Largest message accepted, bytes (the kubelet's CRI client allows 16 MiB). */
  maxMessageBytes: number;
  /** Most messages accepted (1 for a unary call). */
  maxMessages: number;
  /** Names the call in errors. */
  what: string;
}

/**
 * Reassembles messages from DATA chunks. `push` throws a KubemeterError — TooLarge for a message
 * above the limit (RESOURCE_EXHAUSTED, as gRPC names it), InvalidDocument for a compressed or
 * unknown flag or one message too many (INTERNAL) — and the reader must then be dropped;
 * `finish` checks that no message was left cut off.
 */
export class GrpcMessageReader {
  /** Complete messages, in order. */
  readonly messages: Buffer[] = [];
  private readonly o: GrpcMessageReaderOptions;
  private readonly prefix = Buffer.alloc(grpcPrefixBytes);
  private prefixFill = 0;
  private body: Buffer | undefined;
  private bodyFill = 0;
  private received = 0;

  constructor(options: GrpcMessageReaderOptions) {
    this.o = options;
  }

  /** Feed one chunk of the response body. */
  push(chunk: Uint8Array): void {
    let off = 0;
    while (off < chunk.length) {
      if (this.body === undefined) {
        const n = Math.min(grpcPrefixBytes - this.prefixFill, chunk.length - off);
        this.prefix.set(chunk.subarray(off, off + n), this.prefixFill);
        this.prefixFill += n;
        off += n;
        if (this.prefixFill < grpcPrefixBytes) return;
        const length = this.startMessage();
        this.prefixFill = 0;
        if (length === 0) {
          this.complete(Buffer.alloc(0));
          continue;
        }
        // A whole message inside this chunk: keep a view of it, no copy.
        if (chunk.length - off >= length) {
          this.complete(Buffer.from(chunk.buffer, chunk.byteOffset + off, length));
          off += length;
          continue;
        }
        this.body = Buffer.allocUnsafe(length);
        this.bodyFill = 0;
      }
      const n = Math.min(this.body.length - this.bodyFill, chunk.length - off);
      this.body.set(chunk.subarray(off, off + n), this.bodyFill);
      this.bodyFill += n;
      off += n;
      if (this.bodyFill === this.body.length) {
        const done = this.body;
        this.body = undefined;
        this.complete(done);
      }
    }
  }

  /** Throws when the body ended inside a message. */
  finish(): void {
    if (this.prefixFill > 0 || this.body !== undefined) {
      throw new KubemeterError(ErrorCode.InvalidDocument, `${this.o.what}: INTERNAL: response ended inside a message (${this.prefixFill > 0 ? `${this.prefixFill} of 5 prefix bytes` : `${this.bodyFill} of ${this.body?.length} bytes`})`, { source: this.o.what });
    }
  }

  /** Validate the prefix just completed; the message length. */
  private startMessage(): number {
    const flag = this.prefix[0]!;
    const length = this.prefix.readUInt32BE(1);
    if (this.received >= this.o.maxMessages) {
      throw new KubemeterError(ErrorCode.InvalidDocument, `${this.o.what}: INTERNAL: more than ${this.o.maxMessages} response message(s) for a unary call`, { source: this.o.what });
    }
    // We announce no grpc-accept-encoding, so a server may not compress; other flag values are reserved.
    if (flag !== 0) {
      throw new KubemeterError(ErrorCode.InvalidDocument, `${this.o.what}: INTERNAL: response message with ${flag === 1 ? 'compression' : `reserved flag ${flag}`}, none was negotiated`, { source: this.o.what });
    }
    if (length > this.o.maxMessageBytes) {
      throw new KubemeterError(ErrorCode.TooLarge, `${this.o.what}: RESOURCE_EXHAUSTED: received message larger than max (${length} vs. ${this.o.maxMessageBytes} bytes)`, { source: this.o.what });
    }
    this.received++;
    return length;
  }

  private complete(message: Buffer): void {
    this.messages.push(message);
  }
}
