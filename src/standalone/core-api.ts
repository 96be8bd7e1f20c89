/**
 * The read-only slice of the core API that `kubectl top` needs when there is no kube-apiserver
 * (kubectl-top.md §3): `/api`, `/api/v1`, `/api/v1/nodes[/NAME]` and
 * `/api/v1/[namespaces/NS/]pods[/NAME]` with label and field selectors, answered like
 * kube-apiserver (lists sorted by namespace/name, Status errors with its messages). Writes and
 * watches are refused with 405; any other path under `/api` is a 404 Status. This is a
 * convenience for hosts without Kubernetes, not an API server.
 */
import { badRequestStatus, methodNotSupportedStatus, notFoundStatus, type Status } from '../api/meta.ts';
import { jsonResponse, statusResponse, type ApiRequest, type ApiResponse } from '../apiserver/http.ts';
import { errorMessage } from '../lib/errors.ts';
import { parseFieldSelector, type FieldSelector } from '../lib/fields.ts';
import { compareGoStrings } from '../lib/go-strings.ts';
import { parseLabelSelector, type LabelSelector } from '../lib/labels.ts';
import { nodeObject, podObject, type NodeDescription, type PodDescription } from './core-objects.ts';

/** Where the objects come from. */
export interface CoreSource {
  nodeDescriptions(): NodeDescription[];
  podDescriptions(): PodDescription[];
  /** `serverAddressByClientCIDRs` address of `/api` (`127.0.0.1:4443`). */
  serverAddress(): string;
  /** A resourceVersion for lists (changes when the data does). */
  resourceVersion(): string;
}

const nodeFields = ['metadata.name', 'spec.unschedulable'];
const podFields = ['metadata.name', 'metadata.namespace', 'spec.nodeName', 'spec.restartPolicy', 'status.phase', 'status.podIP', 'status.nominatedNodeName'];

const resourceListJson = '{"kind":"APIResourceList","groupVersion":"v1","resources":[' +
  '{"name":"nodes","singularName":"node","namespaced":false,"kind":"Node","verbs":["get","list"],"shortNames":["no"]},' +
  '{"name":"pods","singularName":"pod","namespaced":true,"kind":"Pod","verbs":["get","list"],"shortNames":["po"],"categories":["all"]}]}\n';

const notFound: Status = { status: 'Failure', message: 'the server could not find the requested resource', reason: 'NotFound', details: {}, code: 404 };

interface Selectors {
  kind: 'selectors';
  labels: LabelSelector;
  fields: FieldSelector;
}

function selectors(req: ApiRequest, known: readonly string[]): Selectors | Status {
  try {
    const labels = parseLabelSelector(req.query.get('labelSelector') ?? '');
    const fields = parseFieldSelector(req.query.get('fieldSelector') ?? '');
    for (const r of fields.requirements) {
      if (!known.includes(r.field)) return badRequestStatus(`field label not supported: ${r.field}`);
    }
    return { kind: 'selectors', labels, fields };
  } catch (e) {
    return badRequestStatus(errorMessage(e));
  }
}

function listJson(kind: string, resourceVersion: string, items: readonly Record<string, unknown>[]): string {
  return `{"kind":"${kind}","apiVersion":"v1","metadata":{"resourceVersion":${JSON.stringify(resourceVersion)}},"items":[${items.map((i) => JSON.stringify(i)).join(',')}]}\n`;
}

const nodeFieldSet = (n: NodeDescription): Record<string, string> => ({ 'metadata.name': n.name, 'spec.unschedulable': 'false' });
const podFieldSet = (p: PodDescription): Record<string, string> => ({
  'metadata.name': p.name, 'metadata.namespace': p.namespace, 'spec.nodeName': p.nodeName ?? '',
  'spec.restartPolicy': 'Always', 'status.phase': 'Running', 'status.podIP': '', 'status.nominatedNodeName': '',
});

/** Handle a request under `/api`; undefined for any other path. */
export function handleCoreApi(req: ApiRequest, source: CoreSource): ApiResponse | undefined {
  const path = req.path.length > 1 && req.path.endsWith('/') ? req.path.slice(0, -1) : req.path;
  if (path !== '/api' && !path.startsWith('/api/')) return undefined;
  const parts = path.split('/').slice(2).map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  // Resource paths: v1/nodes[/n], v1/pods, v1/namespaces/ns/pods[/n].
  let resource: 'nodes' | 'pods' | undefined;
  let namespace: string | undefined;
  let name: string | undefined;
  if (parts[0] === 'v1') {
    const rest = parts.slice(1);
    if (rest[0] === 'nodes' && rest.length <= 2) [resource, name] = ['nodes', rest[1]];
    else if (rest[0] === 'pods' && rest.length === 1) resource = 'pods';
    else if (rest[0] === 'namespaces' && rest.length >= 3 && rest.length <= 4 && rest[2] === 'pods') [resource, namespace, name] = ['pods', rest[1], rest[3]];
  }
  const readOnly = req.method === 'GET' || req.method === 'HEAD';
  if (resource !== undefined) {
    const gr = { group: '', resource };
    if (!readOnly) {
      const verb = { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: name === undefined ? 'deletecollection' : 'delete' }[req.method] ?? req.method.toLowerCase();
      return statusResponse(req, methodNotSupportedStatus(gr, verb));
    }
    const watch = req.query.get('watch');
    if (watch === 'true' || watch === '1') return statusResponse(req, methodNotSupportedStatus(gr, 'watch'));
  } else if (!readOnly) {
    return statusResponse(req, { status: 'Failure', message: 'the server does not allow this method on the requested resource', reason: 'MethodNotAllowed', details: {}, code: 405 });
  }
  if (parts.length === 0) {
    const versions = { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: source.serverAddress() }] };
    return jsonResponse(req, 200, `${JSON.stringify(versions)}\n`);
  }
  if (parts.length === 1 && parts[0] === 'v1') return jsonResponse(req, 200, resourceListJson);
  if (resource === 'nodes') {
    const nodes = source.nodeDescriptions();
    if (name !== undefined) {
      const n = nodes.find((x) => x.name === name);
      return n === undefined ? statusResponse(req, notFoundStatus({ group: '', resource: 'nodes' }, name)) : jsonResponse(req, 200, `${JSON.stringify(nodeObject(n))}\n`);
    }
    const sel = selectors(req, nodeFields);
    if (!('kind' in sel)) return statusResponse(req, sel);
    const items = nodes.filter((n) => sel.labels.matches(n.labels) && sel.fields.matches(nodeFieldSet(n))).sort((a, b) => compareGoStrings(a.name, b.name));
    return jsonResponse(req, 200, listJson('NodeList', source.resourceVersion(), items.map(nodeObject)));
  }
  if (resource === 'pods') {
    const pods = source.podDescriptions().filter((p) => namespace === undefined || p.namespace === namespace);
    if (name !== undefined) {
      const p = pods.find((x) => x.name === name);
      return p === undefined ? statusResponse(req, notFoundStatus({ group: '', resource: 'pods' }, name)) : jsonResponse(req, 200, `${JSON.stringify(podObject(p))}\n`);
    }
    const sel = selectors(req, podFields);
    if (!('kind' in sel)) return statusResponse(req, sel);
    const items = pods.filter((p) => sel.labels.matches(p.labels) && sel.fields.matches(podFieldSet(p)))
      .sort((a, b) => compareGoStrings(a.namespace, b.namespace) || compareGoStrings(a.name, b.name));
    return jsonResponse(req, 200, listJson('PodList', source.resourceVersion(), items.map(podObject)));
  }
  return statusResponse(req, notFound);
}
