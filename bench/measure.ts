/**
 * Measuring helpers for benchmark suites: medians over runs, timed loops, and a sink that keeps the
 * optimiser from deleting the work being measured.
 */

/** The median of `values` (mean of the two middle ones for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

/** Runs `fn` `runs` times (one after another) and returns the median of what it returned. */
export async function medianOf(runs: number, fn: (run: number) => number | Promise<number>): Promise<number> {
  const values: number[] = [];
  for (let i = 0; i < runs; i++) values.push(await fn(i));
  return median(values);
}

/** Options of timeLoop. */
export interface TimeLoopOptions {
  /** Keep calling until at least this many milliseconds have passed. */
  minMs: number;
  /** …and at least this many calls (default 1). */
  minCalls?: number;
}

/** Calls `fn` repeatedly for at least `minMs`; returns the mean nanoseconds per call. */
export function timeLoop(fn: () => void, options: TimeLoopOptions): number {
  const minNs = BigInt(Math.round(options.minMs * 1e6));
  const minCalls = options.minCalls ?? 1;
  let calls = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0n;
  // Batches of calls between clock reads keep the clock out of the measurement for fast functions.
  let batch = 1;
  while (elapsed < minNs || calls < minCalls) {
    for (let i = 0; i < batch; i++) fn();
    calls += batch;
    elapsed = process.hrtime.bigint() - start;
    if (elapsed < minNs / 10n) batch *= 2;
  }
  return Number(elapsed) / calls;
}

/** Megabytes (10^6 bytes) per second for `bytes` processed in `nsPerCall` nanoseconds. */
export function megabytesPerSecond(bytes: number, nsPerCall: number): number {
  return bytes / 1e6 / (nsPerCall / 1e9);
}

/** Write results here so the optimiser cannot prove the measured work unused. */
export const sink: { value: unknown } = { value: undefined };
