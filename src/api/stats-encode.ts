/**
 * Encoding the kubelet Summary API byte for byte as the kubelet writes it: go-restful's
 * `json.MarshalIndent(v, "", " ")` (one-space indentation, no trailing newline), Go struct field
 * order, `omitempty` pointers left out, zero times as `null`, uint64 as plain integers.
 */
import { goFloatJson, goQuote, goStringMap, indentJson, timeJson } from './json.ts';
import type {
  ContainerStats, CPUStats, FsStats, InterfaceStats, IOStats, MemoryStats, NetworkStats, NodeStats, PodStats,
  PSIData, PSIStats, SwapStats, Summary, UserDefinedMetric, VolumeStats,
} from './stats.ts';

const TWO_64 = 1n << 64n;

// Field writers append `,"key":value` for present values; each object writer strips the first comma.
function u(key: string, v: bigint | number | undefined): string {
  return v === undefined ? '' : `,"${key}":${typeof v === 'bigint' ? v.toString() : intText(v)}`;
}

function intText(v: number): string {
  // Numbers above 2^53 (decoded wrap-around values) print as the exact integer of the double.
  return Number.isSafeInteger(v) ? String(v) : BigInt(Math.trunc(v)).toString();
}

/** A wrapping uint64 (`limit − usage`): negative values are written as Go's wrapped uint64. */
function wrapped(key: string, v: number | undefined): string {
  if (v === undefined) return '';
  return v < 0 ? `,"${key}":${(TWO_64 + BigInt(Math.trunc(v))).toString()}` : u(key, v);
}

function o(fields: string): string {
  return `{${fields.slice(1)}}`;
}

function psiData(d: PSIData, field: string): string {
  return `{"total":${d.total.toString()},"avg10":${goFloatJson(d.avg10, `${field}.avg10`)},"avg60":${goFloatJson(
    d.avg60, `${field}.avg60`)},"avg300":${goFloatJson(d.avg300, `${field}.avg300`)}}`;
}

function psi(p: PSIStats | undefined): string {
  return p === undefined ? '' : `,"psi":{"full":${psiData(p.full, 'psi.full')},"some":${psiData(p.some, 'psi.some')}}`;
}

function cpu(c: CPUStats | undefined): string {
  if (c === undefined) return '';
  return `,"cpu":${o(`,"time":${timeJson(c.time)}${u('usageNanoCores', c.usageNanoCores)}${u(
    'usageCoreNanoSeconds', c.usageCoreNanoSeconds)}${psi(c.psi)}`)}`;
}

function memory(m: MemoryStats | undefined): string {
  if (m === undefined) return '';
  return `,"memory":${o(`,"time":${timeJson(m.time)}${wrapped('availableBytes', m.availableBytes)}${u(
    'usageBytes', m.usageBytes)}${u('workingSetBytes', m.workingSetBytes)}${u('rssBytes', m.rssBytes)}${u(
    'pageFaults', m.pageFaults)}${u('majorPageFaults', m.majorPageFaults)}${psi(m.psi)}`)}`;
}

function swap(s: SwapStats | undefined): string {
  if (s === undefined) return '';
  return `,"swap":${o(`,"time":${timeJson(s.time)}${wrapped('swapAvailableBytes', s.swapAvailableBytes)}${u(
    'swapUsageBytes', s.swapUsageBytes)}`)}`;
}

function io(s: IOStats | undefined): string {
  return s === undefined ? '' : `,"io":${o(`,"time":${timeJson(s.time)}${psi(s.psi)}`)}`;
}

function ifaceFields(i: InterfaceStats): string {
  return `,"name":${goQuote(i.name)}${u('rxBytes', i.rxBytes)}${u('rxErrors', i.rxErrors)}${u('txBytes', i.txBytes)}${u(
    'txErrors', i.txErrors)}`;
}

function network(n: NetworkStats | undefined): string {
  if (n === undefined) return '';
  const ifaces = n.interfaces === undefined || n.interfaces.length === 0
    ? '' : `,"interfaces":[${n.interfaces.map((i) => o(ifaceFields(i))).join(',')}]`;
  return `,"network":${o(`,"time":${timeJson(n.time)}${ifaceFields(n)}${ifaces}`)}`;
}

function fsFields(f: FsStats): string {
  return `,"time":${timeJson(f.time)}${u('availableBytes', f.availableBytes)}${u('capacityBytes', f.capacityBytes)}${u(
    'usedBytes', f.usedBytes)}${u('inodesFree', f.inodesFree)}${u('inodes', f.inodes)}${u('inodesUsed', f.inodesUsed)}`;
}

function fs(key: string, f: FsStats | undefined): string {
  return f === undefined ? '' : `,"${key}":${o(fsFields(f))}`;
}

function volume(v: VolumeStats): string {
  let s = fsFields(v);
  if (v.name !== undefined && v.name !== '') s += `,"name":${goQuote(v.name)}`;
  if (v.pvcRef !== undefined) s += `,"pvcRef":{"name":${goQuote(v.pvcRef.name)},"namespace":${goQuote(v.pvcRef.namespace)}}`;
  if (v.volumeHealthStats !== undefined) s += `,"volumeHealthStats":{"abnormal":${v.volumeHealthStats.abnormal}}`;
  return o(s);
}

function userDefinedMetric(m: UserDefinedMetric): string {
  const labels = m.labels === undefined || Object.keys(m.labels).length === 0 ? '' : `,"labels":${goStringMap(m.labels)}`;
  return `{"name":${goQuote(m.name)},"type":${goQuote(m.type)},"units":${goQuote(m.units)}${labels},"time":${timeJson(
    m.time)},"value":${goFloatJson(m.value, 'userDefinedMetrics.value')}}`;
}

function list<T>(key: string, items: readonly T[] | undefined, write: (t: T) => string): string {
  return items === undefined || items.length === 0 ? '' : `,"${key}":[${items.map(write).join(',')}]`;
}

function container(c: ContainerStats): string {
  const acc = list('accelerators', c.accelerators, (a) =>
    `{"make":${goQuote(a.make)},"model":${goQuote(a.model)},"id":${goQuote(a.id)},"memoryTotal":${intText(
      a.memoryTotal)},"memoryUsed":${intText(a.memoryUsed)},"dutyCycle":${intText(a.dutyCycle)}}`);
  return o(`,"name":${goQuote(c.name)},"startTime":${timeJson(c.startTime)}${cpu(c.cpu)}${memory(c.memory)}${io(c.io)}${
    acc}${fs('rootfs', c.rootfs)}${fs('logs', c.logs)}${list('userDefinedMetrics', c.userDefinedMetrics,
    userDefinedMetric)}${swap(c.swap)}`);
}

function pod(p: PodStats): string {
  const r = p.podRef;
  // `containers` is not omitempty: the kubelet appends to a nil slice, so none is `null`.
  const containers = p.containers.length === 0 ? 'null' : `[${p.containers.map(container).join(',')}]`;
  const processStats = p.process_stats === undefined ? '' : `,"process_stats":${o(u('process_count',
    p.process_stats.process_count))}`;
  return o(`,"podRef":{"name":${goQuote(r.name)},"namespace":${goQuote(r.namespace)},"uid":${goQuote(r.uid)}},"startTime":${
    timeJson(p.startTime)},"containers":${containers}${cpu(p.cpu)}${memory(p.memory)}${io(p.io)}${network(p.network)}${
    list('volume', p.volume, volume)}${fs('ephemeral-storage', p['ephemeral-storage'])}${processStats}${swap(p.swap)}`);
}

function node(n: NodeStats): string {
  const runtime = n.runtime === undefined ? '' : `,"runtime":${o(`${fs('imageFs', n.runtime.imageFs)}${fs('containerFs',
    n.runtime.containerFs)}`)}`;
  const rlimit = n.rlimit === undefined ? '' : `,"rlimit":${o(`,"time":${timeJson(n.rlimit.time)}${u('maxpid',
    n.rlimit.maxpid)}${u('curproc', n.rlimit.curproc)}`)}`;
  return o(`,"nodeName":${goQuote(n.nodeName)}${list('systemContainers', n.systemContainers, container)},"startTime":${
    timeJson(n.startTime)}${cpu(n.cpu)}${memory(n.memory)}${io(n.io)}${network(n.network)}${fs('fs', n.fs)}${runtime}${
    rlimit}${swap(n.swap)}`);
}

/** The compact JSON of a Summary (Go `json.Marshal`), e.g. for embedding or hashing. */
export function encodeSummaryCompact(s: Summary): string {
  return `{"node":${node(s.node)},"pods":[${s.pods.map(pod).join(',')}]}`;
}

/** The `/stats/summary` response body exactly as the kubelet writes it (one-space indent, no final newline). */
export function encodeSummary(s: Summary): string {
  return indentJson(encodeSummaryCompact(s), ' ');
}
