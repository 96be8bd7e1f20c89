/**
 * Thin I/O over the pure v1/v2 parsers: a CgroupReader reads one cgroup by its absolute cgroup
 * path (`/kubepods/burstable/pod…`) from whichever hierarchies the host mounts.
 */
import { readdirSync, statSync } from 'node:fs';
import { ErrorCode, KubemeterError } from '../lib/errors.ts';
import type { CgroupMounts, HierarchyMount } from './mounts.ts';
import { cgroupDir } from './mounts.ts';
import { parsePids } from './parse.ts';
import { isAbsent, readSmallFile } from './read-file.ts';
import type { CgroupStats } from './stats.ts';
import { v1StatsFromFiles } from './v1.ts';
import { v2StatsFromFiles } from './v2.ts';

/** Reads cgroups of one host, whatever its cgroup version. */
export interface CgroupReader {
  readonly version: 'v1' | 'v2';
  /** CPU, memory and swap of cgroup `name`. Throws NotFound when it does not exist (any more). */
  readStats(name: string): CgroupStats;
  /** Pids in the cgroup itself (not its descendants): `cgroup.procs`. Empty when it vanished. */
  readPids(name: string): number[];
  /** Basenames of the child cgroups, sorted (stable output order); empty when the cgroup does not exist. */
  listChildren(name: string): string[];
  /** Does the cgroup exist? */
  exists(name: string): boolean;
  /**
   * When the cgroup was created (ms since the epoch), as cAdvisor estimates it: the oldest
   * modification time of the directory and its `cgroup.procs`. Undefined when it does not exist.
   */
  creationTimeMs(name: string): number | undefined;
}

function listDirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch (e) {
    if (isAbsent(e)) return [];
    throw new KubemeterError(ErrorCode.InvalidFile, `${dir}: cannot list: ${(e as Error).message}`, { cause: e, source: dir });
  }
}

function mtimeMs(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch (e) {
    if (isAbsent(e)) return undefined;
    throw e;
  }
}

function creationTime(dir: string): number | undefined {
  const d = mtimeMs(dir);
  if (d === undefined) return undefined;
  const f = mtimeMs(`${dir}/cgroup.procs`);
  return f === undefined ? d : Math.min(d, f);
}

function mustExist(dir: string, name: string): void {
  if (mtimeMs(dir) === undefined) throw new KubemeterError(ErrorCode.NotFound, `cgroup ${name} does not exist (${dir})`, { source: dir });
}

class V1Reader implements CgroupReader {
  readonly version = 'v1' as const;
  private readonly walk: HierarchyMount;
  private readonly mounts: CgroupMounts;
  constructor(mounts: CgroupMounts) {
    this.mounts = mounts;
    const walk = mounts.controllers.cpuacct ?? mounts.controllers.memory ?? mounts.controllers.cpu;
    if (walk === undefined) throw new KubemeterError(ErrorCode.InvalidFile, 'cgroup v1 without cpuacct, cpu or memory controller', {});
    this.walk = walk;
  }

  private dir(c: 'cpuacct' | 'memory' | 'cpu' | 'pids', name: string): string | undefined {
    const m = this.mounts.controllers[c];
    return m === undefined ? undefined : cgroupDir(m, name);
  }

  readStats(name: string): CgroupStats {
    const cpuDir = this.dir('cpuacct', name) ?? cgroupDir(this.walk, name);
    const memDir = this.dir('memory', name);
    const read = (dir: string | undefined, file: string): string | undefined => (dir === undefined ? undefined : readSmallFile(`${dir}/${file}`));
    const cpuacctUsage = read(cpuDir, 'cpuacct.usage');
    if (cpuacctUsage === undefined) mustExist(cpuDir, name);
    const memoryStat = read(memDir, 'memory.stat');
    const memoryUsage = memoryStat === undefined ? undefined : read(memDir, 'memory.usage_in_bytes');
    // Without usage and memory.stat there is no memory sample: the limits would not be used.
    const withMemory = memoryUsage !== undefined;
    return v1StatsFromFiles(
      {
        cpuacctUsage,
        memoryUsage,
        memoryStat,
        memoryLimit: withMemory ? read(memDir, 'memory.limit_in_bytes') : undefined,
        memswLimit: withMemory ? read(memDir, 'memory.memsw.limit_in_bytes') : undefined,
      },
      cpuDir,
    );
  }

  readPids(name: string): number[] {
    const dir = cgroupDir(this.walk, name);
    const text = readSmallFile(`${dir}/cgroup.procs`);
    return text === undefined ? [] : parsePids(text, `${dir}/cgroup.procs`);
  }

  listChildren(name: string): string[] {
    return listDirs(cgroupDir(this.walk, name));
  }

  exists(name: string): boolean {
    return mtimeMs(cgroupDir(this.walk, name)) !== undefined;
  }

  creationTimeMs(name: string): number | undefined {
    return creationTime(cgroupDir(this.walk, name));
  }
}

class V2Reader implements CgroupReader {
  readonly version = 'v2' as const;
  private readonly mount: HierarchyMount;
  constructor(mount: HierarchyMount) {
    this.mount = mount;
  }

  readStats(name: string): CgroupStats {
    const dir = cgroupDir(this.mount, name);
    const cpuStat = readSmallFile(`${dir}/cpu.stat`);
    if (cpuStat === undefined) mustExist(dir, name);
    const memoryStat = readSmallFile(`${dir}/memory.stat`);
    // No memory.stat = the memory controller is off for this cgroup: its other memory files do
    // not exist either, and four failed opens would cost more than a successful read each.
    if (memoryStat === undefined) {
      return v2StatsFromFiles({ cpuStat, memoryCurrent: undefined, memoryStat, memoryMax: undefined, swapCurrent: undefined, swapMax: undefined }, dir);
    }
    return v2StatsFromFiles(
      {
        cpuStat,
        memoryCurrent: readSmallFile(`${dir}/memory.current`),
        memoryStat,
        memoryMax: readSmallFile(`${dir}/memory.max`),
        swapCurrent: readSmallFile(`${dir}/memory.swap.current`),
        swapMax: readSmallFile(`${dir}/memory.swap.max`),
      },
      dir,
    );
  }

  readPids(name: string): number[] {
    const dir = cgroupDir(this.mount, name);
    const text = readSmallFile(`${dir}/cgroup.procs`);
    return text === undefined ? [] : parsePids(text, `${dir}/cgroup.procs`);
  }

  listChildren(name: string): string[] {
    return listDirs(cgroupDir(this.mount, name));
  }

  exists(name: string): boolean {
    return mtimeMs(cgroupDir(this.mount, name)) !== undefined;
  }

  creationTimeMs(name: string): number | undefined {
    return creationTime(cgroupDir(this.mount, name));
  }
}

/** A reader for the detected mounts (v1 for hybrid hosts, as the kubelet does). */
export function createCgroupReader(mounts: CgroupMounts): CgroupReader {
  if (mounts.version === 'v1') return new V1Reader(mounts);
  if (mounts.unified === undefined) throw new KubemeterError(ErrorCode.Internal, 'cgroup v2 detected without a cgroup2 mount', {});
  return new V2Reader(mounts.unified);
}
