/**
 * The two-point rate of metrics-server (`resourceUsage`), reproduced operation for operation so
 * that every nanocore matches: float64 division of the counter delta by Go's `Duration.Seconds()`,
 * then truncation.
 */

/** A stored point: sample time, cumulative CPU, working set, start time. */
export interface StoredPoint {
  /** Unix ms. */
  timestampMs: number;
  /** core-ns. */
  cpuUsageCoreNanoSeconds: bigint;
  /** bytes. */
  workingSetBytes: number;
  /** Container start, Unix ns as float64; 0 for nodes. */
  startTimeNs: number;
}

/** Why a pair of points yields no rate (logged by the caller). */
export type RateError = 'unexpected decrease in startTime of node/container' | 'unexpected decrease in cumulative CPU usage value';

/** The rate between two points, or the reason there is none. */
export type RateResult =
  | { ok: true; windowNs: number; cpuNanoCores: number }
  | { ok: false; error: RateError };

/** Go `time.Duration.Seconds()` for an integer nanosecond count. */
export function durationSeconds(ns: number): number {
  const sec = Math.trunc(ns / 1e9);
  const nsec = ns - sec * 1e9;
  return sec + nsec / 1e9;
}

/**
 * The window between `prev` and `last` in ns. A synthetic "fresh container" prev sits at the
 * start time (ns precision), so that case is computed in bigint to stay exact.
 */
export function windowNanoSeconds(last: StoredPoint, prev: StoredPoint, prevAtStartTime: boolean): number {
  return windowBetween(last.timestampMs, prev.timestampMs, prev.startTimeNs, prevAtStartTime);
}

function windowBetween(lastTimestampMs: number, prevTimestampMs: number, prevStartTimeNs: number, prevAtStartTime: boolean): number {
  if (!prevAtStartTime) return (lastTimestampMs - prevTimestampMs) * 1e6;
  return Number(BigInt(lastTimestampMs) * 1_000_000n - BigInt(Math.trunc(prevStartTimeNs)));
}

/** The CPU rate and window of `last` over `prev`, with metrics-server's two error checks. */
export function rateBetween(last: StoredPoint, prev: StoredPoint, prevAtStartTime = false): RateResult {
  return rate(last, prev.timestampMs, prev.cpuUsageCoreNanoSeconds, prev.startTimeNs, prevAtStartTime);
}

/** A stored point with the older point's fields beside it (how the store keeps a series). */
export interface SeriesPoints extends StoredPoint {
  prevTimestampMs: number;
  prevCpuUsageCoreNanoSeconds: bigint;
  prevStartTimeNs: number;
}

/** rateBetween for a series that keeps its older point inline. */
export function seriesRate(s: SeriesPoints, prevAtStartTime: boolean): RateResult {
  return rate(s, s.prevTimestampMs, s.prevCpuUsageCoreNanoSeconds, s.prevStartTimeNs, prevAtStartTime);
}

function rate(last: StoredPoint, prevTimestampMs: number, prevCpu: bigint, prevStartTimeNs: number, prevAtStartTime: boolean): RateResult {
  if (last.startTimeNs < prevStartTimeNs) return { ok: false, error: 'unexpected decrease in startTime of node/container' };
  if (last.cpuUsageCoreNanoSeconds < prevCpu) {
    return { ok: false, error: 'unexpected decrease in cumulative CPU usage value' };
  }
  const windowNs = windowBetween(last.timestampMs, prevTimestampMs, prevStartTimeNs, prevAtStartTime);
  const delta = Number(last.cpuUsageCoreNanoSeconds - prevCpu);
  // Go: uint64(float64(delta) / window.Seconds()); the window is always positive here.
  const cpuNanoCores = Math.trunc(delta / durationSeconds(windowNs));
  return { ok: true, windowNs, cpuNanoCores };
}
