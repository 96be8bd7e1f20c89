/**
 * Splits a byte stream of concatenated JSON objects (a Kubernetes watch stream) into one text per
 * object. kube-apiserver writes each watch event as a JSON object followed by a newline, but the
 * framing Kubernetes specifies is "a stream of JSON values" (client-go uses a streaming JSON
 * decoder, not a line reader), so objects are delimited by brace depth, not by newlines.
 */
import { ErrorCode, KubemeterError } from '../lib/errors.ts';

const OPEN = 0x7b; // {
const CLOSE = 0x7d; // }
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

/** Incremental splitter of concatenated JSON objects with a per-object size cap. */
export class JsonObjectFramer {
  private readonly maxObjectBytes: number;
  private readonly source: string;
  private parts: Buffer[] = [];
  private partsBytes = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;

  constructor(options: { maxObjectBytes: number; source: string }) {
    this.maxObjectBytes = options.maxObjectBytes;
    this.source = options.source;
  }

  /** Feed a chunk; returns the texts of the objects completed by it, in order. */
  push(chunk: Buffer): string[] {
    const out: string[] = [];
    let start = -1; // start of the current object within this chunk, when it began here
    if (this.depth > 0) start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (this.depth === 0) {
        if (b === OPEN) {
          this.depth = 1;
          start = i;
        } else if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) {
          throw new KubemeterError(
            ErrorCode.InvalidDocument,
            `watch stream from ${this.source}: unexpected byte 0x${b.toString(16)} between objects`,
            { source: this.source },
          );
        }
        continue;
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (b === BACKSLASH) this.escaped = true;
        else if (b === QUOTE) this.inString = false;
        continue;
      }
      if (b === QUOTE) this.inString = true;
      else if (b === OPEN) this.depth++;
      else if (b === CLOSE) {
        this.depth--;
        if (this.depth === 0) {
          const piece = chunk.subarray(start, i + 1);
          this.checkSize(this.partsBytes + piece.length);
          const text = this.parts.length === 0 ? piece.toString('utf8') : Buffer.concat([...this.parts, piece]).toString('utf8');
          this.parts = [];
          this.partsBytes = 0;
          out.push(text);
          start = -1;
        }
      }
    }
    if (this.depth > 0 && start >= 0) {
      const rest = chunk.subarray(start);
      this.checkSize(this.partsBytes + rest.length);
      // Copy: the caller may reuse the chunk's memory.
      this.parts.push(Buffer.from(rest));
      this.partsBytes += rest.length;
    }
    return out;
  }

  /** True when the stream ended between objects (nothing partial is buffered). */
  isIdle(): boolean {
    return this.depth === 0;
  }

  private checkSize(bytes: number): void {
    if (bytes > this.maxObjectBytes) {
      throw new KubemeterError(
        ErrorCode.TooLarge,
        `watch stream from ${this.source}: one event exceeds ${this.maxObjectBytes} bytes`,
        { source: this.source },
      );
    }
  }
}
