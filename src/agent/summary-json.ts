/**
 * The agent's `/stats/summary` body: byte for byte what encodeSummary writes (go-restful's
 * `json.MarshalIndent(v, "", " ")`), produced by V8's JSON.stringify from a tree built in Go's
 * field order, with uint64 counters and Go-escaped strings passed through JSON.rawJSON.
 *
 * Why not encodeSummary itself: it writes compact JSON by string concatenation and re-indents it,
 * which for 110 pods × 3 containers allocates ~5 MiB of short-lived strings to produce 290 KB;
 * this allocates ~0.6 MiB (the tree and the result) in under half the CPU (1.2 vs 2.7 ms), and the agent renders
 * after every pass, so those megabytes were what grew its heap (see docs/agent.md, "Memory and
 * CPU"). PSI and `io` (KubeletPSI, on by default) are written here too, floats as numbers where
 * V8's text is Go's. Summaries carrying fields the agent never produces (accelerators,
 * user-defined metrics, volume health) go to encodeSummary.
 */
import { goFloatJson, goQuote, timeText } from '../api/json.ts';
import type { Time } from '../api/json.ts';
import type {
  ContainerStats, CPUStats, FsStats, InterfaceStats, IOStats, MemoryStats, NetworkStats, NodeStats, PodStats, PSIData, PSIStats, Summary, SwapStats, VolumeStats,
} from '../api/stats.ts';
import { encodeSummary } from '../api/stats-encode.ts';

/** `JSON.rawJSON` (V8 ≥ 11.4, Node ≥ 21): a value JSON.stringify writes as the given text. Not yet in TypeScript's lib. */
const rawJSON = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;

const TWO_64 = 1n << 64n;
const maxSafe = BigInt(Number.MAX_SAFE_INTEGER);

// Strings with anything JSON.stringify might write differently from Go (Go also escapes <, >, &,
// U+2028, U+2029 and replaces lone surrogates) are quoted by goQuote; the rest pass as they are.
// eslint-disable-next-line no-control-regex -- control characters are among what must be found
const notPlain = /["\\<>&\u0000-\u001f\u2028\u2029\ud800-\udfff]/;

function str(s: string): unknown {
  return notPlain.test(s) ? rawJSON(goQuote(s)) : s;
}

function time(t: Time | undefined): string | null {
  return t === null || t === undefined ? null : timeText(t);
}

/** A uint64 field: bigints and integers beyond 2^53 as their exact digits (as encodeSummary's intText). */
function int(v: bigint | number | undefined): unknown {
  if (v === undefined) return undefined;
  if (typeof v === 'bigint') return rawJSON(v.toString());
  return Number.isSafeInteger(v) ? v : rawJSON(BigInt(Math.trunc(v)).toString());
}

/** `limit − usage` computed in Go's uint64: a negative difference is written wrapped. */
function wrapped(v: number | undefined): unknown {
  return v !== undefined && v < 0 ? rawJSON((TWO_64 + BigInt(Math.trunc(v))).toString()) : int(v);
}

/** A float64 as Go writes it: the number itself where JSON.stringify writes the same text (all finite values but -0). */
function float(v: number, field: string): unknown {
  return Number.isFinite(v) && !Object.is(v, -0) ? v : rawJSON(goFloatJson(v, field));
}

function psiData(d: PSIData, field: string): object {
  // Totals are µs counters, below 2^53 for centuries: plain numbers, no rawJSON object per value.
  const total = d.total <= maxSafe ? Number(d.total) : rawJSON(d.total.toString());
  return { total, avg10: float(d.avg10, `${field}.avg10`), avg60: float(d.avg60, `${field}.avg60`), avg300: float(d.avg300, `${field}.avg300`) };
}

function psi(p: PSIStats | undefined): object | undefined {
  return p === undefined ? undefined : { full: psiData(p.full, 'psi.full'), some: psiData(p.some, 'psi.some') };
}

function io(s: IOStats | undefined): object | undefined {
  return s === undefined ? undefined : { time: time(s.time), psi: psi(s.psi) };
}

function cpu(c: CPUStats | undefined): object | undefined {
  return c === undefined ? undefined : { time: time(c.time), usageNanoCores: int(c.usageNanoCores), usageCoreNanoSeconds: int(c.usageCoreNanoSeconds), psi: psi(c.psi) };
}

function memory(m: MemoryStats | undefined): object | undefined {
  if (m === undefined) return undefined;
  return {
    time: time(m.time), availableBytes: wrapped(m.availableBytes), usageBytes: int(m.usageBytes), workingSetBytes: int(m.workingSetBytes),
    rssBytes: int(m.rssBytes), pageFaults: int(m.pageFaults), majorPageFaults: int(m.majorPageFaults), psi: psi(m.psi),
  };
}

function swap(s: SwapStats | undefined): object | undefined {
  return s === undefined ? undefined : { time: time(s.time), swapAvailableBytes: wrapped(s.swapAvailableBytes), swapUsageBytes: int(s.swapUsageBytes) };
}

function iface(i: InterfaceStats): object {
  return { name: str(i.name), rxBytes: int(i.rxBytes), rxErrors: int(i.rxErrors), txBytes: int(i.txBytes), txErrors: int(i.txErrors) };
}

function network(n: NetworkStats | undefined): object | undefined {
  if (n === undefined) return undefined;
  return {
    time: time(n.time), name: str(n.name), rxBytes: int(n.rxBytes), rxErrors: int(n.rxErrors), txBytes: int(n.txBytes), txErrors: int(n.txErrors),
    interfaces: n.interfaces === undefined || n.interfaces.length === 0 ? undefined : n.interfaces.map(iface),
  };
}

function fs(f: FsStats | undefined): object | undefined {
  if (f === undefined) return undefined;
  return {
    time: time(f.time), availableBytes: int(f.availableBytes), capacityBytes: int(f.capacityBytes), usedBytes: int(f.usedBytes),
    inodesFree: int(f.inodesFree), inodes: int(f.inodes), inodesUsed: int(f.inodesUsed),
  };
}

function volume(v: VolumeStats): object {
  return {
    time: time(v.time), availableBytes: int(v.availableBytes), capacityBytes: int(v.capacityBytes), usedBytes: int(v.usedBytes),
    inodesFree: int(v.inodesFree), inodes: int(v.inodes), inodesUsed: int(v.inodesUsed),
    name: v.name === undefined || v.name === '' ? undefined : str(v.name),
    pvcRef: v.pvcRef === undefined ? undefined : { name: str(v.pvcRef.name), namespace: str(v.pvcRef.namespace) },
  };
}

function container(c: ContainerStats): object {
  return { name: str(c.name), startTime: time(c.startTime), cpu: cpu(c.cpu), memory: memory(c.memory), io: io(c.io), rootfs: fs(c.rootfs), logs: fs(c.logs), swap: swap(c.swap) };
}

function pod(p: PodStats): object {
  const r = p.podRef;
  return {
    podRef: { name: str(r.name), namespace: str(r.namespace), uid: str(r.uid) },
    startTime: time(p.startTime),
    // Not omitempty: the kubelet appends to a nil slice, so no containers is `null`.
    containers: p.containers.length === 0 ? null : p.containers.map(container),
    cpu: cpu(p.cpu),
    memory: memory(p.memory),
    io: io(p.io),
    network: network(p.network),
    volume: p.volume === undefined || p.volume.length === 0 ? undefined : p.volume.map(volume),
    'ephemeral-storage': fs(p['ephemeral-storage']),
    process_stats: p.process_stats === undefined ? undefined : { process_count: int(p.process_stats.process_count) },
    swap: swap(p.swap),
  };
}

function node(n: NodeStats): object {
  return {
    nodeName: str(n.nodeName),
    systemContainers: n.systemContainers === undefined || n.systemContainers.length === 0 ? undefined : n.systemContainers.map(container),
    startTime: time(n.startTime),
    cpu: cpu(n.cpu),
    memory: memory(n.memory),
    io: io(n.io),
    network: network(n.network),
    fs: fs(n.fs),
    runtime: n.runtime === undefined ? undefined : { imageFs: fs(n.runtime.imageFs), containerFs: fs(n.runtime.containerFs) },
    rlimit: n.rlimit === undefined ? undefined : { time: time(n.rlimit.time), maxpid: int(n.rlimit.maxpid), curproc: int(n.rlimit.curproc) },
    swap: swap(n.swap),
  };
}

function plainContainer(c: ContainerStats): boolean {
  return c.accelerators === undefined && c.userDefinedMetrics === undefined;
}

/** Does the Summary hold only fields the agent produces (the ones this writer knows)? */
export function isAgentShaped(s: Summary): boolean {
  const n = s.node;
  if (!(n.systemContainers ?? []).every(plainContainer)) return false;
  return s.pods.every((p) => (p.volume ?? []).every((v) => v.volumeHealthStats === undefined) && p.containers.every(plainContainer));
}

/** The `/stats/summary` body of `s`, identical to encodeSummary(s). */
export function encodeAgentSummary(s: Summary): string {
  if (!isAgentShaped(s)) return encodeSummary(s);
  return JSON.stringify({ node: node(s.node), pods: s.pods.map(pod) }, null, 1);
}
