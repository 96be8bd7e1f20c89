/**
 * cgroup v2: cumulative CPU from `cpu.stat usage_usec` × 1000, memory from `memory.current`,
 * `memory.stat`, `memory.max`, swap from `memory.swap.current`/`memory.swap.max`. At the root,
 * where `memory.current` does not exist, usage is emulated as `anon + file` like
 * opencontainers/cgroups does. Each file is parsed from its bytes as soon as it is read.
 */
import { ErrorCode, KubemeterError } from '../lib/errors.ts';
import type { FileBytes } from './bytes.ts';
import { TextFiles } from './bytes.ts';
import { flatKeys, maxUint64, parseFlatKeyedBytes, parseUint64Bytes } from './parse.ts';
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

/** Where each v2 file's descriptor is kept in a cgroup's FileGroup. */
export const v2Slot = { cpuStat: 0, memoryStat: 1, memoryCurrent: 2, memoryMax: 3, swapCurrent: 4, swapMax: 5, cpuPressure: 6, memoryPressure: 7, ioPressure: 8, procs: 9 } as const;

// Both in the kernel's order and always printed (see flatKeys).
const cpuStatKeys = flatKeys(['usage_usec'], { kernelOrder: true });

/** The memory.stat keys v2 needs, in the order the kernel prints them. */
export const v2MemoryStatKeys: ReadonlySet<string> = new Set(['anon', 'file', 'inactive_file', 'pgfault', 'pgmajfault']);
const memoryKeys = flatKeys([...v2MemoryStatKeys], { kernelOrder: true });
const [anon, file, inactiveFile, pgfault, pgmajfault] = [0, 1, 2, 3, 4] as const;

// Parsed values land here and are copied out before the next cgroup (no array per read).
const values: (bigint | undefined)[] = [];

/** A file's single value, or `absent` when the file does not exist. */
function single(files: FileBytes, slot: number, name: string, dir: string, absent: bigint): bigint {
  const n = files.readBytes(slot, name);
  return n < 0 ? absent : parseUint64Bytes(files.bytes(), 0, n, dir, name);
}

/**
 * Read and compute CgroupStats from the v2 files of one cgroup; `dir` names it in errors. Without
 * memory.stat the memory controller is off for the cgroup and its other memory files are not
 * read; with `swap` false (no swap on the host) memory.swap.current is not read (usage 0).
 * A missing cpu.stat is NotFound.
 */
export function readV2Stats(files: FileBytes, dir: string, options: { swap: boolean }): CgroupStats {
  let n = files.readBytes(v2Slot.cpuStat, 'cpu.stat');
  if (n < 0) throw new KubemeterError(ErrorCode.NotFound, `${dir}: cpu.stat is missing`, { source: dir });
  parseFlatKeyedBytes(files.bytes(), 0, n, cpuStatKeys, values, dir, 'cpu.stat');
  const usageUsec = values[0];
  if (usageUsec === undefined) throw new KubemeterError(ErrorCode.InvalidFile, `${dir}/cpu.stat: no usage_usec key`, { source: `${dir}/cpu.stat` });
  const cpuUsageCoreNanoSeconds = usageUsec * 1000n;
  n = files.readBytes(v2Slot.memoryStat, 'memory.stat');
  if (n < 0) return { cpuUsageCoreNanoSeconds, memory: undefined, swap: undefined };
  parseFlatKeyedBytes(files.bytes(), 0, n, memoryKeys, values, dir, 'memory.stat');
  const anonBytes = values[anon] ?? 0n;
  const fileBytes = values[file] ?? 0n;
  const inactiveFileBytes = values[inactiveFile];
  const pageFaults = values[pgfault] ?? 0n;
  const majorPageFaults = values[pgmajfault] ?? 0n;
  n = files.readBytes(v2Slot.memoryCurrent, 'memory.current');
  const usageBytes = n < 0 ? anonBytes + fileBytes : parseUint64Bytes(files.bytes(), 0, n, dir, 'memory.current');
  const limitBytes = single(files, v2Slot.memoryMax, 'memory.max', dir, maxUint64);
  const swapUsageBytes = options.swap ? single(files, v2Slot.swapCurrent, 'memory.swap.current', dir, 0n) : 0n;
  n = files.readBytes(v2Slot.swapMax, 'memory.swap.max');
  return {
    cpuUsageCoreNanoSeconds,
    memory: { usageBytes, workingSetBytes: workingSetBytes(usageBytes, inactiveFileBytes), rssBytes: anonBytes, pageFaults, majorPageFaults, limitBytes },
    swap: { usageBytes: swapUsageBytes, limitBytes: n < 0 ? undefined : parseUint64Bytes(files.bytes(), 0, n, dir, 'memory.swap.max') },
  };
}

/** Compute CgroupStats from v2 file texts; `source` names the cgroup directory in errors. */
export function v2StatsFromFiles(files: V2Files, source: string): CgroupStats {
  const texts = new TextFiles({
    'cpu.stat': files.cpuStat, 'memory.current': files.memoryCurrent, 'memory.stat': files.memoryStat, 'memory.max': files.memoryMax,
    'memory.swap.current': files.swapCurrent, 'memory.swap.max': files.swapMax,
  });
  return readV2Stats(texts, source, { swap: true });
}
