/**
 * Where a node's kubelet is: the first address whose type matches the preferred order, the port
 * (flag, or the node's reported kubelet port with --kubelet-use-node-status-port) and the path
 * (`/metrics/resource`, the Summary API, or the node annotation `metrics.k8s.io/resource-metrics-path`).
 */
import { ErrorCode, KubemeterError } from '../lib/errors.ts';

/** What the scraper needs to know about a node. */
export interface KubeletNode {
  name: string;
  /** `status.addresses`, in order. */
  addresses: readonly { type: string; address: string }[];
  /** `status.daemonEndpoints.kubeletEndpoint.port` (0 when unknown). */
  kubeletPort: number;
  labels: Readonly<Record<string, string>>;
  annotations?: Readonly<Record<string, string>>;
  /** The Ready condition is True. */
  ready: boolean;
}

/** metrics-server's default `--kubelet-preferred-address-types`. */
export const defaultAddressTypes = ['Hostname', 'InternalDNS', 'InternalIP', 'ExternalDNS', 'ExternalIP'] as const;

/** Node annotation that overrides the scraped path. */
export const resourceMetricsPathAnnotation = 'metrics.k8s.io/resource-metrics-path';

/** How to reach kubelets. */
export interface KubeletAddressOptions {
  preferredAddressTypes: readonly string[];
  port: number;
  useNodeStatusPort: boolean;
  scheme: 'https' | 'http';
  endpoint: 'resource' | 'summary';
}

/** The URL of a node's kubelet metrics endpoint. Throws when no address type matches. */
export function kubeletUrl(node: KubeletNode, options: KubeletAddressOptions): URL {
  let address: string | undefined;
  for (const type of options.preferredAddressTypes) {
    address = node.addresses.find((a) => a.type === type)?.address;
    if (address !== undefined) break;
  }
  if (address === undefined) {
    throw new KubemeterError(ErrorCode.NotFound, `no address matched types [${options.preferredAddressTypes.join(' ')}]`, { source: `node ${node.name}` });
  }
  const port = options.useNodeStatusPort && node.kubeletPort > 0 ? node.kubeletPort : options.port;
  const host = address.includes(':') ? `[${address}]` : address;
  const override = node.annotations?.[resourceMetricsPathAnnotation];
  const path = override !== undefined && override !== ''
    ? override
    : options.endpoint === 'summary' ? '/stats/summary?only_cpu_and_memory=true' : '/metrics/resource';
  return new URL(`${options.scheme}://${host}:${port}${path.startsWith('/') ? '' : '/'}${path}`);
}
