/**
 * An append-only byte buffer for large JSON bodies (lists of 300,000 pods). Writing each piece
 * straight into one growing Buffer avoids the intermediate strings (and garbage) of string
 * concatenation; see metrics.ts for the measurements.
 */
import { compareGoStrings } from '../lib/go-strings.ts';
import { goQuote } from './json.ts';

// Printable ASCII minus `"`, `\`, `<`, `>`, `&`: copied as-is (latin1 = one byte per char).
const plainAscii = /^[\x20\x21\x23-\x25\x27-\x3b\x3d\x3f-\x5b\x5d-\x7e]*$/;

/** Accumulates UTF-8 JSON text; `bytes()` returns the written part. */
export class JsonWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(initialBytes = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Appends JSON text that is known to be ASCII (punctuation, numbers, encoded times). */
  raw(ascii: string): void {
    this.ensure(ascii.length);
    this.pos += this.buf.write(ascii, this.pos, 'latin1');
  }

  /** Appends any text as UTF-8. */
  text(s: string): void {
    this.ensure(s.length * 3);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /** Appends a string literal with Go's escaping (see goQuote). */
  quote(s: string): void {
    if (plainAscii.test(s)) {
      this.ensure(s.length + 2);
      const b = this.buf;
      b[this.pos++] = 0x22;
      this.pos += b.write(s, this.pos, 'latin1');
      b[this.pos++] = 0x22;
    } else {
      this.text(goQuote(s));
    }
  }

  /** Appends a `map[string]string` with keys in Go's order. */
  stringMap(m: Readonly<Record<string, string>>): void {
    const keys = Object.keys(m);
    if (keys.length > 1) keys.sort(compareGoStrings);
    this.raw('{');
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      if (i > 0) this.raw(',');
      this.quote(k);
      this.raw(':');
      this.quote(m[k]!);
    }
    this.raw('}');
  }

  /** The bytes written so far (a view, not a copy). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}
