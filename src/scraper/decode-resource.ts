/**
 * Decoder of the kubelet's `/metrics/resource` (Prometheus text 0.0.4), built on the streaming
 * exposition parser: labels are really parsed (escapes included), unlike metrics-server's byte
 * search, and chunks are consumed as they arrive so a body is never held whole.
 */
import { ExpositionParser } from '../lib/promtext/parse.ts';
import { detachedCopy } from '../lib/promtext/detach.ts';
import { labelValue } from '../lib/promtext/types.ts';
import type { ContainerSample, NodeScrape } from '../storage/types.ts';
import { completeNode, completePods, partialContainer, secondsToNanoseconds, type DecoderOptions, type PartialPod, type ScrapeDecoder } from './decoder.ts';

/** Beyond this many containers a pod's containers are found through a map instead of a scan. */
const podScanLimit = 8;

interface PodEntry extends PartialPod {
  /** Container name → its index in the decoder's list, once the pod has many containers. */
  byName: Map<string, number> | undefined;
  /** Index in the decoder's list of each of `containers`. */
  indexes: number[];
}

/** A decoder for one `/metrics/resource` response. */
export function resourceDecoder(options: DecoderOptions): ScrapeDecoder {
  // The kubelet writes the same containers in the same order in each container family, so the
  // container after the last one found is tried first (three string comparisons); only a miss
  // looks namespace → pod → container up. Profile of 5,000 kubelets × 60 containers: the lookups
  // by map, with the hashing of freshly cut label values, were a fifth of the decoder's CPU.
  const byNamespace = new Map<string, Map<string, PodEntry>>();
  const pods: PodEntry[] = [];
  /** In order of first appearance. */
  const containers: ContainerSample[] = [];
  let cursor = 0;
  let nodeTs: number | undefined;
  let nodeCpu: bigint | undefined;
  let nodeMem: number | undefined;

  const containerOf = (labels: readonly string[]): ContainerSample => {
    const namespace = labelValue(labels, 'namespace') ?? '';
    const pod = labelValue(labels, 'pod') ?? '';
    const container = labelValue(labels, 'container') ?? '';
    const guess = containers[cursor];
    if (guess !== undefined && guess.container === container && guess.pod === pod && guess.namespace === namespace) {
      cursor++;
      return guess;
    }
    let inNamespace = byNamespace.get(namespace);
    if (inNamespace === undefined) byNamespace.set(detachedCopy(namespace), (inNamespace = new Map()));
    let entry = inNamespace.get(pod);
    if (entry === undefined) {
      entry = { namespace: detachedCopy(namespace), pod: detachedCopy(pod), containers: [], byName: undefined, indexes: [] };
      inNamespace.set(entry.pod, entry);
      pods.push(entry);
    }
    let index = -1;
    if (entry.byName !== undefined) index = entry.byName.get(container) ?? -1;
    else {
      const at = entry.containers.findIndex((c) => c.container === container);
      if (at >= 0) index = entry.indexes[at]!;
    }
    if (index < 0) {
      index = containers.length;
      // Detached names: the label values are slices of the body chunk, which they would keep
      // alive (and promote to the old generation) until the scrape ends.
      const c = partialContainer(entry.namespace, entry.pod, detachedCopy(container));
      containers.push(c);
      entry.containers.push(c);
      entry.indexes.push(index);
      if (entry.byName !== undefined) entry.byName.set(container, index);
      else if (entry.containers.length > podScanLimit) entry.byName = new Map(entry.containers.map((x, i) => [x.container, entry.indexes[i]!]));
    }
    cursor = index + 1;
    return containers[index]!;
  };

  const parser = new ExpositionParser({
    source: options.source,
    maxTotalLength: options.maxBodyChars,
    onSample: (name, labels, value, timestampMs) => {
      const ts = timestampMs ?? options.defaultTimestampMs;
      switch (name) {
        case 'node_cpu_usage_seconds_total':
          nodeCpu = secondsToNanoseconds(value);
          nodeTs = ts;
          break;
        case 'node_memory_working_set_bytes':
          nodeMem = value > 0 ? Math.trunc(value) : 0;
          nodeTs = ts;
          break;
        case 'node_swap_usage_bytes':
          nodeTs = ts;
          break;
        case 'container_cpu_usage_seconds_total': {
          const c = containerOf(labels);
          c.cpuUsageCoreNanoSeconds = secondsToNanoseconds(value);
          c.timestampMs = ts;
          break;
        }
        case 'container_memory_working_set_bytes': {
          const c = containerOf(labels);
          c.workingSetBytes = value > 0 ? Math.trunc(value) : 0;
          c.timestampMs = ts;
          break;
        }
        case 'container_swap_usage_bytes':
          containerOf(labels).timestampMs = ts;
          break;
        case 'container_start_time_seconds':
          // Go: time.Unix(0, int64(value*1e9)); the float product above 2^53 is already integral.
          containerOf(labels).startTimeNs = Number.isFinite(value) && value > 0 ? Math.trunc(value * 1e9) : 0;
          break;
        default:
          break;
      }
    },
  });

  return {
    push: (chunk) => parser.push(chunk),
    end: (): NodeScrape => {
      parser.end();
      return {
        node: options.node,
        nodeSample: completeNode(options.node, nodeTs, nodeCpu, nodeMem, options.onIncomplete),
        containers: completePods(options.node, pods, options.onIncomplete),
      };
    },
  };
}
