/**
 * The scrape side of "why are metrics missing" for `top -o wide|json|yaml`: kubemeter server's
 * scrape.kubemeter.io statuses of the nodes concerned (fetched only when some node or pod has no
 * metrics, never for kubectl's default output), turned into a sentence such as
 * `last scrape failed 12s ago: timeout (request to https://… timed out after 10000 ms)`. A server
 * without the API (metrics-server) or any failure to read it leaves the Node/Pod-based reasons.
 */
import { formatGoDuration } from '../lib/go-format.ts';
import type { NodeScrapeStatus } from '../api/scrape-status.ts';
import type { MetricsClient } from '../client/metrics-client.ts';

/** Statuses by node name. */
export type ScrapeStatuses = ReadonlyMap<string, NodeScrapeStatus>;

/** Up to this many nodes are asked one by one; more are listed at once. */
const maxSingleGets = 8;
/** Longest error message quoted in a reason (the server caps them at 1024 characters). */
const maxQuotedChars = 200;

/**
 * The statuses of `nodes` (deduplicated), or undefined when the server has none to give: the
 * group is absent, RBAC denies it, or the request fails. Never throws: this is an optional extra.
 */
export async function fetchScrapeStatuses(client: MetricsClient, nodes: Iterable<string>, call: { signal?: AbortSignal | undefined; timeoutMs?: number | undefined }): Promise<ScrapeStatuses | undefined> {
  const names = [...new Set([...nodes].filter((n) => n !== ''))];
  if (names.length === 0) return undefined;
  const opts = { ...(call.signal !== undefined ? { signal: call.signal } : {}), ...(call.timeoutMs !== undefined ? { timeoutMs: call.timeoutMs } : {}) };
  try {
    const found = names.length <= maxSingleGets
      ? (await Promise.all(names.map((n) => client.getNodeScrapeStatus(n, opts)))).filter((s): s is NodeScrapeStatus => s !== undefined)
      : await client.listNodeScrapeStatuses(opts);
    if (found === undefined || found.length === 0) return undefined;
    return new Map(found.map((s) => [s.metadata.name ?? '', s]));
  } catch {
    return undefined;
  }
}

function ago(nowMs: number, t: number): string {
  return formatGoDuration(BigInt(Math.max(0, Math.round((nowMs - t) / 1000))) * 1_000_000_000n);
}

function quoted(message: string): string {
  const oneLine = message.replace(/\s+/g, ' ').trim();
  return oneLine.length <= maxQuotedChars ? oneLine : `${oneLine.slice(0, maxQuotedChars - 1)}…`;
}

/** What a node's scrape status says about its missing metrics, or undefined when it says nothing. */
export function scrapeReason(s: NodeScrapeStatus | undefined, nowMs: number): string | undefined {
  if (s === undefined) return undefined;
  const st = s.status;
  const e = st.lastError;
  if (st.consecutiveFailures > 0 && e !== undefined) {
    const when = e.time === null ? '' : ` ${ago(nowMs, e.time)} ago`;
    const times = st.consecutiveFailures > 1 ? `; ${st.consecutiveFailures} failures in a row` : '';
    const since = st.lastSuccessTime === undefined || st.lastSuccessTime === null ? '; never scraped successfully' : `; last success ${ago(nowMs, st.lastSuccessTime)} ago`;
    return `last scrape failed${when}: ${e.reason}${e.message === '' ? '' : ` (${quoted(e.message)})`}${times}${since}`;
  }
  if (st.lastAttemptTime === undefined || st.lastAttemptTime === null) return 'node not scraped yet by the metrics server';
  if (st.lastSuccessTime !== undefined && st.lastSuccessTime !== null) {
    return `last scrape succeeded ${ago(nowMs, st.lastSuccessTime)} ago without usable values yet (a CPU rate needs two samples)`;
  }
  return undefined;
}
