/**
 * Decoder of the kubelet Summary API (`/stats/summary?only_cpu_and_memory=true`), as metrics-server
 * ≤ 0.5 read it: cumulative CPU and working set per node and container, the later of the CPU and
 * memory sample times, the container start time. The JSON is buffered up to the size cap, then
 * decoded exactly (counters above 2^53 stay exact).
 */
import { decodeSummary } from '../api/stats-decode.ts';
import type { CPUStats, MemoryStats } from '../api/stats.ts';
import { ErrorCode, KubemeterError } from '../lib/errors.ts';
import type { NodeScrape } from '../storage/types.ts';
import { completeNode, completePods, type DecoderOptions, type PartialContainer, type ScrapeDecoder } from './decoder.ts';

function sampleTime(cpu: CPUStats | undefined, memory: MemoryStats | undefined): number | undefined {
  const c = cpu?.time ?? null;
  const m = memory?.time ?? null;
  if (c === null && m === null) return undefined;
  return Math.max(c ?? -Infinity, m ?? -Infinity);
}

/** A decoder for one `/stats/summary` response. */
export function summaryDecoder(options: DecoderOptions): ScrapeDecoder {
  const chunks: string[] = [];
  let length = 0;
  return {
    push: (chunk) => {
      length += chunk.length;
      if (length > options.maxBodyChars) {
        throw new KubemeterError(ErrorCode.TooLarge, `summary from ${options.source} exceeds ${options.maxBodyChars} characters`, { source: options.source });
      }
      chunks.push(chunk);
    },
    end: (): NodeScrape => {
      const summary = decodeSummary(chunks.join(''), options.source);
      const n = summary.node;
      const partial: PartialContainer[] = [];
      for (const pod of summary.pods) {
        for (const c of pod.containers) {
          partial.push({
            namespace: pod.podRef.namespace,
            pod: pod.podRef.name,
            container: c.name,
            startTimeNs: c.startTime === null ? 0 : c.startTime * 1e6,
            timestampMs: sampleTime(c.cpu, c.memory) ?? options.defaultTimestampMs,
            cpuUsageCoreNanoSeconds: c.cpu?.usageCoreNanoSeconds,
            workingSetBytes: c.memory?.workingSetBytes,
          });
        }
      }
      return {
        node: options.node,
        nodeSample: completeNode(options.node, sampleTime(n.cpu, n.memory), n.cpu?.usageCoreNanoSeconds, n.memory?.workingSetBytes, options.onIncomplete),
        containers: completePods(options.node, partial, options.onIncomplete),
      };
    },
  };
}
