/**
 * Storage readings → Summary API blocks, with the kubelet's CRI-path rules:
 * - volume: every FsStats field present, then `name` and `pvcRef`;
 * - container `rootfs`: the writable layer's time, usedBytes and inodesUsed from the runtime,
 *   availableBytes, capacityBytes, inodesFree and inodes of the image filesystem;
 * - container `logs`: used bytes and inodes of its log files, the rest of the node root
 *   filesystem, time = the later of the two reads;
 * - pod `ephemeral-storage` (calcEphemeralStorage): available, capacity, inodes and inodesFree
 *   of the node root filesystem; used bytes and inodes summed over the containers' rootfs and
 *   logs, the local ephemeral volumes, the pod's own log files and etc-hosts; time = the latest
 *   of them. A sum stays absent while nothing contributed (Go's addUsage on nil pointers).
 * - node `runtime.imageFs` from `ImageFsInfo` (time, usedBytes, inodesUsed) with the image
 *   filesystem's statfs; `containerFs` is the same block, as the kubelet's CRI provider returns it.
 */
import type { FsStats, VolumeStats } from '../../api/stats.ts';
import type { RuntimeFsUsage } from '../identity/cri.ts';
import type { FsReading } from '../model.ts';
import type { PodStorage, UsageReading, VolumeReading } from './types.ts';

/** A volume's stats block. */
export function volumeStats(v: VolumeReading): VolumeStats {
  const out: VolumeStats = {
    time: v.timeMs, availableBytes: v.fs.availableBytes, capacityBytes: v.fs.capacityBytes, usedBytes: v.usedBytes,
    inodesFree: v.fs.inodesFree, inodes: v.fs.inodes, inodesUsed: v.inodesUsed, name: v.name,
  };
  if (v.pvcRef !== undefined) out.pvcRef = { name: v.pvcRef.name, namespace: v.pvcRef.namespace };
  return out;
}

/** FsStats in Go's field order, the capacity part from `fs` when known. */
function block(timeMs: number, fs: FsReading | undefined, usedBytes: bigint | undefined, inodesUsed: bigint | undefined): FsStats {
  const out: FsStats = { time: timeMs };
  if (fs !== undefined) {
    out.availableBytes = fs.usage.availableBytes;
    out.capacityBytes = fs.usage.capacityBytes;
  }
  if (usedBytes !== undefined) out.usedBytes = usedBytes;
  if (fs !== undefined) {
    out.inodesFree = fs.usage.inodesFree;
    out.inodes = fs.usage.inodes;
  }
  if (inodesUsed !== undefined) out.inodesUsed = inodesUsed;
  return out;
}

/** A container's `rootfs` from its writable layer and the image filesystem's statfs. */
export function rootfsStats(layer: RuntimeFsUsage, imageFs: FsReading | undefined): FsStats {
  return block(layer.timeMs, imageFs, layer.usedBytes, layer.inodesUsed);
}

/** A container's `logs`; undefined without the node root filesystem (the kubelet has no stats then). */
export function logsStats(logs: UsageReading, rootFs: FsReading | undefined): FsStats | undefined {
  if (rootFs === undefined) return undefined;
  return block(Math.max(rootFs.timeMs, logs.timeMs), rootFs, BigInt(logs.usedBytes), BigInt(logs.inodesUsed));
}

/** The node's `runtime` block from `ImageFsInfo` and the image filesystem's statfs. */
export function runtimeImageFs(image: RuntimeFsUsage, imageFs: FsReading | undefined): FsStats {
  return block(image.timeMs, imageFs, image.usedBytes ?? 0n, image.inodesUsed);
}

function add(a: bigint | undefined, b: bigint | number | undefined): bigint | undefined {
  if (b === undefined) return a;
  return (a ?? 0n) + BigInt(b);
}

/** The containers' blocks ephemeral storage sums. */
export interface ContainerFsBlocks {
  rootfs?: FsStats | undefined;
  logs?: FsStats | undefined;
}

/**
 * The pod's `ephemeral-storage`; undefined until its volumes were measured or without the node
 * root filesystem (the kubelet reports it only with both).
 */
export function ephemeralStorage(storage: PodStorage, containers: readonly ContainerFsBlocks[], rootFs: FsReading | undefined): FsStats | undefined {
  if (storage.volumes === undefined || rootFs === undefined) return undefined;
  let timeMs = rootFs.timeMs;
  let used: bigint | undefined;
  let inodes: bigint | undefined;
  const take = (t: number, u: bigint | number | undefined, i: bigint | number | undefined): void => {
    timeMs = Math.max(timeMs, t);
    used = add(used, u);
    inodes = add(inodes, i);
  };
  for (const c of containers) {
    // The kubelet adds logs only next to a rootfs, which it always has; without a runtime the
    // agent has no rootfs and still counts the logs (see docs/agent.md).
    if (c.rootfs !== undefined) take(c.rootfs.time ?? 0, c.rootfs.usedBytes, c.rootfs.inodesUsed);
    if (c.logs !== undefined) take(c.logs.time ?? 0, c.logs.usedBytes, c.logs.inodesUsed);
  }
  for (const v of storage.volumes) if (v.ephemeral) take(v.timeMs, v.usedBytes, v.inodesUsed);
  if (storage.podLogs !== undefined) take(storage.podLogs.timeMs, storage.podLogs.usedBytes, storage.podLogs.inodesUsed);
  if (storage.etcHosts !== undefined) take(storage.etcHosts.timeMs, storage.etcHosts.usedBytes, storage.etcHosts.inodesUsed);
  return block(timeMs, rootFs, used, inodes);
}
