/**
 * Helpers for parsing kernel files straight from the bytes read, without turning them into
 * strings first. A housekeeping pass reads ~4,000 small files; decoding each into a string and
 * slicing values out of it allocated ~2 MiB per pass (most of the garbage the agent's heap
 * compactor then had to collect) and cost more CPU than the parsing itself. Text only appears
 * in error messages and in rare slow paths (numbers too long for a double).
 */

/** The bytes of one file as read, `[0, length)` of `bytes`, valid until the next read. */
export interface FileBytes {
  /** Read `file` (kept in descriptor slot `slot` by implementations that keep files open); its byte count, or -1 when it does not exist. */
  readBytes(slot: number, file: string): number;
  /** The buffer the last readBytes filled. */
  bytes(): Uint8Array;
}

/** `${dir}/${file}`, or `dir` alone when `file` is empty: built only when an error names it. */
export function named(dir: string, file: string): string {
  return file === '' ? dir : `${dir}/${file}`;
}

/** Buffer's native latin1 decoder, which `toString('latin1', start, end)` ends in. */
interface Latin1Slice {
  latin1Slice(start: number, end: number): string;
}

// Undocumented but present in every Node version (Buffer.prototype's own native method); if a
// runtime ever lacks it, toString is used.
const hasLatin1Slice = typeof (Buffer.prototype as Partial<Latin1Slice>).latin1Slice === 'function';

/** The latin1 text of `bytes[start, end)` (kernel files are ASCII). */
export function latin1(bytes: Uint8Array, start: number, end: number): string {
  // The buffers read into are Buffers already: no view is made for them.
  const b = bytes instanceof Buffer ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Without V8's optimizing compilers (the agent's default) toString's argument handling (the
  // encoding's name looked up, start and end coerced and clamped) costs more than the copy: the
  // native slice directly ~100-115 instead of ~150-175 ns (~240 ns through this function before)
  // for a 20-byte value or a 721-byte v1 memory.stat, ~2,200 texts per pass on v1. It throws on
  // a range outside the buffer (or ending before it starts), which toString clamps: such ranges
  // keep toString.
  if (hasLatin1Slice && start >= 0 && start <= end && end <= b.length) return (b as unknown as Latin1Slice).latin1Slice(start, end);
  return b.toString('latin1', start, end);
}

/** Is `c` a byte String.prototype.trim removes (ASCII whitespace, line terminators, NBSP)? */
export function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0xa0;
}

let scratch = Buffer.allocUnsafe(4096);

/**
 * Bytes of `text` (latin1: each character's low byte, as files are read) in a shared scratch
 * buffer, for the string forms of the byte parsers; valid until the next call.
 */
export function textBytes(text: string): Uint8Array {
  if (text.length > scratch.length) scratch = Buffer.allocUnsafe(Math.max(text.length, 2 * scratch.length));
  scratch.write(text, 0, 'latin1');
  return scratch;
}

/** FileBytes over file texts in memory (tests and pure callers); an absent name reads as absent. */
export class TextFiles implements FileBytes {
  private readonly texts: ReadonlyMap<string, string | undefined>;
  private buffer: Uint8Array = new Uint8Array(0);

  constructor(texts: Readonly<Record<string, string | undefined>>) {
    this.texts = new Map(Object.entries(texts));
  }

  readBytes(_slot: number, file: string): number {
    const text = this.texts.get(file);
    if (text === undefined) return -1;
    this.buffer = Buffer.from(text, 'latin1');
    return this.buffer.length;
  }

  bytes(): Uint8Array {
    return this.buffer;
  }
}
