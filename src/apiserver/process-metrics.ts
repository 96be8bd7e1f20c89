/**
 * The `process_*` families the Go Prometheus client's process collector exports, read the same
 * way from /proc (USER_HZ ticks, `btime` + start ticks, `/proc/self/fd` entries, the soft limits
 * of `/proc/self/limits`), so dashboards built for metrics-server keep working. Pure parsers for
 * the two files it needs beyond what src/cgroup parses; the reader takes an injectable /proc root.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, KubemeterError, quoteInput } from '../lib/errors.ts';
import { parseBootTimeSeconds } from '../cgroup/proc.ts';
import { readSmallFile } from '../cgroup/read-file.ts';

/** USER_HZ: what procfs (and Go's procfs package) divide ticks by on Linux. */
const USER_HZ = 100;

/** One process's figures, in the units of the metric names. */
export interface ProcessFigures {
  cpuSecondsTotal: number;
  residentMemoryBytes: number;
  virtualMemoryBytes: number;
  startTimeSeconds: number;
  /** Undefined when /proc/self/fd cannot be listed. */
  openFds?: number;
  /** Soft limits; undefined when /proc/self/limits cannot be read. */
  maxFds?: number;
  virtualMemoryMaxBytes?: number;
}

/** Fields of `/proc/<pid>/stat` the process collector reads. */
export interface ProcessStat {
  userTicks: number;
  systemTicks: number;
  startTicks: number;
  virtualMemoryBytes: number;
  residentPages: number;
}

function bad(source: string, what: string, text: string): KubemeterError {
  return new KubemeterError(ErrorCode.InvalidFile, `${source}: ${what}, got ${quoteInput(text.slice(0, 120))}`, { source });
}

/** `/proc/<pid>/stat`: the command may contain spaces and `)`, so fields start after the last `)`. */
export function parseProcessStat(text: string, source = '/proc/self/stat'): ProcessStat {
  const close = text.lastIndexOf(')');
  if (close < 0) throw bad(source, 'expected "pid (comm) state …"', text);
  const rest = text.slice(close + 2).trim().split(' ');
  // rest[0] is field 3 (state): utime 14, stime 15, starttime 22, vsize 23, rss 24.
  const num = (field: number): number => {
    const v = Number(rest[field - 3]);
    if (!Number.isSafeInteger(v)) throw bad(source, `field ${field} is not an integer`, text);
    return v;
  };
  return { userTicks: num(14), systemTicks: num(15), startTicks: num(22), virtualMemoryBytes: num(23), residentPages: num(24) };
}

/**
 * Soft limits of `/proc/<pid>/limits` by name (`Max open files`, `Max address space`); `unlimited`
 * becomes 2^64−1, as Go's procfs reads it (the collector then exports 1.8446744073709552e+19).
 */
export function parseProcessLimits(text: string, source = '/proc/self/limits'): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n').slice(1)) {
    if (line.trim() === '') continue;
    // Columns are aligned: the name is everything before the first run of 2+ spaces.
    const m = /^(\S(?:.*?\S)?)\s{2,}(\S+)\s+(\S+)/.exec(line);
    if (m === null) throw bad(source, 'expected "Limit  Soft  Hard  [Units]" rows', line);
    const soft = m[2]!;
    const v = soft === 'unlimited' ? 2 ** 64 - 1 : Number(soft);
    if (!Number.isFinite(v)) throw bad(source, `soft limit of ${m[1]!} is not a number`, line);
    out.set(m[1]!, v);
  }
  return out;
}

/** Read this process's figures from `procRoot` (default /proc); undefined where /proc is absent. */
export function readProcessFigures(procRoot = '/proc', residentMemoryBytes = process.memoryUsage.rss()): ProcessFigures | undefined {
  const statPath = join(procRoot, 'self', 'stat');
  const statText = readSmallFile(statPath);
  const bootText = readSmallFile(join(procRoot, 'stat'));
  if (statText === undefined || bootText === undefined) return undefined;
  const st = parseProcessStat(statText, statPath);
  const out: ProcessFigures = {
    cpuSecondsTotal: (st.userTicks + st.systemTicks) / USER_HZ,
    residentMemoryBytes,
    virtualMemoryBytes: st.virtualMemoryBytes,
    startTimeSeconds: parseBootTimeSeconds(bootText, join(procRoot, 'stat')) + st.startTicks / USER_HZ,
  };
  try {
    out.openFds = readdirSync(join(procRoot, 'self', 'fd')).length;
  } catch {
    // not listable (hardened /proc): the family is left out, as the Go collector does on error
  }
  const limitsPath = join(procRoot, 'self', 'limits');
  const limitsText = readSmallFile(limitsPath);
  if (limitsText !== undefined) {
    const limits = parseProcessLimits(limitsText, limitsPath);
    const files = limits.get('Max open files');
    const space = limits.get('Max address space');
    if (files !== undefined) out.maxFds = files;
    if (space !== undefined) out.virtualMemoryMaxBytes = space;
  }
  return out;
}
