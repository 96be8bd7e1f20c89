/**
 * Fan-out over all nodes with bounded concurrency: the starts are spread over
 * min(8 ms × nodes, 4 s) (metrics-server's congestion guard, here deterministic instead of random
 * jitter), each node gets its own deadline, and a failing node is reported and skipped — the tick
 * never fails as a whole. Results are handed over one node at a time as they complete, so the
 * store never holds a whole cluster's batch at once. How many requests are in flight follows the
 * event loop's delay (pacer.ts), so that a scrape the server is short of CPU for leaves its API
 * short turns.
 */
import { errorMessage } from '../lib/errors.ts';
import type { NodeScrape } from '../storage/types.ts';
import type { ScrapeDecoder, DecoderOptions } from './decoder.ts';
import { resourceDecoder } from './decode-resource.ts';
import { summaryDecoder } from './decode-summary.ts';
import { failureKind, type KubeletClient, type ScrapeFailure } from './kubelet-client.ts';
import { defaultPace, startPacer, type PaceOptions, type Pacer } from './pacer.ts';

/** One node to scrape. */
export interface ScrapeTarget {
  node: string;
  url: URL;
}

/** The outcome of one node's scrape. */
export type ScrapeOutcome =
  | { node: string; url: URL; ok: true; scrape: NodeScrape; durationMs: number; startMs: number }
  | { node: string; url: URL; ok: false; failure: ScrapeFailure; error: string; durationMs: number; startMs: number };

/** Options of one fan-out. */
export interface ScrapeAllOptions {
  client: KubeletClient;
  targets: readonly ScrapeTarget[];
  /** Which body format the targets serve. */
  endpoint: 'resource' | 'summary';
  /** --kubelet-request-timeout in ms. */
  requestTimeoutMs: number;
  /** Most requests in flight at once. */
  concurrency: number;
  /**
   * Pacing of the requests in flight by the event loop's delay (default defaultPace); false: always
   * `concurrency` in flight.
   */
  pace?: ScrapePace | false;
  /** Cancels the whole fan-out (the tick deadline). */
  signal?: AbortSignal;
  /** Largest accepted body, characters. */
  maxBodyChars?: number;
  /** Wall clock, Unix ms. */
  nowMs: () => number;
  /** Sleep that resolves early (without throwing) when the signal aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Called as soon as each node is done. */
  onOutcome: (outcome: ScrapeOutcome) => void;
  /** Dropped incomplete points, for the log. */
  onIncomplete?: DecoderOptions['onIncomplete'];
}

/** How a fan-out is paced (see pacer.ts). */
export interface ScrapePace extends Omit<PaceOptions, 'maxInFlight'> {
  /**
   * Pacing ends this long after the fan-out starts, ms, and the nodes still to scrape go at the
   * full concurrency: a server kept busy by its API (long turns all the time) still scrapes every
   * node before the tick's deadline. Unset: paced to the end.
   */
  forMs?: number;
  /** Whether to pace now (PacerOptions.active); default: always. */
  active?: () => boolean;
}

/** metrics-server's start spread: min(8 ms × nodes, 4 s). */
export function startSpreadMs(nodes: number): number {
  return Math.min(8 * nodes, 4000);
}

/**
 * Sleeps for one fan-out that all end early when `signal` aborts, through one abort listener
 * rather than one per sleep: EventTarget looks through every listener of a signal on each add, and
 * with a worker per concurrent request asleep until its start, one listener per sleep cost about
 * 47 µs per scrape (V8 profile, 1,000 nodes, connections kept).
 */
function sharedSleeper(signal: AbortSignal | undefined): { sleep: (ms: number) => Promise<void>; dispose: () => void } {
  const wakers = new Set<() => void>();
  const wakeAll = (): void => {
    for (const w of [...wakers]) w();
  };
  signal?.addEventListener('abort', wakeAll, { once: true });
  return {
    sleep: (ms) => {
      if (ms <= 0 || signal?.aborted === true) return Promise.resolve();
      return new Promise((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          wakers.delete(done);
          resolve();
        };
        const timer = setTimeout(done, ms);
        wakers.add(done);
      });
    },
    dispose: () => {
      signal?.removeEventListener('abort', wakeAll);
      wakeAll();
    },
  };
}

/** Scrape every target; resolves with counts once all are done (never rejects). */
export async function scrapeAll(options: ScrapeAllOptions): Promise<{ ok: number; failed: number }> {
  const { targets } = options;
  const shared = options.sleep === undefined ? sharedSleeper(options.signal) : undefined;
  const sleep = options.sleep ?? ((ms: number) => shared!.sleep(ms));
  const spread = targets.length > 1 ? startSpreadMs(targets.length) / targets.length : 0;
  const concurrency = Math.min(Math.max(1, options.concurrency), targets.length);
  const pace: ScrapePace | false = options.pace ?? defaultPace;
  const pacer: Pacer | undefined = pace === false || concurrency <= 1 ? undefined
    : startPacer({
      minInFlight: pace.minInFlight, targetDelayMs: pace.targetDelayMs, maxInFlight: concurrency,
      ...(pace.active === undefined ? {} : { active: pace.active }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  const paceEnd = pacer !== undefined && pace !== false && pace.forMs !== undefined ? setTimeout(() => pacer.dispose(), pace.forMs) : undefined;
  paceEnd?.unref();
  const t0 = options.nowMs();
  let next = 0;
  let ok = 0;
  let failed = 0;

  const scrapeOne = async (index: number): Promise<void> => {
    const target = targets[index]!;
    await sleep(t0 + index * spread - options.nowMs(), options.signal);
    const release = pacer === undefined ? undefined : await pacer.acquire();
    const startMs = options.nowMs();
    const decoderOptions: DecoderOptions = {
      node: target.node,
      defaultTimestampMs: startMs,
      source: target.url.toString(),
      maxBodyChars: options.maxBodyChars ?? 32 << 20,
      ...(options.onIncomplete === undefined ? {} : { onIncomplete: options.onIncomplete }),
    };
    const decoder: ScrapeDecoder = options.endpoint === 'summary' ? summaryDecoder(decoderOptions) : resourceDecoder(decoderOptions);
    try {
      if (options.signal?.aborted) throw new Error('cancelled before start');
      const scrape = await options.client.get(target.url, { decoder, timeoutMs: options.requestTimeoutMs, ...(options.signal === undefined ? {} : { signal: options.signal }) });
      ok++;
      options.onOutcome({ node: target.node, url: target.url, ok: true, scrape, durationMs: options.nowMs() - startMs, startMs });
    } catch (e) {
      failed++;
      const failure = options.signal?.aborted && failureKind(e) !== 'timeout' ? 'cancelled' : failureKind(e);
      options.onOutcome({ node: target.node, url: target.url, ok: false, failure, error: errorMessage(e), durationMs: options.nowMs() - startMs, startMs });
    } finally {
      release?.();
    }
  };

  const worker = async (): Promise<void> => {
    while (next < targets.length) await scrapeOne(next++);
  };
  const workers: Promise<void>[] = [];
  for (let i = 0; i < concurrency; i++) workers.push(worker());
  try {
    await Promise.all(workers);
  } finally {
    clearTimeout(paceEnd);
    pacer?.dispose();
    shared?.dispose();
  }
  return { ok, failed };
}
