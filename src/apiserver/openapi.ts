/**
 * `/openapi/v2` and `/openapi/v3` documents (title "Kubernetes metrics-server"): the five GET
 * routes of metrics.k8s.io/v1beta1 and the two of scrape.kubemeter.io/v1alpha1 with the generic
 * apiserver's operation ids, actions, parameters and media types, and the schemas kube-apiserver's
 * aggregation and `kubectl explain` read. v2 is one document for both groups (as the generic
 * apiserver serves it); v3 has one document per group version, each listed in the index.
 */
import { createHash } from 'node:crypto';
import { scrapeDefinitions, scrapeRoutes } from './openapi-scrape.ts';

/** `#/definitions/X` or `#/components/schemas/X`. */
export type RefOf = (name: string) => string;

const quantity = { type: 'string', description: 'Quantity is a fixed-point representation of a number.' };
const time = { type: 'string', format: 'date-time', description: 'Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON.' };

function definitions(ref: (name: string) => string): Record<string, unknown> {
  const r = (n: string): { $ref: string } => ({ $ref: ref(n) });
  const gvk = (kind: string): unknown => [{ group: 'metrics.k8s.io', kind, version: 'v1beta1' }];
  return {
    'io.k8s.metrics.pkg.apis.metrics.v1beta1.ContainerMetrics': {
      description: 'ContainerMetrics sets resource usage metrics of a container.', type: 'object', required: ['name', 'usage'],
      properties: { name: { type: 'string', description: 'Container name corresponding to the one from pod.spec.containers.', default: '' },
        usage: { type: 'object', description: 'The memory usage is the memory working set.', additionalProperties: r('io.k8s.apimachinery.pkg.api.resource.Quantity') } },
    },
    'io.k8s.metrics.pkg.apis.metrics.v1beta1.NodeMetrics': {
      description: 'NodeMetrics sets resource usage metrics of a node.', type: 'object', required: ['timestamp', 'window', 'usage'],
      properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { ...r('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'), default: {} },
        timestamp: r('io.k8s.apimachinery.pkg.apis.meta.v1.Time'), window: r('io.k8s.apimachinery.pkg.apis.meta.v1.Duration'),
        usage: { type: 'object', description: 'The memory usage is the memory working set.', additionalProperties: r('io.k8s.apimachinery.pkg.api.resource.Quantity') } },
      'x-kubernetes-group-version-kind': gvk('NodeMetrics'),
    },
    'io.k8s.metrics.pkg.apis.metrics.v1beta1.NodeMetricsList': {
      description: 'NodeMetricsList is a list of NodeMetrics.', type: 'object', required: ['items'],
      properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, items: { type: 'array', items: r('io.k8s.metrics.pkg.apis.metrics.v1beta1.NodeMetrics') },
        metadata: { ...r('io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta'), default: {} } },
      'x-kubernetes-group-version-kind': gvk('NodeMetricsList'),
    },
    'io.k8s.metrics.pkg.apis.metrics.v1beta1.PodMetrics': {
      description: 'PodMetrics sets resource usage metrics of a pod.', type: 'object', required: ['timestamp', 'window', 'containers'],
      properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { ...r('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'), default: {} },
        timestamp: r('io.k8s.apimachinery.pkg.apis.meta.v1.Time'), window: r('io.k8s.apimachinery.pkg.apis.meta.v1.Duration'),
        containers: { type: 'array', description: 'Metrics for all containers are collected within the same time window.', items: r('io.k8s.metrics.pkg.apis.metrics.v1beta1.ContainerMetrics'), 'x-kubernetes-list-type': 'atomic' } },
      'x-kubernetes-group-version-kind': gvk('PodMetrics'),
    },
    'io.k8s.metrics.pkg.apis.metrics.v1beta1.PodMetricsList': {
      description: 'PodMetricsList is a list of PodMetrics.', type: 'object', required: ['items'],
      properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, items: { type: 'array', items: r('io.k8s.metrics.pkg.apis.metrics.v1beta1.PodMetrics') },
        metadata: { ...r('io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta'), default: {} } },
      'x-kubernetes-group-version-kind': gvk('PodMetricsList'),
    },
    'io.k8s.apimachinery.pkg.api.resource.Quantity': quantity,
    ...metaDefinitions(ref),
  };
}

/** The meta/v1 schemas every group references. */
export function metaDefinitions(ref: RefOf): Record<string, unknown> {
  const r = (n: string): { $ref: string } => ({ $ref: ref(n) });
  return {
    'io.k8s.apimachinery.pkg.apis.meta.v1.Time': time,
    'io.k8s.apimachinery.pkg.apis.meta.v1.Duration': { type: 'string', description: 'Duration is a wrapper around time.Duration which supports correct marshaling to YAML and JSON.' },
    'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta': { type: 'object', properties: { name: { type: 'string' }, namespace: { type: 'string' }, creationTimestamp: r('io.k8s.apimachinery.pkg.apis.meta.v1.Time'), labels: { type: 'object', additionalProperties: { type: 'string', default: '' } } } },
    'io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta': { type: 'object', properties: { resourceVersion: { type: 'string' }, continue: { type: 'string' } } },
  };
}

/** One GET route of a group version. */
export interface Route {
  path: string;
  action: 'list' | 'get';
  kind: string;
  /** Response type (the kind, or its List), a full definition name. */
  schema: string;
  operationId: string;
  namespaced: boolean;
  group: string;
  version: string;
  /** OpenAPI tag of the group version. */
  tag: string;
}

const schemaName = (n: string): string => `io.k8s.metrics.pkg.apis.metrics.v1beta1.${n}`;
const metrics = { group: 'metrics.k8s.io', version: 'v1beta1', tag: 'metricsV1beta1' };

const routes: readonly Route[] = [
  { ...metrics, path: '/apis/metrics.k8s.io/v1beta1/namespaces/{namespace}/pods', action: 'list', kind: 'PodMetrics', schema: schemaName('PodMetricsList'), operationId: 'listMetricsV1beta1NamespacedPodMetrics', namespaced: true },
  { ...metrics, path: '/apis/metrics.k8s.io/v1beta1/namespaces/{namespace}/pods/{name}', action: 'get', kind: 'PodMetrics', schema: schemaName('PodMetrics'), operationId: 'readMetricsV1beta1NamespacedPodMetrics', namespaced: true },
  { ...metrics, path: '/apis/metrics.k8s.io/v1beta1/nodes', action: 'list', kind: 'NodeMetrics', schema: schemaName('NodeMetricsList'), operationId: 'listMetricsV1beta1NodeMetrics', namespaced: false },
  { ...metrics, path: '/apis/metrics.k8s.io/v1beta1/nodes/{name}', action: 'get', kind: 'NodeMetrics', schema: schemaName('NodeMetrics'), operationId: 'readMetricsV1beta1NodeMetrics', namespaced: false },
  { ...metrics, path: '/apis/metrics.k8s.io/v1beta1/pods', action: 'list', kind: 'PodMetrics', schema: schemaName('PodMetricsList'), operationId: 'listMetricsV1beta1PodMetricsForAllNamespaces', namespaced: false },
];

interface Param {
  name: string;
  in: 'query' | 'path';
  type: 'string' | 'integer' | 'boolean';
  description: string;
  required?: boolean;
}

// metav1.ListOptions as the generic apiserver documents a list route, alphabetically.
const listParams: readonly Param[] = [
  { name: 'allowWatchBookmarks', in: 'query', type: 'boolean', description: 'allowWatchBookmarks requests watch events with type "BOOKMARK". Servers that do not implement bookmarks may ignore this flag and bookmarks are sent at the server\'s discretion. Clients should not assume bookmarks are returned at any specific interval, nor may they assume the server will send any BOOKMARK event during a session. If this is not a watch, this field is ignored.' },
  { name: 'continue', in: 'query', type: 'string', description: 'The continue option should be set when retrieving more results from the server. Since this value is server defined, clients may only use the continue value from a previous query result with identical query parameters (except for the value of continue) and the server may reject a continue value it does not recognize.' },
  { name: 'fieldSelector', in: 'query', type: 'string', description: 'A selector to restrict the list of returned objects by their fields. Defaults to everything.' },
  { name: 'labelSelector', in: 'query', type: 'string', description: 'A selector to restrict the list of returned objects by their labels. Defaults to everything.' },
  { name: 'limit', in: 'query', type: 'integer', description: 'limit is a maximum number of responses to return for a list call. If more items exist, the server will set the `continue` field on the list metadata to a value that can be used with the same initial query to retrieve the next set of results.' },
  { name: 'resourceVersion', in: 'query', type: 'string', description: 'resourceVersion sets a constraint on what resource versions a request may be served from. See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details.\n\nDefaults to unset' },
  { name: 'resourceVersionMatch', in: 'query', type: 'string', description: 'resourceVersionMatch determines how resourceVersion is applied to list calls. It is highly recommended that resourceVersionMatch be set for list calls where resourceVersion is set See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details.\n\nDefaults to unset' },
  { name: 'sendInitialEvents', in: 'query', type: 'boolean', description: '`sendInitialEvents=true` may be set together with `watch=true`. In that case, the watch stream will begin with synthetic events to produce the current state of objects in the collection.' },
  { name: 'timeoutSeconds', in: 'query', type: 'integer', description: 'Timeout for the list/watch call. This limits the duration of the call, regardless of any activity or inactivity.' },
  { name: 'watch', in: 'query', type: 'boolean', description: 'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications. Specify resourceVersion.' },
];
const prettyParam: Param = { name: 'pretty', in: 'query', type: 'string', description: 'If \'true\', then the output is pretty printed. Defaults to \'false\' unless the user-agent indicates a browser or command-line HTTP tool (curl and wget).' };
const namespaceParam: Param = { name: 'namespace', in: 'path', type: 'string', description: 'object name and auth scope, such as for teams and projects', required: true };
const nameParam = (kind: string): Param => ({ name: 'name', in: 'path', type: 'string', description: `name of the ${kind}`, required: true });
const mediaTypes = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];

/** Path-level parameters of a route (name, namespace, pretty), as the route builder groups them. */
function pathParams(r: Route): Param[] {
  return [...(r.action === 'get' ? [nameParam(r.kind)] : []), ...(r.namespaced ? [namespaceParam] : []), prettyParam];
}

function operation(r: Route): Record<string, unknown> {
  return {
    description: r.action === 'list' ? `list objects of kind ${r.kind}` : `read the specified ${r.kind}`,
    operationId: r.operationId,
    tags: [r.tag],
    'x-kubernetes-action': r.action,
    'x-kubernetes-group-version-kind': { group: r.group, kind: r.kind, version: r.version },
  };
}

function v2Param(p: Param): Record<string, unknown> {
  return { uniqueItems: true, type: p.type, description: p.description, name: p.name, in: p.in, ...(p.required ? { required: true } : {}) };
}

function v3Param(p: Param): Record<string, unknown> {
  return { name: p.name, in: p.in, description: p.description, ...(p.required ? { required: true } : {}), schema: { type: p.type, uniqueItems: true } };
}

function v2Paths(all: readonly Route[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const r of all) {
    out[r.path] = {
      get: {
        ...operation(r),
        consumes: ['*/*'],
        produces: mediaTypes,
        schemes: ['https'],
        ...(r.action === 'list' ? { parameters: listParams.map(v2Param) } : {}),
        responses: { 200: { description: 'OK', schema: { $ref: v2Ref(r.schema) } }, 401: { description: 'Unauthorized' } },
      },
      parameters: pathParams(r).map(v2Param),
    };
  }
  return out;
}

function v3Paths(all: readonly Route[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const r of all) {
    const schema = { $ref: `#/components/schemas/${r.schema}` };
    out[r.path] = {
      get: {
        ...operation(r),
        ...(r.action === 'list' ? { parameters: listParams.map(v3Param) } : {}),
        responses: { 200: { description: 'OK', content: Object.fromEntries(mediaTypes.map((m) => [m, { schema }])) }, 401: { description: 'Unauthorized' } },
      },
      parameters: pathParams(r).map(v3Param),
    };
  }
  return out;
}

const v2Ref = (n: string): string => `#/definitions/${n}`;
const v3Ref = (n: string): string => `#/components/schemas/${n}`;
const info = { title: 'Kubernetes metrics-server', version: 'v0.9.0' };

/** `GET /openapi/v2`: both groups. */
export const openApiV2Json = `${JSON.stringify({
  swagger: '2.0',
  info,
  paths: v2Paths([...routes, ...scrapeRoutes]),
  definitions: { ...definitions(v2Ref), ...scrapeDefinitions(v2Ref) },
})}\n`;

/** `GET /openapi/v3/apis/metrics.k8s.io/v1beta1` */
export const openApiV3GroupJson = `${JSON.stringify({ openapi: '3.0.0', info, paths: v3Paths(routes), components: { schemas: definitions(v3Ref) } })}\n`;

/** `GET /openapi/v3/apis/scrape.kubemeter.io/v1alpha1` */
export const openApiV3ScrapeJson = `${JSON.stringify({
  openapi: '3.0.0',
  info,
  paths: v3Paths(scrapeRoutes),
  components: { schemas: { ...scrapeDefinitions(v3Ref), ...metaDefinitions(v3Ref) } },
})}\n`;

/** Upper-case hex SHA-512 of a group document: kube-openapi's ETag, which clients use to cache. */
const hashOf = (doc: string): string => createHash('sha512').update(doc).digest('hex').toUpperCase();

/** ETag of the metrics.k8s.io document. */
export const openApiV3GroupHash = hashOf(openApiV3GroupJson);
/** ETag of the scrape.kubemeter.io document. */
export const openApiV3ScrapeHash = hashOf(openApiV3ScrapeJson);

/** `GET /openapi/v3`: the index of group-version documents, each URL carrying its hash. */
export const openApiV3IndexJson = `${JSON.stringify({ paths: {
  'apis/metrics.k8s.io/v1beta1': { serverRelativeURL: `/openapi/v3/apis/metrics.k8s.io/v1beta1?hash=${openApiV3GroupHash}` },
  'apis/scrape.kubemeter.io/v1alpha1': { serverRelativeURL: `/openapi/v3/apis/scrape.kubemeter.io/v1alpha1?hash=${openApiV3ScrapeHash}` },
} })}\n`;
