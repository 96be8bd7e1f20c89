/**
 * The few fields of core/v1 Node and Pod objects that `top` needs, read from decoded JSON without
 * trusting its shape: names, labels, allocatable/capacity, container requests and limits (with
 * native sidecars and pod-level resources), node name, phase and creation time. Anything malformed
 * becomes a KubemeterError naming the object and field.
 */
import { ErrorCode, KubemeterError } from '../lib/errors.ts';
import { parseMetaTime } from '../lib/go-format.ts';
import type { Quantity } from '../lib/quantity.ts';
import { parseServerQuantity } from './convert.ts';
import type { ResourceQuantities } from './types.ts';

/** What `top` reads from a Node. */
export interface NodeView {
  name: string;
  labels: Readonly<Record<string, string>>;
  allocatable: ResourceQuantities;
  capacity: ResourceQuantities;
  /** Status of the Ready condition (`True`, `False`, `Unknown`; '' when absent). */
  ready: string;
  /** When the Ready condition last changed, ms since the epoch (null when unknown). */
  readySinceMs: number | null;
  /** Node creation time, ms since the epoch (null when unknown). */
  createdMs: number | null;
}

/** Requests and limits of one container. */
export interface ContainerSpecView {
  name: string;
  kind: 'container' | 'init' | 'sidecar';
  requests: ResourceQuantities;
  limits: ResourceQuantities;
}

/** What `top` reads from a Pod. */
export interface PodView {
  namespace: string;
  name: string;
  labels: Readonly<Record<string, string>>;
  nodeName: string;
  phase: string;
  createdMs: number | null;
  containers: ContainerSpecView[];
  /** Pod-level resources (`spec.resources`, PodLevelResources), when set. */
  podRequests: ResourceQuantities | undefined;
  podLimits: ResourceQuantities | undefined;
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function field(o: Obj, key: string, where: string): Obj {
  const v = o[key];
  if (v === undefined || v === null) return {};
  if (!isObj(v)) throw new KubemeterError(ErrorCode.InvalidDocument, `${where}.${key}: expected an object`, { source: where });
  return v;
}

function str(o: Obj, key: string, where: string): string {
  const v = o[key];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new KubemeterError(ErrorCode.InvalidDocument, `${where}.${key}: expected a string`, { source: where });
  return v;
}

function stringMap(o: Obj, key: string, where: string): Record<string, string> {
  const m = field(o, key, where);
  for (const [k, v] of Object.entries(m)) {
    if (typeof v !== 'string') throw new KubemeterError(ErrorCode.InvalidDocument, `${where}.${key}.${k}: expected a string`, { source: where });
  }
  return m as Record<string, string>;
}

function quantities(o: Obj, key: string, where: string): ResourceQuantities {
  const m = field(o, key, where);
  const out: Record<string, Quantity> = {};
  for (const [k, v] of Object.entries(m)) {
    if (typeof v !== 'string' && typeof v !== 'number') throw new KubemeterError(ErrorCode.InvalidDocument, `${where}.${key}.${k}: expected a quantity`, { source: where });
    out[k] = parseServerQuantity(String(v), `${where}.${key}.${k}`);
  }
  return out;
}

function array(o: Obj, key: string, where: string): Obj[] {
  const v = o[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every(isObj)) throw new KubemeterError(ErrorCode.InvalidDocument, `${where}.${key}: expected an array of objects`, { source: where });
  return v;
}

function timeOf(o: Obj, key: string, where: string): number | null {
  const text = str(o, key, where);
  if (text === '') return null;
  try {
    return parseMetaTime(text);
  } catch {
    throw new KubemeterError(ErrorCode.InvalidDocument, `${where}.${key}: not an RFC 3339 time: ${JSON.stringify(text.slice(0, 40))}`, { source: where });
  }
}

/** Reads a Node object. */
export function nodeView(v: unknown, source: string): NodeView {
  if (!isObj(v)) throw new KubemeterError(ErrorCode.InvalidDocument, `${source}: Node is not an object`, { source });
  const meta = field(v, 'metadata', source);
  const name = str(meta, 'name', `${source} metadata`);
  const where = `${source}: Node ${name}`;
  const status = field(v, 'status', where);
  const ready = array(status, 'conditions', `${where} status`).find((c) => c['type'] === 'Ready');
  return {
    name,
    labels: stringMap(meta, 'labels', `${where} metadata`),
    allocatable: quantities(status, 'allocatable', `${where} status`),
    capacity: quantities(status, 'capacity', `${where} status`),
    ready: ready === undefined ? '' : str(ready, 'status', `${where} status.conditions[Ready]`),
    readySinceMs: ready === undefined ? null : timeOf(ready, 'lastTransitionTime', `${where} status.conditions[Ready]`),
    createdMs: timeOf(meta, 'creationTimestamp', `${where} metadata`),
  };
}

function containerView(c: Obj, kind: 'container' | 'init', where: string): ContainerSpecView {
  const name = str(c, 'name', where);
  const w = `${where} ${name}`;
  const resources = field(c, 'resources', w);
  // A restartable init container (restartPolicy Always) is a native sidecar: it runs, and its
  // requests count, for the pod's whole life.
  const sidecar = kind === 'init' && str(c, 'restartPolicy', w) === 'Always';
  return { name, kind: sidecar ? 'sidecar' : kind, requests: quantities(resources, 'requests', `${w} resources`), limits: quantities(resources, 'limits', `${w} resources`) };
}

/** Reads a Pod object. */
export function podView(v: unknown, source: string): PodView {
  if (!isObj(v)) throw new KubemeterError(ErrorCode.InvalidDocument, `${source}: Pod is not an object`, { source });
  const meta = field(v, 'metadata', source);
  const name = str(meta, 'name', `${source} metadata`);
  const namespace = str(meta, 'namespace', `${source} metadata`);
  const where = `${source}: Pod ${namespace}/${name}`;
  const spec = field(v, 'spec', where);
  const status = field(v, 'status', where);
  const createdMs = timeOf(meta, 'creationTimestamp', `${where} metadata`);
  const podResources = spec['resources'] === undefined || spec['resources'] === null ? undefined : field(spec, 'resources', where);
  return {
    namespace,
    name,
    labels: stringMap(meta, 'labels', `${where} metadata`),
    nodeName: str(spec, 'nodeName', `${where} spec`),
    phase: str(status, 'phase', `${where} status`),
    createdMs,
    containers: [
      ...array(spec, 'initContainers', `${where} spec`).map((c) => containerView(c, 'init', `${where} spec.initContainers`)),
      ...array(spec, 'containers', `${where} spec`).map((c) => containerView(c, 'container', `${where} spec.containers`)),
    ],
    podRequests: podResources === undefined || podResources['requests'] === undefined ? undefined : quantities(podResources, 'requests', `${where} spec.resources`),
    podLimits: podResources === undefined || podResources['limits'] === undefined ? undefined : quantities(podResources, 'limits', `${where} spec.resources`),
  };
}
