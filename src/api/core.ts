/**
 * The parts of core/v1 Node and Pod that the server, `top` and `up` read, their lists, watch
 * events and metadata-only objects. Decoders drop unknown fields (forward compatible) and
 * validate the fields kept here.
 */
import type { z } from 'zod';
import { parseJson, type Time } from './json.ts';
import { listMetaSchema, objectMetaSchema, type ListMeta, type ObjectMeta, type Status } from './meta.ts';
import { ErrorCode, KubemeterError, quoteInput } from '../lib/errors.ts';
import {
  arr, decodeWith, i32, obj, optArr, optBool, optI64Num, optObj, optStr, optStringMap, optTime, str,
} from './schema.ts';

/** Resource name → quantity text. */
export type ResourceList = Record<string, string>;

/** A node address. */
export interface NodeAddress {
  /** `InternalIP`, `ExternalIP`, `Hostname`, … */
  type: string;
  /** The address. */
  address: string;
}

/** A node condition. */
export interface NodeCondition {
  /** `Ready`, `MemoryPressure`, … */
  type: string;
  /** `True`, `False` or `Unknown`. */
  status: string;
  /** Last heartbeat. */
  lastHeartbeatTime?: Time;
  /** Last status change. */
  lastTransitionTime?: Time;
  /** Machine-readable reason. */
  reason?: string;
  /** Human-readable message. */
  message?: string;
}

/** Basic facts about a node's software. */
export interface NodeSystemInfo {
  /** Kernel version. */
  kernelVersion?: string;
  /** OS image. */
  osImage?: string;
  /** Runtime and version (`containerd://2.0.0`). */
  containerRuntimeVersion?: string;
  /** Kubelet version. */
  kubeletVersion?: string;
  /** `linux` or `windows`. */
  operatingSystem?: string;
  /** CPU architecture. */
  architecture?: string;
  /** Swap capacity (kubelet ≥ 1.34). */
  swap?: { capacity?: number };
}

/** The Node subset kubemeter uses. */
export interface Node {
  /** Metadata: name, uid, labels, annotations, creationTimestamp. */
  metadata: ObjectMeta;
  /** Spec subset. */
  spec?: { unschedulable?: boolean };
  /** Status subset. */
  status?: {
    /** Total resources. */
    capacity?: ResourceList;
    /** Resources available to pods. */
    allocatable?: ResourceList;
    /** Conditions (Ready, …). */
    conditions?: NodeCondition[];
    /** Addresses to reach the kubelet. */
    addresses?: NodeAddress[];
    /** The kubelet's port. */
    daemonEndpoints?: { kubeletEndpoint?: { Port: number } };
    /** Software facts. */
    nodeInfo?: NodeSystemInfo;
  };
}

/** Requests and limits. */
export interface ResourceRequirements {
  /** Requested resources. */
  requests?: ResourceList;
  /** Limits. */
  limits?: ResourceList;
}

/** The Container subset kubemeter uses. */
export interface Container {
  /** Container name. */
  name: string;
  /** Requests and limits. */
  resources?: ResourceRequirements;
  /** `Always` on an init container makes it a native sidecar (runs for the pod's life). */
  restartPolicy?: string;
}

/** State of a container. */
export interface ContainerState {
  /** Waiting (reason such as `ContainerCreating`). */
  waiting?: { reason?: string; message?: string };
  /** Running since startedAt. */
  running?: { startedAt?: Time };
  /** Terminated. */
  terminated?: { exitCode: number; reason?: string; startedAt?: Time; finishedAt?: Time };
}

/** Status of a container. */
export interface ContainerStatus {
  /** Container name. */
  name: string;
  /** `<runtime>://<id>`. */
  containerID?: string;
  /** Whether the startup probe passed / the container started. */
  started?: boolean;
  /** Readiness. */
  ready?: boolean;
  /** Restarts. */
  restartCount?: number;
  /** Current state. */
  state?: ContainerState;
}

/** The Pod subset kubemeter uses. */
export interface Pod {
  /** Metadata: name, namespace, uid, labels. */
  metadata: ObjectMeta;
  /** Spec subset. */
  spec?: {
    /** Node the pod is bound to. */
    nodeName?: string;
    /** App containers. */
    containers: Container[];
    /** Init containers (including native sidecars). */
    initContainers?: Container[];
    /** Pod-level requests and limits. */
    resources?: ResourceRequirements;
    /** RuntimeClass overhead. */
    overhead?: ResourceList;
  };
  /** Status subset. */
  status?: {
    /** `Pending`, `Running`, `Succeeded`, `Failed`, `Unknown`. */
    phase?: string;
    /** When the kubelet accepted the pod. */
    startTime?: Time;
    /** App container statuses. */
    containerStatuses?: ContainerStatus[];
    /** Init container statuses. */
    initContainerStatuses?: ContainerStatus[];
  };
}

/** A list of nodes. */
export interface NodeList {
  /** List metadata (resourceVersion to watch from). */
  metadata: ListMeta;
  /** Items. */
  items: Node[];
}

/** A list of pods. */
export interface PodList {
  /** List metadata. */
  metadata: ListMeta;
  /** Items. */
  items: Pod[];
}

/** An object reduced to its metadata (`as=PartialObjectMetadata` lists, Table rows). */
export interface PartialObjectMetadata {
  /** Metadata. */
  metadata: ObjectMeta;
}

/** A metadata-only list. */
export interface PartialObjectMetadataList {
  /** List metadata. */
  metadata: ListMeta;
  /** Items. */
  items: PartialObjectMetadata[];
}

/** One event of a watch stream. */
export type WatchEvent<T> =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: T }
  | { type: 'BOOKMARK'; object: PartialObjectMetadata }
  | { type: 'ERROR'; object: Status };

const resourceList = optStringMap;
const requirements = optObj({ requests: resourceList, limits: resourceList });
const condition = obj({
  type: str, status: str, lastHeartbeatTime: optTime, lastTransitionTime: optTime, reason: optStr, message: optStr,
});

const nodeSchema: z.ZodType<Node> = obj({
  metadata: objectMetaSchema,
  spec: optObj({ unschedulable: optBool }),
  status: optObj({
    capacity: resourceList,
    allocatable: resourceList,
    conditions: optArr(condition),
    addresses: optArr(obj({ type: str, address: str })),
    daemonEndpoints: optObj({ kubeletEndpoint: optObj({ Port: i32 }) }),
    nodeInfo: optObj({
      kernelVersion: optStr, osImage: optStr, containerRuntimeVersion: optStr, kubeletVersion: optStr,
      operatingSystem: optStr, architecture: optStr,
      swap: optObj({ capacity: optI64Num }),
    }),
  }),
});

const container = obj({ name: str, resources: requirements, restartPolicy: optStr });
const containerStatus = obj({
  name: str,
  containerID: optStr,
  started: optBool,
  ready: optBool,
  restartCount: i32.optional(),
  state: optObj({
    waiting: optObj({ reason: optStr, message: optStr }),
    running: optObj({ startedAt: optTime }),
    terminated: optObj({ exitCode: i32, reason: optStr, startedAt: optTime, finishedAt: optTime }),
  }),
});

const podSchema: z.ZodType<Pod> = obj({
  metadata: objectMetaSchema,
  spec: optObj({
    nodeName: optStr,
    containers: arr(container),
    initContainers: optArr(container),
    resources: requirements,
    overhead: resourceList,
  }),
  status: optObj({
    phase: optStr,
    startTime: optTime,
    containerStatuses: optArr(containerStatus),
    initContainerStatuses: optArr(containerStatus),
  }),
});

const partialSchema: z.ZodType<PartialObjectMetadata> = obj({ metadata: objectMetaSchema });
const nodeListSchema: z.ZodType<NodeList> = obj({ metadata: listMetaSchema, items: arr(nodeSchema) });
const podListSchema: z.ZodType<PodList> = obj({ metadata: listMetaSchema, items: arr(podSchema) });
const partialListSchema: z.ZodType<PartialObjectMetadataList> = obj({ metadata: listMetaSchema, items: arr(partialSchema) });

/** Decodes a Node. */
export function decodeNode(text: string, source?: string): Node {
  return decodeWith(nodeSchema, parseJson(text, 'Node', source), 'Node', source);
}

/** Decodes a NodeList. */
export function decodeNodeList(text: string, source?: string): NodeList {
  return decodeWith(nodeListSchema, parseJson(text, 'NodeList', source), 'NodeList', source);
}

/** Decodes a Pod. */
export function decodePod(text: string, source?: string): Pod {
  return decodeWith(podSchema, parseJson(text, 'Pod', source), 'Pod', source);
}

/** Decodes a PodList. */
export function decodePodList(text: string, source?: string): PodList {
  return decodeWith(podListSchema, parseJson(text, 'PodList', source), 'PodList', source);
}

/** Decodes a PartialObjectMetadataList (`Accept: …;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1`). */
export function decodePartialObjectMetadataList(text: string, source?: string): PartialObjectMetadataList {
  return decodeWith(partialListSchema, parseJson(text, 'PartialObjectMetadataList', source), 'PartialObjectMetadataList',
    source);
}

const statusObject = obj({ status: optStr, message: optStr, reason: optStr, code: i32.optional() });

/** The object schemas a watch can carry, for decodeWatchEvent. */
export const watchKinds = { Node: nodeSchema, Pod: podSchema, PartialObjectMetadata: partialSchema } as const;

/**
 * Decodes one line of a watch stream (`{"type":"ADDED","object":{…}}`) for objects of `kind`.
 * BOOKMARK objects carry only metadata; ERROR objects are Status.
 */
export function decodeWatchEvent<K extends keyof typeof watchKinds>(
  kind: K, line: string, source?: string,
): WatchEvent<z.output<(typeof watchKinds)[K]>> {
  const what = `watch event of ${kind}`;
  const v = parseJson(line, what, source);
  const head = decodeWith(obj({ type: str }), v, what, source);
  const t = head.type;
  if (t === 'BOOKMARK') {
    return { type: t, object: decodeWith(obj({ object: partialSchema }), v, what, source).object };
  }
  if (t === 'ERROR') return { type: t, object: decodeWith(obj({ object: statusObject }), v, what, source).object };
  if (t === 'ADDED' || t === 'MODIFIED' || t === 'DELETED') {
    const schema = watchKinds[kind] as z.ZodType<z.output<(typeof watchKinds)[K]>>;
    return { type: t, object: decodeWith(obj({ object: schema }), v, what, source).object };
  }
  const from = source === undefined ? '' : ` from ${source}`;
  throw new KubemeterError(
    ErrorCode.InvalidDocument,
    `invalid ${what} document${from}: type: expected ADDED, MODIFIED, DELETED, BOOKMARK or ERROR (got ${quoteInput(t)})`,
    source === undefined ? {} : { source },
  );
}
