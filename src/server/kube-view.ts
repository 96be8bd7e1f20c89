/**
 * The cluster from Kubernetes: a list+watch of Nodes (addresses, kubelet port, labels,
 * annotations, readiness) and a metadata-only list+watch of Running pods (labels for selectors).
 * Only those fields are kept, so the caches stay small at 10,000 nodes and 300,000 pods. The
 * informers relist on 410 Gone, back off on errors and never stop on their own.
 */
import { ErrorCode, KubemeterError } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import type { KubeClient } from '../kube/client.ts';
import { Informer } from '../kube/informer.ts';
import type { KubeletNode } from '../scraper/address.ts';
import type { ApiPod } from '../apiserver/metrics-handler.ts';
import type { ClusterView, PodSource } from './cluster.ts';
import { SortedPodIndex } from './sorted-pods.ts';

type NodeObj = KubeletNode & { metadata: { name: string; resourceVersion?: string } };
type PodObj = ApiPod & { metadata: { name: string; namespace: string; resourceVersion?: string } };

function record(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(record(v))) if (typeof x === 'string') out[k] = x;
  return out;
}

/** Keep what the scraper needs of a Node. */
export function decodeNode(value: unknown, source: string): NodeObj {
  const meta = record(record(value).metadata);
  const name = meta.name;
  if (typeof name !== 'string' || name === '') throw new KubemeterError(ErrorCode.InvalidDocument, `${source}: Node without metadata.name`, { source });
  const status = record(record(value).status);
  const addresses = Array.isArray(status.addresses)
    ? status.addresses.map(record).filter((a) => typeof a.type === 'string' && typeof a.address === 'string').map((a) => ({ type: a.type as string, address: a.address as string }))
    : [];
  const port = record(record(status.daemonEndpoints).kubeletEndpoint).Port;
  const conditions = Array.isArray(status.conditions) ? status.conditions.map(record) : [];
  const ready = conditions.some((c) => c.type === 'Ready' && c.status === 'True');
  return {
    metadata: { name, ...(typeof meta.resourceVersion === 'string' ? { resourceVersion: meta.resourceVersion } : {}) },
    name,
    addresses,
    kubeletPort: typeof port === 'number' && Number.isInteger(port) && port > 0 && port < 65536 ? port : 0,
    labels: stringMap(meta.labels),
    annotations: stringMap(meta.annotations),
    ready,
  };
}

/** Keep namespace, name and labels of a pod's metadata. */
export function decodePodMetadata(value: unknown, source: string): PodObj {
  const meta = record(record(value).metadata);
  const { name, namespace } = meta;
  if (typeof name !== 'string' || typeof namespace !== 'string') throw new KubemeterError(ErrorCode.InvalidDocument, `${source}: pod without name or namespace`, { source });
  return {
    metadata: { name, namespace, ...(typeof meta.resourceVersion === 'string' ? { resourceVersion: meta.resourceVersion } : {}) },
    namespace,
    name,
    labels: stringMap(meta.labels),
  };
}

/** A ClusterView fed by informers. */
export class KubeClusterView implements ClusterView {
  private readonly nodeInformer: Informer<NodeObj>;
  private readonly podInformer: Informer<PodObj>;
  readonly podSource: PodSource;

  constructor(options: { client: KubeClient; logger: Logger }) {
    this.nodeInformer = new Informer<NodeObj>({ client: options.client, path: '/api/v1/nodes', decode: decodeNode, logger: options.logger });
    this.podInformer = new Informer<PodObj>({
      client: options.client, path: '/api/v1/pods', decode: decodePodMetadata, metadataOnly: true,
      fieldSelector: 'status.phase=Running', logger: options.logger,
    });
    const pods = this.podInformer;
    const sorted = new SortedPodIndex<PodObj>();
    pods.on({
      onAdd: (p) => sorted.add(p),
      onUpdate: (old, p) => {
        sorted.remove(old);
        sorted.add(p);
      },
      onDelete: (p) => sorted.remove(p),
    });
    this.podSource = {
      pod: (namespace, name) => pods.store.getByName(namespace, name),
      pods(namespace) {
        const { pods: all, from, to } = sorted.sorted(namespace);
        return all.slice(from, to);
      },
      sortedPods: (namespace) => sorted.sorted(namespace),
    };
  }

  nodes(): readonly KubeletNode[] {
    return this.nodeInformer.store.list();
  }

  node(name: string): KubeletNode | undefined {
    return this.nodeInformer.store.get(name);
  }

  synced(): boolean {
    return this.nodeInformer.hasSynced() && this.podInformer.hasSynced();
  }

  syncError(): string {
    return this.nodeInformer.stats().lastError || this.podInformer.stats().lastError;
  }

  start(signal: AbortSignal): void {
    this.nodeInformer.start(signal);
    this.podInformer.start(signal);
  }

  async waitForSync(signal: AbortSignal): Promise<void> {
    await Promise.all([this.nodeInformer.waitForSync(signal), this.podInformer.waitForSync(signal)]);
  }
}
