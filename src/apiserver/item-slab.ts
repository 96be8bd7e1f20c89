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
 * Where a slab's items are written first: as UTF-8, whose length then tells whether every
 * character was ASCII (one byte each), before the bytes are copied into a slab of the right size. Checking the
 * texts with a regular expression first, then writing them, cost a third more (the expression
 * flattens each text, the write walks it again).
 */
const scratch = Buffer.allocUnsafeSlow(3 * slabChars);
/** A builder is writing into the scratch (one at a time; another one gets a Buffer of its own). */
let scratchInUse = false;

/** Characters of a text a slab keeps. */
export function keptChars(t: ItemText): number {
  return t.headFromNames === true ? t.tail.length : t.head.length + t.tail.length;
}

/**
 * Writes items into a slab as they are made, so that each item's text dies young: a batch that
 * kept its texts until the slab was made had them all survive the young-generation collection
 * that the batch itself set off (the first list of 300,000 pods: all of them).
 */
export class SlabBuilder {
  /** Where the items are written: the scratch, or a Buffer of its own (one huge item, scratch in use). */
  private buffer = scratch;
  private ownsScratch = false;
  private at = 0;
  private chars = 0;
  private readonly bounds: number[] = [];
  private readonly timestampsMs: number[] = [];

  /** Items added since the last finish. */
  count(): number {
    return this.timestampsMs.length;
  }

  /** Whether `t` goes into the slab being built (an empty one takes any item); else finish first. */
  fits(t: ItemText): boolean {
    return this.count() === 0 || this.chars + keptChars(t) <= slabChars;
  }

  /** Write `t` (which fits); its index in the slab. */
  add(t: ItemText): number {
    const chars = keptChars(t);
    // UTF-8 takes at most 3 bytes per UTF-16 unit (a surrogate pair: 4 bytes for 2 units).
    if (this.count() === 0) {
      if (3 * chars <= scratch.length && !scratchInUse) {
        this.buffer = scratch;
        this.ownsScratch = scratchInUse = true;
      } else this.buffer = Buffer.allocUnsafeSlow(Math.max(3 * chars, scratch.length));
    }
    this.chars += chars;
    this.bounds.push(this.at);
    if (t.headFromNames !== true) this.at += this.buffer.write(t.head, this.at, 'utf8');
    this.bounds.push(this.at);
    this.at += this.buffer.write(t.tail, this.at, 'utf8');
    this.timestampsMs.push(t.timestampMs);
    return this.count() - 1;
  }

  /** The slab of the items added since the last finish; the builder starts over. */
  finish(): ItemSlab {
    this.bounds.push(this.at);
    // Slow: a Buffer of its own, never a slice of the shared pool (a slice would keep 8 KiB alive).
    const bytes = Buffer.allocUnsafeSlow(this.at);
    this.buffer.copy(bytes, 0, 0, this.at);
    const slab = new ItemSlab(bytes, Uint32Array.from(this.bounds), Float64Array.from(this.timestampsMs), this.at === this.chars);
    if (this.ownsScratch) this.ownsScratch = scratchInUse = false;
    this.at = 0;
    this.chars = 0;
    this.bounds.length = 0;
    this.timestampsMs.length = 0;
    return slab;
  }
}

/** A slab of `texts`, item i at index i (they must fit in one: see SlabBuilder.fits). */
export function itemSlab(texts: readonly ItemText[]): ItemSlab {
  const b = new SlabBuilder();
  for (const t of texts) b.add(t);
  return b.finish();
}
