/**
 * Reading cgroups with CPU-rate history: each read is stamped with the wall clock at the moment
 * of the read, and `usageNanoCores` is computed against the previous read of the same cgroup
 * like cAdvisor does (truncated; no rate on the first read, on a counter reset or when time did
 * not advance). Failed reads are classified and counted, never thrown.
 */
import type { CgroupReader, ReadStatsOptions } from '../cgroup/reader.ts';
import type { Clock } from '../lib/clock.ts';
import { dropUnstamped } from '../lib/pass-stamps.ts';
import type { ErrorKind } from './error-kinds.ts';
import { classifyReadError } from './error-kinds.ts';
import type { CgroupReading } from './model.ts';

/** The reads of one cgroup: the last one, and the one of the pass before (the rate's base). */
interface History {
  /** The pass of the last read. */
  pass: number;
  timeMs: number;
  cpuNs: bigint;
  /** Whether the previous pass read it (else there is no rate). */
  hasPrevious: boolean;
  previousTimeMs: number;
  previousCpuNs: bigint;
}

/** CPU rate in core-nanoseconds per second between two reads, or 0 when undefined. */
export function usageNanoCores(prev: { timeMs: number; cpuNs: bigint } | undefined, timeMs: number, cpuNs: bigint): number {
  if (prev === undefined) return 0;
  return rate(prev.timeMs, prev.cpuNs, timeMs, cpuNs);
}

function rate(prevTimeMs: number, prevCpuNs: bigint, timeMs: number, cpuNs: bigint): number {
  if (timeMs <= prevTimeMs || cpuNs < prevCpuNs) return 0;
  // ns of CPU per ns of wall time × 1e9; the delta fits a double exactly for any real interval.
  return Math.trunc((Number(cpuNs - prevCpuNs) / ((timeMs - prevTimeMs) * 1e6)) * 1e9);
}

/** Keeps the previous read of every cgroup and counts failures. */
export class ReadingTracker {
  /**
   * One record per cgroup, updated in place from pass to pass: a new record and a new map per
   * pass were ~450 objects of garbage each pass for the heap compactor to collect.
   */
  private readonly history = new Map<string, History>();
  private pass = 0;
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
      const cpuNs = s.cpuUsageCoreNanoSeconds;
      let h = this.history.get(path);
      if (h === undefined) {
        h = { pass: this.pass, timeMs, cpuNs, hasPrevious: false, previousTimeMs: 0, previousCpuNs: 0n };
        this.history.set(path, h);
      } else if (h.pass !== this.pass) {
        // First read in this pass: the last read becomes the base if it was in the pass before.
        h.hasPrevious = h.pass === this.pass - 1;
        h.previousTimeMs = h.timeMs;
        h.previousCpuNs = h.cpuNs;
        h.pass = this.pass;
      }
      // A cgroup read twice in a pass keeps the same base; the last read is remembered.
      h.timeMs = timeMs;
      h.cpuNs = cpuNs;
      const usage = h.hasPrevious ? rate(h.previousTimeMs, h.previousCpuNs, timeMs, cpuNs) : 0;
      const reading: CgroupReading = { path, timeMs, cpuUsageCoreNanoSeconds: cpuNs, usageNanoCores: usage, memory: s.memory, swap: s.swap };
      if (s.pressure !== undefined) reading.pressure = s.pressure;
      // A broken pressure file loses only its own value: the rest of the reading is served.
      if (s.pressureErrors !== undefined) for (const e of s.pressureErrors) this.onError(classifyReadError(e, () => true), path, e);
      return reading;
    } catch (e) {
      this.onError(classifyReadError(e, () => this.reader.exists(path)), path, e);
      return undefined;
    }
  }

  /** End a pass: forget cgroups not read in it; returns how many were read. */
  endPass(): number {
    const n = dropUnstamped(this.history, this.pass);
    this.pass++;
    return n;
  }
}
