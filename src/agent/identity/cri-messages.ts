/**
 * Decoders for the CRI (`runtime.v1`) responses the agent reads, straight from protobuf bytes to
 * what the agent keeps, reading only the fields it uses and skipping the rest (annotations, image
 * specs, the CPU/memory/IO stats of ListContainerStats, …) without building them. Written by
 * hand rather than with protobufjs: see grpc-unix.ts for the measurements. Field numbers are
 * those of the upstream api.proto (testdata/cri-runtime-v1.proto is the subset, and the tests
 * cross-check these decoders against protobufjs encoding it). proto3 semantics: an absent scalar
 * is its zero value, a field repeated on the wire keeps the last scalar and merges messages, a
 * known field with an unexpected wire type is treated as unknown (skipped), as protobuf-go does.
 */
import { ProtoReader, WireType } from './proto-wire.ts';

const bytesTag = (field: number): number => (field << 3) | WireType.Bytes;
const varintTag = (field: number): number => (field << 3) | WireType.Varint;

/** The kubelet's `io.kubernetes.*` labels, the fallback for metadata a runtime left out. */
export interface KubeletLabels {
  podUid?: string;
  podName?: string;
  podNamespace?: string;
  containerName?: string;
}

const kubeletLabelKeys = new Map<string, keyof KubeletLabels>([
  ['io.kubernetes.pod.uid', 'podUid'],
  ['io.kubernetes.pod.name', 'podName'],
  ['io.kubernetes.pod.namespace', 'podNamespace'],
  ['io.kubernetes.container.name', 'containerName'],
]);

/** One `map<string, string>` entry (key 1, value 2): keeps it in `into` when it is a kubelet label. */
function readLabel(r: ProtoReader, into: KubeletLabels): void {
  const e = r.message(`${r.what} label`);
  let key = '';
  let valueStart = -1;
  let valueEnd = -1;
  while (e.more()) {
    const t = e.tag();
    if (t === bytesTag(1)) key = e.string();
    else if (t === bytesTag(2)) [valueStart, valueEnd] = e.bytes();
    else e.skip(t);
  }
  const name = kubeletLabelKeys.get(key);
  // Values of other labels are never decoded.
  if (name !== undefined) into[name] = valueStart < 0 ? '' : e.buf.toString('utf8', valueStart, valueEnd);
}

/**
 * The string field `field` of the nested message at the cursor (ContainerMetadata name,
 * FilesystemIdentifier mountpoint, ContainerAttributes id): `prev` when the message does not set
 * it, so that a message repeated on the wire merges.
 */
function readStringField(r: ProtoReader, what: string, field: number, prev: string): string {
  const m = r.message(what);
  let value = prev;
  while (m.more()) {
    const t = m.tag();
    if (t === bytesTag(field)) value = m.string();
    else m.skip(t);
  }
  return value;
}

/** Every item of a list response's repeated message field 1, each read by `item`; other fields skipped. */
function decodeItems<T>(bytes: Uint8Array, what: string, item: (r: ProtoReader) => T): T[] {
  const r = new ProtoReader(bytes, what);
  const out: T[] = [];
  while (r.more()) {
    const t = r.tag();
    if (t === bytesTag(1)) out.push(item(r));
    else r.skip(t);
  }
  return out;
}

/** A `PodSandbox`, in the fields the agent reads. */
export interface CriPodSandbox {
  id: string;
  /** `metadata.name`, `.uid`, `.namespace` ("" when absent). */
  name: string;
  uid: string;
  namespace: string;
  /** `created_at` in ms since the epoch (0 when absent). */
  createdAtMs: number;
  labels: KubeletLabels;
}

function readSandbox(r: ProtoReader): CriPodSandbox {
  const m = r.message('PodSandbox');
  const s: CriPodSandbox = { id: '', name: '', uid: '', namespace: '', createdAtMs: 0, labels: {} };
  while (m.more()) {
    const t = m.tag();
    if (t === bytesTag(1)) s.id = m.string();
    else if (t === bytesTag(2)) {
      const md = m.message('PodSandboxMetadata');
      while (md.more()) {
        const mt = md.tag();
        if (mt === bytesTag(1)) s.name = md.string();
        else if (mt === bytesTag(2)) s.uid = md.string();
        else if (mt === bytesTag(3)) s.namespace = md.string();
        else md.skip(mt);
      }
    } else if (t === varintTag(4)) s.createdAtMs = m.int64Millis();
    else if (t === bytesTag(5)) readLabel(m, s.labels);
    else m.skip(t);
  }
  return s;
}

/** `ListPodSandboxResponse` (items = 1). */
export function decodeListPodSandboxResponse(bytes: Uint8Array): CriPodSandbox[] {
  return decodeItems(bytes, 'ListPodSandboxResponse', readSandbox);
}

/** A `Container`, in the fields the agent reads. */
export interface CriContainer {
  id: string;
  podSandboxId: string;
  /** `metadata.name` ("" when absent). */
  name: string;
  /** `created_at` in ms since the epoch (0 when absent). */
  createdAtMs: number;
  labels: KubeletLabels;
}

function readContainer(r: ProtoReader): CriContainer {
  const m = r.message('Container');
  const c: CriContainer = { id: '', podSandboxId: '', name: '', createdAtMs: 0, labels: {} };
  while (m.more()) {
    const t = m.tag();
    if (t === bytesTag(1)) c.id = m.string();
    else if (t === bytesTag(2)) c.podSandboxId = m.string();
    else if (t === bytesTag(3)) c.name = readStringField(m, 'ContainerMetadata', 1, c.name);
    else if (t === varintTag(7)) c.createdAtMs = m.int64Millis();
    else if (t === bytesTag(8)) readLabel(m, c.labels);
    else m.skip(t);
  }
  return c;
}

/** `ListContainersResponse` (containers = 1). */
export function decodeListContainersResponse(bytes: Uint8Array): CriContainer[] {
  return decodeItems(bytes, 'ListContainersResponse', readContainer);
}

/** A filesystem usage the runtime measured. */
export interface RuntimeFsUsage {
  /** When the runtime measured it, ms since the epoch. */
  timeMs: number;
  /** Bytes used (absent when the runtime did not say). */
  usedBytes: bigint | undefined;
  /** Inodes used (absent when the runtime did not say). */
  inodesUsed: bigint | undefined;
  /** The filesystem's mount point as the runtime names it ("" when not given). */
  mountpoint: string;
}

/** What `ImageFsInfo` answered: the first image filesystem and the first container filesystem, as the kubelet reads them. */
export interface ImageFsInfo {
  imageFs: RuntimeFsUsage | undefined;
  /** Absent when the runtime does not split writable layers from images. */
  containerFs: RuntimeFsUsage | undefined;
}

/** A `UInt64Value` merged into `prev`: present means 0 unless its `value` (1) says otherwise. */
function readUInt64Value(r: ProtoReader, prev: bigint | undefined): bigint {
  const m = r.message('UInt64Value');
  let value = prev ?? 0n;
  while (m.more()) {
    const t = m.tag();
    if (t === varintTag(1)) value = m.varint64();
    else m.skip(t);
  }
  return value;
}

/** A `FilesystemUsage` (timestamp 1, fs_id 2 {mountpoint 1}, used_bytes 3, inodes_used 4) merged into `into`. */
function readFilesystemUsage(r: ProtoReader, into?: RuntimeFsUsage): RuntimeFsUsage {
  const m = r.message('FilesystemUsage');
  const u: RuntimeFsUsage = into ?? { timeMs: 0, usedBytes: undefined, inodesUsed: undefined, mountpoint: '' };
  while (m.more()) {
    const t = m.tag();
    if (t === varintTag(1)) u.timeMs = m.int64Millis();
    else if (t === bytesTag(2)) u.mountpoint = readStringField(m, 'FilesystemIdentifier', 1, u.mountpoint);
    else if (t === bytesTag(3)) u.usedBytes = readUInt64Value(m, u.usedBytes);
    else if (t === bytesTag(4)) u.inodesUsed = readUInt64Value(m, u.inodesUsed);
    else m.skip(t);
  }
  return u;
}

/**
 * `ListContainerStatsResponse` (stats = 1 of ContainerStats {attributes 1 {id 1}, writable_layer 4}):
 * writable layers by container id; entries without an id or a layer are left out.
 */
export function decodeListContainerStatsResponse(bytes: Uint8Array): Map<string, RuntimeFsUsage> {
  const r = new ProtoReader(bytes, 'ListContainerStatsResponse');
  const out = new Map<string, RuntimeFsUsage>();
  while (r.more()) {
    const t = r.tag();
    if (t !== bytesTag(1)) {
      r.skip(t);
      continue;
    }
    const s = r.message('ContainerStats');
    let id = '';
    let layer: RuntimeFsUsage | undefined;
    while (s.more()) {
      const st = s.tag();
      if (st === bytesTag(1)) id = readStringField(s, 'ContainerAttributes', 1, id);
      else if (st === bytesTag(4)) layer = readFilesystemUsage(s, layer);
      // cpu (2), memory (3), swap (5), io (6) and whatever comes later: skipped unread.
      else s.skip(st);
    }
    if (id !== '' && layer !== undefined) out.set(id, layer);
  }
  return out;
}

/** `ImageFsInfoResponse` (image_filesystems 1, container_filesystems 2): the first entry of each, as the kubelet reads it. */
export function decodeImageFsInfoResponse(bytes: Uint8Array): ImageFsInfo {
  const r = new ProtoReader(bytes, 'ImageFsInfoResponse');
  const info: ImageFsInfo = { imageFs: undefined, containerFs: undefined };
  while (r.more()) {
    const t = r.tag();
    if (t === bytesTag(1) && info.imageFs === undefined) info.imageFs = readFilesystemUsage(r);
    else if (t === bytesTag(2) && info.containerFs === undefined) info.containerFs = readFilesystemUsage(r);
    // Later entries are checked for framing only.
    else r.skip(t);
  }
  return info;
}
