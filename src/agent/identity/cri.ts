/**
 * Identity from the CRI runtime socket (containerd, CRI-O): `ListPodSandbox` names the pods and
 * their sandbox containers, `ListContainers` the app containers (kubelet labels
 * `io.kubernetes.*` as a fallback for metadata). Also the runtime's filesystem usage
 * (`ListContainerStats` writable layers, `ImageFsInfo`). gRPC over the unix socket with the
 * hand-written client (grpc-unix.ts) and decoders (cri-messages.ts); each call with a deadline.
 */
import { ErrorCode, errorMessage, KubemeterError } from '../../lib/errors.ts';
import { criSocketPath } from './cri-lazy.ts';
import type { CriContainer, CriPodSandbox, ImageFsInfo, RuntimeFsUsage } from './cri-messages.ts';
import { decodeImageFsInfoResponse, decodeListContainersResponse, decodeListContainerStatsResponse, decodeListPodSandboxResponse } from './cri-messages.ts';
import { GrpcUnixClient } from './grpc-unix.ts';
import type { ContainerIdentity, IdentityProvider, IdentitySnapshot, PodIdentity } from './types.ts';

export type { CriContainer, CriPodSandbox, ImageFsInfo, RuntimeFsUsage } from './cri-messages.ts';

/** Every request the agent sends is an empty message: no filter, all sandboxes, containers and stats (as the kubelet's stats provider asks). */
const emptyRequest = new Uint8Array(0);

const runtimeService = '/runtime.v1.RuntimeService/';
const imageService = '/runtime.v1.ImageService/';

/** A creation time in ms; undefined for 0 or negative (absent). */
function knownMs(ms: number): number | undefined {
  return ms > 0 ? ms : undefined;
}

/** Turn the two list responses into an identity snapshot (pure; exported for tests). */
export function identityFromCri(sandboxes: readonly CriPodSandbox[], containers: readonly CriContainer[]): IdentitySnapshot {
  const pods = new Map<string, PodIdentity>();
  const byId = new Map<string, ContainerIdentity>();
  const podOfSandbox = new Map<string, string>();
  for (const s of sandboxes) {
    const uid = s.uid || s.labels.podUid;
    const name = s.name || s.labels.podName;
    const namespace = s.namespace || s.labels.podNamespace;
    if (!s.id || !uid || !name || !namespace) continue;
    const createdAtMs = knownMs(s.createdAtMs);
    // Several sandboxes of one pod (restarts): the newest names the pod's start.
    const prev = pods.get(uid);
    if (prev === undefined || (createdAtMs ?? 0) > (prev.startTimeMs ?? 0)) pods.set(uid, { uid, name, namespace, startTimeMs: createdAtMs });
    podOfSandbox.set(s.id, uid);
    byId.set(s.id, { id: s.id, podUid: uid, name: 'POD', sandbox: true, createdAtMs });
  }
  for (const c of containers) {
    const podUid = (c.podSandboxId ? podOfSandbox.get(c.podSandboxId) : undefined) || c.labels.podUid;
    const name = c.name || c.labels.containerName;
    if (!c.id || !podUid || !name) continue;
    byId.set(c.id, { id: c.id, podUid, name, sandbox: false, createdAtMs: knownMs(c.createdAtMs) });
  }
  return { pods, containers: byId };
}

/** Options of the CRI identity provider and filesystem source. */
export interface CriIdentityOptions {
  /** `--container-runtime-endpoint` (`unix:///x`, `unix:/x` or `/x`). */
  endpoint: string;
  /** Deadline per call, ms (default 5000). */
  timeoutMs?: number;
  /** Longest wait for a connection, ms (default 5000). */
  connectTimeoutMs?: number;
  /** Largest response accepted, bytes (default 16 MiB, as the kubelet). */
  maxReceiveMessageBytes?: number;
}

/** Decode an answer; a malformed one fails naming the call and the endpoint. */
function decoded<T>(what: string, endpoint: string, decode: (bytes: Buffer) => T, bytes: Buffer): T {
  try {
    return decode(bytes);
  } catch (e) {
    throw new KubemeterError(ErrorCode.InvalidDocument, `${what} on ${endpoint}: ${errorMessage(e)}`, { source: endpoint, cause: e });
  }
}

/** One CRI call (`service` + `method`, empty request) on a client, its answer decoded; errors name `CRI <method>`. */
type CriCall = <T>(service: string, method: string, decode: (bytes: Buffer) => T, signal: AbortSignal) => Promise<T>;

/** A client of the endpoint and the call through it, each call with the options' deadline. */
function client(options: CriIdentityOptions): { grpc: GrpcUnixClient; call: CriCall } {
  const grpc = new GrpcUnixClient({
    socketPath: criSocketPath(options.endpoint),
    endpoint: options.endpoint,
    ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs }),
    ...(options.maxReceiveMessageBytes === undefined ? {} : { maxReceiveMessageBytes: options.maxReceiveMessageBytes }),
  });
  const timeoutMs = options.timeoutMs ?? 5000;
  const call: CriCall = async (service, method, decode, signal) => {
    const what = `CRI ${method}`;
    const bytes = await grpc.unary(`${service}${method}`, emptyRequest, what, { timeoutMs, signal });
    return decoded(what, options.endpoint, decode, bytes);
  };
  return { grpc, call };
}

/** Identity from a CRI runtime over gRPC. Throws InvalidFlag for an endpoint that is not a unix socket. */
export function criIdentity(options: CriIdentityOptions): IdentityProvider {
  const { grpc, call } = client(options);
  return {
    name: 'cri',
    async lookup(signal) {
      const [sandboxes, containers] = await Promise.all([
        call(runtimeService, 'ListPodSandbox', decodeListPodSandboxResponse, signal),
        call(runtimeService, 'ListContainers', decodeListContainersResponse, signal),
      ]);
      return identityFromCri(sandboxes, containers);
    },
    close: () => grpc.close(),
  };
}

/** Filesystem usage from the CRI runtime. */
export interface CriStorage {
  /** `ListContainerStats` (all containers): writable layers by container id. */
  writableLayers(signal: AbortSignal): Promise<Map<string, RuntimeFsUsage>>;
  /** `ImageFsInfo`. */
  imageFsInfo(signal: AbortSignal): Promise<ImageFsInfo>;
  /** Release the connection. */
  close(): void;
}

/** Filesystem usage from a CRI runtime over gRPC (its own connection; each call with a deadline). */
export function criStorage(options: CriIdentityOptions): CriStorage {
  const { grpc, call } = client(options);
  return {
    writableLayers: (signal) => call(runtimeService, 'ListContainerStats', decodeListContainerStatsResponse, signal),
    imageFsInfo: (signal) => call(imageService, 'ImageFsInfo', decodeImageFsInfoResponse, signal),
    close: () => grpc.close(),
  };
}
