/**
 * fast-check arbitraries of Summaries shaped like the agent's (the fields summary.ts fills, with
 * any of them missing), for the tests that hold the agent's fast writers to the reference
 * encoders: PSI and `io` with any finite average, hostile names (quotes, `<>&`, controls, U+2028, lone surrogates, astral characters),
 * counters beyond 2^53, wrapped `availableBytes`, null times, pods without containers, and pods
 * or containers sharing a name.
 */
import fc from 'fast-check';
import type { ContainerStats, CPUStats, FsStats, IOStats, MemoryStats, NetworkStats, NodeStats, PodStats, PSIStats, Summary, SwapStats, VolumeStats } from '../../src/api/stats.ts';

const names = fc.oneof(
  fc.constantFrom('app', 'sidecar', 'eth0', 'kube-system', 'pod-a', ''),
  fc.string({ maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.constantFrom('a"b', 'x\\y', '<tag>&', 'l\u2028s', 'lone\ud800', 'astral\u{1f600}', 'c\u0001\n\t'),
);
const timeMs = fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 4_102_444_800_000 }));
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const gauge = fc.oneof(fc.integer({ min: 0, max: 2 ** 40 }), fc.double({ min: 0, max: 2 ** 64, noNaN: true }).map(Math.trunc));
const signed = fc.oneof(gauge, fc.integer({ min: -(2 ** 40), max: -1 }));
const opt = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(a, { nil: undefined });

// PSI averages: percentages as the kernel prints them, and any finite double (-0, 1e-7, 1e21 write differently in Go).
const percent = fc.oneof(fc.integer({ min: 0, max: 10000 }).map((c) => c / 100), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(-0, 1e-7, 1e21, 5e-324));
const psiData = fc.record({ total: u64, avg10: percent, avg60: percent, avg300: percent });
const psi: fc.Arbitrary<PSIStats> = fc.record({ full: psiData, some: psiData });
const io: fc.Arbitrary<IOStats> = fc.record({ time: timeMs, psi: opt(psi) }).map(defined);
const cpu: fc.Arbitrary<CPUStats> = fc.record({ time: timeMs, usageNanoCores: opt(fc.nat()), usageCoreNanoSeconds: opt(u64), psi: opt(psi) }, { requiredKeys: ['time'] });
const memory: fc.Arbitrary<MemoryStats> = fc.record(
  { time: timeMs, availableBytes: opt(signed), usageBytes: opt(gauge), workingSetBytes: opt(gauge), rssBytes: opt(gauge), pageFaults: opt(u64), majorPageFaults: opt(u64), psi: opt(psi) },
  { requiredKeys: ['time'] },
);
const swap: fc.Arbitrary<SwapStats> = fc.record({ time: timeMs, swapAvailableBytes: opt(signed), swapUsageBytes: opt(gauge) }, { requiredKeys: ['time'] });
const iface = fc.record({ name: names, rxBytes: opt(u64), rxErrors: opt(u64), txBytes: opt(u64), txErrors: opt(u64) }, { requiredKeys: ['name'] });
const network: fc.Arbitrary<NetworkStats> = fc.record({ time: timeMs, iface, interfaces: opt(fc.array(iface, { maxLength: 3 })) })
  .map(({ time, iface: i, interfaces }) => ({ time, ...i, ...(interfaces === undefined ? {} : { interfaces }) }));
const fs: fc.Arbitrary<FsStats> = fc.record(
  { time: timeMs, availableBytes: opt(u64), capacityBytes: opt(u64), usedBytes: opt(u64), inodesFree: opt(u64), inodes: opt(u64), inodesUsed: opt(u64) },
  { requiredKeys: ['time'] },
);

/** Drops keys whose value is undefined (the encoders' omitempty and JSON.stringify agree on absent keys only). */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

const container: fc.Arbitrary<ContainerStats> = fc.record({
  name: names, startTime: timeMs, cpu: opt(cpu), memory: opt(memory), io: opt(io), rootfs: opt(fs), logs: opt(fs), swap: opt(swap),
}).map(defined);

const volume: fc.Arbitrary<VolumeStats> = fc.record({ fs, name: opt(names), pvcRef: opt(fc.record({ name: names, namespace: names })) })
  .map(({ fs: f, name, pvcRef }) => defined({ ...f, name, pvcRef }));

const pod: fc.Arbitrary<PodStats> = fc.record({
  podRef: fc.record({ name: names, namespace: names, uid: names }),
  startTime: timeMs,
  containers: fc.array(container, { maxLength: 3 }),
  cpu: opt(cpu),
  memory: opt(memory),
  io: opt(io),
  network: opt(network),
  volume: opt(fc.array(volume, { maxLength: 3 })),
  'ephemeral-storage': opt(fs),
  process_stats: opt(fc.record({ process_count: opt(fc.nat()) }).map(defined)),
  swap: opt(swap),
}).map(defined);

const node: fc.Arbitrary<NodeStats> = fc.record({
  nodeName: names,
  systemContainers: opt(fc.array(container, { maxLength: 1 })),
  startTime: timeMs,
  cpu: opt(cpu),
  memory: opt(memory),
  io: opt(io),
  network: opt(network),
  fs: opt(fs),
  runtime: opt(fc.record({ imageFs: opt(fs), containerFs: opt(fs) }).map(defined)),
  rlimit: opt(fc.record({ time: timeMs, maxpid: opt(fc.nat()), curproc: opt(fc.nat()) }).map(defined)),
  swap: opt(swap),
}).map(defined);

/** A Summary the agent could serve; some draws give every pod the same reference (duplicate series). */
export const agentSummary: fc.Arbitrary<Summary> = fc.record({
  node,
  pods: fc.oneof(fc.array(pod, { maxLength: 6 }), fc.array(pod, { minLength: 2, maxLength: 4 }).map((ps) => ps.map((p) => ({ ...p, podRef: ps[0]!.podRef })))),
});
