/**
 * V8 heap settings for `kubemeter server`, set at start-up by the command itself so that they hold
 * wherever it runs (the image, the manifests and chart, the scale benchmark's harness) without a
 * NODE_OPTIONS or a node flag in every command line.
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
 * 100 keeps 10,000 nodes under 100 KiB per node at no CPU cost we could measure; 50 has room to
 * spare in memory but its extra full collections cost CPU at every size (scale benchmark: 1,000
 * nodes 2.14 ms per node per cycle, 5,000 nodes 1.52 ms, 10,000 nodes 1.42 ms, 78.6 KiB per node).
 * --optimize-for-size went to 347 MiB at 5,000 nodes but tripled the CPU.
 */
export const serverHeapGrowingPercent = 100;

/** Apply the server's V8 heap settings (idempotent; takes effect at the next heap limit computation). */
export function tuneHeapForServer(): void {
  setFlagsFromString(`--heap-growing-percent=${serverHeapGrowingPercent}`);
}
