/**
 * A node snapshot as the kubelet's `/stats/summary` body (k8s.io/kubelet stats/v1alpha1), encoded
 * by the project's kubelet-exact encoder. The full form carries what a containerd node reports
 * (system containers, network, filesystems, rlimit, volumes, ephemeral storage, swap);
 * `only_cpu_and_memory=true` trims it as the kubelet does.
 */
import { encodeSummary } from '../api/stats-encode.ts';
import { onlyCpuAndMemory, type ContainerStats, type FsStats, type PodStats, type Summary } from '../api/stats.ts';
import type { ContainerSnapshot, NodeSnapshot, PodSnapshot } from './model.ts';

/** Faults that change the body's content. */
export interface SummaryDistortion {
  /** Every pod appears twice, the copy with halved counters. */
  duplicateSeries?: boolean;
  /**
   * JSON has no NaN, and the kubelet's fields are uint64: the nearest nonsense the format allows
   * is the largest uint64, written for every other pod's container CPU and the node's memory.
   */
  nan?: boolean;
}

const MAX_UINT64 = (1n << 64n) - 1n;
const DISK_BYTES = 205_918_412_800n;
const DISK_INODES = 32_462_592n;

function fs(timeMs: number, usedBytes: bigint, inodesUsed: bigint): FsStats {
  return { time: timeMs, availableBytes: 15_873_736_704n, capacityBytes: DISK_BYTES, usedBytes, inodesFree: 31_007_474n, inodes: DISK_INODES, inodesUsed };
}

function container(c: ContainerSnapshot, nan: boolean): ContainerStats {
  return {
    name: c.name,
    startTime: c.startMs,
    cpu: { time: c.timeMs, usageNanoCores: c.usageNanoCores, usageCoreNanoSeconds: nan ? MAX_UINT64 : c.cpuNs },
    memory: { time: c.timeMs, usageBytes: c.usageBytes, workingSetBytes: c.workingSetBytes, rssBytes: c.rssBytes, pageFaults: c.pageFaults, majorPageFaults: c.majorPageFaults },
    rootfs: fs(c.timeMs, 8192n * BigInt(1 + c.restarts), 22n),
    logs: fs(c.timeMs, BigInt(4096 * (1 + Math.floor((c.timeMs - c.startMs) / 60_000))), 5n),
    swap: { time: c.timeMs, swapUsageBytes: 0 },
  };
}

function pod(p: PodSnapshot, nan: boolean, halve: boolean): PodStats {
  const network = { time: p.timeMs, name: 'eth0', rxBytes: p.cpuNs / 1000n, rxErrors: 0n, txBytes: p.cpuNs / 1500n, txErrors: 0n };
  const containers = p.containers.map((c) => container(halve ? { ...c, cpuNs: c.cpuNs / 2n } : c, nan));
  return {
    podRef: { name: p.name, namespace: p.namespace, uid: p.uid },
    startTime: p.startMs,
    containers,
    cpu: { time: p.timeMs, usageNanoCores: p.usageNanoCores, usageCoreNanoSeconds: halve ? p.cpuNs / 2n : p.cpuNs },
    memory: { time: p.timeMs, usageBytes: p.usageBytes, workingSetBytes: p.workingSetBytes, rssBytes: Math.round(p.workingSetBytes * 0.85), pageFaults: 0n, majorPageFaults: 0n },
    network: { ...network, interfaces: [{ name: 'eth0', rxBytes: network.rxBytes, rxErrors: 0n, txBytes: network.txBytes, txErrors: 0n }] },
    volume: [{ time: p.timeMs, availableBytes: 7_903_948_800n, capacityBytes: 7_903_961_088n, usedBytes: 12_288n, inodesFree: 1_929_678n, inodes: 1_929_687n, inodesUsed: 9n, name: `kube-api-access-${p.uid.slice(0, 5)}` }],
    'ephemeral-storage': fs(p.timeMs, 16_449_536n, 28n),
    process_stats: { process_count: 0 },
    swap: { time: p.timeMs, swapUsageBytes: 0 },
  };
}

/** The Summary object of a snapshot (full form). */
export function summaryOf(n: NodeSnapshot, d: SummaryDistortion = {}): Summary {
  const pods: PodStats[] = [];
  n.pods.forEach((p, i) => {
    const nan = d.nan === true && i % 2 === 0;
    pods.push(pod(p, nan, false));
    if (d.duplicateSeries === true) pods.push(pod(p, nan, true));
  });
  const t = n.timeMs;
  const podsCpu = n.pods.reduce((s, p) => s + p.cpuNs, 0n);
  const podsWs = n.pods.reduce((s, p) => s + p.workingSetBytes, 0);
  const kubeletNs = n.cpuNs / 40n;
  return {
    node: {
      nodeName: n.name,
      systemContainers: [
        { name: 'kubelet', startTime: n.bootMs + 15_000, cpu: { time: t, usageNanoCores: Math.round(n.usageNanoCores / 40), usageCoreNanoSeconds: kubeletNs }, memory: { time: t, usageBytes: 52_457_472, workingSetBytes: 52_432_896, rssBytes: 51_089_408, pageFaults: 19_121_096n, majorPageFaults: 0n } },
        { name: 'pods', startTime: n.bootMs + 10_000, cpu: { time: t, usageNanoCores: n.pods.reduce((s, p) => s + p.usageNanoCores, 0), usageCoreNanoSeconds: podsCpu }, memory: { time: t, availableBytes: n.memoryCapacityBytes - podsWs, usageBytes: Math.round(podsWs * 1.2), workingSetBytes: podsWs, rssBytes: Math.round(podsWs * 0.85), pageFaults: 0n, majorPageFaults: 0n } },
      ],
      startTime: n.bootMs,
      cpu: { time: t, usageNanoCores: n.usageNanoCores, usageCoreNanoSeconds: n.cpuNs },
      memory: { time: t, availableBytes: n.memoryCapacityBytes - n.workingSetBytes, usageBytes: n.usageBytes, workingSetBytes: d.nan === true ? Number(MAX_UINT64) : n.workingSetBytes, rssBytes: Math.round(n.workingSetBytes * 0.4), pageFaults: 19_841n, majorPageFaults: 128n },
      network: { time: t, name: 'eth0', rxBytes: n.cpuNs / 800n, rxErrors: 0n, txBytes: n.cpuNs / 600n, txErrors: 0n, interfaces: [{ name: 'eth0', rxBytes: n.cpuNs / 800n, rxErrors: 0n, txBytes: n.cpuNs / 600n, txErrors: 0n }] },
      fs: fs(t, DISK_BYTES - 15_873_736_704n, 1_455_118n),
      runtime: { imageFs: fs(t, 843_317_248n, 13_541n), containerFs: fs(t, 843_317_248n, 13_541n) },
      rlimit: { time: t, maxpid: 126_764, curproc: 200 + 12 * n.pods.length },
      swap: { time: t, swapAvailableBytes: 0, swapUsageBytes: 0 },
    },
    pods,
  };
}

/** The `/stats/summary` body; `onlyCpuAndMemory` is the kubelet's `only_cpu_and_memory=true` form. */
export function summaryPage(n: NodeSnapshot, options: { onlyCpuAndMemory: boolean } & SummaryDistortion): string {
  const s = summaryOf(n, options);
  return encodeSummary(options.onlyCpuAndMemory ? onlyCpuAndMemory(s) : s);
}
