/**
 * Exponential backoff with jitter for retry loops, shaped like client-go's reflector backoff
 * (800 ms doubling to 30 s, jitter factor 1.0, reset after 2 min without failures), and an
 * injectable sleep so loops are tested without waiting.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Clock } from '../lib/clock.ts';
import { systemClock } from '../lib/clock.ts';

/** Waits `ms` milliseconds; resolves early (without throwing) when `signal` aborts. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

/** The real sleep. */
export const realSleep: Sleep = async (ms, signal) => {
  try {
    await delay(ms, undefined, { signal });
  } catch {
    // aborted: the caller checks its signal
  }
};

/** Options of Backoff. */
export interface BackoffOptions {
  /** First delay in milliseconds (default 800). */
  initialMs?: number;
  /** Largest delay before jitter in milliseconds (default 30 000). */
  maxMs?: number;
  /** Growth factor (default 2). */
  factor?: number;
  /** Up to this fraction of the delay is added at random (default 1.0). */
  jitter?: number;
  /** After this long without a failure, start again from initialMs (default 120 000). */
  resetAfterMs?: number;
  clock?: Clock;
  /** Random source in [0, 1); for tests. */
  random?: () => number;
}

/** Produces growing, jittered delays; `next()` after each failure, `reset()` after a success. */
export class Backoff {
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly jitter: number;
  private readonly resetAfterMs: number;
  private readonly clock: Clock;
  private readonly random: () => number;
  private currentMs = 0;
  private lastFailureMs = -Infinity;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 800;
    this.maxMs = options.maxMs ?? 30_000;
    this.factor = options.factor ?? 2;
    this.jitter = options.jitter ?? 1;
    this.resetAfterMs = options.resetAfterMs ?? 120_000;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
  }

  /** The delay to wait after a failure now. */
  next(): number {
    const now = this.clock.nowMs();
    if (this.currentMs === 0 || now - this.lastFailureMs >= this.resetAfterMs) this.currentMs = this.initialMs;
    else this.currentMs = Math.min(this.currentMs * this.factor, this.maxMs);
    this.lastFailureMs = now;
    return Math.round(this.currentMs + this.random() * this.jitter * this.currentMs);
  }

  /** Forget past failures. */
  reset(): void {
    this.currentMs = 0;
  }
}
