/**
 * Thin I/O over the pure v1/v2 parsers: a CgroupReader reads one cgroup by its absolute cgroup
 * path (`/kubepods/burstable/pod…`) from whichever hierarchies the host mounts. The files read
 * every pass are kept open between passes (see OpenFileCache).
 */
import { ErrorCode, KubemeterError } from '../lib/errors.ts';
import type { CgroupMounts, HierarchyMount } from './mounts.ts';
import { cgroupDir } from './mounts.ts';
import { latin1 } from './bytes.ts';
import { parsePidsBytes } from './parse.ts';
import type { CgroupPressure, PressureSample } from './psi.ts';
import { parsePressureBytes } from './psi.ts';
import type { FileGroup } from './read-file.ts';
import { isAbsent, isCgroupFs, OpenFileCache } from './read-file.ts';
import type { CgroupStats } from './stats.ts';
import { readV1Stats, v1Slot } from './v1.ts';
import { readV2Stats, v2Slot } from './v2.ts';
import { nodeFs } from '../lib/node-fs.ts';
import { dropUnstamped } from '../lib/pass-stamps.ts';

const { readdirSync, statSync } = nodeFs;

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
  /**
   * Basenames of every entry of the cgroup's directory, child cgroups and interface files alike,
   * sorted; empty when the cgroup does not exist. For callers that pick children by names no
   * interface file has (`pod<uid>`, container ids): without a file type per entry the listing
   * costs a third less, and the kubepods walk lists ~110 directories every pass. While the
   * directory lists the same names as at the last call (in the same pass or the one before),
   * the same array comes back, so that callers can keep what they made of it: never modify it.
   */
  listNames?(name: string): readonly string[];
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
  /**
   * The host has swap (default true). Without any swap device (`SwapTotal` 0) no cgroup can have
   * pages in swap, so v2 `memory.swap.current` is not read and usage is 0, as the file would say.
   */
  swap?: boolean;
}

function listDirs(dir: string): string[] {
  try {
    const out: string[] = [];
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) out.push(e.name);
    return out.sort();
  } catch (e) {
    if (isAbsent(e)) return [];
    throw new KubemeterError(ErrorCode.InvalidFile, `${dir}: cannot list: ${(e as Error).message}`, { cause: e, source: dir });
  }
}

function listNames(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (e) {
    if (isAbsent(e)) return [];
    throw new KubemeterError(ErrorCode.InvalidFile, `${dir}: cannot list: ${(e as Error).message}`, { cause: e, source: dir });
  }
}

/** One directory's last listing: the names as the kernel gave them, and sorted. */
interface Listing {
  raw: string[];
  sorted: readonly string[];
  pass: number;
}

/** Do two listings name the same entries in the same order? */
function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The last listing of every directory listed by name (CgroupReader.listNames), so that a
 * directory listing the same names in the same order as in the last pass gives back the same
 * sorted array. A directory is still read every time: cgroupfs does not change a directory's
 * modification time when cgroups come and go, so only its names tell. What is saved is the
 * sort (a copy of the array in V8's sort) and, for callers that keep what they made of an array
 * (the kubepods walk), parsing every name again and building new path strings, which the maps
 * keyed by cgroup path would hash afresh each pass. Listings not asked for in a pass are dropped
 * at its end.
 */
class Listings {
  private readonly last = new Map<string, Listing>();
  private pass = 0;

  /** The sorted names of `dir`, listed now; `name` keys the cache. */
  list(name: string, dir: string): readonly string[] {
    const raw = listNames(dir);
    const l = this.last.get(name);
    if (l !== undefined && sameNames(l.raw, raw)) {
      l.pass = this.pass;
      return l.sorted;
    }
    const sorted = raw.slice().sort();
    if (l === undefined) this.last.set(name, { raw, sorted, pass: this.pass });
    else {
      l.raw = raw;
      l.sorted = sorted;
      l.pass = this.pass;
    }
    return sorted;
  }

  /** End a pass: forget directories not listed in it. */
  endPass(): void {
    dropUnstamped(this.last, this.pass);
    this.pass++;
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
  private readonly listings = new Listings();
  constructor(mounts: CgroupMounts, files: OpenFileCache) {
    this.mounts = mounts;
    this.files = files;
    const walk = mounts.controllers.cpuacct ?? mounts.controllers.memory ?? mounts.controllers.cpu;
    if (walk === undefined) throw new KubemeterError(ErrorCode.InvalidFile, 'cgroup v1 without cpuacct, cpu or memory controller', {});
    this.walk = walk;
  }

  private group(mount: HierarchyMount, name: string): FileGroup {
    return this.files.group(mount, name, cgroupDir);
  }

  readStats(name: string): CgroupStats {
    const cpu = this.group(this.mounts.controllers.cpuacct ?? this.walk, name);
    const memMount = this.mounts.controllers.memory;
    try {
      return readV1Stats(cpu, memMount === undefined ? undefined : this.group(memMount, name), cpu.dir);
    } catch (e) {
      // A missing cpuacct.usage: say so, unless the whole cgroup is gone.
      if (e instanceof KubemeterError && e.code === ErrorCode.NotFound) mustExist(cpu.dir, name);
      throw e;
    }
  }

  readPids(name: string): number[] {
    const g = this.group(this.walk, name);
    const n = g.readBytes(v1Slot.procs, 'cgroup.procs');
    return n < 0 ? [] : parsePidsBytes(g.bytes(), 0, n, g.dir, 'cgroup.procs');
  }

  listChildren(name: string): string[] {
    return listDirs(cgroupDir(this.walk, name));
  }

  listNames(name: string): readonly string[] {
    return this.listings.list(name, cgroupDir(this.walk, name));
  }

  exists(name: string): boolean {
    return mtimeMs(cgroupDir(this.walk, name)) !== undefined;
  }

  creationTimeMs(name: string): number | undefined {
    return creationTime(cgroupDir(this.walk, name));
  }

  endPass(): void {
    this.files.endPass();
    this.listings.endPass();
  }

  close(): void {
    this.files.close();
  }
}

// readV2Stats's options, made once rather than per cgroup read.
const withSwap = { swap: true } as const;
const withoutSwap = { swap: false } as const;

class V2Reader implements CgroupReader {
  readonly version = 'v2' as const;
  private readonly mount: HierarchyMount;
  private readonly files: OpenFileCache;
  private readonly listings = new Listings();
  constructor(mount: HierarchyMount, files: OpenFileCache) {
    this.mount = mount;
    this.files = files;
  }

  private group(name: string): FileGroup {
    return this.files.group(this.mount, name, cgroupDir);
  }

  /**
   * One pressure file; a broken one is undefined and its error added to `stats.pressureErrors`.
   * A file that reads exactly as in the last pass gives the same (never modified) sample again
   * without parsing it: an idle cgroup's pressure files do not change (averages 0.00, totals
   * standing still), and without V8's optimizing compilers the match, its eight numbers and the
   * sample's objects cost ~1.5 µs per file and ~0.3 KiB of garbage, ~1,300 files per pass. The
   * price is the last text of each file (~0.1 KiB) kept with its cgroup's open files.
   */
  private pressure(g: FileGroup, slot: number, file: string, stats: CgroupStats): PressureSample | undefined {
    try {
      const n = g.readBytes(slot, file);
      if (n < 0) return undefined;
      const bytes = g.bytes();
      const text = latin1(bytes, 0, n);
      if (text === g.lastText[slot]) return g.lastValue[slot] as PressureSample;
      const sample = parsePressureBytes(bytes, 0, n, g.dir, file, text);
      g.lastText[slot] = text;
      g.lastValue[slot] = sample;
      return sample;
    } catch (e) {
      (stats.pressureErrors ??= []).push(e instanceof KubemeterError ? e : new KubemeterError(ErrorCode.InvalidFile, `${g.dir}/${file}: ${(e as Error).message}`, { cause: e, source: `${g.dir}/${file}` }));
      return undefined;
    }
  }

  readStats(name: string, options?: ReadStatsOptions): CgroupStats {
    const g = this.group(name);
    let stats: CgroupStats;
    try {
      stats = readV2Stats(g, g.dir, options?.swap === false ? withoutSwap : withSwap);
    } catch (e) {
      // A missing cpu.stat: say so, unless the whole cgroup is gone.
      if (e instanceof KubemeterError && e.code === ErrorCode.NotFound) mustExist(g.dir, name);
      throw e;
    }
    if (options?.pressure !== true) return stats;
    const pressure: CgroupPressure = {
      cpu: this.pressure(g, v2Slot.cpuPressure, 'cpu.pressure', stats),
      // The kubelet reports memory pressure only inside a memory block, i.e. with accounting.
      memory: stats.memory === undefined ? undefined : this.pressure(g, v2Slot.memoryPressure, 'memory.pressure', stats),
      io: this.pressure(g, v2Slot.ioPressure, 'io.pressure', stats),
    };
    stats.pressure = pressure;
    return stats;
  }

  pressureSupported(): boolean {
    // The kubelet's check: without CONFIG_PSI, or with psi=0, the file does not exist.
    return mtimeMs(`${cgroupDir(this.mount, '/')}/cpu.pressure`) !== undefined;
  }

  readPids(name: string): number[] {
    const g = this.group(name);
    const n = g.readBytes(v2Slot.procs, 'cgroup.procs');
    return n < 0 ? [] : parsePidsBytes(g.bytes(), 0, n, g.dir, 'cgroup.procs');
  }

  listChildren(name: string): string[] {
    return listDirs(cgroupDir(this.mount, name));
  }

  listNames(name: string): readonly string[] {
    return this.listings.list(name, cgroupDir(this.mount, name));
  }

  exists(name: string): boolean {
    return mtimeMs(cgroupDir(this.mount, name)) !== undefined;
  }

  creationTimeMs(name: string): number | undefined {
    return creationTime(cgroupDir(this.mount, name));
  }

  endPass(): void {
    this.files.endPass();
    this.listings.endPass();
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
