/**
 * Reading cgroups with CPU-rate history: each read is stamped with the wall clock at the moment
 * of the read, and `usageNanoCores` is computed against the previous read of the same cgroup
 * like cAdvisor does (truncated; no rate on the first read, on a counter reset or when time did
 * not advance). Failed reads are classified and counted, never thrown.
 */
import type { CgroupReader, ReadStatsOptions } from '../cgroup/reader.ts';
import type { Clock } from '../lib/clock.ts';
import type { ErrorKind } from './error-kinds.ts';
import { classifyReadError } from './error-kinds.ts';
import type { CgroupReading } from './model.ts';

interface Previous {
  timeMs: number;
  cpuNs: bigint;
}

/** CPU rate in core-nanoseconds per second between two reads, or 0 when undefined. */
export function usageNanoCores(prev: Previous | undefined, timeMs: number, cpuNs: bigint): number {
  if (prev === undefined || timeMs <= prev.timeMs || cpuNs < prev.cpuNs) return 0;
  // ns of CPU per ns of wall time × 1e9; the delta fits a double exactly for any real interval.
  return Math.trunc((Number(cpuNs - prev.cpuNs) / ((timeMs - prev.timeMs) * 1e6)) * 1e9);
}

/** Keeps the previous read of every cgroup and counts failures. */
export class ReadingTracker {
  private previous = new Map<string, Previous>();
  private seen = new Map<string, Previous>();
  private readonly reader: CgroupReader;
  private readonly clock: Clock;
  private readonly onError: (kind: ErrorKind, path: string, e: unknown) => void;
  /** What else each read takes (pressure files, swap usage); set by the collector per pass. */
  options: ReadStatsOptions | undefined;

  constructor(options: { reader: CgroupReader; clock: Clock; onError: (kind: ErrorKind, path: string, e: unknown) => void }) {
    this.reader = options.reader;
    this.clock = options.clock;
    this.onError = options.onError;
  }

  /** Read one cgroup now; undefined (and counted) when it failed. */
  read(path: string): CgroupReading | undefined {
    const timeMs = this.clock.nowMs();
    try {
      const s = this.reader.readStats(path, this.options);
      const cur = { timeMs, cpuNs: s.cpuUsageCoreNanoSeconds };
      const rate = usageNanoCores(this.previous.get(path), timeMs, cur.cpuNs);
      this.seen.set(path, cur);
      const reading: CgroupReading = { path, timeMs, cpuUsageCoreNanoSeconds: s.cpuUsageCoreNanoSeconds, usageNanoCores: rate, memory: s.memory, swap: s.swap };
      if (s.pressure !== undefined) reading.pressure = s.pressure;
      // A broken pressure file loses only its own value: the rest of the reading is served.
      for (const e of s.pressureErrors ?? []) this.onError(classifyReadError(e, () => true), path, e);
      return reading;
    } catch (e) {
      this.onError(classifyReadError(e, () => this.reader.exists(path)), path, e);
      return undefined;
    }
  }

  /** End a pass: forget cgroups not read in it; returns how many were read. */
  endPass(): number {
    const n = this.seen.size;
    this.previous = this.seen;
    this.seen = new Map();
    return n;
  }
}
