/**
 * Reading Kubernetes manifests the way kubectl does, and the checks every workload in deploy/
 * must pass: least-privilege pod security and exact RBAC.
 */
import { parseAllDocuments } from 'yaml';

/** A Kubernetes object as plain JSON. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/**
 * Parse a multi-document YAML stream. YAML 1.1, as Kubernetes' decoder (go-yaml v2) reads it:
 * under 1.2 `yes`/`on` stay strings and `0440` is decimal, under 1.1 they are a boolean and octal
 * 288, and a manifest must be checked as the API server will see it.
 */
export function loadManifests(text: string, source: string): K8sObject[] {
  const out: K8sObject[] = [];
  parseAllDocuments(text, { version: '1.1' }).forEach((doc, i) => {
    if (doc.errors.length > 0) throw new Error(`${source} document ${i}: ${doc.errors[0]!.message}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return;
    const o = value as Partial<K8sObject>;
    if (typeof o.apiVersion !== 'string' || typeof o.kind !== 'string' || typeof o.metadata?.name !== 'string') {
      throw new Error(`${source} document ${i}: missing apiVersion, kind or metadata.name`);
    }
    out.push(o as K8sObject);
  });
  return out;
}

/** The one object of `kind` named `name`; throws when absent or duplicated. */
export function find(objects: readonly K8sObject[], kind: string, name: string): K8sObject {
  const hits = objects.filter((o) => o.kind === kind && o.metadata.name === name);
  if (hits.length !== 1) throw new Error(`expected one ${kind} ${name}, found ${hits.length}`);
  return hits[0]!;
}

/** `Kind/namespace/name` of every object, sorted. */
export function identities(objects: readonly K8sObject[]): string[] {
  return objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`).sort();
}

/** Read a nested field by path; undefined when any step is missing. */
export function at(value: unknown, ...path: (string | number)[]): unknown {
  let v = value;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

/** A container of a pod spec, in the fields these checks read. */
export interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  securityContext?: Record<string, unknown>;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  ports?: { name?: string; containerPort: number; hostPort?: number }[];
}

/** The containers of a Deployment's or DaemonSet's pod template. */
export function containersOf(workload: K8sObject): Container[] {
  return (at(workload, 'spec', 'template', 'spec', 'containers') as Container[] | undefined) ?? [];
}

/** Exceptions a workload documents for itself (the agent reads host files). */
export interface SecurityAllowances {
  /** hostPath volumes allowed, by volume name; each must be mounted read-only. */
  hostPathVolumes?: readonly string[];
  hostNetwork?: boolean;
  hostPID?: boolean;
}

/**
 * Least-privilege problems of a workload: every container must run as non-root with a read-only
 * root filesystem, no privilege escalation, all capabilities dropped and the RuntimeDefault
 * seccomp profile (container settings override the pod's, as in the kubelet).
 */
export function podSecurityProblems(workload: K8sObject, allow: SecurityAllowances = {}): string[] {
  const spec = (at(workload, 'spec', 'template', 'spec') ?? {}) as Record<string, unknown>;
  const pod = (spec['securityContext'] ?? {}) as Record<string, unknown>;
  const id = `${workload.kind}/${workload.metadata.name}`;
  const out: string[] = [];
  if (spec['hostNetwork'] === true && allow.hostNetwork !== true) out.push(`${id}: hostNetwork`);
  if (spec['hostPID'] === true && allow.hostPID !== true) out.push(`${id}: hostPID`);
  if (spec['hostIPC'] === true) out.push(`${id}: hostIPC`);
  const hostPaths = new Set<string>();
  for (const v of (spec['volumes'] ?? []) as { name: string; hostPath?: unknown }[]) {
    if (v.hostPath === undefined) continue;
    if (!(allow.hostPathVolumes ?? []).includes(v.name)) out.push(`${id}: hostPath volume ${v.name}`);
    hostPaths.add(v.name);
  }
  const all = [...containersOf(workload), ...((spec['initContainers'] ?? []) as Container[])];
  if (all.length === 0) out.push(`${id}: no containers`);
  for (const c of all) {
    const sc = c.securityContext ?? {};
    const eff = (k: string): unknown => (sc[k] !== undefined ? sc[k] : pod[k]);
    const where = `${id} container ${c.name}`;
    if (eff('runAsNonRoot') !== true) out.push(`${where}: runAsNonRoot is not true`);
    const uid = eff('runAsUser');
    if (uid === 0) out.push(`${where}: runAsUser 0`);
    if (sc['readOnlyRootFilesystem'] !== true) out.push(`${where}: readOnlyRootFilesystem is not true`);
    if (sc['allowPrivilegeEscalation'] !== false) out.push(`${where}: allowPrivilegeEscalation is not false`);
    if (sc['privileged'] === true) out.push(`${where}: privileged`);
    const caps = (sc['capabilities'] ?? {}) as { drop?: string[]; add?: string[] };
    if (!(caps.drop ?? []).includes('ALL')) out.push(`${where}: capabilities.drop lacks ALL`);
    if ((caps.add ?? []).length > 0) out.push(`${where}: capabilities.add ${JSON.stringify(caps.add)}`);
    if (at(eff('seccompProfile'), 'type') !== 'RuntimeDefault') out.push(`${where}: seccompProfile is not RuntimeDefault`);
    for (const m of c.volumeMounts ?? []) {
      if (hostPaths.has(m.name) && m.readOnly !== true) out.push(`${where}: hostPath ${m.name} mounted writable`);
    }
  }
  return out;
}

/** One permission: `apiGroup resource verb` (resource may be `nodes/stats`). */
export type Permission = string;

/** Every permission the rules of a Role or ClusterRole grant, sorted and de-duplicated. */
export function permissionsOf(role: K8sObject): Permission[] {
  const out = new Set<Permission>();
  for (const r of (role['rules'] ?? []) as { apiGroups?: string[]; resources?: string[]; verbs?: string[]; resourceNames?: string[] }[]) {
    for (const g of r.apiGroups ?? []) {
      for (const res of r.resources ?? []) {
        for (const v of r.verbs ?? []) out.add(`${g === '' ? 'core' : g} ${res} ${v}`);
      }
    }
  }
  return [...out].sort();
}

/** A binding of a service account to a role, as `RoleBinding ns -> Role name` strings. */
export function bindingsOf(objects: readonly K8sObject[], namespace: string, serviceAccount: string): string[] {
  const out: string[] = [];
  for (const o of objects) {
    if (o.kind !== 'ClusterRoleBinding' && o.kind !== 'RoleBinding') continue;
    const subjects = (o['subjects'] ?? []) as { kind: string; name: string; namespace?: string }[];
    if (!subjects.some((s) => s.kind === 'ServiceAccount' && s.name === serviceAccount && s.namespace === namespace)) continue;
    const ref = o['roleRef'] as { kind: string; name: string; apiGroup: string };
    const scope = o.kind === 'RoleBinding' ? `RoleBinding ${o.metadata.namespace ?? '?'}` : 'ClusterRoleBinding';
    out.push(`${scope} -> ${ref.kind} ${ref.name}`);
  }
  return out.sort();
}
