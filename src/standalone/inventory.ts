/**
 * What `kubemeter up` knows about its nodes and pods: this host (from its agent's latest
 * housekeeping pass and the host facts) and, with `--nodes-file`, the hosts listed there. It is
 * the server's ClusterView (nodes to scrape, Running pods to serve) and the source of the Node
 * and Pod objects of the read-only core API, so both always agree.
 */
import { isUnlimited } from '../cgroup/parse.ts';
import { baseName, containerFromCgroupName } from '../cgroup/layout.ts';
import type { CgroupMounts } from '../cgroup/mounts.ts';
import { stableUid } from '../agent/collect-standalone.ts';
import type { PodSnapshot, Snapshot } from '../agent/model.ts';
import type { ApiPod } from '../apiserver/metrics-handler.ts';
import type { KubeletNode } from '../scraper/address.ts';
import type { ClusterView, PodSource } from '../server/cluster.ts';
import type { NodesFileView } from '../server/nodes-file.ts';
import type { MetricsStore } from '../storage/store.ts';
import type { Clock } from '../lib/clock.ts';
import { errorMessage } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { Quantity } from '../lib/quantity.ts';
import { readCpuLimitMilli } from './cpu-limit.ts';
import type { ContainerDescription, NodeDescription, PodDescription } from './core-objects.ts';
import type { HostFacts } from './host-facts.ts';
import type { NodeResources } from './nodes-file-resources.ts';

/** Label on every Pod of `up`: where the workload comes from. */
export const SOURCE_LABEL = 'kubemeter.io/source';

/** `kubernetes`, `docker`, `podman`, `systemd` or `cgroup`, from a pod's cgroup path (pure). */
export function workloadSource(cgroupPath: string): string {
  if (/(^|\/)kubepods[/.-]/.test(cgroupPath) || /(^|\/)kubepods$/.test(cgroupPath)) return 'kubernetes';
  const base = baseName(cgroupPath);
  const c = containerFromCgroupName(base);
  if (c !== undefined && (c.runtime === 'docker' || c.runtime === 'podman')) return c.runtime;
  if (base.endsWith('.service') || base.endsWith('.scope')) return 'systemd';
  return 'cgroup';
}

/** Options of the Inventory. */
export interface InventoryOptions {
  nodeName: string;
  facts: HostFacts;
  /** The local agent's latest pass. */
  snapshot: () => Snapshot | undefined;
  mounts: CgroupMounts;
  /** Remote agents (`--nodes-file`) and their declared capacity. */
  nodesFile?: { view: NodesFileView; resources: () => ReadonlyMap<string, NodeResources> };
  kubeletVersion: string;
  clock: Clock;
  logger: Logger;
}

/** Nodes and pods of a standalone deployment. */
export class Inventory implements ClusterView {
  readonly podSource: PodSource;
  private readonly o: InventoryOptions;
  private readonly startedMs: number;
  /** The local agent's secure port, known once it listens. */
  localPort = 0;
  private store: MetricsStore | undefined;
  private readonly podCache = new WeakMap<Snapshot, PodDescription[]>();
  private readonly firstSeenMs = new Map<string, number>();

  constructor(o: InventoryOptions) {
    this.o = o;
    this.startedMs = o.clock.nowMs();
    this.podSource = {
      pod: (ns, name) => this.apiPods(ns).find((p) => p.name === name),
      pods: (ns) => this.apiPods(ns),
    };
  }

  /** Remote pods are known only from the store: attach it once the server exists. */
  attachStore(store: MetricsStore): void {
    this.store = store;
  }

  private localNode(): KubeletNode {
    return {
      name: this.o.nodeName,
      // The server reaches the local agent over loopback, whatever the host's addresses.
      addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
      kubeletPort: this.localPort,
      labels: this.localLabels(),
      ready: this.o.snapshot() !== undefined,
    };
  }

  private localLabels(): Record<string, string> {
    return {
      'kubernetes.io/hostname': this.o.nodeName,
      'kubernetes.io/os': 'linux',
      'kubernetes.io/arch': this.o.facts.architecture,
      'beta.kubernetes.io/os': 'linux',
      'beta.kubernetes.io/arch': this.o.facts.architecture,
      'kubemeter.io/standalone': 'true',
    };
  }

  private remoteNodes(): readonly KubeletNode[] {
    return (this.o.nodesFile?.view.nodes() ?? []).filter((n) => n.name !== this.o.nodeName);
  }

  nodes(): readonly KubeletNode[] {
    return [this.localNode(), ...this.remoteNodes()];
  }

  node(name: string): KubeletNode | undefined {
    if (name === this.o.nodeName) return this.localNode();
    return this.remoteNodes().find((n) => n.name === name);
  }

  synced(): boolean {
    return true;
  }

  syncError(): string {
    return this.o.nodesFile?.view.syncError() ?? '';
  }

  start(signal: AbortSignal): void {
    this.o.nodesFile?.view.start(signal);
  }

  waitForSync(): Promise<void> {
    return Promise.resolve();
  }

  /** Node descriptions: this host first, then every remote node whose capacity the nodes file declares. */
  nodeDescriptions(): NodeDescription[] {
    const now = this.o.clock.nowMs();
    const snap = this.o.snapshot();
    const f = this.o.facts;
    const capacity: Record<string, string> = { cpu: String(f.cpuCores) };
    if (snap !== undefined) {
      capacity['memory'] = Quantity.fromBytes(snap.node.memTotalBytes).toString();
      if (snap.node.fs !== undefined) capacity['ephemeral-storage'] = Quantity.fromBytes(snap.node.fs.usage.capacityBytes).toString();
    }
    const out: NodeDescription[] = [{
      name: this.o.nodeName,
      uid: stableUid(`node/${f.machineId}/${this.o.nodeName}`),
      createdMs: snap?.node.bootTimeMs || this.startedMs,
      labels: this.localLabels(),
      // No kubelet reservations or eviction thresholds in standalone mode: all of it is allocatable.
      capacity,
      allocatable: { ...capacity },
      addresses: f.addresses,
      kubeletPort: this.localPort,
      ready: snap !== undefined,
      heartbeatMs: snap?.startedMs ?? now,
      readySinceMs: this.startedMs,
      nodeInfo: {
        machineID: f.machineId,
        bootID: f.bootId,
        kernelVersion: f.kernelVersion,
        osImage: f.osImage,
        containerRuntimeVersion: '',
        kubeletVersion: this.o.kubeletVersion,
        architecture: f.architecture,
        ...(snap !== undefined && snap.node.swapTotalBytes > 0n ? { swapCapacityBytes: Number(snap.node.swapTotalBytes) } : {}),
      },
    }];
    const resources = this.o.nodesFile?.resources() ?? new Map<string, NodeResources>();
    const scraped = new Set(this.store?.nodeNames() ?? []);
    for (const n of this.remoteNodes()) {
      const r = resources.get(n.name);
      // Without declared capacity kubectl would divide by zero: such nodes get no Node object.
      if (r === undefined || Object.keys(r.capacity).length === 0) continue;
      out.push({
        name: n.name,
        uid: stableUid(`node/${n.name}`),
        createdMs: this.seen(`node/${n.name}`, now),
        labels: { ...n.labels },
        capacity: r.capacity,
        allocatable: Object.keys(r.allocatable).length === 0 ? { ...r.capacity } : r.allocatable,
        addresses: n.addresses,
        kubeletPort: n.kubeletPort,
        ready: scraped.has(n.name),
        heartbeatMs: now,
        readySinceMs: this.startedMs,
        nodeInfo: { machineID: '', bootID: '', kernelVersion: '', osImage: '', containerRuntimeVersion: '', kubeletVersion: this.o.kubeletVersion, architecture: '' },
      });
    }
    return out;
  }

  private seen(key: string, now: number): number {
    let t = this.firstSeenMs.get(key);
    if (t === undefined) this.firstSeenMs.set(key, (t = now));
    return t;
  }

  private container(c: PodSnapshot['containers'][number]): ContainerDescription {
    const d: ContainerDescription = { name: c.name, startTimeMs: c.startTimeMs };
    const mem = c.reading.memory?.limitBytes;
    if (mem !== undefined && !isUnlimited(mem)) d.memoryLimitBytes = mem;
    try {
      const cpu = readCpuLimitMilli(this.o.mounts, c.reading.path);
      if (cpu !== undefined) d.cpuLimitMilli = cpu;
    } catch (e) {
      this.o.logger.debug('cannot read the CPU limit', { cgroup: c.reading.path, err: errorMessage(e) });
    }
    return d;
  }

  /** Pod descriptions: this host's workloads, then pods only seen in remote scrapes. */
  podDescriptions(): PodDescription[] {
    const snap = this.o.snapshot();
    let local: PodDescription[] = [];
    if (snap !== undefined) {
      const cached = this.podCache.get(snap);
      if (cached !== undefined) local = cached;
      else {
        const hostIP = this.o.facts.addresses.find((a) => a.type === 'InternalIP')?.address;
        local = snap.pods.map((p) => ({
          namespace: p.namespace,
          name: p.name,
          uid: p.uid,
          startTimeMs: p.startTimeMs,
          labels: { [SOURCE_LABEL]: workloadSource(p.reading?.path ?? p.containers[0]?.reading.path ?? '') },
          nodeName: this.o.nodeName,
          hostIP,
          containers: p.containers.map((c) => this.container(c)),
        }));
        this.podCache.set(snap, local);
      }
    }
    if (this.store === undefined || this.o.nodesFile === undefined) return local;
    const known = new Set(local.map((p) => `${p.namespace}/${p.name}`));
    const now = this.o.clock.nowMs();
    const remote: PodDescription[] = [];
    for (const k of this.store.podKeys()) {
      const key = `${k.namespace}/${k.name}`;
      if (known.has(key)) continue;
      const usage = this.store.podUsage(k.namespace, k.name);
      const since = this.seen(`pod/${key}`, now);
      remote.push({
        namespace: k.namespace,
        name: k.name,
        uid: stableUid(`pod/${key}`),
        startTimeMs: since,
        labels: {},
        nodeName: undefined,
        hostIP: undefined,
        containers: (usage?.containers ?? []).map((c) => ({ name: c.name, startTimeMs: since })),
      });
    }
    return [...local, ...remote];
  }

  private apiPods(namespace: string | undefined): ApiPod[] {
    return this.podDescriptions()
      .filter((p) => namespace === undefined || p.namespace === namespace)
      .map((p) => ({ namespace: p.namespace, name: p.name, labels: p.labels }));
  }
}
