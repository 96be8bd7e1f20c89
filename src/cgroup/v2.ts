/**
 * cgroup v2: cumulative CPU from `cpu.stat usage_usec` × 1000, memory from `memory.current`,
 * `memory.stat`, `memory.max`, swap from `memory.swap.current`/`memory.swap.max`. At the root,
 * where `memory.current` does not exist, usage is emulated as `anon + file` like
 * opencontainers/cgroups does. The pure part turns file texts into CgroupStats.
 */
import { ErrorCode, KubemeterError } from '../lib/errors.ts';
import { maxUint64, parseFlatKeyed, parseUint64 } from './parse.ts';
import type { CgroupStats } from './stats.ts';
import { workingSetBytes } from './stats.ts';

/** Texts of the v2 files of one cgroup; undefined = file absent. */
export interface V2Files {
  cpuStat: string | undefined;
  memoryCurrent: string | undefined;
  memoryStat: string | undefined;
  memoryMax: string | undefined;
  swapCurrent: string | undefined;
  swapMax: string | undefined;
}

const cpuStatKeys: ReadonlySet<string> = new Set(['usage_usec']);

/** The memory.stat keys v2 needs. */
export const v2MemoryStatKeys: ReadonlySet<string> = new Set(['anon', 'file', 'inactive_file', 'pgfault', 'pgmajfault']);

/** Compute CgroupStats from v2 file texts; `source` names the cgroup directory in errors. */
export function v2StatsFromFiles(files: V2Files, source: string): CgroupStats {
  if (files.cpuStat === undefined) throw new KubemeterError(ErrorCode.NotFound, `${source}: cpu.stat is missing`, { source });
  const usageUsec = parseFlatKeyed(files.cpuStat, `${source}/cpu.stat`, cpuStatKeys).get('usage_usec');
  if (usageUsec === undefined) {
    throw new KubemeterError(ErrorCode.InvalidFile, `${source}/cpu.stat: no usage_usec key`, { source: `${source}/cpu.stat` });
  }
  const cpuUsageCoreNanoSeconds = usageUsec * 1000n;
  if (files.memoryStat === undefined) return { cpuUsageCoreNanoSeconds, memory: undefined, swap: undefined };
  const stat = parseFlatKeyed(files.memoryStat, `${source}/memory.stat`, v2MemoryStatKeys);
  const usageBytes =
    files.memoryCurrent === undefined
      ? (stat.get('anon') ?? 0n) + (stat.get('file') ?? 0n)
      : parseUint64(files.memoryCurrent, `${source}/memory.current`);
  return {
    cpuUsageCoreNanoSeconds,
    memory: {
      usageBytes,
      workingSetBytes: workingSetBytes(usageBytes, stat.get('inactive_file')),
      rssBytes: stat.get('anon') ?? 0n,
      pageFaults: stat.get('pgfault') ?? 0n,
      majorPageFaults: stat.get('pgmajfault') ?? 0n,
      limitBytes: files.memoryMax === undefined ? maxUint64 : parseUint64(files.memoryMax, `${source}/memory.max`),
    },
    swap: {
      usageBytes: files.swapCurrent === undefined ? 0n : parseUint64(files.swapCurrent, `${source}/memory.swap.current`),
      limitBytes: files.swapMax === undefined ? undefined : parseUint64(files.swapMax, `${source}/memory.swap.max`),
    },
  };
}
