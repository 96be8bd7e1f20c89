/**
 * Offline schema check of Kubernetes objects against the API's OpenAPI types, as generated into
 * @kubernetes/client-node's models (each model class lists its fields, their JSON names and types).
 *
 * Why: `kubectl apply --dry-run=client` and `kubectl create --dry-run=client` both fetch the
 * OpenAPI document from a cluster, so nothing in kubectl validates fields offline; a misspelt
 * field (`readOnlyRootFilesytem`) would otherwise be silently dropped by the API server and the
 * pod would run with a writable root. This walks every field of every object and reports unknown
 * fields and wrong JSON types.
 */
import * as k8s from '@kubernetes/client-node';

interface Attribute {
  name: string;
  baseName: string;
  type: string;
  format: string;
}

interface ModelClass {
  getAttributeTypeMap(): Attribute[];
}

/** Model class name for each `apiVersion/kind` the deploy files use. */
export const modelForKind: Readonly<Record<string, string>> = {
  'v1/ServiceAccount': 'V1ServiceAccount',
  'v1/Service': 'V1Service',
  'v1/Secret': 'V1Secret',
  'v1/ConfigMap': 'V1ConfigMap',
  'apps/v1/Deployment': 'V1Deployment',
  'apps/v1/DaemonSet': 'V1DaemonSet',
  'rbac.authorization.k8s.io/v1/ClusterRole': 'V1ClusterRole',
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': 'V1ClusterRoleBinding',
  'rbac.authorization.k8s.io/v1/Role': 'V1Role',
  'rbac.authorization.k8s.io/v1/RoleBinding': 'V1RoleBinding',
  'policy/v1/PodDisruptionBudget': 'V1PodDisruptionBudget',
  'apiregistration.k8s.io/v1/APIService': 'V1APIService',
};

const models = k8s as unknown as Record<string, ModelClass | undefined>;

function model(name: string): ModelClass | undefined {
  const m = models[name];
  return m !== undefined && typeof m.getAttributeTypeMap === 'function' ? m : undefined;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const base64 = /^[A-Za-z0-9+/\s]*={0,2}\s*$/;

function check(value: unknown, type: string, format: string, path: string, out: string[]): void {
  if (value === null) return; // explicit null: the API server treats it as unset
  const arrayOf = /^Array<(.+)>$/.exec(type);
  const mapOf = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (arrayOf !== null) {
    if (!Array.isArray(value)) {
      out.push(`${path}: expected a list, got ${typeof value}`);
      return;
    }
    value.forEach((v, i) => check(v, arrayOf[1]!, '', `${path}[${i}]`, out));
    return;
  }
  if (mapOf !== null) {
    if (!isPlainObject(value)) {
      out.push(`${path}: expected a map, got ${Array.isArray(value) ? 'a list' : typeof value}`);
      return;
    }
    for (const [k, v] of Object.entries(value)) check(v, mapOf[1]!, '', `${path}.${k}`, out);
    return;
  }
  switch (type) {
    case 'any':
      return;
    case 'string':
    case 'Date':
      if (typeof value !== 'string') out.push(`${path}: expected a string, got ${typeof value} ${JSON.stringify(value)}`);
      else if (format === 'byte' && !base64.test(value)) out.push(`${path}: expected base64`);
      return;
    case 'number':
      if (typeof value !== 'number') out.push(`${path}: expected a number, got ${typeof value} ${JSON.stringify(value)}`);
      else if ((format === 'int32' || format === 'int64') && !Number.isInteger(value)) out.push(`${path}: expected an integer`);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') out.push(`${path}: expected a boolean, got ${typeof value} ${JSON.stringify(value)}`);
      return;
    case 'IntOrString':
      if (typeof value !== 'string' && !Number.isInteger(value)) out.push(`${path}: expected an integer or a string`);
      return;
  }
  const m = model(type);
  if (m === undefined) {
    out.push(`${path}: no model ${type} in @kubernetes/client-node`);
    return;
  }
  if (!isPlainObject(value)) {
    out.push(`${path}: expected an object (${type}), got ${Array.isArray(value) ? 'a list' : typeof value}`);
    return;
  }
  const attrs = new Map(m.getAttributeTypeMap().map((a) => [a.baseName, a]));
  for (const [k, v] of Object.entries(value)) {
    const a = attrs.get(k);
    if (a === undefined) out.push(`${path}.${k}: unknown field of ${type}`);
    else check(v, a.type, a.format, `${path}.${k}`, out);
  }
}

/** Problems with one object (unknown kind, unknown fields, wrong types); empty when it is valid. */
export function schemaProblems(obj: unknown, where = ''): string[] {
  if (!isPlainObject(obj)) return [`${where}: not an object`];
  const key = `${String(obj['apiVersion'])}/${String(obj['kind'])}`;
  const name = modelForKind[key];
  if (name === undefined) return [`${where}: no schema for ${key}`];
  const out: string[] = [];
  check(obj, name, '', where === '' ? key : where, out);
  return out;
}
