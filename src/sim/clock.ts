/**
 * Simulated time. `acceleratedClock` runs `speed` times faster than the wall clock from a shared
 * origin, so a benchmark can play an hour of cluster life in minutes; two processes built with
 * the same origin and speed agree on the time without talking to each other.
 */
import type { Clock } from '../lib/clock.ts';

/** Options of acceleratedClock. */
export interface AcceleratedClockOptions {
  /** Time runs this many times faster than the wall clock (1 = real time). */
  speed: number;
  /** The wall-clock instant (Unix ms) at which simulated and real time coincide. */
  originMs: number;
  /** The real clock (default Date.now). */
  realNowMs?: () => number;
}

/** A clock at `originMs + speed × (now − originMs)`. */
export function acceleratedClock(o: AcceleratedClockOptions): Clock {
  const real = o.realNowMs ?? Date.now;
  if (o.speed === 1) return { nowMs: real };
  return { nowMs: () => Math.floor(o.originMs + o.speed * (real() - o.originMs)) };
}
