/** OpenAPI routes and schemas of scrape.kubemeter.io/v1alpha1 (nodescrapestatuses get and list). */
import type { RefOf, Route } from './openapi.ts';

const prefix = 'io.kubemeter.scrape.v1alpha1.';
const group = { group: 'scrape.kubemeter.io', version: 'v1alpha1', tag: 'scrapeKubemeterIo_v1alpha1' };
const base = '/apis/scrape.kubemeter.io/v1alpha1/nodescrapestatuses';

/** The two GET routes. */
export const scrapeRoutes: readonly Route[] = [
  { ...group, path: base, action: 'list', kind: 'NodeScrapeStatus', schema: `${prefix}NodeScrapeStatusList`, operationId: 'listScrapeKubemeterIoV1alpha1NodeScrapeStatus', namespaced: false },
  { ...group, path: `${base}/{name}`, action: 'get', kind: 'NodeScrapeStatus', schema: `${prefix}NodeScrapeStatus`, operationId: 'readScrapeKubemeterIoV1alpha1NodeScrapeStatus', namespaced: false },
];

/** Schemas of the group (meta/v1 ones come from metaDefinitions). */
export function scrapeDefinitions(ref: RefOf): Record<string, unknown> {
  const r = (n: string): { $ref: string } => ({ $ref: ref(n) });
  const time = (description: string): unknown => ({ ...r('io.k8s.apimachinery.pkg.apis.meta.v1.Time'), description });
  const gvk = (kind: string): unknown => [{ group: 'scrape.kubemeter.io', kind, version: 'v1alpha1' }];
  return {
    [`${prefix}NodeScrapeStatus`]: {
      description: 'NodeScrapeStatus says how scraping one node\'s kubelet went: the latest attempt, the latest success and the latest failure.',
      type: 'object',
      properties: {
        apiVersion: { type: 'string' }, kind: { type: 'string' },
        metadata: { ...r('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'), default: {} },
        status: { ...r(`${prefix}NodeScrapeStatusStatus`), default: {} },
      },
      'x-kubernetes-group-version-kind': gvk('NodeScrapeStatus'),
    },
    [`${prefix}NodeScrapeStatusList`]: {
      description: 'NodeScrapeStatusList is a list of NodeScrapeStatus.', type: 'object', required: ['items'],
      properties: {
        apiVersion: { type: 'string' }, kind: { type: 'string' },
        items: { type: 'array', items: r(`${prefix}NodeScrapeStatus`) },
        metadata: { ...r('io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta'), default: {} },
      },
      'x-kubernetes-group-version-kind': gvk('NodeScrapeStatusList'),
    },
    [`${prefix}NodeScrapeStatusStatus`]: {
      description: 'What the server knows about scraping one node.', type: 'object', required: ['consecutiveFailures'],
      properties: {
        endpoint: { type: 'string', description: 'The kubelet URL scraped (scheme, host, port, path), without credentials or query.' },
        lastAttemptTime: time('Start of the latest attempt.'),
        lastSuccessTime: time('End of the latest successful scrape.'),
        consecutiveFailures: { type: 'integer', format: 'int32', description: 'Failed attempts since the last success.', default: 0 },
        lastError: r(`${prefix}ScrapeError`),
        podsServed: { type: 'integer', format: 'int32', description: 'Pods with valid samples in the latest successful scrape.' },
        containersServed: { type: 'integer', format: 'int32', description: 'Container samples in the latest successful scrape.' },
      },
    },
    [`${prefix}ScrapeError`]: {
      description: 'The latest failed scrape of a node.', type: 'object', required: ['reason', 'message'],
      properties: {
        reason: { type: 'string', description: 'timeout, tls, http-status, decode, too-large, network, cancelled or address.', default: '' },
        message: { type: 'string', description: 'The error, at most 1024 characters.', default: '' },
        time: time('End of the failed attempt.'),
      },
    },
  };
}
