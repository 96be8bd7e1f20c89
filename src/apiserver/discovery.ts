/**
 * Discovery documents. metrics.k8s.io/v1beta1 byte for byte as metrics-server serves them; the
 * group scrape.kubemeter.io/v1alpha1 beside it. `/apis` lists both, metrics.k8s.io first (the
 * generic apiserver lists groups in installation order): kube-apiserver's aggregator never reads
 * a backend's `/apis` for an APIService it routes (legacy discovery is built from the APIService
 * objects; aggregated discovery falls back to `/apis/<group>/<version>` when the backend answers
 * a plain APIGroupList), but a client talking to the server directly (`kubemeter up`, a direct
 * kubeconfig) finds a group only through `/apis`.
 */
import { encodeAPIGroup, encodeAPIGroupList, encodeAPIResourceList, METRICS_GROUP } from '../api/discovery.ts';
import { SCRAPE_API_GROUP, SCRAPE_GROUP_VERSION, SCRAPE_RESOURCES } from '../api/scrape-status.ts';

/** The group name. */
export const metricsGroup = 'metrics.k8s.io';
/** The only version. */
export const metricsVersion = 'v1beta1';

const groupBody = `"name":"metrics.k8s.io","versions":[{"groupVersion":"metrics.k8s.io/v1beta1","version":"v1beta1"}],"preferredVersion":{"groupVersion":"metrics.k8s.io/v1beta1","version":"v1beta1"}`;

/** `GET /apis`: metrics.k8s.io as metrics-server lists it, then scrape.kubemeter.io. */
export const apiGroupListJson = encodeAPIGroupList([METRICS_GROUP, SCRAPE_API_GROUP]);

/** `GET /apis/metrics.k8s.io` */
export const apiGroupJson = `{"kind":"APIGroup","apiVersion":"v1",${groupBody}}\n`;

/**
 * `GET /apis/metrics.k8s.io/v1beta1`. `singularName` is empty on purpose: kubectl then derives
 * `nodemetrics`/`podmetrics` from the kind.
 */
export const apiResourceListJson =
  '{"kind":"APIResourceList","apiVersion":"v1","groupVersion":"metrics.k8s.io/v1beta1","resources":[' +
  '{"name":"nodes","singularName":"","namespaced":false,"kind":"NodeMetrics","verbs":["get","list"]},' +
  '{"name":"pods","singularName":"","namespaced":true,"kind":"PodMetrics","verbs":["get","list"]}]}\n';

/** `GET /apis/scrape.kubemeter.io` */
export const scrapeGroupJson = encodeAPIGroup(SCRAPE_API_GROUP);

/** `GET /apis/scrape.kubemeter.io/v1alpha1` */
export const scrapeResourceListJson = encodeAPIResourceList(SCRAPE_GROUP_VERSION, SCRAPE_RESOURCES);
