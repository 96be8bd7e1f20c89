/**
 * The agent's own `/metrics`: housekeeping cost, collection errors by kind, cgroups seen, pods
 * with placeholder identity, the identity source in use, and the process's CPU and memory.
 */
import type { Family } from '../lib/promtext/types.ts';
import { normalizeFamilies, writeExposition } from '../lib/promtext/write.ts';
import type { CollectorStats } from './collector.ts';
import { ErrorKind } from './error-kinds.ts';
import type { HeapCompactorStats } from './heap-compactor.ts';

/** Render the agent's own metrics; `heap` adds the heap compactions (when the agent runs a compactor). */
export function buildSelfMetrics(stats: Readonly<CollectorStats>, pods: number, processStartMs: number, heap?: Readonly<HeapCompactorStats>): string {
  const one = (name: string, type: 'counter' | 'gauge', help: string, value: number, labels: string[] = []): Family => ({
    name, help, type, samples: [{ name, labels, value, timestampMs: undefined }],
  });
  const mem = process.memoryUsage();
  const cpu = process.cpuUsage();
  const families: Family[] = [
    one('kubemeter_agent_housekeeping_passes_total', 'counter', 'Housekeeping passes completed.', stats.passes),
    one('kubemeter_agent_housekeeping_cpu_seconds_total', 'counter', 'CPU time (user+system) spent in housekeeping passes, seconds.', stats.cpuSecondsTotal),
    one('kubemeter_agent_housekeeping_last_cpu_seconds', 'gauge', 'CPU time of the last housekeeping pass, seconds.', stats.lastPassCpuSeconds),
    one('kubemeter_agent_housekeeping_last_duration_seconds', 'gauge', 'Wall-clock duration of the last housekeeping pass, seconds.', stats.lastPassWallSeconds),
    {
      name: 'kubemeter_agent_collection_errors_total',
      help: 'Reads skipped because of an error, by kind (the rest of the pass is still served).',
      type: 'counter',
      samples: Object.values(ErrorKind).map((kind) => ({ name: 'kubemeter_agent_collection_errors_total', labels: ['kind', kind], value: stats.errors.get(kind) ?? 0, timestampMs: undefined })),
    },
    one('kubemeter_agent_cgroups_seen', 'gauge', 'Cgroups read in the last housekeeping pass.', stats.cgroupsSeen),
    one('kubemeter_agent_pods', 'gauge', 'Pods reported by the last housekeeping pass.', pods),
    one('kubemeter_agent_pods_unresolved', 'gauge', 'Pods reported with placeholder identity (no identity source knew them).', stats.podsUnresolved),
    one('kubemeter_agent_identity_source', 'gauge', 'Identity source used by the last pass (1 for the one in use).', 1, ['source', stats.identitySource]),
    ...(heap === undefined ? [] : [
      one('kubemeter_agent_heap_compactions_total', 'counter', 'Heap compactions after housekeeping passes (when the heap had grown past its slack).', heap.compactions),
      one('kubemeter_agent_heap_compaction_cpu_seconds_total', 'counter', 'CPU time (user+system) spent in heap compactions, seconds.', heap.cpuSecondsTotal),
    ]),
    one('process_cpu_seconds_total', 'counter', 'Total user and system CPU time spent in seconds.', (cpu.user + cpu.system) / 1e6),
    one('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.', mem.rss),
    one('process_start_time_seconds', 'gauge', 'Start time of the process since unix epoch in seconds.', processStartMs / 1000),
  ];
  return writeExposition(normalizeFamilies(families));
}
