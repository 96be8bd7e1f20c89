/**
 * Thin I/O over the pure v1/v2 parsers: a CgroupReader reads one cgroup by its absolute cgroup
 * path (`/kubepods/burstable/pod…`) from whichever hierarchies the host mounts. The files read
 * every pass are kept open between passes (see OpenFileCache).
 */
import { readdirSync, statSync } from 'node:fs';
import { ErrorCode, KubemeterError } from '../lib/errors.ts';
import type { CgroupMounts, HierarchyMount } from './mounts.ts';
import { cgroupDir } from './mounts.ts';
import { parsePids } from './parse.ts';
import type { CgroupPressure, PressureSample } from './psi.ts';
import { parsePressure } from './psi.ts';
import { isAbsent, isCgroupFs, OpenFileCache } from './read-file.ts';
import type { CgroupStats } from './stats.ts';
import { v1StatsFromFiles } from './v1.ts';
import { v2StatsFromFiles } from './v2.ts';

/** Reads cgroups of one host, whatever its cgroup version. */
export interface CgroupReader {
  readonly version: 'v1' | 'v2';
  /**
   * CPU, memory and swap of cgroup `name`. Throws NotFound when it does not exist (any more). With
   * `pressure` (cgroup v2 only; ignored on v1) also its pressure files, each of which may be absent
   * or broken without failing the read: a broken one is left out and its error returned.
   */
  readStats(name: string, options?: ReadStatsOptions): CgroupStats;
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
  /** Does the kernel keep pressure stall information for cgroups (v2: the root has `cpu.pressure`)? */
  pressureSupported?(): boolean;
  /** End a housekeeping pass: files of cgroups not read during it are closed. */
  endPass?(): void;
  /** Close every file held open. */
  close?(): void;
}

/** Options of CgroupReader.readStats. */
export interface ReadStatsOptions {
  /** Also read `cpu.pressure`, `memory.pressure` (only with memory accounting) and `io.pressure` (v2). */
  pressure?: boolean;
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
  private readonly files: OpenFileCache;
  constructor(mounts: CgroupMounts, files: OpenFileCache) {
    this.mounts = mounts;
    this.files = files;
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
    const read = (dir: string | undefined, file: string): string | undefined => (dir === undefined ? undefined : this.files.read(`${dir}/${file}`));
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
    const text = this.files.read(`${dir}/cgroup.procs`);
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

  endPass(): void {
    this.files.endPass();
  }

  close(): void {
    this.files.close();
  }
}

class V2Reader implements CgroupReader {
  readonly version = 'v2' as const;
  private readonly mount: HierarchyMount;
  private readonly files: OpenFileCache;
  constructor(mount: HierarchyMount, files: OpenFileCache) {
    this.mount = mount;
    this.files = files;
  }

  private pressure(dir: string, file: string, errors: KubemeterError[]): PressureSample | undefined {
    const path = `${dir}/${file}`;
    try {
      const text = this.files.read(path);
      return text === undefined ? undefined : parsePressure(text, path);
    } catch (e) {
      errors.push(e instanceof KubemeterError ? e : new KubemeterError(ErrorCode.InvalidFile, `${path}: ${(e as Error).message}`, { cause: e, source: path }));
      return undefined;
    }
  }

  readStats(name: string, options?: ReadStatsOptions): CgroupStats {
    const dir = cgroupDir(this.mount, name);
    const read = (file: string): string | undefined => this.files.read(`${dir}/${file}`);
    const cpuStat = read('cpu.stat');
    if (cpuStat === undefined) mustExist(dir, name);
    const memoryStat = read('memory.stat');
    // No memory.stat = the memory controller is off for this cgroup: its other memory files do
    // not exist either, and four failed opens would cost more than a successful read each.
    const stats = memoryStat === undefined
      ? v2StatsFromFiles({ cpuStat, memoryCurrent: undefined, memoryStat, memoryMax: undefined, swapCurrent: undefined, swapMax: undefined }, dir)
      : v2StatsFromFiles(
        { cpuStat, memoryCurrent: read('memory.current'), memoryStat, memoryMax: read('memory.max'), swapCurrent: read('memory.swap.current'), swapMax: read('memory.swap.max') },
        dir,
      );
    if (options?.pressure !== true) return stats;
    const errors: KubemeterError[] = [];
    const pressure: CgroupPressure = {
      cpu: this.pressure(dir, 'cpu.pressure', errors),
      // The kubelet reports memory pressure only inside a memory block, i.e. with accounting.
      memory: stats.memory === undefined ? undefined : this.pressure(dir, 'memory.pressure', errors),
      io: this.pressure(dir, 'io.pressure', errors),
    };
    stats.pressure = pressure;
    stats.pressureErrors = errors;
    return stats;
  }

  pressureSupported(): boolean {
    // The kubelet's check: without CONFIG_PSI, or with psi=0, the file does not exist.
    return mtimeMs(`${cgroupDir(this.mount, '/')}/cpu.pressure`) !== undefined;
  }

  readPids(name: string): number[] {
    const dir = cgroupDir(this.mount, name);
    const text = this.files.read(`${dir}/cgroup.procs`);
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

  endPass(): void {
    this.files.endPass();
  }

  close(): void {
    this.files.close();
  }
}

/** A reader for the detected mounts (v1 for hybrid hosts, as the kubelet does). */
export function createCgroupReader(mounts: CgroupMounts, options: { files?: OpenFileCache } = {}): CgroupReader {
  const dirs = mounts.version === 'v1' ? Object.values(mounts.controllers).map((m) => m.dir) : [mounts.unified?.dir ?? ''];
  // On cgroupfs a removed cgroup's open files answer ENODEV; elsewhere (fixture trees) links are checked.
  const files = options.files ?? new OpenFileCache({ checkLinks: !dirs.every(isCgroupFs) });
  if (mounts.version === 'v1') return new V1Reader(mounts, files);
  if (mounts.unified === undefined) throw new KubemeterError(ErrorCode.Internal, 'cgroup v2 detected without a cgroup2 mount', {});
  return new V2Reader(mounts.unified, files);
}
