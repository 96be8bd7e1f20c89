/**
 * What both kubelet decoders share: the incremental interface, the exact seconds→nanoseconds
 * conversion and the validity rules that decide which points reach the store.
 */
import type { ContainerSample, NodeScrape, UsageSample } from '../storage/types.ts';

/** An incremental decoder of one kubelet response: feed text chunks, then take the scrape. */
export interface ScrapeDecoder {
  /** Feed the next piece of the body (any split points). */
  push(chunk: string): void;
  /** The decoded scrape; throws KubemeterError when the body is malformed. */
  end(): NodeScrape;
}

/** Options common to both decoders. */
export interface DecoderOptions {
  /** The Node name the response belongs to. */
  node: string;
  /** Sample time for series without an explicit timestamp: the request start, Unix ms. */
  defaultTimestampMs: number;
  /** Where the body came from (the URL), for error messages. */
  source: string;
  /** Largest accepted body in UTF-16 code units. */
  maxBodyChars: number;
  /** Told about pods dropped for incomplete values (logged by the caller). */
  onIncomplete?: (what: IncompleteReport) => void;
}

/** A dropped node point or pod, and why. */
export interface IncompleteReport {
  node: string;
  namespace?: string;
  pod?: string;
  container?: string;
  reason: string;
}

/**
 * Cumulative CPU seconds (a float the kubelet printed as float64(ns)/1e9) back to integer ns.
 * Below 2^53 ns, rounding v×1e9 recovers the kubelet's integer exactly, where metrics-server's
 * truncation loses a nanosecond whenever the product lands just below it; above, the shortest
 * decimal of v is converted exactly in bigint.
 */
export function secondsToNanoseconds(seconds: number): bigint {
  if (!(seconds > 0) || !Number.isFinite(seconds)) return 0n;
  const ns = seconds * 1e9;
  if (ns < 2 ** 53) return BigInt(Math.round(ns));
  const [mant = '0', expText = '0'] = seconds.toExponential().split('e');
  const [intPart = '0', frac = ''] = mant.split('.');
  const exp = Number(expText) + 9 - frac.length;
  const digits = BigInt(intPart + frac);
  return exp >= 0 ? digits * 10n ** BigInt(exp) : digits / 10n ** BigInt(-exp);
}

/** Marks a counter no series or field has given (a real one is ≥ 0). */
export const missingCpu = -1n;
/** Marks a working set no series or field has given (a real one is ≥ 0). */
export const missingBytes = -1;

/**
 * A container being assembled from several series or fields: the very object handed to the store
 * once complete (no copy per container), with missingCpu/missingBytes until the values arrive.
 */
export function partialContainer(namespace: string, pod: string, container: string): ContainerSample {
  return { namespace, pod, container, startTimeNs: 0, timestampMs: 0, cpuUsageCoreNanoSeconds: missingCpu, workingSetBytes: missingBytes };
}

/** A pod being assembled: its containers in order of first appearance. */
export interface PartialPod {
  namespace: string;
  pod: string;
  containers: ContainerSample[];
}

/**
 * Keep the servable pods, each pod's containers consecutive in the result: a pod is dropped whole
 * when one of its containers has no CPU counter or a zero one, or no working set at all
 * (metrics-server also drops it for a zero working set; an idle container may legitimately report
 * 0, so we keep those).
 */
export function completePods(node: string, pods: Iterable<PartialPod>, report: ((r: IncompleteReport) => void) | undefined): ContainerSample[] {
  const out: ContainerSample[] = [];
  for (const pod of pods) {
    const bad = pod.containers.find((c) => c.cpuUsageCoreNanoSeconds <= 0n || c.workingSetBytes < 0);
    if (bad !== undefined) {
      report?.({ node, namespace: bad.namespace, pod: bad.pod, container: bad.container, reason: 'incomplete container metrics (zero or missing CPU, or missing working set)' });
      continue;
    }
    for (const c of pod.containers) out.push(c);
  }
  return out;
}

/** The node point if complete (metrics-server: a timestamp, non-zero CPU and working set). */
export function completeNode(
  node: string,
  timestampMs: number | undefined,
  cpu: bigint | undefined,
  workingSetBytes: number | undefined,
  report: ((r: IncompleteReport) => void) | undefined,
): UsageSample | undefined {
  if (timestampMs === undefined || cpu === undefined || cpu === 0n || workingSetBytes === undefined || workingSetBytes === 0) {
    report?.({ node, reason: 'incomplete node metrics (missing or zero CPU or working set)' });
    return undefined;
  }
  return { timestampMs, cpuUsageCoreNanoSeconds: cpu, workingSetBytes };
}
