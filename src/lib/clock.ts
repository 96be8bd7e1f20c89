/**
 * Time as a dependency: loops and caches take a Clock so tests can move time without sleeping.
 */

/** A source of wall-clock time. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  nowMs(): number;
}

/** The real clock. */
export const systemClock: Clock = { nowMs: () => Date.now() };

/** A clock that only moves when told to; for tests. */
export class ManualClock implements Clock {
  private currentMs: number;

  constructor(startMs = 1_700_000_000_000) {
    this.currentMs = startMs;
  }

  nowMs(): number {
    return this.currentMs;
  }

  /** Move the clock forward by `ms` milliseconds. */
  advance(ms: number): void {
    this.currentMs += ms;
  }

  /** Set the clock to an absolute time in milliseconds since the epoch. */
  set(ms: number): void {
    this.currentMs = ms;
  }
}
