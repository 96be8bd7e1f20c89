/**
 * Keeps the agent's V8 heap near its live size between housekeeping passes. A pass leaves its
 * snapshot and rendered responses behind as old-generation garbage; V8 collects it only when the
 * old generation reaches its next limit and seldom gives the pages back, and no V8 option can
 * shrink the young generation once the process runs. So after a pass, when the committed heap has
 * grown by more than `slackBytes` since the last compaction, the compactor asks V8 for the
 * collection it makes under memory pressure (every page compacted, the young generation shrunk).
 *
 * Measured with the compiled agent on the 110-pod fixture, passes every 100 ms with scrapes
 * between them, RSS after 100 passes: 65-70 MiB without it, 58-59 MiB with a 1 MiB slack. One
 * compaction costs 20-28 ms of CPU (~12 ms wall) on a ~7 MiB live heap; at that rate the heap
 * grows past the slack after nearly every pass. Cheaper triggers were measured and do worse per
 * MiB: a regular full GC gives few pages back (65-66 MiB), and a last-resort collection only when
 * RSS grew 3-4 MiB saves a quarter to a half of the CPU for 1-3 MiB more RSS, while a smaller RSS
 * slack compacts after every pass anyway (see docs/agent.md, "Memory and CPU"). With V8's
 * optimizing compilers off from the start (src/cmd/agent-node-flags.ts) it still matters: 55-57
 * MiB after 100 passes with it, 69 MiB without, for 24-27 ms of CPU per compaction.
 */

/** Options of the HeapCompactor. */
export interface HeapCompactorOptions {
  /** Committed V8 heap now, bytes (v8.getHeapStatistics().total_heap_size). */
  heapBytes: () => number;
  /** A full, compacting collection (e.g. V8's last-resort GC). */
  compact: () => void;
  /** Growth over the heap after the last compaction that triggers the next one, bytes. */
  slackBytes: number;
  /** CPU used so far by this process, microseconds (default process.cpuUsage). */
  cpuMicros?: () => number;
}

/** Counters for self-metrics. */
export interface HeapCompactorStats {
  compactions: number;
  /** CPU (user+system) of all compactions, seconds. */
  cpuSecondsTotal: number;
}

/** Decides after each pass whether the heap has grown enough to compact it. */
export class HeapCompactor {
  private readonly o: HeapCompactorOptions;
  private readonly cpuMicros: () => number;
  private compactedBytes = 0;
  private readonly counters: HeapCompactorStats = { compactions: 0, cpuSecondsTotal: 0 };

  constructor(options: HeapCompactorOptions) {
    this.o = options;
    this.cpuMicros = options.cpuMicros ?? ((): number => {
      const c = process.cpuUsage();
      return c.user + c.system;
    });
  }

  /** Call after a pass; compacts when the heap grew past the slack. Returns whether it did. */
  afterPass(): boolean {
    if (this.o.heapBytes() <= this.compactedBytes + this.o.slackBytes) return false;
    const cpu0 = this.cpuMicros();
    this.o.compact();
    this.counters.cpuSecondsTotal += (this.cpuMicros() - cpu0) / 1e6;
    this.counters.compactions++;
    this.compactedBytes = this.o.heapBytes();
    return true;
  }

  /** Counters for self-metrics. */
  stats(): Readonly<HeapCompactorStats> {
    return this.counters;
  }
}
