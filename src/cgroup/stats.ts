/**
 * What one read of one cgroup yields, independent of the cgroup version: the values the Summary
 * API and /metrics/resource need, in the kernel's units (bytes, nanoseconds, event counts).
 */
import type { KubemeterError } from '../lib/errors.ts';
import type { CgroupPressure } from './psi.ts';

/** Memory of a cgroup. All values in bytes except the fault counters. */
export interface MemorySample {
  /** v1 `memory.usage_in_bytes`, v2 `memory.current` (root: emulated `anon + file`). */
  usageBytes: bigint;
  /** usage − inactive_file, floored at 0 (usage when inactive_file is unknown). */
  workingSetBytes: bigint;
  /** Anonymous and swap-cache memory: v1 `total_rss`, v2 `anon`. */
  rssBytes: bigint;
  /** Cumulative minor+major faults (`pgfault`; local key on v1, as cAdvisor reads it). */
  pageFaults: bigint;
  /** Cumulative major faults (`pgmajfault`). */
  majorPageFaults: bigint;
  /** The memory limit; 2^64−1 when there is none (see isUnlimited). */
  limitBytes: bigint;
}

/** Swap of a cgroup. */
export interface SwapSample {
  /** v2 `memory.swap.current`, v1 `total_swap` from memory.stat; 0 without swap accounting. */
  usageBytes: bigint;
  /** v2 `memory.swap.max`, v1 `memory.memsw.limit_in_bytes` (memory + swap, used as is like the kubelet); undefined when not exposed. */
  limitBytes: bigint | undefined;
}

/** One read of one cgroup. */
export interface CgroupStats {
  /** Pressure files (v2, when asked for); absent members were absent or broken. */
  pressure?: CgroupPressure;
  /** Why pressure members that were asked for are missing although their file exists. */
  pressureErrors?: KubemeterError[];
  /** Cumulative CPU time of the cgroup and its descendants, nanoseconds. */
  cpuUsageCoreNanoSeconds: bigint;
  /** Undefined when the cgroup has no memory accounting. */
  memory: MemorySample | undefined;
  /** Undefined when the cgroup has no memory accounting. */
  swap: SwapSample | undefined;
}

/** Working set as cAdvisor computes it: usage − inactive_file, clamped at 0. */
export function workingSetBytes(usageBytes: bigint, inactiveFileBytes: bigint | undefined): bigint {
  if (inactiveFileBytes === undefined) return usageBytes;
  return inactiveFileBytes > usageBytes ? 0n : usageBytes - inactiveFileBytes;
}
