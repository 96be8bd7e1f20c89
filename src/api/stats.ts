/**
 * The kubelet Summary API (`/stats/summary`, k8s.io/kubelet `pkg/apis/stats/v1alpha1`): every
 * struct and field, named as on the wire, in wire order. Decoding: stats-decode.ts; encoding:
 * stats-encode.ts.
 *
 * Number representation: cumulative counters (CPU nanoseconds, page faults, network bytes and
 * errors, PSI totals) and filesystem sizes (network filesystems pass 2^53 bytes) are `bigint`;
 * instantaneous memory/swap gauges, rates and small counts are `number`. `availableBytes` of
 * memory and `swapAvailableBytes` may be negative: the kubelet computes them in uint64 and they
 * wrap when usage exceeds the limit; the wrapped wire value decodes to the exact negative
 * difference and encodes back to the same uint64.
 */
import type { Time } from './json.ts';

export type { Time } from './json.ts';

/** Top-level Summary: the node and its pods. */
export interface Summary {
  /** Node-level stats. */
  node: NodeStats;
  /** Per-pod stats (order unspecified upstream: Go map iteration). */
  pods: PodStats[];
}

/** Node-level stats. */
export interface NodeStats {
  /** Node object name. */
  nodeName: string;
  /** Raw cgroups of system daemons, named by SystemContainerName. */
  systemContainers?: ContainerStats[];
  /** When node-level collection (re)started: boot time, or root cgroup creation. */
  startTime: Time;
  /** Root cgroup CPU. */
  cpu?: CPUStats;
  /** Root cgroup memory; the limit is MemTotal. */
  memory?: MemoryStats;
  /** I/O pressure (feature gate KubeletPSI). */
  io?: IOStats;
  /** Host network namespace. */
  network?: NetworkStats;
  /** Filesystem holding the kubelet root directory. */
  fs?: FsStats;
  /** Image and container filesystems. */
  runtime?: RuntimeStats;
  /** PID limits. */
  rlimit?: RlimitStats;
  /** Swap (non-Windows). */
  swap?: SwapStats;
}

/** Names of the node's system containers. */
export const SystemContainerName = {
  Kubelet: 'kubelet',
  Runtime: 'runtime',
  Misc: 'misc',
  Pods: 'pods',
  WindowsGlobalCommitMemory: 'windows-global-commit-memory',
} as const;

/** Pod-level stats. */
export interface PodStats {
  /** Which pod. */
  podRef: PodReference;
  /** When pod-level collection (re)started. */
  startTime: Time;
  /** App containers (never the sandbox); written as `null` when empty, as the kubelet does. */
  containers: ContainerStats[];
  /** Pod cgroup CPU (includes the sandbox and overhead). */
  cpu?: CPUStats;
  /** Pod cgroup memory. */
  memory?: MemoryStats;
  /** I/O pressure (KubeletPSI). */
  io?: IOStats;
  /** Sandbox network namespace. */
  network?: NetworkStats;
  /** Ephemeral volumes first, then persistent ones. */
  volume?: VolumeStats[];
  /** Total ephemeral storage of the pod. */
  'ephemeral-storage'?: FsStats;
  /** Process count. */
  process_stats?: ProcessStats;
  /** Pod cgroup swap. */
  swap?: SwapStats;
}

/** Container-level stats (pod containers and node system containers). */
export interface ContainerStats {
  /** Container name, or system-container name. */
  name: string;
  /** Container creation time. */
  startTime: Time;
  /** Container cgroup CPU. */
  cpu?: CPUStats;
  /** Container cgroup memory. */
  memory?: MemoryStats;
  /** I/O pressure (KubeletPSI). */
  io?: IOStats;
  /** Deprecated; never populated by current kubelets. */
  accelerators?: AcceleratorStats[];
  /** Writable layer usage. */
  rootfs?: FsStats;
  /** Log directory usage. */
  logs?: FsStats;
  /** cAdvisor custom metrics. */
  userDefinedMetrics?: UserDefinedMetric[];
  /** Container cgroup swap. */
  swap?: SwapStats;
}

/** Identifies a pod. */
export interface PodReference {
  /** Pod name. */
  name: string;
  /** Pod namespace. */
  namespace: string;
  /** Pod UID (a hash without dashes for static pods). */
  uid: string;
}

/** Identifies a PersistentVolumeClaim. */
export interface PVCReference {
  /** Claim name. */
  name: string;
  /** Claim namespace. */
  namespace: string;
}

/** CPU usage. */
export interface CPUStats {
  /** Sample time. */
  time: Time;
  /** Rate over the sample window in core-nanoseconds per second (1 busy core = 1e9). */
  usageNanoCores?: number;
  /** Cumulative CPU since cgroup creation, nanoseconds. */
  usageCoreNanoSeconds?: bigint;
  /** CPU pressure (KubeletPSI). */
  psi?: PSIStats;
}

/** Memory usage, bytes unless noted. */
export interface MemoryStats {
  /** Sample time. */
  time: Time;
  /** limit − workingSetBytes; absent when unlimited; negative when over the limit (uint64 wrap). */
  availableBytes?: number;
  /** All memory in use. */
  usageBytes?: number;
  /** Recently accessed, dirty and kernel memory; ≤ usageBytes. */
  workingSetBytes?: number;
  /** Anonymous and swap cache memory. */
  rssBytes?: number;
  /** Cumulative minor page faults (count). */
  pageFaults?: bigint;
  /** Cumulative major page faults (count). */
  majorPageFaults?: bigint;
  /** Memory pressure (KubeletPSI). */
  psi?: PSIStats;
}

/** Swap usage, bytes. */
export interface SwapStats {
  /** Sample time. */
  time: Time;
  /** swap limit − swap usage; absent when unlimited; negative when wrapped. */
  swapAvailableBytes?: number;
  /** Swap in use. */
  swapUsageBytes?: number;
}

/** I/O stats (pressure only). */
export interface IOStats {
  /** Sample time. */
  time: Time;
  /** I/O pressure. */
  psi?: PSIStats;
}

/** Pressure stall information of one resource. */
export interface PSIStats {
  /** Time all non-idle tasks were stalled. */
  full: PSIData;
  /** Time at least one task was stalled. */
  some: PSIData;
}

/** One PSI line. */
export interface PSIData {
  /** Cumulative stall time as found in the cgroup file (microseconds, documented upstream as ns). */
  total: bigint;
  /** Percent over 10 s. */
  avg10: number;
  /** Percent over 60 s. */
  avg60: number;
  /** Percent over 300 s. */
  avg300: number;
}

/** Counters of one network interface (cumulative). */
export interface InterfaceStats {
  /** Interface name. */
  name: string;
  /** Bytes received. */
  rxBytes?: bigint;
  /** Receive errors. */
  rxErrors?: bigint;
  /** Bytes transmitted. */
  txBytes?: bigint;
  /** Transmit errors. */
  txErrors?: bigint;
}

/** Network stats: the default interface (`eth0`) flattened in, then every interface. */
export interface NetworkStats extends InterfaceStats {
  /** Sample time. */
  time: Time;
  /** All interfaces, including the default one. */
  interfaces?: InterfaceStats[];
}

/** Filesystem usage; bytes and inode counts. */
export interface FsStats {
  /** Sample time. */
  time: Time;
  /** Bytes available. */
  availableBytes?: bigint;
  /** Total bytes. */
  capacityBytes?: bigint;
  /** Bytes used for this specific task (not necessarily capacity − available). */
  usedBytes?: bigint;
  /** Free inodes. */
  inodesFree?: bigint;
  /** Total inodes. */
  inodes?: bigint;
  /** Inodes used for this task. */
  inodesUsed?: bigint;
}

/** Volume usage: FsStats flattened in, then the volume's identity. */
export interface VolumeStats extends FsStats {
  /** Volume name in the pod spec. */
  name?: string;
  /** The claim, for persistent volumes. */
  pvcRef?: PVCReference;
  /** Health (feature gate CSIVolumeHealth). */
  volumeHealthStats?: VolumeHealthStats;
}

/** Volume health. */
export interface VolumeHealthStats {
  /** Whether the volume is abnormal. */
  abnormal: boolean;
}

/** Image and container filesystems. */
export interface RuntimeStats {
  /** Filesystem holding images (usedBytes = bytes of images). */
  imageFs?: FsStats;
  /** Filesystem holding writable layers. */
  containerFs?: FsStats;
}

/** PID limits. */
export interface RlimitStats {
  /** Sample time. */
  time: Time;
  /** Maximum number of PIDs. */
  maxpid?: number;
  /** Current number of processes/threads. */
  curproc?: number;
}

/** Process count. */
export interface ProcessStats {
  /** Number of processes. */
  process_count?: number;
}

/** Accelerator (GPU) stats; deprecated upstream. */
export interface AcceleratorStats {
  /** Vendor. */
  make: string;
  /** Model. */
  model: string;
  /** Device id. */
  id: string;
  /** Total memory, bytes. */
  memoryTotal: number;
  /** Allocated memory, bytes. */
  memoryUsed: number;
  /** Busy percent over the last 10 s. */
  dutyCycle: number;
}

/** A cAdvisor custom metric: descriptor flattened in, then the sample. */
export interface UserDefinedMetric {
  /** Metric name. */
  name: string;
  /** `gauge`, `cumulative` or `delta` (not enforced: future kinds pass through). */
  type: string;
  /** Display units. */
  units: string;
  /** Metric labels. */
  labels?: Record<string, string>;
  /** Sample time. */
  time: Time;
  /** Sample value. */
  value: number;
}

function cpuAndMemoryOnly(c: ContainerStats): ContainerStats {
  const out: ContainerStats = { name: c.name, startTime: c.startTime };
  if (c.cpu !== undefined) out.cpu = c.cpu;
  if (c.memory !== undefined) out.memory = c.memory;
  if (c.swap !== undefined) out.swap = c.swap;
  return out;
}

/**
 * The view the kubelet serves for `only_cpu_and_memory=true`: node and pods keep only names,
 * start times, cpu, memory and swap (containers and system containers likewise). Shares the
 * unchanged sub-objects with `s`.
 */
export function onlyCpuAndMemory(s: Summary): Summary {
  const n = s.node;
  const node: NodeStats = { nodeName: n.nodeName, startTime: n.startTime };
  if (n.systemContainers !== undefined) node.systemContainers = n.systemContainers.map(cpuAndMemoryOnly);
  if (n.cpu !== undefined) node.cpu = n.cpu;
  if (n.memory !== undefined) node.memory = n.memory;
  if (n.swap !== undefined) node.swap = n.swap;
  const pods = s.pods.map((p): PodStats => {
    const out: PodStats = { podRef: p.podRef, startTime: p.startTime, containers: p.containers.map(cpuAndMemoryOnly) };
    if (p.cpu !== undefined) out.cpu = p.cpu;
    if (p.memory !== undefined) out.memory = p.memory;
    if (p.swap !== undefined) out.swap = p.swap;
    return out;
  });
  return { node, pods };
}
