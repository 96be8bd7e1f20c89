/**
 * Identity from the CRI runtime socket (containerd, CRI-O): `ListPodSandbox` names the pods and
 * their sandbox containers, `ListContainers` the app containers (kubelet labels
 * `io.kubernetes.*` as a fallback for metadata). gRPC over a unix socket, each call with a deadline.
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

interface RuntimeServiceClient extends grpc.Client {
  ListPodSandbox: UnaryCall<object, { items?: WirePodSandbox[] }>;
  ListContainers: UnaryCall<object, { containers?: WireContainer[] }>;
}

type RuntimeServiceCtor = new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ChannelOptions) => RuntimeServiceClient;

let ctor: RuntimeServiceCtor | undefined;

function runtimeServiceCtor(): RuntimeServiceCtor {
  if (ctor !== undefined) return ctor;
  const def = protoLoader.fromJSON(criRuntimeV1Descriptor, { keepCase: true, longs: String, enums: String, defaults: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { runtime: { v1: { RuntimeService: RuntimeServiceCtor } } };
  ctor = pkg.runtime.v1.RuntimeService;
  return ctor;
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
  const Client = runtimeServiceCtor();
  const client = new Client(criTarget(options.endpoint), grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': maxMessageBytes,
    // The authority of a unix-socket channel is meaningless; containerd expects "localhost".
    'grpc.default_authority': 'localhost',
  });
  const timeoutMs = options.timeoutMs ?? 5000;
  const call = <Res>(method: UnaryCall<object, Res>, what: string, signal: AbortSignal): Promise<Res> =>
    new Promise((resolve, reject) => {
      const c = method.call(client, { filter: null }, { deadline: Date.now() + timeoutMs }, (err, res) => {
        signal.removeEventListener('abort', onAbort);
        if (err !== null || res === undefined) {
          const code = err?.code === grpc.status.DEADLINE_EXCEEDED ? ErrorCode.Timeout : ErrorCode.Network;
          reject(new KubemeterError(code, `CRI ${what} on ${options.endpoint}: ${err?.details ?? 'no response'}`, { cause: err, source: options.endpoint }));
          return;
        }
        resolve(res);
      });
      const onAbort = (): void => c.cancel();
      signal.addEventListener('abort', onAbort, { once: true });
    });
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
