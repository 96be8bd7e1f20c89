/**
 * Identity from the CRI runtime socket (containerd, CRI-O): `ListPodSandbox` names the pods and
 * their sandbox containers, `ListContainers` the app containers (kubelet labels
 * `io.kubernetes.*` as a fallback for metadata). Also the runtime's filesystem usage
 * (`ListContainerStats` writable layers, `ImageFsInfo`). gRPC over a unix socket, each call with a deadline.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ErrorCode, KubemeterError } from '../../lib/errors.ts';
import { criRuntimeV1Descriptor } from './cri-descriptor.ts';
import type { ContainerIdentity, IdentityProvider, IdentitySnapshot, PodIdentity } from './types.ts';

/** Responses larger than this are refused (the kubelet allows 16 MiB too). */
const maxMessageBytes = 16 * 1024 * 1024;

interface Metadata {
  name?: string;
  uid?: string;
  namespace?: string;
}

/** The decoded shapes we read (proto-loader with keepCase, longs as strings). */
interface WirePodSandbox {
  id?: string;
  metadata?: Metadata | null;
  created_at?: string;
  labels?: Record<string, string>;
}
interface WireContainer {
  id?: string;
  pod_sandbox_id?: string;
  metadata?: { name?: string } | null;
  created_at?: string;
  labels?: Record<string, string>;
}

type UnaryCall<Req, Res> = (req: Req, options: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: Res) => void) => grpc.ClientUnaryCall;

/** `FilesystemUsage` as decoded (uint64 and int64 as decimal text). */
export interface WireFilesystemUsage {
  timestamp?: string;
  fs_id?: { mountpoint?: string } | null;
  used_bytes?: { value?: string } | null;
  inodes_used?: { value?: string } | null;
}
/** `ContainerStats` as decoded, in the fields the agent reads. */
export interface WireContainerStats {
  attributes?: { id?: string } | null;
  writable_layer?: WireFilesystemUsage | null;
}
/** `ImageFsInfoResponse` as decoded. */
export interface WireImageFsInfo {
  image_filesystems?: WireFilesystemUsage[];
  container_filesystems?: WireFilesystemUsage[];
}

interface RuntimeServiceClient extends grpc.Client {
  ListPodSandbox: UnaryCall<object, { items?: WirePodSandbox[] }>;
  ListContainers: UnaryCall<object, { containers?: WireContainer[] }>;
  ListContainerStats: UnaryCall<object, { stats?: WireContainerStats[] }>;
}

interface ImageServiceClient extends grpc.Client {
  ImageFsInfo: UnaryCall<object, WireImageFsInfo>;
}

type Ctor<C> = new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ChannelOptions) => C;

let ctors: { runtime: Ctor<RuntimeServiceClient>; image: Ctor<ImageServiceClient> } | undefined;

function serviceCtors(): { runtime: Ctor<RuntimeServiceClient>; image: Ctor<ImageServiceClient> } {
  if (ctors !== undefined) return ctors;
  const def = protoLoader.fromJSON(criRuntimeV1Descriptor, { keepCase: true, longs: String, enums: String, defaults: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { runtime: { v1: { RuntimeService: Ctor<RuntimeServiceClient>; ImageService: Ctor<ImageServiceClient> } } };
  ctors = { runtime: pkg.runtime.v1.RuntimeService, image: pkg.runtime.v1.ImageService };
  return ctors;
}

const channelOptions: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': maxMessageBytes,
  // The authority of a unix-socket channel is meaningless; containerd expects "localhost".
  'grpc.default_authority': 'localhost',
};

/** One unary call with a deadline, cancelled by `signal`; failures as KubemeterError naming the method and endpoint. */
function unary<Res>(client: grpc.Client, method: UnaryCall<object, Res>, request: object, what: string, endpoint: string, timeoutMs: number, signal: AbortSignal): Promise<Res> {
  return new Promise((resolve, reject) => {
    const c = method.call(client, request, { deadline: Date.now() + timeoutMs }, (err, res) => {
      signal.removeEventListener('abort', onAbort);
      if (err !== null || res === undefined) {
        const code = err?.code === grpc.status.DEADLINE_EXCEEDED ? ErrorCode.Timeout : ErrorCode.Network;
        reject(new KubemeterError(code, `CRI ${what} on ${endpoint}: ${err?.details ?? 'no response'}`, { cause: err, source: endpoint }));
        return;
      }
      resolve(res);
    });
    const onAbort = (): void => c.cancel();
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** `unix:///run/containerd/containerd.sock`, `unix:/x`, or a bare path → a grpc-js target. */
export function criTarget(endpoint: string): string {
  if (endpoint.startsWith('unix://')) return `unix:${endpoint.slice('unix://'.length)}`;
  if (endpoint.startsWith('unix:')) return endpoint;
  if (endpoint.startsWith('/')) return `unix:${endpoint}`;
  throw new KubemeterError(ErrorCode.InvalidFlag, `--container-runtime-endpoint ${JSON.stringify(endpoint)}: only unix sockets are supported`, {
    source: '--container-runtime-endpoint',
  });
}

/** Nanoseconds since the epoch (int64 as decimal text) → ms; undefined for 0/absent. */
function nsToMs(ns: string | undefined): number | undefined {
  if (ns === undefined || ns === '' || ns === '0') return undefined;
  if (!/^\d+$/.test(ns)) return undefined;
  return Number(BigInt(ns) / 1_000_000n);
}

/** Turn the two list responses into an identity snapshot (pure; exported for tests). */
export function identityFromCri(sandboxes: readonly WirePodSandbox[], containers: readonly WireContainer[]): IdentitySnapshot {
  const pods = new Map<string, PodIdentity>();
  const byId = new Map<string, ContainerIdentity>();
  const podOfSandbox = new Map<string, string>();
  for (const s of sandboxes) {
    const uid = s.metadata?.uid || s.labels?.['io.kubernetes.pod.uid'];
    const name = s.metadata?.name || s.labels?.['io.kubernetes.pod.name'];
    const namespace = s.metadata?.namespace || s.labels?.['io.kubernetes.pod.namespace'];
    if (!s.id || !uid || !name || !namespace) continue;
    const createdAtMs = nsToMs(s.created_at);
    // Several sandboxes of one pod (restarts): the newest names the pod's start.
    const prev = pods.get(uid);
    if (prev === undefined || (createdAtMs ?? 0) > (prev.startTimeMs ?? 0)) pods.set(uid, { uid, name, namespace, startTimeMs: createdAtMs });
    podOfSandbox.set(s.id, uid);
    byId.set(s.id, { id: s.id, podUid: uid, name: 'POD', sandbox: true, createdAtMs });
  }
  for (const c of containers) {
    const podUid = (c.pod_sandbox_id ? podOfSandbox.get(c.pod_sandbox_id) : undefined) || c.labels?.['io.kubernetes.pod.uid'];
    const name = c.metadata?.name || c.labels?.['io.kubernetes.container.name'];
    if (!c.id || !podUid || !name) continue;
    byId.set(c.id, { id: c.id, podUid, name, sandbox: false, createdAtMs: nsToMs(c.created_at) });
  }
  return { pods, containers: byId };
}

/** Options of the CRI identity provider. */
export interface CriIdentityOptions {
  /** `--container-runtime-endpoint`. */
  endpoint: string;
  /** Deadline per call, ms (default 5000). */
  timeoutMs?: number;
}

/** Identity from a CRI runtime over gRPC. */
export function criIdentity(options: CriIdentityOptions): IdentityProvider {
  const client = new (serviceCtors().runtime)(criTarget(options.endpoint), grpc.credentials.createInsecure(), channelOptions);
  const timeoutMs = options.timeoutMs ?? 5000;
  const call = <Res>(method: UnaryCall<object, Res>, what: string, signal: AbortSignal): Promise<Res> =>
    unary(client, method, { filter: null }, what, options.endpoint, timeoutMs, signal);
  return {
    name: 'cri',
    async lookup(signal) {
      const [sandboxes, containers] = await Promise.all([
        call(client.ListPodSandbox, 'ListPodSandbox', signal),
        call(client.ListContainers, 'ListContainers', signal),
      ]);
      return identityFromCri(sandboxes.items ?? [], containers.containers ?? []);
    },
    close: () => client.close(),
  };
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

const maxUint64 = (1n << 64n) - 1n;

function uint64(text: string | undefined): bigint | undefined {
  if (text === undefined || !/^\d{1,20}$/.test(text)) return undefined;
  const v = BigInt(text);
  return v <= maxUint64 ? v : undefined;
}

/** One `FilesystemUsage` (pure; malformed numbers are treated as absent). */
export function decodeFilesystemUsage(u: WireFilesystemUsage): RuntimeFsUsage {
  const ts = typeof u.timestamp === 'string' && /^-?\d{1,19}$/.test(u.timestamp) ? BigInt(u.timestamp) : 0n;
  const mountpoint = u.fs_id?.mountpoint;
  return {
    timeMs: Number(ts / 1_000_000n),
    usedBytes: uint64(u.used_bytes?.value),
    inodesUsed: uint64(u.inodes_used?.value),
    mountpoint: typeof mountpoint === 'string' ? mountpoint : '',
  };
}

/** Writable layers by container id from a `ListContainerStats` answer (pure; entries without an id or a layer are skipped). */
export function writableLayersFromCri(stats: readonly WireContainerStats[]): Map<string, RuntimeFsUsage> {
  const out = new Map<string, RuntimeFsUsage>();
  for (const s of stats) {
    const id = s.attributes?.id;
    const layer = s.writable_layer;
    if (typeof id !== 'string' || id === '' || layer === undefined || layer === null) continue;
    out.set(id, decodeFilesystemUsage(layer));
  }
  return out;
}

/** The kubelet's reading of `ImageFsInfo` (pure): the first entry of each list. */
export function imageFsFromCri(r: WireImageFsInfo): ImageFsInfo {
  const image = Array.isArray(r.image_filesystems) ? r.image_filesystems[0] : undefined;
  const container = Array.isArray(r.container_filesystems) ? r.container_filesystems[0] : undefined;
  return { imageFs: image === undefined ? undefined : decodeFilesystemUsage(image), containerFs: container === undefined ? undefined : decodeFilesystemUsage(container) };
}

/** Filesystem usage from the CRI runtime. */
export interface CriStorage {
  /** `ListContainerStats` (all containers): writable layers by container id. */
  writableLayers(signal: AbortSignal): Promise<Map<string, RuntimeFsUsage>>;
  /** `ImageFsInfo`. */
  imageFsInfo(signal: AbortSignal): Promise<ImageFsInfo>;
  /** Release the connections. */
  close(): void;
}

/** Filesystem usage from a CRI runtime over gRPC (its own channels; each call with a deadline). */
export function criStorage(options: CriIdentityOptions): CriStorage {
  const { runtime, image } = serviceCtors();
  const target = criTarget(options.endpoint);
  const rs = new runtime(target, grpc.credentials.createInsecure(), channelOptions);
  const is = new image(target, grpc.credentials.createInsecure(), channelOptions);
  const timeoutMs = options.timeoutMs ?? 5000;
  return {
    async writableLayers(signal) {
      const r = await unary(rs, rs.ListContainerStats, { filter: null }, 'ListContainerStats', options.endpoint, timeoutMs, signal);
      return writableLayersFromCri(Array.isArray(r.stats) ? r.stats : []);
    },
    async imageFsInfo(signal) {
      return imageFsFromCri(await unary(is, is.ImageFsInfo, {}, 'ImageFsInfo', options.endpoint, timeoutMs, signal));
    },
    close() {
      rs.close();
      is.close();
    },
  };
}
