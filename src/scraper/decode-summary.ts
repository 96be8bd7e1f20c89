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
import { completeNode, completePods, missingBytes, missingCpu, type DecoderOptions, type PartialPod, type ScrapeDecoder } from './decoder.ts';

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
      // A pod listed twice is one pod (its containers gathered), as the store would see it.
      const pods = new Map<string, PartialPod>();
      for (const pod of summary.pods) {
        const key = `${pod.podRef.namespace}\u0000${pod.podRef.name}`;
        let partial = pods.get(key);
        if (partial === undefined) pods.set(key, (partial = { namespace: pod.podRef.namespace, pod: pod.podRef.name, containers: [] }));
        for (const c of pod.containers) {
          partial.containers.push({
            namespace: pod.podRef.namespace,
            pod: pod.podRef.name,
            container: c.name,
            startTimeNs: c.startTime === null ? 0 : c.startTime * 1e6,
            timestampMs: sampleTime(c.cpu, c.memory) ?? options.defaultTimestampMs,
            cpuUsageCoreNanoSeconds: c.cpu?.usageCoreNanoSeconds ?? missingCpu,
            workingSetBytes: c.memory?.workingSetBytes ?? missingBytes,
          });
        }
      }
      return {
        node: options.node,
        nodeSample: completeNode(options.node, sampleTime(n.cpu, n.memory), n.cpu?.usageCoreNanoSeconds, n.memory?.workingSetBytes, options.onIncomplete),
        containers: completePods(options.node, pods.values(), options.onIncomplete),
      };
    },
  };
}
