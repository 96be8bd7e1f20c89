/**
 * Pod list items kept as bytes outside the V8 heap: the items made in one batch (a node's pods
 * right after the node is stored, or the pods a list or get found without a current item) are
 * written into one Buffer, with the bounds of each item's head and tail in a typed array.
 *
 * Why not strings: a scrape cycle of 300,000 pods makes 300,000 new items, about 300 bytes of
 * JS strings each, and every one of them lived through one or two young-generation collections,
 * which copy what survives (a collection's pause grows with its survivors, not with its garbage).
 * In a slab the strings made while encoding die young and the survivors are one Buffer, two
 * typed arrays and a small PodItem object per pod. Lists then copy the bytes into the chunks they
 * write (list-chunks.ts) instead of concatenating strings.
 *
 * A slab is never changed once made, so an item that refers to it never changes either: a list
 * that took its items keeps writing the bytes of that moment however many slabs come after.
 */

/** One list item's JSON text around its creationTimestamp value (see podItemText). */
export interface ItemText {
  /** From `{"metadata":` up to and including `"creationTimestamp":`. */
  readonly head: string;
  /** From after the creationTimestamp value to the item's closing `}`. */
  readonly tail: string;
  /** The item's `timestamp`, Unix ms (for the freshness histogram). */
  readonly timestampMs: number;
  /**
   * The head is `{"metadata":{"name":"NAME","namespace":"NAMESPACE","creationTimestamp":` with
   * names that need no escapes: a slab keeps no bytes for it (about 90 of an item's 310), and
   * it is written from the pod's names when the item is (podHead).
   */
  readonly headFromNames?: boolean;
}

/** The items of one batch as UTF-8 bytes (latin1 when every one is ASCII: the same bytes). */
export class ItemSlab {
  /** Every item's head then tail, item after item. */
  readonly bytes: Buffer;
  /**
   * Item i's head is `bytes[bounds[2i], bounds[2i+1])` and its tail `bytes[bounds[2i+1],
   * bounds[2i+2])`: 2n+1 offsets for n items. An empty head: written from the pod's names
   * (ItemText.headFromNames).
   */
  readonly bounds: Uint32Array;
  /** Item i's `timestamp`, Unix ms. */
  readonly timestampsMs: Float64Array;
  /** Every byte is ASCII. */
  readonly ascii: boolean;

  constructor(bytes: Buffer, bounds: Uint32Array, timestampsMs: Float64Array, ascii: boolean) {
    this.bytes = bytes;
    this.bounds = bounds;
    this.timestampsMs = timestampsMs;
    this.ascii = ascii;
  }

  /** Whether item i keeps its head (otherwise it is written from the pod's names). */
  hasHead(i: number): boolean {
    return this.bounds[2 * i] !== this.bounds[2 * i + 1];
  }

  /** Item i's head as text (the single-object body of a get is a string); '' when not kept. */
  head(i: number): string {
    return this.bytes.toString(this.ascii ? 'latin1' : 'utf8', this.bounds[2 * i], this.bounds[2 * i + 1]);
  }

  /** Item i's tail as text. */
  tail(i: number): string {
    return this.bytes.toString(this.ascii ? 'latin1' : 'utf8', this.bounds[2 * i + 1], this.bounds[2 * i + 2]);
  }
}

/**
 * Characters of text per slab at most (a slab holds at least one item whatever its size): about
 * 200 pods, so that a batch of a whole cluster (the first list) is made in slabs of 64 KiB that
 * go away with their pods' next items, through a scratch Buffer of fixed size.
 */
export const slabChars = 64 << 10;

/**
 * Where a batch is written first: as UTF-8, whose length then tells whether every character was
 * ASCII (one byte each), before the bytes are copied into a slab of the right size. Checking the
 * texts with a regular expression first, then writing them, cost a third more (the expression
 * flattens each text, the write walks it again).
 */
const scratch = Buffer.allocUnsafeSlow(3 * slabChars);

/** Characters of a text a slab keeps. */
export function keptChars(t: ItemText): number {
  return t.headFromNames === true ? t.tail.length : t.head.length + t.tail.length;
}

/** A slab of `texts[from, to)`, item from + i at index i. */
export function itemSlab(texts: readonly ItemText[], from = 0, to = texts.length): ItemSlab {
  const n = to - from;
  let chars = 0;
  for (let i = from; i < to; i++) chars += keptChars(texts[i]!);
  // UTF-8 takes at most 3 bytes per UTF-16 unit (a surrogate pair: 4 bytes for 2 units).
  const buffer = 3 * chars <= scratch.length ? scratch : Buffer.allocUnsafeSlow(3 * chars);
  const bounds = new Uint32Array(2 * n + 1);
  const timestampsMs = new Float64Array(n);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const t = texts[from + i]!;
    bounds[2 * i] = at;
    if (t.headFromNames !== true) at += buffer.write(t.head, at, 'utf8');
    bounds[2 * i + 1] = at;
    at += buffer.write(t.tail, at, 'utf8');
    timestampsMs[i] = t.timestampMs;
  }
  bounds[2 * n] = at;
  // Slow: a Buffer of its own, never a slice of the shared pool (a slice would keep 8 KiB alive).
  const bytes = Buffer.allocUnsafeSlow(at);
  buffer.copy(bytes, 0, 0, at);
  return new ItemSlab(bytes, bounds, timestampsMs, at === chars);
}
