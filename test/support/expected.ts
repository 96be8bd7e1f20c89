/**
 * What the deploy files must contain, stated once: metrics-server's object names (so that
 * migrating is one `kubectl apply`) and the exact permissions of the server.
 */

/** `Kind/namespace/name` of every object in metrics-server's components.yaml, sorted. */
export const metricsServerIdentities: readonly string[] = [
  'APIService//v1beta1.metrics.k8s.io',
  'ClusterRole//system:aggregated-metrics-reader',
  'ClusterRole//system:metrics-server',
  'ClusterRoleBinding//metrics-server:system:auth-delegator',
  'ClusterRoleBinding//system:metrics-server',
  'Deployment/kube-system/metrics-server',
  'RoleBinding/kube-system/metrics-server-auth-reader',
  'Service/kube-system/metrics-server',
  'ServiceAccount/kube-system/metrics-server',
];

/**
 * kubemeter's additions to metrics-server's objects: the second APIService (scrape.kubemeter.io,
 * per-node scrape statuses) and the aggregated role that lets view/edit/admin read it.
 */
export const kubemeterAdditions: readonly string[] = [
  'APIService//v1alpha1.scrape.kubemeter.io',
  'ClusterRole//system:kubemeter-aggregated-scrape-status-reader',
];

/** Every object of components.yaml: metrics-server's, plus kubemeter's additions, sorted. */
export const serverIdentities: readonly string[] = [...metricsServerIdentities, ...kubemeterAdditions].sort();

/** The APIServices of a server install, both on the same Service with the same TLS settings. */
export const apiServices: readonly { name: string; group: string; version: string }[] = [
  { name: 'v1beta1.metrics.k8s.io', group: 'metrics.k8s.io', version: 'v1beta1' },
  { name: 'v1alpha1.scrape.kubemeter.io', group: 'scrape.kubemeter.io', version: 'v1alpha1' },
];

/**
 * The server's own permissions: read nodes and pods, and the kubelets' resource endpoints
 * (nodes/metrics for /metrics/resource, nodes/stats for /stats/summary). Nothing more.
 */
export const serverPermissions: readonly string[] = [
  'core nodes get',
  'core nodes list',
  'core nodes watch',
  'core nodes/metrics get',
  'core nodes/stats get',
  'core pods get',
  'core pods list',
  'core pods watch',
];

/** The aggregated reader role: metrics.k8s.io read access for view/edit/admin. */
export const readerPermissions: readonly string[] = [
  'metrics.k8s.io nodes get',
  'metrics.k8s.io nodes list',
  'metrics.k8s.io nodes watch',
  'metrics.k8s.io pods get',
  'metrics.k8s.io pods list',
  'metrics.k8s.io pods watch',
];

/** The aggregated scrape-status reader role: scrape.kubemeter.io read access for view/edit/admin. */
export const scrapeStatusReaderPermissions: readonly string[] = [
  'scrape.kubemeter.io nodescrapestatuses get',
  'scrape.kubemeter.io nodescrapestatuses list',
  'scrape.kubemeter.io nodescrapestatuses watch',
];

/**
 * The server's service account bindings: its own ClusterRole, system:auth-delegator (TokenReview,
 * SubjectAccessReview) and the extension-apiserver-authentication-reader Role in kube-system.
 */
export function serverBindings(serverClusterRole: string): string[] {
  return [
    `ClusterRoleBinding -> ClusterRole ${serverClusterRole}`,
    'ClusterRoleBinding -> ClusterRole system:auth-delegator',
    'RoleBinding kube-system -> Role extension-apiserver-authentication-reader',
  ].sort();
}

/** The agent's permissions: the pods of its node, to name pod and container cgroups; PVs, to name PV-backed volumes by their claim. */
export const agentPermissions: readonly string[] = ['core persistentvolumes get', 'core pods get', 'core pods list', 'core pods watch'];

/** The agent's bindings: its pod reader role, and system:auth-delegator to check its clients like the kubelet. */
export function agentBindings(agentClusterRole: string): string[] {
  return [`ClusterRoleBinding -> ClusterRole ${agentClusterRole}`, 'ClusterRoleBinding -> ClusterRole system:auth-delegator'].sort();
}

/** The agent's hostPath volumes (all mounted read-only): the cgroup tree, /proc, the kubelet's root directory and the pod logs. */
export const agentHostPaths: readonly string[] = ['cgroup', 'proc', 'kubelet', 'pod-logs'];
