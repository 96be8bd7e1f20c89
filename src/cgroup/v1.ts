/**
 * cgroup v1 (also hybrid hosts): cumulative CPU from `cpuacct.usage`, memory from
 * `memory.usage_in_bytes`, `memory.stat`, `memory.limit_in_bytes`, swap limit from
 * `memory.memsw.limit_in_bytes`. The pure part turns file texts into CgroupStats.
 */
import { ErrorCode, KubemeterError } from '../lib/errors.ts';
import { parseFlatKeyed, parseUint64 } from './parse.ts';
import type { CgroupStats } from './stats.ts';
import { workingSetBytes } from './stats.ts';

/** Texts of the v1 files of one cgroup; undefined = file absent. */
export interface V1Files {
  cpuacctUsage: string | undefined;
  memoryUsage: string | undefined;
  memoryStat: string | undefined;
  memoryLimit: string | undefined;
  memswLimit: string | undefined;
}

/** The memory.stat keys v1 needs. */
export const v1MemoryStatKeys: ReadonlySet<string> = new Set([
  'total_inactive_file',
  'total_rss',
  'pgfault',
  'pgmajfault',
  'total_swap',
]);

/** Compute CgroupStats from v1 file texts; `source` names the cgroup directory in errors. */
export function v1StatsFromFiles(files: V1Files, source: string): CgroupStats {
  if (files.cpuacctUsage === undefined) {
    throw new KubemeterError(ErrorCode.NotFound, `${source}: cpuacct.usage is missing`, { source });
  }
  const cpuUsageCoreNanoSeconds = parseUint64(files.cpuacctUsage, `${source}/cpuacct.usage`);
  if (files.memoryUsage === undefined || files.memoryStat === undefined) {
    return { cpuUsageCoreNanoSeconds, memory: undefined, swap: undefined };
  }
  const usageBytes = parseUint64(files.memoryUsage, `${source}/memory.usage_in_bytes`);
  const stat = parseFlatKeyed(files.memoryStat, `${source}/memory.stat`, v1MemoryStatKeys);
  const limitBytes =
    files.memoryLimit === undefined ? (1n << 64n) - 1n : parseUint64(files.memoryLimit, `${source}/memory.limit_in_bytes`);
  return {
    cpuUsageCoreNanoSeconds,
    memory: {
      usageBytes,
      workingSetBytes: workingSetBytes(usageBytes, stat.get('total_inactive_file')),
      rssBytes: stat.get('total_rss') ?? 0n,
      pageFaults: stat.get('pgfault') ?? 0n,
      majorPageFaults: stat.get('pgmajfault') ?? 0n,
      limitBytes,
    },
    swap: {
      usageBytes: stat.get('total_swap') ?? 0n,
      limitBytes: files.memswLimit === undefined ? undefined : parseUint64(files.memswLimit, `${source}/memory.memsw.limit_in_bytes`),
    },
  };
}
