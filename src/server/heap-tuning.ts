/**
 * V8 heap settings for `kubemeter server`, set by the command itself so that they hold wherever it
 * runs (the image, the manifests and chart) without a NODE_OPTIONS or a node flag in every command
 * line: the old generation's growth at run time, the young generation's size by re-execution.
 */
import { setFlagsFromString } from 'node:v8';

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
 * With the 16 MiB semi-space cap as well (serverNodeFlags), 10,000 nodes: 50 gave 110 KiB per node
 * at 827 µs per node per cycle, 25 gave 104 KiB at 1,096 µs (0.073 mCPU): not under 100 KiB, and a
 * third more CPU at the size where the CPU per node is lowest.
 * --optimize-for-size went to 347 MiB at 5,000 nodes but tripled the CPU.
 */
export const serverHeapGrowingPercent = 50;

/**
 * Node options the server wants from its first instruction (src/cmd/node-flags.ts re-executes
 * `kubemeter server` with them): the largest semi-space, MiB, so the young generation is at most
 * twice that. V8 otherwise doubles it under allocation pressure up to 2 × 64 MiB on a machine with
 * this much memory, and a scrape cycle is such pressure: RSS that scavenges touch over and over,
 * never given back. The size is read only when V8 starts: flipping --semi-space-growth-factor
 * from a GC observer, tried before, still let it grow in steps past its cap (to 50–64 MiB per
 * semi-space in the scale benchmark), as does any run-time flag. Scale benchmark (compiled server,
 * kept connections, median of 5 cycles), GC-observer cap → 16 MiB semi-spaces: 1,000 nodes 238 →
 * 220 KiB per node at 891 → 902 µs per node per cycle; 5,000 nodes 140 → 124 KiB at 714 → 912 µs;
 * 10,000 nodes 111 → 110 KiB at 487 → 827 µs (0.032 → 0.055 mCPU). Memory is the target the
 * server misses and CPU has room (≤ 0.1 mCPU), so the smaller young generation is taken.
 */
export const serverNodeFlags: readonly string[] = ['--max-semi-space-size=16'];

/** Apply the server's run-time V8 heap settings (idempotent; take effect at the next collections). */
export function tuneHeapForServer(): void {
  setFlagsFromString(`--heap-growing-percent=${serverHeapGrowingPercent}`);
}
