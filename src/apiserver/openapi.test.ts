import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { openApiV2Json, openApiV3GroupHash, openApiV3GroupJson, openApiV3IndexJson, openApiV3ScrapeHash, openApiV3ScrapeJson } from './openapi.ts';

interface Op { operationId: string; 'x-kubernetes-action': string; parameters?: { name: string }[]; responses: Record<string, { content?: Record<string, { schema: { $ref: string } }>; schema?: { $ref: string } }> }
type Paths = Record<string, { get: Op; parameters: { name: string; in: string }[] }>;

const expectedRoutes = {
  '/apis/metrics.k8s.io/v1beta1/namespaces/{namespace}/pods': ['listMetricsV1beta1NamespacedPodMetrics', 'list', 'PodMetricsList', ['namespace', 'pretty']],
  '/apis/metrics.k8s.io/v1beta1/namespaces/{namespace}/pods/{name}': ['readMetricsV1beta1NamespacedPodMetrics', 'get', 'PodMetrics', ['name', 'namespace', 'pretty']],
  '/apis/metrics.k8s.io/v1beta1/nodes': ['listMetricsV1beta1NodeMetrics', 'list', 'NodeMetricsList', ['pretty']],
  '/apis/metrics.k8s.io/v1beta1/nodes/{name}': ['readMetricsV1beta1NodeMetrics', 'get', 'NodeMetrics', ['name', 'pretty']],
  '/apis/metrics.k8s.io/v1beta1/pods': ['listMetricsV1beta1PodMetricsForAllNamespaces', 'list', 'PodMetricsList', ['pretty']],
} as const;

test('OpenAPI v3 group document: the five GET routes with their schemas, referenced schemas all defined', () => {
  const doc = JSON.parse(openApiV3GroupJson) as { paths: Paths; components: { schemas: Record<string, unknown> } };
  assert.deepEqual(Object.keys(doc.paths), Object.keys(expectedRoutes));
  for (const [path, [id, action, schema, pathParams]] of Object.entries(expectedRoutes)) {
    const p = doc.paths[path]!;
    assert.deepEqual([p.get.operationId, p.get['x-kubernetes-action']], [id, action]);
    assert.deepEqual(p.parameters.map((x) => x.name), pathParams);
    const content = p.get.responses['200']?.content ?? {};
    assert.deepEqual(Object.keys(content), ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf']);
    assert.equal(content['application/json']?.schema.$ref, `#/components/schemas/io.k8s.metrics.pkg.apis.metrics.v1beta1.${schema}`);
    if (action === 'list') assert.ok(p.get.parameters?.some((x) => x.name === 'labelSelector') && p.get.parameters.some((x) => x.name === 'limit'));
  }
  for (const ref of openApiV3GroupJson.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)) assert.ok(ref[1]! in doc.components.schemas, ref[1]);
});

const scrapeRoutes = {
  '/apis/scrape.kubemeter.io/v1alpha1/nodescrapestatuses': ['listScrapeKubemeterIoV1alpha1NodeScrapeStatus', 'list', 'NodeScrapeStatusList', ['pretty']],
  '/apis/scrape.kubemeter.io/v1alpha1/nodescrapestatuses/{name}': ['readScrapeKubemeterIoV1alpha1NodeScrapeStatus', 'get', 'NodeScrapeStatus', ['name', 'pretty']],
} as const;

test('OpenAPI v3 scrape.kubemeter.io document: get and list of NodeScrapeStatus, every reference defined', () => {
  const doc = JSON.parse(openApiV3ScrapeJson) as { paths: Paths; components: { schemas: Record<string, unknown> } };
  assert.deepEqual(Object.keys(doc.paths), Object.keys(scrapeRoutes));
  for (const [path, [id, action, schema, pathParams]] of Object.entries(scrapeRoutes)) {
    const p = doc.paths[path]!;
    assert.deepEqual([p.get.operationId, p.get['x-kubernetes-action']], [id, action]);
    assert.deepEqual(p.parameters.map((x) => x.name), pathParams);
    assert.equal(p.get.responses['200']?.content?.['application/json']?.schema.$ref, `#/components/schemas/io.kubemeter.scrape.v1alpha1.${schema}`);
  }
  for (const ref of openApiV3ScrapeJson.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)) assert.ok(ref[1]! in doc.components.schemas, ref[1]);
  assert.ok(!openApiV3ScrapeJson.includes('metrics.k8s.io'), 'one group per document');
});

test('OpenAPI v3 index names each group document with its SHA-512 hash; v2 has the routes of both groups', () => {
  assert.equal(openApiV3GroupHash, createHash('sha512').update(openApiV3GroupJson).digest('hex').toUpperCase());
  assert.equal(openApiV3ScrapeHash, createHash('sha512').update(openApiV3ScrapeJson).digest('hex').toUpperCase());
  assert.deepEqual(JSON.parse(openApiV3IndexJson), { paths: {
    'apis/metrics.k8s.io/v1beta1': { serverRelativeURL: `/openapi/v3/apis/metrics.k8s.io/v1beta1?hash=${openApiV3GroupHash}` },
    'apis/scrape.kubemeter.io/v1alpha1': { serverRelativeURL: `/openapi/v3/apis/scrape.kubemeter.io/v1alpha1?hash=${openApiV3ScrapeHash}` },
  } });
  const v2 = JSON.parse(openApiV2Json) as { paths: Paths; definitions: Record<string, unknown> };
  assert.deepEqual(Object.keys(v2.paths), [...Object.keys(expectedRoutes), ...Object.keys(scrapeRoutes)]);
  assert.equal(v2.paths['/apis/metrics.k8s.io/v1beta1/nodes']?.get.responses['200']?.schema?.$ref, '#/definitions/io.k8s.metrics.pkg.apis.metrics.v1beta1.NodeMetricsList');
  for (const ref of openApiV2Json.matchAll(/"\$ref":"#\/definitions\/([^"]+)"/g)) assert.ok(ref[1]! in v2.definitions, ref[1]);
});
