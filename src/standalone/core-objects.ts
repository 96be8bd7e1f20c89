/**
 * core/v1 Node and Pod objects as kube-apiserver would return them for this host and its
 * workloads: `kind`/`apiVersion`, metadata (name, uid, creationTimestamp, labels), the Node's
 * capacity, allocatable, addresses, Ready condition and nodeInfo, and each Pod's containers with
 * the requests and limits its cgroups enforce, phase Running and container statuses. Field order
 * follows the Go structs; resource lists are sorted by key as Go writes maps. Pure functions.
 */
import { timeText } from '../api/json.ts';
import { Quantity } from '../lib/quantity.ts';

/** Resource name → quantity text. */
export type ResourceListText = Record<string, string>;

/** What the Node object is built from. */
export interface NodeDescription {
  name: string;
  uid: string;
  createdMs: number;
  labels: Record<string, string>;
  capacity: ResourceListText;
  allocatable: ResourceListText;
  addresses: readonly { type: string; address: string }[];
  /** The agent's port (`status.daemonEndpoints.kubeletEndpoint.Port`); 0 when unknown. */
  kubeletPort: number;
  ready: boolean;
  /** Last successful look at the node (heartbeat), Unix ms. */
  heartbeatMs: number;
  /** When Ready last changed, Unix ms. */
  readySinceMs: number;
  nodeInfo: {
    machineID: string;
    bootID: string;
    kernelVersion: string;
    osImage: string;
    containerRuntimeVersion: string;
    kubeletVersion: string;
    architecture: string;
    /** Swap capacity in bytes (kubelet ≥ 1.34 reports it), when the host has swap. */
    swapCapacityBytes?: number;
  };
}

/** One container of a pod and what its cgroup enforces. */
export interface ContainerDescription {
  name: string;
  startTimeMs: number;
  /** CPU limit in millicores (cpu.max / CFS quota), when set. */
  cpuLimitMilli?: number;
  /** Memory limit in bytes (memory.max / memory.limit_in_bytes), when set. */
  memoryLimitBytes?: bigint;
}

/** What a Pod object is built from. */
export interface PodDescription {
  namespace: string;
  name: string;
  uid: string;
  startTimeMs: number;
  labels: Record<string, string>;
  /** Node the pod runs on; undefined when unknown (pods seen only in another node's scrape). */
  nodeName: string | undefined;
  hostIP: string | undefined;
  containers: readonly ContainerDescription[];
}

function sorted(m: ResourceListText): ResourceListText {
  const out: ResourceListText = {};
  for (const k of Object.keys(m).sort()) out[k] = m[k]!;
  return out;
}

function meta(name: string, namespace: string | undefined, uid: string, createdMs: number, labels: Record<string, string>): Record<string, unknown> {
  const m: Record<string, unknown> = { name };
  if (namespace !== undefined) m['namespace'] = namespace;
  m['uid'] = uid;
  m['creationTimestamp'] = timeText(createdMs);
  if (Object.keys(labels).length > 0) m['labels'] = sorted(labels);
  return m;
}

/** The Node object. */
export function nodeObject(d: NodeDescription): Record<string, unknown> {
  const info = d.nodeInfo;
  return {
    kind: 'Node',
    apiVersion: 'v1',
    metadata: meta(d.name, undefined, d.uid, d.createdMs, d.labels),
    spec: {},
    status: {
      capacity: sorted(d.capacity),
      allocatable: sorted(d.allocatable),
      conditions: [{
        type: 'Ready',
        status: d.ready ? 'True' : 'Unknown',
        lastHeartbeatTime: timeText(d.heartbeatMs),
        lastTransitionTime: timeText(d.readySinceMs),
        reason: d.ready ? 'KubeletReady' : 'NodeStatusUnknown',
        message: d.ready ? 'kubemeter agent is posting ready status' : 'kubemeter cannot reach the agent of this node',
      }],
      addresses: d.addresses.map((a) => ({ type: a.type, address: a.address })),
      daemonEndpoints: { kubeletEndpoint: { Port: d.kubeletPort } },
      nodeInfo: {
        machineID: info.machineID,
        systemUUID: '',
        bootID: info.bootID,
        kernelVersion: info.kernelVersion,
        osImage: info.osImage,
        containerRuntimeVersion: info.containerRuntimeVersion,
        kubeletVersion: info.kubeletVersion,
        kubeProxyVersion: '',
        operatingSystem: 'linux',
        architecture: info.architecture,
        ...(info.swapCapacityBytes === undefined ? {} : { swap: { capacity: info.swapCapacityBytes } }),
      },
    },
  };
}

/** Limits of a container as a resource list (empty when its cgroup has none). */
export function containerLimits(c: ContainerDescription): ResourceListText {
  const limits: ResourceListText = {};
  if (c.cpuLimitMilli !== undefined) limits['cpu'] = Quantity.ofMilli(BigInt(c.cpuLimitMilli), 'DecimalSI').toString();
  if (c.memoryLimitBytes !== undefined) limits['memory'] = Quantity.fromBytes(c.memoryLimitBytes).toString();
  return limits;
}

/** The QoS class kube-apiserver computes (requests default to limits when only limits are set). */
export function qosClass(containers: readonly ContainerDescription[]): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const any = containers.some((c) => c.cpuLimitMilli !== undefined || c.memoryLimitBytes !== undefined);
  if (!any) return 'BestEffort';
  const all = containers.length > 0 && containers.every((c) => c.cpuLimitMilli !== undefined && c.memoryLimitBytes !== undefined);
  return all ? 'Guaranteed' : 'Burstable';
}

/** The Pod object. Requests equal limits, as the API server's defaulting makes them when only limits are set. */
export function podObject(d: PodDescription): Record<string, unknown> {
  const containers = d.containers.map((c) => {
    const limits = containerLimits(c);
    const resources = Object.keys(limits).length === 0 ? {} : { limits, requests: { ...limits } };
    return { name: c.name, resources, terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', imagePullPolicy: 'IfNotPresent' };
  });
  const spec: Record<string, unknown> = { containers, restartPolicy: 'Always' };
  if (d.nodeName !== undefined) spec['nodeName'] = d.nodeName;
  const status: Record<string, unknown> = { phase: 'Running' };
  if (d.hostIP !== undefined) status['hostIP'] = d.hostIP;
  status['startTime'] = timeText(d.startTimeMs);
  status['containerStatuses'] = d.containers.map((c) => ({
    name: c.name,
    state: { running: { startedAt: timeText(c.startTimeMs) } },
    lastState: {},
    ready: true,
    restartCount: 0,
    image: '',
    imageID: '',
    started: true,
  }));
  status['qosClass'] = qosClass(d.containers);
  return { kind: 'Pod', apiVersion: 'v1', metadata: meta(d.name, d.namespace, d.uid, d.startTimeMs, d.labels), spec, status };
}
