/** Discovery documents of metrics.k8s.io/v1beta1, byte for byte as metrics-server serves them. */

/** The group name. */
export const metricsGroup = 'metrics.k8s.io';
/** The only version. */
export const metricsVersion = 'v1beta1';

const groupBody = `"name":"metrics.k8s.io","versions":[{"groupVersion":"metrics.k8s.io/v1beta1","version":"v1beta1"}],"preferredVersion":{"groupVersion":"metrics.k8s.io/v1beta1","version":"v1beta1"}`;

/** `GET /apis` */
export const apiGroupListJson = `{"kind":"APIGroupList","apiVersion":"v1","groups":[{${groupBody}}]}\n`;

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
