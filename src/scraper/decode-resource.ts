/**
 * Decoder of the kubelet's `/metrics/resource` (Prometheus text 0.0.4), built on the streaming
 * exposition parser: labels are really parsed (escapes included), unlike metrics-server's byte
 * search, and chunks are consumed as they arrive so a body is never held whole.
 */
import { ExpositionParser } from '../lib/promtext/parse.ts';
import { labelValue } from '../lib/promtext/types.ts';
import type { NodeScrape } from '../storage/types.ts';
import { completeNode, completePods, secondsToNanoseconds, type DecoderOptions, type PartialContainer, type ScrapeDecoder } from './decoder.ts';

/** A decoder for one `/metrics/resource` response. */
export function resourceDecoder(options: DecoderOptions): ScrapeDecoder {
  const containers = new Map<string, PartialContainer>();
  let nodeTs: number | undefined;
  let nodeCpu: bigint | undefined;
  let nodeMem: number | undefined;

  const containerOf = (labels: readonly string[]): PartialContainer => {
    const namespace = labelValue(labels, 'namespace') ?? '';
    const pod = labelValue(labels, 'pod') ?? '';
    const container = labelValue(labels, 'container') ?? '';
    const key = `${namespace}\u0000${pod}\u0000${container}`;
    let c = containers.get(key);
    if (c === undefined) {
      c = { namespace, pod, container, startTimeNs: 0, timestampMs: 0, cpuUsageCoreNanoSeconds: undefined, workingSetBytes: undefined };
      containers.set(key, c);
    }
    return c;
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
        containers: completePods(options.node, containers.values(), options.onIncomplete),
      };
    },
  };
}
