/**
 * One pod's volume stats, as the kubelet's volume stat calculator computes them: for every
 * directory under `<root-dir>/pods/<uid>/volumes/<plugin>/`, emptyDir, configMap, secret,
 * projected, downwardAPI and gitRepo by a du walk (used bytes and inodes) plus statfs of the
 * directory (capacity, available, inodes, inodesFree); CSI and other mounted plugins by statfs of
 * the mount (used = capacity − free, as MetricsStatFS). A volume whose measurement fails is left
 * out, as the kubelet does, and the failure is counted.
 */
import { join } from 'node:path';
import { readFsUsage } from '../../cgroup/fs-stats.ts';
import type { FsUsage } from '../../cgroup/fs-stats.ts';
import type { Clock } from '../../lib/clock.ts';
import { ErrorCode, isKubemeterError } from '../../lib/errors.ts';
import { ErrorKind } from '../error-kinds.ts';
import type { ClaimResolver } from './claims.ts';
import type { WalkOptions } from './du.ts';
import { diskUsage, lstatEntry, readDirNames } from './du.ts';
import { pluginKind, podVolumesDir, safeEntryName, volumeDataPath, walkedPlugin } from './layout.ts';
import { nameVolume } from './pod-volumes.ts';
import type { StoragePod, VolumeReading } from './types.ts';

/** What measuring volumes needs. */
export interface VolumeContext {
  rootDir: string;
  clock: Clock;
  signal: AbortSignal;
  /** Walk limits and the gate (see diskUsage). */
  walk: Omit<WalkOptions, 'signal' | 'clock'>;
  claims: ClaimResolver | undefined;
  /** statfs deadline, ms (default 2000, as the kubelet). */
  statfsTimeoutMs?: number;
  onError(kind: ErrorKind, what: string, e: unknown): void;
}

/** The error kind a failed volume measurement is counted under. */
export function volumeErrorKind(e: unknown): ErrorKind {
  if (isKubemeterError(e, ErrorCode.NotFound)) return ErrorKind.Vanished;
  if (isKubemeterError(e, ErrorCode.TooLarge) || isKubemeterError(e, ErrorCode.Timeout)) return ErrorKind.TooLarge;
  return ErrorKind.Unreadable;
}

async function measure(ctx: VolumeContext, dataPath: string, walked: boolean): Promise<{ timeMs: number; usedBytes: bigint; inodesUsed: bigint; fs: FsUsage }> {
  const timeMs = ctx.clock.nowMs();
  if (!walked) {
    const fs = await readFsUsage(dataPath, { timeoutMs: ctx.statfsTimeoutMs ?? 2000 });
    return { timeMs, usedBytes: fs.capacityBytes - fs.freeBytes, inodesUsed: fs.inodes - fs.inodesFree, fs };
  }
  const du = await diskUsage(dataPath, { ...ctx.walk, clock: ctx.clock, signal: ctx.signal, onVanished: (p) => ctx.onError(ErrorKind.Vanished, p, undefined) });
  const fs = await readFsUsage(dataPath, { timeoutMs: ctx.statfsTimeoutMs ?? 2000 });
  return { timeMs, usedBytes: BigInt(du.usedBytes), inodesUsed: BigInt(du.inodesUsed), fs };
}

function byName(a: VolumeReading, b: VolumeReading): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * Measure one pod's volumes. Undefined when the pod has no volumes directory (the kubelet then
 * reports neither `volume` nor `ephemeral-storage`); otherwise ephemeral volumes first, then
 * persistent ones, each group by name (the kubelet's order within a group is Go map order).
 */
export async function measurePodVolumes(ctx: VolumeContext, pod: StoragePod): Promise<VolumeReading[] | undefined> {
  const root = podVolumesDir(ctx.rootDir, pod.uid);
  let plugins: string[];
  try {
    plugins = await readDirNames(root);
  } catch (e) {
    if (!isKubemeterError(e, ErrorCode.NotFound)) ctx.onError(ErrorKind.Unreadable, root, e);
    return undefined;
  }
  const out: VolumeReading[] = [];
  for (const plugin of plugins.filter(safeEntryName).sort()) {
    const kind = pluginKind(plugin);
    const pluginDir = join(root, plugin);
    let names: string[];
    let pluginDev: bigint;
    try {
      pluginDev = (await lstatEntry(pluginDir)).dev;
      names = await readDirNames(pluginDir);
    } catch (e) {
      ctx.onError(volumeErrorKind(e), pluginDir, e);
      continue;
    }
    for (const dirName of names.filter(safeEntryName)) {
      if (ctx.signal.aborted) return out;
      const dir = join(pluginDir, dirName);
      const dataPath = volumeDataPath(dir, kind);
      try {
        await ctx.walk.gate?.();
        const dirStat = await lstatEntry(dir);
        const dataStat = dataPath === dir ? dirStat : await lstatEntry(dataPath);
        // A directory that is a mount of its own: a tmpfs (Memory medium, secrets) or the PV's filesystem.
        const ownMount = dataStat.dev !== (dataPath === dir ? pluginDev : dirStat.dev);
        const walked = walkedPlugin(kind);
        // A PV directory that is no mount (not mounted yet, or its mount is invisible to the agent)
        // would report the node's filesystem as the volume's: leave it out.
        if (!walked && !ownMount) continue;
        const m = await measure(ctx, dataPath, walked);
        const spec = pod.volumes?.find((v) => v.name === dirName);
        const boundClaim = walked || spec !== undefined || ctx.claims === undefined ? undefined : await ctx.claims.claimOf(dirName, ctx.signal);
        const id = nameVolume({ dirName, kind, ownMount, pod: { name: pod.name, namespace: pod.namespace, volumes: pod.volumes }, boundClaim });
        out.push({ name: id.name, pvcRef: id.pvcRef, ephemeral: id.ephemeral, ...m });
      } catch (e) {
        if (isKubemeterError(e, ErrorCode.Aborted)) return out;
        ctx.onError(volumeErrorKind(e), dir, e);
      }
    }
  }
  return [...out.filter((v) => v.ephemeral).sort(byName), ...out.filter((v) => !v.ephemeral).sort(byName)];
}
