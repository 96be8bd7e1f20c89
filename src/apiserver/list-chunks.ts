/**
 * The chunks a streamed list is written in: 64 KiB Buffers filled with item bytes (item-slab.ts)
 * and handed to the socket, taken from a pool that the server gives them back to once they are
 * written (releaseChunk), so that a list makes no garbage per chunk.
 *
 * Why a pool: a Buffer per chunk is external memory until the collector finds it dead, and the
 * 92 MiB of a 300,000-pod list in fresh Buffers set off a full collection of the heap about every
 * 64 MiB; a chunk written from the pool is used again by the next chunk of some list instead.
 * Why not strings: a list's pieces as strings were trees of small strings that lived through the
 * young-generation collections of their turn while they waited in the socket's queue (up to
 * 512 KiB per connection), and were then copied once more to be written as latin1.
 */

/** Bytes per chunk: about 200 pods, a socket write that fills whole TLS records. */
export const chunkBytes = 64 << 10;

/**
 * Chunks kept for reuse: enough for 16 lists with 512 KiB unflushed each and the chunk being
 * filled (a server writing more lists at once allocates the rest, which the collector frees).
 */
const maxPooled = 160;

const pool: Buffer[] = [];
/** The pool's chunks by their memory, to tell one of them from any other Uint8Array given back. */
const ours = new WeakMap<ArrayBufferLike, Buffer>();

function takeChunk(): Buffer {
  const c = pool.pop();
  if (c !== undefined) return c;
  const fresh = Buffer.allocUnsafeSlow(chunkBytes);
  ours.set(fresh.buffer, fresh);
  return fresh;
}

/**
 * Give a chunk back once the socket is done with it (its write's callback): it will be written
 * over. Anything that is not a pool chunk is ignored, so any piece may be given back.
 */
export function releaseChunk(piece: Uint8Array): void {
  const c = ours.get(piece.buffer);
  if (c !== undefined && pool.length < maxPooled && !pool.includes(c)) pool.push(c);
}

/** Fills chunks from the pool with bytes; take() hands out the bytes written so far. */
export class ChunkWriter {
  private chunk: Buffer = takeChunk();
  private used = 0;

  /** Bytes left in the current chunk. */
  room(): number {
    return this.chunk.length - this.used;
  }

  /** Bytes written to the current chunk. */
  size(): number {
    return this.used;
  }

  /**
   * Make room for `bytes` more: the caller hands out the current chunk first (take) when it
   * has bytes and too little room. Larger than a chunk: a Buffer of that size, not pooled.
   */
  reserve(bytes: number): void {
    if (this.room() >= bytes) return;
    if (this.used !== 0) throw new Error('reserve on a chunk with bytes: take it first');
    if (bytes > chunkBytes) this.chunk = Buffer.allocUnsafe(bytes);
  }

  /** Append `source[from, to)`. */
  copy(source: Buffer, from: number, to: number): void {
    // Buffer.copy is a native copy; 300 bytes cost about 45 ns (a JS loop over them 350 ns).
    this.used += source.copy(this.chunk, this.used, from, to);
  }

  /** Append a short byte string (JSON punctuation, a time): a loop beats a native call there. */
  small(bytes: Uint8Array): void {
    const c = this.chunk;
    let at = this.used;
    for (let i = 0; i < bytes.length; i++) c[at++] = bytes[i]!;
    this.used = at;
  }

  /** Append a string whose characters are all below U+0100, one byte each. */
  latin1(s: string): void {
    this.used += this.chunk.write(s, this.used, 'latin1');
  }

  /** Append one byte. */
  byte(b: number): void {
    this.chunk[this.used++] = b;
  }

  /** The bytes written since the last take, as a view of the chunk; the next bytes go to a new chunk. */
  take(): Buffer {
    const out = this.chunk.subarray(0, this.used);
    this.chunk = takeChunk();
    this.used = 0;
    return out;
  }

  /** The last bytes; the writer is done. */
  finish(): Buffer {
    const out = this.chunk.subarray(0, this.used);
    this.used = 0;
    return out;
  }
}
