/**
 * Node-level values: the root cgroup, MemTotal and swap from /proc/meminfo, the host network
 * (`/proc/1/net/dev`), filesystem capacity by statfs, and the PID limits.
 */
import type { FsUsage } from '../cgroup/fs-stats.ts';
import { readFsUsage } from '../cgroup/fs-stats.ts';
import { readMaxPid, readMeminfo, readTaskCount } from '../cgroup/proc.ts';
import type { CgroupReader } from '../cgroup/reader.ts';
import type { Clock } from '../lib/clock.ts';
import { readNetwork } from './collect-pods.ts';
import type { CgroupReading, FsReading, NodeSnapshot } from './model.ts';
import type { ReadingTracker } from './readings.ts';

/** Filesystems reported for the node. */
export interface NodeFsPaths {
  /** Directory whose filesystem is the node `fs` (the kubelet's root dir); undefined = none reported. */
  rootDir: string | undefined;
  /** Directory whose filesystem is the image filesystem; undefined = none reported. */
  imageFsDir: string | undefined;
}

/** Start the statfs calls (they are asynchronous and may be slow); await the result later. */
export function startFsReads(paths: NodeFsPaths, clock: Clock, onError: (what: string, e: unknown) => void): Promise<[FsReading | undefined, FsReading | undefined]> {
  const one = async (dir: string | undefined): Promise<FsReading | undefined> => {
    if (dir === undefined) return undefined;
    const timeMs = clock.nowMs();
    try {
      const usage: FsUsage = await readFsUsage(dir);
      return { timeMs, usage };
    } catch (e) {
      onError(`statfs ${dir}`, e);
      return undefined;
    }
  };
  return Promise.all([one(paths.rootDir), one(paths.imageFsDir)]);
}

/** What node collection needs. */
export interface NodeContext {
  reader: CgroupReader;
  tracker: ReadingTracker;
  clock: Clock;
  procRoot: string;
  nodeName: string;
  bootTimeMs: number;
  rootCgroupStartMs: number;
  onError(kind: 'node', what: string, e: unknown): void;
  /** /proc/meminfo when the caller has already read it in this pass. */
  meminfo?: Map<string, bigint> | undefined;
}

/** Read the node (filesystems are filled in by the caller). */
export function collectNode(ctx: NodeContext, pods: { reading: CgroupReading; startTimeMs: number } | undefined): NodeSnapshot {
  const root = ctx.tracker.read('/');
  let memTotalBytes = 0n;
  let swapTotalBytes = 0n;
  let swapUsageBytes = 0n;
  try {
    const mem = ctx.meminfo ?? readMeminfo(ctx.procRoot);
    memTotalBytes = mem.get('MemTotal') ?? 0n;
    swapTotalBytes = mem.get('SwapTotal') ?? 0n;
    const free = mem.get('SwapFree') ?? swapTotalBytes;
    // v2 has no swap file at the root; v1's root memory.stat has the hierarchical total_swap.
    swapUsageBytes = ctx.reader.version === 'v2' || root?.swap === undefined ? swapTotalBytes - free : root.swap.usageBytes;
  } catch (e) {
    ctx.onError('node', 'meminfo', e);
  }
  let rlimit: NodeSnapshot['rlimit'];
  try {
    rlimit = { timeMs: ctx.clock.nowMs(), maxPid: readMaxPid(ctx.procRoot), curProc: readTaskCount(ctx.procRoot) };
  } catch (e) {
    ctx.onError('node', 'pid limits', e);
  }
  return {
    nodeName: ctx.nodeName,
    bootTimeMs: ctx.bootTimeMs,
    rootCgroupStartMs: ctx.rootCgroupStartMs,
    root,
    memTotalBytes,
    swapTotalBytes,
    swapUsageBytes,
    pods,
    network: readNetwork(ctx, [1]),
    fs: undefined,
    imageFs: undefined,
    rlimit,
  };
}
