/**
 * `/openapi/v2` and `/openapi/v3` documents for metrics.k8s.io/v1beta1 (title "Kubernetes
 * metrics-server"), enough for kube-apiserver's aggregation and `kubectl explain`.
 */

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
    'io.k8s.apimachinery.pkg.apis.meta.v1.Time': time,
    'io.k8s.apimachinery.pkg.apis.meta.v1.Duration': { type: 'string', description: 'Duration is a wrapper around time.Duration which supports correct marshaling to YAML and JSON.' },
    'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta': { type: 'object', properties: { name: { type: 'string' }, namespace: { type: 'string' }, creationTimestamp: r('io.k8s.apimachinery.pkg.apis.meta.v1.Time'), labels: { type: 'object', additionalProperties: { type: 'string', default: '' } } } },
    'io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta': { type: 'object', properties: { resourceVersion: { type: 'string' }, continue: { type: 'string' } } },
  };
}

function op(id: string, ref: string, tag: string, params: unknown[]): unknown {
  return { get: { description: `get or list ${tag}`, consumes: ['*/*'], produces: ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'], schemes: ['https'], tags: ['metricsV1beta1'], operationId: id, responses: { 200: { description: 'OK', schema: { $ref: ref } }, 401: { description: 'Unauthorized' } } }, parameters: params };
}

const v2Ref = (n: string): string => `#/definitions/${n}`;
const nameParam = { uniqueItems: true, type: 'string', description: 'name of the resource', name: 'name', in: 'path', required: true };
const nsParam = { uniqueItems: true, type: 'string', description: 'object name and auth scope, such as for teams and projects', name: 'namespace', in: 'path', required: true };
const listParams = [
  { uniqueItems: true, type: 'string', description: 'A selector to restrict the list of returned objects by their labels. Defaults to everything.', name: 'labelSelector', in: 'query' },
  { uniqueItems: true, type: 'string', description: 'A selector to restrict the list of returned objects by their fields. Defaults to everything.', name: 'fieldSelector', in: 'query' },
];

/** `GET /openapi/v2` */
export const openApiV2Json = `${JSON.stringify({
  swagger: '2.0',
  info: { title: 'Kubernetes metrics-server', version: 'v0.9.0' },
  paths: {
    '/apis/metrics.k8s.io/v1beta1/namespaces/{namespace}/pods': op('listMetricsV1beta1NamespacedPodMetrics', v2Ref('io.k8s.metrics.pkg.apis.metrics.v1beta1.PodMetricsList'), 'PodMetrics', [nsParam, ...listParams]),
    '/apis/metrics.k8s.io/v1beta1/namespaces/{namespace}/pods/{name}': op('readMetricsV1beta1NamespacedPodMetrics', v2Ref('io.k8s.metrics.pkg.apis.metrics.v1beta1.PodMetrics'), 'PodMetrics', [nameParam, nsParam]),
    '/apis/metrics.k8s.io/v1beta1/nodes': op('listMetricsV1beta1NodeMetrics', v2Ref('io.k8s.metrics.pkg.apis.metrics.v1beta1.NodeMetricsList'), 'NodeMetrics', listParams),
    '/apis/metrics.k8s.io/v1beta1/nodes/{name}': op('readMetricsV1beta1NodeMetrics', v2Ref('io.k8s.metrics.pkg.apis.metrics.v1beta1.NodeMetrics'), 'NodeMetrics', [nameParam]),
    '/apis/metrics.k8s.io/v1beta1/pods': op('listMetricsV1beta1PodMetricsForAllNamespaces', v2Ref('io.k8s.metrics.pkg.apis.metrics.v1beta1.PodMetricsList'), 'PodMetrics', listParams),
  },
  definitions: definitions(v2Ref),
})}\n`;

/** `GET /openapi/v3` (the index of group-version documents). */
export const openApiV3IndexJson = `${JSON.stringify({ paths: { 'apis/metrics.k8s.io/v1beta1': { serverRelativeURL: '/openapi/v3/apis/metrics.k8s.io/v1beta1' } } })}\n`;

/** `GET /openapi/v3/apis/metrics.k8s.io/v1beta1` */
export const openApiV3GroupJson = `${JSON.stringify({
  openapi: '3.0.0',
  info: { title: 'Kubernetes metrics-server', version: 'v0.9.0' },
  paths: {},
  components: { schemas: definitions((n) => `#/components/schemas/${n}`) },
})}\n`;
