/**
 * The agent's in-memory picture of one housekeeping pass: every value the Summary API and
 * /metrics/resource are built from, each with the wall-clock time of its own read.
 */
import type { FsUsage } from '../cgroup/fs-stats.ts';
import type { InterfaceCounters } from '../cgroup/proc.ts';
import type { CgroupPressure } from '../cgroup/psi.ts';
import type { MemorySample, SwapSample } from '../cgroup/stats.ts';
import type { PodVolumeSpec } from './fs/pod-volumes.ts';
import type { StorageSnapshot } from './fs/types.ts';

/** One read of one cgroup, with the CPU rate against the previous read. */
export interface CgroupReading {
  /** Absolute cgroup path. */
  path: string;
  /** When the read happened, ms since the epoch. */
  timeMs: number;
  /** Cumulative CPU, nanoseconds. */
  cpuUsageCoreNanoSeconds: bigint;
  /** CPU rate over the last two reads in core-nanoseconds per second; 0 until there are two (as cAdvisor pre-fills). */
  usageNanoCores: number;
  memory: MemorySample | undefined;
  swap: SwapSample | undefined;
  /** Pressure stall information (KubeletPSI, cgroup v2); absent when not read. */
  pressure?: CgroupPressure;
}

/** Network counters of one namespace at one moment. */
export interface NetworkReading {
  timeMs: number;
  interfaces: InterfaceCounters[];
}

/** One app container of a pod. */
export interface ContainerSnapshot {
  /** Runtime container id (64 hex). */
  id: string;
  /** Container name from the identity source, or the placeholder (first 12 hex of the id). */
  name: string;
  /** Creation time, ms since the epoch. */
  startTimeMs: number;
  reading: CgroupReading;
}

/** One pod. */
export interface PodSnapshot {
  uid: string;
  name: string;
  namespace: string;
  /** False when no identity source knew the pod: name and namespace are placeholders. */
  resolved: boolean;
  /** Start time, ms since the epoch. */
  startTimeMs: number;
  /** The pod cgroup (includes the sandbox and overhead); undefined when it could not be read. */
  reading: CgroupReading | undefined;
  containers: ContainerSnapshot[];
  network: NetworkReading | undefined;
  /** Processes in the app containers' own cgroups. */
  processCount: number;
  /** The pod's spec volumes, when the identity source knows them (names volume stats). */
  volumes?: readonly PodVolumeSpec[] | undefined;
}

/** A filesystem's capacity at one moment. */
export interface FsReading {
  timeMs: number;
  usage: FsUsage;
}

/** A system container other than `pods`: the cgroup of the kubelet, of the runtime, or of the other system daemons. */
export interface SystemContainerSnapshot {
  name: 'kubelet' | 'runtime' | 'misc';
  /** The kubelet's process start for `kubelet` when its process is found, else the cgroup's creation time, ms since the epoch. */
  startTimeMs: number;
  reading: CgroupReading;
}

/** Node-level values. */
export interface NodeSnapshot {
  nodeName: string;
  bootTimeMs: number;
  /** Creation time of the root cgroup (≈ boot). */
  rootCgroupStartMs: number;
  root: CgroupReading | undefined;
  /** MemTotal, bytes: the node's memory limit. */
  memTotalBytes: bigint;
  /** SwapTotal, bytes: the node's swap limit. */
  swapTotalBytes: bigint;
  /** Swap in use, bytes (v1: root `total_swap`; v2: SwapTotal − SwapFree). */
  swapUsageBytes: bigint;
  /** The `pods` system container (the kubepods cgroup), when it exists. */
  pods: { reading: CgroupReading; startTimeMs: number } | undefined;
  /** The `kubelet`, `runtime` and `misc` system containers that are configured and exist. */
  systemContainers?: SystemContainerSnapshot[];
  network: NetworkReading | undefined;
  fs: FsReading | undefined;
  imageFs: FsReading | undefined;
  rlimit: { timeMs: number; maxPid: number; curProc: number } | undefined;
}

/** Everything one pass saw. */
export interface Snapshot {
  /** When the pass started and how long it took (wall ms). */
  startedMs: number;
  durationMs: number;
  node: NodeSnapshot;
  pods: PodSnapshot[];
  /** Volumes, logs and runtime filesystems as the background walks last measured them. */
  storage?: StorageSnapshot | undefined;
}
