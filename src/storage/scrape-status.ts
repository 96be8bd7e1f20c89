/**
 * Per-node scrape bookkeeping behind scrape.kubemeter.io: one long-lived record per scraped node,
 * mutated in place as outcomes arrive, so memory is O(nodes) and a successful scrape allocates
 * nothing here. The scraped URL is kept as the URL object the tick built anyway and is turned into
 * text only when the API reads it. Kept apart from MetricsStore on purpose: that store forgets a
 * node whose scrapes keep failing, which is exactly when its status matters.
 */
import { capScrapeErrorMessage, type ScrapeFailureReason } from '../api/scrape-status.ts';

/** What the server knows about scraping one node (times are Unix ms, 0 = never). */
export class ScrapeRecord {
  /** Node name. */
  readonly node: string;
  /** When the server started tracking this node, Unix ms. */
  readonly firstSeenMs: number;
  /** The URL of the latest attempt (undefined when none could be built). */
  url: URL | undefined = undefined;
  /** Start of the latest attempt, Unix ms (0 = none yet). */
  lastAttemptMs = 0;
  /** End of the latest successful scrape, Unix ms (0 = none yet). */
  lastSuccessMs = 0;
  /** Failures since the last success. */
  consecutiveFailures = 0;
  /** Class of the latest failure ('' = none ever). */
  errorReason: ScrapeFailureReason | '' = '';
  /** Message of the latest failure, capped. */
  errorMessage = '';
  /** End of the latest failed attempt, Unix ms. */
  errorMs = 0;
  /** Pods with samples in the latest successful scrape (-1 = none yet). */
  pods = -1;
  /** Container samples in the latest successful scrape (-1 = none yet). */
  containers = -1;

  constructor(node: string, firstSeenMs: number) {
    this.node = node;
    this.firstSeenMs = firstSeenMs;
  }
}

/** The URL as the API shows it: scheme, host, port and path; never credentials or a query. */
export function endpointText(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/** Scrape records of the nodes the server currently scrapes. */
export class ScrapeStatusStore {
  private readonly records = new Map<string, ScrapeRecord>();

  /** The record of `node`, created (first seen at `nowMs`) when missing. */
  track(node: string, nowMs: number): ScrapeRecord {
    let r = this.records.get(node);
    if (r === undefined) {
      r = new ScrapeRecord(node, nowMs);
      this.records.set(node, r);
    }
    return r;
  }

  /** An attempt starts (or, with `url` undefined, could not be made). */
  attempt(node: string, url: URL | undefined, startMs: number): void {
    const r = this.track(node, startMs);
    r.url = url;
    r.lastAttemptMs = startMs;
  }

  /** The attempt succeeded at `endMs` with these counts. */
  succeeded(node: string, endMs: number, pods: number, containers: number): void {
    const r = this.track(node, endMs);
    r.lastSuccessMs = endMs;
    r.consecutiveFailures = 0;
    r.pods = pods;
    r.containers = containers;
  }

  /** The attempt failed at `endMs`. The message is capped; a secret-bearing URL is replaced by its endpoint. */
  failed(node: string, reason: ScrapeFailureReason, message: string, endMs: number): void {
    const r = this.track(node, endMs);
    r.consecutiveFailures++;
    r.errorReason = reason;
    // The scraper names the full URL in its messages; a path annotation could put a token in the
    // query, and the status is readable more widely than the server's logs.
    const full = r.url?.href;
    const text = full !== undefined && r.url!.search !== '' && message.includes(full) ? message.split(full).join(endpointText(r.url!)) : message;
    r.errorMessage = capScrapeErrorMessage(text);
    r.errorMs = endMs;
  }

  /** Forget every node not in `names` (deleted, or no longer selected). */
  retain(names: ReadonlySet<string>): void {
    for (const name of this.records.keys()) if (!names.has(name)) this.records.delete(name);
  }

  /** The record of one node, or undefined when it is not tracked. */
  get(node: string): ScrapeRecord | undefined {
    return this.records.get(node);
  }

  /** Tracked nodes. */
  get size(): number {
    return this.records.size;
  }
}
