/**
 * cgroup v1 (also hybrid hosts): cumulative CPU from `cpuacct.usage`, memory from
 * `memory.usage_in_bytes`, `memory.stat`, `memory.limit_in_bytes`, swap limit from
 * `memory.memsw.limit_in_bytes`. Each file is parsed from its bytes as soon as it is read.
 */
import { ErrorCode, KubemeterError } from '../lib/errors.ts';
import type { FileBytes } from './bytes.ts';
import { latin1, TextFiles } from './bytes.ts';
import { flatKeys, maxUint64, parseFlatKeyedBytes, parseUint64Bytes } from './parse.ts';
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

/** Where each v1 file's descriptor is kept in a cgroup's FileGroup (one group per hierarchy). */
export const v1Slot = { cpuacctUsage: 0, procs: 1, memoryStat: 2, memoryUsage: 3, memoryLimit: 4, memswLimit: 5 } as const;

/** The memory.stat keys v1 needs, in the order the kernel prints them (local events, then the hierarchical stats and lists). */
export const v1MemoryStatKeys: ReadonlySet<string> = new Set([
  'pgfault',
  'pgmajfault',
  'total_rss',
  'total_swap',
  'total_inactive_file',
]);
// Text as the kernel prints it with swap accounting on is parsed by one native match; without
// swap accounting there is no total_swap line, and such text takes the general path (as does any
// other text the pattern does not match), with the same values and errors.
const memoryKeys = flatKeys([...v1MemoryStatKeys], { kernelOrder: true });
const [pgfault, pgmajfault, totalRss, totalSwap, totalInactiveFile] = [0, 1, 2, 3, 4] as const;

// Parsed values land here and are copied out before the next cgroup (no array per read).
const values: (bigint | undefined)[] = [];

/** The text of a limit file parsed last, and its value; per file, as the memsw limit is read right after the memory limit. */
interface LimitMemo {
  text: string;
  value: bigint;
}
const memoryLimitMemo: LimitMemo = { text: '', value: 0n };
const memswLimitMemo: LimitMemo = { text: '', value: 0n };

/**
 * A limit file's value (parseUint64Bytes), given again without parsing when its text is the one
 * parsed last. Most cgroups of a node have no memory limit of their own, or no swap limit, and
 * print the same number for it (9223372036854771712, the page counter's maximum in bytes): the
 * text and a string comparison instead of the digit check and BigInt's parser, ~880 files per
 * pass on 110 pods. One entry per file kind, so nothing is kept per cgroup; any other text is
 * parsed, and an error thrown, as before.
 */
function limitBytes(memory: FileBytes, n: number, memo: LimitMemo, dir: string, file: string): bigint {
  const text = latin1(memory.bytes(), 0, n);
  if (text === memo.text) return memo.value;
  const value = parseUint64Bytes(memory.bytes(), 0, n, dir, file);
  memo.text = text;
  memo.value = value;
  return value;
}

/**
 * Read and compute CgroupStats from the v1 files of one cgroup: CPU from the cpuacct hierarchy's
 * `cpu`, memory from the memory hierarchy's `memory` (undefined: not mounted); `dir` names the
 * cgroup in errors. Without memory.stat and usage there is no memory sample (the limits are
 * then not read). A missing cpuacct.usage is NotFound.
 */
export function readV1Stats(cpu: FileBytes, memory: FileBytes | undefined, dir: string): CgroupStats {
  let n = cpu.readBytes(v1Slot.cpuacctUsage, 'cpuacct.usage');
  if (n < 0) throw new KubemeterError(ErrorCode.NotFound, `${dir}: cpuacct.usage is missing`, { source: dir });
  const cpuUsageCoreNanoSeconds = parseUint64Bytes(cpu.bytes(), 0, n, dir, 'cpuacct.usage');
  n = memory === undefined ? -1 : memory.readBytes(v1Slot.memoryStat, 'memory.stat');
  if (memory === undefined || n < 0) return { cpuUsageCoreNanoSeconds, memory: undefined, swap: undefined };
  parseFlatKeyedBytes(memory.bytes(), 0, n, memoryKeys, values, dir, 'memory.stat');
  const inactiveFileBytes = values[totalInactiveFile];
  const rssBytes = values[totalRss] ?? 0n;
  const pageFaults = values[pgfault] ?? 0n;
  const majorPageFaults = values[pgmajfault] ?? 0n;
  const swapUsageBytes = values[totalSwap] ?? 0n;
  n = memory.readBytes(v1Slot.memoryUsage, 'memory.usage_in_bytes');
  if (n < 0) return { cpuUsageCoreNanoSeconds, memory: undefined, swap: undefined };
  const usageBytes = parseUint64Bytes(memory.bytes(), 0, n, dir, 'memory.usage_in_bytes');
  n = memory.readBytes(v1Slot.memoryLimit, 'memory.limit_in_bytes');
  const limit = n < 0 ? maxUint64 : limitBytes(memory, n, memoryLimitMemo, dir, 'memory.limit_in_bytes');
  n = memory.readBytes(v1Slot.memswLimit, 'memory.memsw.limit_in_bytes');
  return {
    cpuUsageCoreNanoSeconds,
    memory: { usageBytes, workingSetBytes: workingSetBytes(usageBytes, inactiveFileBytes), rssBytes, pageFaults, majorPageFaults, limitBytes: limit },
    swap: { usageBytes: swapUsageBytes, limitBytes: n < 0 ? undefined : limitBytes(memory, n, memswLimitMemo, dir, 'memory.memsw.limit_in_bytes') },
  };
}

/** Compute CgroupStats from v1 file texts; `source` names the cgroup directory in errors. */
export function v1StatsFromFiles(files: V1Files, source: string): CgroupStats {
  const texts = new TextFiles({
    'cpuacct.usage': files.cpuacctUsage, 'memory.usage_in_bytes': files.memoryUsage, 'memory.stat': files.memoryStat,
    'memory.limit_in_bytes': files.memoryLimit, 'memory.memsw.limit_in_bytes': files.memswLimit,
  });
  return readV1Stats(texts, texts, source);
}
