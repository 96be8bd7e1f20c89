/**
 * V8 heap settings for `kubemeter server`, set at start-up by the command itself so that they hold
 * wherever it runs (the image, the manifests and chart, the scale benchmark's harness) without a
 * NODE_OPTIONS or a node flag in every command line.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

/**
 * Old-generation growth factor, percent: the next full collection comes when the old generation
 * has grown by as much as the last one left alive. V8 otherwise lets it reach up to four times
 * the live heap when collections look cheap next to the mutator's time, and a scrape cycle
 * (hundreds of TLS connections and kubelet pages in flight, outliving young collections) is
 * exactly that: most of the resident memory was old-generation garbage awaiting collection.
 * Measured with the scale benchmark's setup (30 pods per node, 15 s), RSS after four cycles and
 * server CPU per node per cycle:
 * - V8's own factor: 5,000 nodes 716 MiB, 1.13-1.16 ms.
 * - 100: 5,000 nodes 615 MiB, 1.06-1.17 ms; 10,000 nodes 890-902 MiB, 1.13-1.42 ms.
 * - 50: 5,000 nodes 546-553 MiB, 1.29-1.38 ms; 10,000 nodes 755-783 MiB, 1.23-1.28 ms, all stored.
 * 100 keeps 10,000 nodes at no CPU cost we could measure; 50's extra full collections cost CPU at
 * every size (scale benchmark: 1,000 nodes 2.14 ms per node per cycle, 10,000 nodes 1.42 ms). With
 * kubelet connections kept open, at 10,000 nodes: 100 gave 472 µs and 158 KiB per node, 50 gave
 * 824 µs and 166 KiB (the kept connections, not garbage, are most of the memory then); 50 only
 * paid off with 2,000 kept connections (96.5 KiB per node, the CPU being there anyway).
 * Since the store keeps its points in typed arrays (retained heap 33 → 12.4 KiB per node), a full
 * collection has a third as much to mark, and 50 pays again: compiled server, 10,000 nodes, kept
 * connections, cycles 2–5: 100 gave 384–486 µs and 1,351–1,408 MiB (heap 317–325 MiB), 50 gave
 * 468–571 µs and 1,346–1,351 MiB (heap 275–301 MiB): about 4 KiB per node for 0.006 mCPU, with the
 * CPU target 0.1 mCPU far off and the memory one the one missed (scale benchmark with 50:
 * 10,000 nodes 483 µs and 138 KiB per node, 5,000 nodes 654 µs and 162 KiB).
 * --optimize-for-size went to 347 MiB at 5,000 nodes but tripled the CPU.
 */
export const serverHeapGrowingPercent = 50;

/**
 * Largest young generation (both semi-spaces), bytes. V8 doubles the young generation under
 * allocation pressure up to 2 × 64 MiB on a machine with this much memory, and a scrape cycle is
 * such pressure: 128 MiB of RSS that a scavenge touches over and over, never given back, a third
 * of the server's resident memory at 1,000 nodes. Its cap (--max-semi-space-size) is read only when
 * V8 starts, so the growth is stopped from inside instead (see tuneHeapForServer). Scale
 * benchmark, 1,000 nodes: 32 MiB cost no CPU we could tell from the noise of one cycle (16 MiB
 * semi-spaces: 749 µs per node, 8 MiB: 1,068 µs, V8's default: 1,414 µs) and saved about 90 MiB.
 * With the typed-array store and 50 % old-generation growth, compiled server, 10,000 nodes, kept
 * connections, cycles 2–5: 16 MiB gave 1,245–1,254 MiB (128 KiB per node) against 1,346–1,351 MiB,
 * at 610–793 µs per node per cycle against 468–571 µs. Not taken: at 1,000 nodes, where the CPU
 * per node is highest, a third more would put the 0.1 mCPU target at risk.
 */
export const serverMaxYoungGenerationBytes = 32 << 20;

let youngGenerationWatch: PerformanceObserver | undefined;

/**
 * Let the young generation grow (V8's factor 2) while it is below `maxBytes`, and stop its growth
 * (factor 1) once it has reached it. V8 reads the growth factor each time it considers growing,
 * so the flag flips take effect at the next scavenge; the check runs after every collection
 * (a performance entry each), and a young generation V8 shrank while idle may grow again.
 */
function capYoungGeneration(maxBytes: number): void {
  if (youngGenerationWatch !== undefined) return;
  let frozen = false;
  const check = (): void => {
    const young = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
    const freeze = young >= maxBytes;
    if (freeze === frozen) return;
    frozen = freeze;
    setFlagsFromString(`--semi-space-growth-factor=${freeze ? 1 : 2}`);
  };
  youngGenerationWatch = new PerformanceObserver(check);
  youngGenerationWatch.observe({ entryTypes: ['gc'] });
  check();
}

/** Apply the server's V8 heap settings (idempotent; take effect at the next collections). */
export function tuneHeapForServer(): void {
  setFlagsFromString(`--heap-growing-percent=${serverHeapGrowingPercent}`);
  capYoungGeneration(serverMaxYoungGenerationBytes);
}
