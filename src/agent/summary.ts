/**
 * Snapshot → Summary API (`stats/v1alpha1`), following the kubelet's cAdvisor-path rules: CPU
 * blocks always carry both fields (rate 0 until two samples exist), memory without accounting is
 * `{time, workingSetBytes: 0}`, `availableBytes` only under a limit (≤ 2^62) and computed like Go's
 * uint64 (it goes negative, i.e. wraps on the wire, when the working set exceeds the limit),
 * the node's limit is MemTotal, the default interface is `eth0`.
 */
import type {
  CPUStats,
  ContainerStats,
  FsStats,
  IOStats,
  InterfaceStats,
  MemoryStats,
  NetworkStats,
  NodeStats,
  PodStats,
  PSIStats,
  Summary,
  SwapStats,
} from '../api/stats.ts';
import { onlyCpuAndMemory } from '../api/stats.ts';
import { isUnlimited, maxUint64 } from '../cgroup/parse.ts';
import type { PressureSample } from '../cgroup/psi.ts';
import type { PodStorage } from './fs/types.ts';
import { ephemeralStorage, logsStats, rootfsStats, runtimeImageFs, volumeStats } from './fs/summary-fs.ts';
import type { CgroupReading, FsReading, NetworkReading, Snapshot } from './model.ts';

/** PSI as the kubelet copies it: `total` passed through in the file's microseconds. */
function psi(p: PressureSample): PSIStats {
  return {
    full: { total: p.full.totalMicroseconds, avg10: p.full.avg10, avg60: p.full.avg60, avg300: p.full.avg300 },
    some: { total: p.some.totalMicroseconds, avg10: p.some.avg10, avg60: p.some.avg60, avg300: p.some.avg300 },
  };
}

function cpu(r: CgroupReading): CPUStats {
  const out: CPUStats = { time: r.timeMs, usageNanoCores: r.usageNanoCores, usageCoreNanoSeconds: r.cpuUsageCoreNanoSeconds };
  if (r.pressure?.cpu !== undefined) out.psi = psi(r.pressure.cpu);
  return out;
}

/** `io` (KubeletPSI): only the I/O pressure. */
function io(r: CgroupReading): IOStats | undefined {
  return r.pressure?.io === undefined ? undefined : { time: r.timeMs, psi: psi(r.pressure.io) };
}

/** Memory of a reading; `limitOverride` replaces the cgroup limit (the node uses MemTotal). */
function memory(r: CgroupReading, limitOverride?: bigint): MemoryStats {
  const m = r.memory;
  if (m === undefined) return { time: r.timeMs, workingSetBytes: 0 };
  const limit = limitOverride ?? m.limitBytes;
  const out: MemoryStats = { time: r.timeMs };
  // Go: `limit - workingSet` in uint64; a negative difference is the wrapped value on the wire.
  if (!isUnlimited(limit)) out.availableBytes = Number(limit - m.workingSetBytes);
  out.usageBytes = Number(m.usageBytes);
  out.workingSetBytes = Number(m.workingSetBytes);
  out.rssBytes = Number(m.rssBytes);
  out.pageFaults = m.pageFaults;
  out.majorPageFaults = m.majorPageFaults;
  if (r.pressure?.memory !== undefined) out.psi = psi(r.pressure.memory);
  return out;
}

function swap(r: CgroupReading): SwapStats | undefined {
  const s = r.swap;
  if (s === undefined) return undefined;
  const out: SwapStats = { time: r.timeMs };
  if (s.limitBytes !== undefined && !isUnlimited(s.limitBytes)) out.swapAvailableBytes = Number(s.limitBytes - s.usageBytes);
  out.swapUsageBytes = Number(s.usageBytes);
  return out;
}

/** Network stats with the kubelet's default-interface rule (exactly `eth0`). */
export function network(n: NetworkReading | undefined): NetworkStats | undefined {
  if (n === undefined || n.interfaces.length === 0) return undefined;
  const interfaces: InterfaceStats[] = n.interfaces.map((i) => ({ name: i.name, rxBytes: i.rxBytes, rxErrors: i.rxErrors, txBytes: i.txBytes, txErrors: i.txErrors }));
  const eth0 = interfaces.find((i) => i.name === 'eth0');
  return { time: n.timeMs, ...(eth0 ?? { name: '' }), interfaces };
}

function fsStats(f: FsReading, withUsed: boolean): FsStats {
  const u = f.usage;
  const out: FsStats = { time: f.timeMs, availableBytes: u.availableBytes, capacityBytes: u.capacityBytes };
  if (withUsed) out.usedBytes = u.capacityBytes - u.freeBytes;
  out.inodesFree = u.inodesFree;
  out.inodes = u.inodes;
  if (withUsed) out.inodesUsed = u.inodes - u.inodesFree;
  return out;
}

function container(name: string, startTimeMs: number, r: CgroupReading): ContainerStats {
  const out: ContainerStats = { name, startTime: startTimeMs, cpu: cpu(r), memory: memory(r) };
  const s = swap(r);
  if (s !== undefined) out.swap = s;
  const i = io(r);
  if (i !== undefined) out.io = i;
  return out;
}

function node(s: Snapshot): NodeStats {
  const n = s.node;
  const out: NodeStats = { nodeName: n.nodeName, startTime: n.bootTimeMs };
  const system = (n.systemContainers ?? []).map((c) => container(c.name, c.startTimeMs, c.reading));
  if (n.pods !== undefined) system.push(container('pods', n.pods.startTimeMs, n.pods.reading));
  if (system.length > 0) out.systemContainers = system;
  if (n.root !== undefined) {
    out.cpu = cpu(n.root);
    // Without /proc/meminfo the limit is unknown: leave availableBytes out rather than invent one.
    out.memory = memory(n.root, n.memTotalBytes > 0n ? n.memTotalBytes : maxUint64);
    const i = io(n.root);
    if (i !== undefined) out.io = i;
  }
  const net = network(n.network);
  if (net !== undefined) out.network = net;
  if (n.fs !== undefined) out.fs = fsStats(n.fs, true);
  const criImage = s.storage?.imageFs;
  if (criImage !== undefined) {
    const image = runtimeImageFs(criImage, n.imageFs);
    out.runtime = { imageFs: image, containerFs: image };
  } else if (n.imageFs !== undefined) {
    // Bytes occupied by images need the runtime's image service: usedBytes is left out.
    const image = fsStats(n.imageFs, false);
    out.runtime = { imageFs: image, containerFs: image };
  }
  if (n.rlimit !== undefined) out.rlimit = { time: n.rlimit.timeMs, maxpid: n.rlimit.maxPid, curproc: n.rlimit.curProc };
  if (n.root !== undefined) {
    out.swap = { time: n.root.timeMs, swapAvailableBytes: Number(n.swapTotalBytes - n.swapUsageBytes), swapUsageBytes: Number(n.swapUsageBytes) };
  }
  return out;
}

/** Container `rootfs` and `logs` from the background filesystem reads (see fs/summary-fs.ts). */
function containerFs(out: ContainerStats, id: string, s: Snapshot, storage: PodStorage | undefined): void {
  const layer = s.storage?.writableLayers.get(id);
  if (layer !== undefined) out.rootfs = rootfsStats(layer, s.node.imageFs);
  const logs = storage?.containerLogs.get(out.name);
  const l = logs === undefined ? undefined : logsStats(logs, s.node.fs);
  if (l !== undefined) out.logs = l;
}

function pod(p: Snapshot['pods'][number], s: Snapshot): PodStats {
  const storage = s.storage?.pods.get(p.uid);
  const out: PodStats = {
    podRef: { name: p.name, namespace: p.namespace, uid: p.uid },
    startTime: p.startTimeMs,
    containers: p.containers.map((c) => {
      const cs = container(c.name, c.startTimeMs, c.reading);
      if (s.storage !== undefined) containerFs(cs, c.id, s, storage);
      return cs;
    }),
  };
  if (p.reading !== undefined) {
    out.cpu = cpu(p.reading);
    out.memory = memory(p.reading);
    const i = io(p.reading);
    if (i !== undefined) out.io = i;
  }
  const net = network(p.network);
  if (net !== undefined) out.network = net;
  if (storage?.volumes !== undefined && storage.volumes.length > 0) out.volume = storage.volumes.map(volumeStats);
  const eph = storage === undefined ? undefined : ephemeralStorage(storage, out.containers, s.node.fs);
  if (eph !== undefined) out['ephemeral-storage'] = eph;
  out.process_stats = { process_count: p.processCount };
  if (p.reading !== undefined) {
    const s = swap(p.reading);
    if (s !== undefined) out.swap = s;
  }
  return out;
}

/** The full Summary of a snapshot. */
export function buildSummary(s: Snapshot): Summary {
  return { node: node(s), pods: s.pods.map((p) => pod(p, s)) };
}

/**
 * The `only_cpu_and_memory=true` Summary: the kubelet then reports the root cgroup's creation
 * time as the node start instead of the boot time.
 */
export function buildCpuAndMemorySummary(s: Snapshot): Summary {
  const out = onlyCpuAndMemory(buildSummary(s));
  out.node.startTime = s.node.rootCgroupStartMs;
  return out;
}
