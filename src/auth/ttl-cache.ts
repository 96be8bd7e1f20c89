/**
 * A bounded cache whose entries expire after a per-entry TTL on an injectable Clock, with
 * single-flight loading: concurrent misses for one key share one lookup (one TokenReview or
 * SubjectAccessReview per distinct question, not one per request).
 */
import type { Clock } from '../lib/clock.ts';

/** Options of TtlCache. */
export interface TtlCacheOptions {
  clock: Clock;
  /** Most entries kept; the oldest inserted is evicted first (default 4096). */
  maxEntries?: number;
}

/** Cache of values that expire. */
export class TtlCache<V> {
  private readonly clock: Clock;
  private readonly maxEntries: number;
  private readonly entries = new Map<string, { value: V; expiresAtMs: number }>();
  private readonly inflight = new Map<string, Promise<V>>();

  constructor(options: TtlCacheOptions) {
    this.clock = options.clock;
    this.maxEntries = options.maxEntries ?? 4096;
  }

  /** The live value for `key`, if any. */
  get(key: string): V | undefined {
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    if (this.clock.nowMs() >= e.expiresAtMs) {
      this.entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  /** Store `value` for `ttlMs` (nothing is stored for ttlMs ≤ 0). */
  set(key: string, value: V, ttlMs: number): void {
    if (ttlMs <= 0) return;
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { value, expiresAtMs: this.clock.nowMs() + ttlMs });
  }

  /**
   * The cached value, or the result of `load` (shared by concurrent callers), cached for
   * `ttlOf(value)` ms. A failing load is not cached.
   */
  async getOrLoad(key: string, load: () => Promise<V>, ttlOf: (v: V) => number): Promise<V> {
    const hit = this.get(key);
    if (hit !== undefined) return hit;
    let p = this.inflight.get(key);
    if (p === undefined) {
      p = load().then(
        (v) => {
          this.inflight.delete(key);
          this.set(key, v, ttlOf(v));
          return v;
        },
        (e: unknown) => {
          this.inflight.delete(key);
          throw e;
        },
      );
      this.inflight.set(key, p);
    }
    return p;
  }

  /** Number of stored (possibly expired) entries. */
  get size(): number {
    return this.entries.size;
  }
}
