/**
 * Buffers that a streamed list's ASCII pieces are copied into right before they are written, taken
 * from a pool that the server gives them back to once the socket has written them.
 *
 * Why: a piece is a tree of the cached item strings (three concatenations per item), and a socket
 * that has not flushed the previous writes keeps it queued as it is, up to 512 KiB per connection
 * (8 MiB with 16 connections listing a namespace): trees that live through the young-generation
 * collections of their turn and are copied by each. Copied into a Buffer at once, the tree dies
 * young, and the copy is the one the socket would make anyway (latin1 into memory of its own).
 * Why a pool: fresh Buffers (92 MiB per 300,000-pod list) are external memory that set off a full
 * collection of the heap about every 64 MiB.
 */

/** Bytes per chunk: a piece of 64 Ki characters plus the item that crossed the mark. */
export const chunkBytes = 128 << 10;

/** Chunks kept: 16 connections with 512 KiB unflushed each in 64 KiB pieces, and one more each. */
const maxPooled = 160;

const pool: Buffer[] = [];
/** The pool's chunks by their memory, to tell one from any other Uint8Array given back. */
const ours = new WeakMap<ArrayBufferLike, Buffer>();

/**
 * `piece` (every character below U+0100) as latin1 bytes in a pool chunk, or undefined when it is
 * longer than a chunk (the caller writes the string itself).
 */
export function latin1Chunk(piece: string): Buffer | undefined {
  if (piece.length > chunkBytes) return undefined;
  let c = pool.pop();
  if (c === undefined) {
    // Slow: memory of its own, never a slice of the shared 8 KiB pool.
    c = Buffer.allocUnsafeSlow(chunkBytes);
    ours.set(c.buffer, c);
  }
  return c.subarray(0, c.write(piece, 0, 'latin1'));
}

/**
 * Give a chunk back once the socket is done with it (its write's callback): it will be written
 * over. Anything that is not a pool chunk is ignored.
 */
export function releaseLatin1Chunk(bytes: Uint8Array): void {
  const c = ours.get(bytes.buffer);
  if (c !== undefined && pool.length < maxPooled && !pool.includes(c)) pool.push(c);
}
