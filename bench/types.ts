/**
 * The contract between `npm run bench` (bench/run.ts) and the benchmark suites.
 *
 * To add a suite, create `bench/<name>.bench.ts` exporting `suite: BenchSuite`. The runner imports
 * every `bench/*.bench.ts`, runs the suites in file-name order (or only `--only <name>`), prints a
 * table and rewrites the suite's section of docs/benchmarks.md.
 *
 * - `run(ctx)` measures and returns its figures. Each figure should be the median of several runs
 *   (use `medianOf` from bench/measure.ts); with `ctx.quick` a suite must run a reduced version
 *   (fewer runs, smaller inputs, well under a second or two) — `--quick` is used by tests and CI to
 *   prove the suites still work, not to produce numbers.
 * - `ctx.log` prints progress lines (the runner prefixes them with the suite name).
 * - A figure compared with something measured in the same run carries `ratio`; a goal it must meet
 *   carries `target` (free text such as "≥ 0.5× JSON.parse") and `met`.
 * - Suites must not start background processes that outlive `run`, and must not write files other
 *   than temporary ones they remove.
 */

/** What the runner passes to a suite. */
export interface BenchContext {
  /** Reduced run: small inputs and few repetitions; figures are not meaningful. */
  quick: boolean;
  /** Progress output. */
  log: (line: string) => void;
}

/** One measured figure. */
export interface BenchResult {
  /** What was measured, e.g. "parse /metrics/resource (110 pods)". */
  name: string;
  /** The figure, already the median of several runs. */
  value: number;
  /** Unit of `value`, e.g. "MB/s", "µs", "ops/s", "MiB". */
  unit: string;
  /** `value` relative to a baseline measured in the same run, e.g. { value: 0.62, against: "JSON.parse" }. */
  ratio?: { value: number; against: string };
  /** The goal for this figure, as text, e.g. "≥ 0.5× JSON.parse". */
  target?: string;
  /** Whether `target` was met (when a target is given). */
  met?: boolean;
  /** Anything a reader needs to interpret the figure (input size, method). */
  note?: string;
}

/** A benchmark suite: one `bench/<name>.bench.ts` file exports `suite` of this type. */
export interface BenchSuite {
  /** Short id used by `--only` (by convention the file name without `.bench.ts`). */
  name: string;
  /** Section title in docs/benchmarks.md. */
  title: string;
  /** Optional paragraph under the title: what is measured and why it matters. */
  description?: string;
  /** Measures and returns the figures. */
  run(ctx: BenchContext): Promise<BenchResult[]>;
}
