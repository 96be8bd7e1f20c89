/**
 * Realistic cluster objects for `top` tests: Nodes with capacity/allocatable and nodeInfo, Pods with
 * containers, native sidecars, requests/limits and phases, and their NodeMetrics/PodMetrics as
 * metrics-server serialises them (canonical quantities, RFC 3339 timestamps, Go duration windows).
 * Everything is deterministic for a given seed.
 */
import { prng } from './prng.ts';

/** A plain JSON object. */
export type Json = Record<string, unknown>;

/** What the loopback server serves. */
export interface TopFixture {
  nodes: Json[];
  pods: Json[];
  nodeMetrics: Json[];
  podMetrics: Json[];
  /** NodeScrapeStatus items (scrape.kubemeter.io); absent = the server does not serve the group, like metrics-server. */
  scrapeStatuses?: Json[];
}

/** Options of makeCluster. */
export interface ClusterOptions {
  nodes: number;
  /** Total pods, spread over namespaces and nodes. */
  pods: number;
  namespaces?: string[];
  seed?: number;
  /** Reference "now" for timestamps (ms). */
  nowMs?: number;
  /** Share of pods whose container CPU usage is drawn from a handful of values (ties). */
  tieShare?: number;
}

/** Canonical nanocore CPU quantity, as metrics-server prints it. */
export function nanoCores(n: bigint): string {
  if (n === 0n) return '0';
  let m = n;
  let e = -9;
  while (m % 10n === 0n && e < 0) {
    m /= 10n;
    e++;
  }
  while (((e % 3) + 3) % 3 !== 0) {
    m *= 10n;
    e--;
  }
  const suffix: Record<number, string> = { [-9]: 'n', [-6]: 'u', [-3]: 'm', 0: '' };
  return `${m}${suffix[e]}`;
}

/** Canonical BinarySI byte quantity, as metrics-server prints memory. */
export function binaryBytes(n: bigint): string {
  if (n === 0n) return '0';
  if (n < 1024n) return n % 1000n === 0n ? `${n / 1000n}k` : String(n);
  let m = n;
  let i = 0;
  while (m % 1024n === 0n && i < 6) {
    m /= 1024n;
    i++;
  }
  return `${m}${['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'][i]}`;
}

const iso = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

/** A Node object like kube-apiserver returns it. */
export function node(name: string, opts: { cpu: string; memory: string; allocCpu: string; allocMemory: string; labels?: Record<string, string>; createdMs: number }): Json {
  return {
    metadata: {
      name,
      uid: `00000000-0000-4000-8000-${name.padStart(12, '0').slice(-12).replace(/[^0-9a-f]/g, 'a')}`,
      resourceVersion: '1234',
      creationTimestamp: iso(opts.createdMs),
      labels: { 'kubernetes.io/arch': 'amd64', 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', ...opts.labels },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0' },
    },
    spec: { podCIDR: '10.244.0.0/24', podCIDRs: ['10.244.0.0/24'] },
    status: {
      capacity: { cpu: opts.cpu, 'ephemeral-storage': '102626232Ki', 'hugepages-2Mi': '0', memory: opts.memory, pods: '110' },
      allocatable: { cpu: opts.allocCpu, 'ephemeral-storage': '94580335255', 'hugepages-2Mi': '0', memory: opts.allocMemory, pods: '110' },
      conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: iso(opts.createdMs), lastTransitionTime: iso(opts.createdMs), reason: 'KubeletReady', message: 'kubelet is posting ready status' }],
      addresses: [{ type: 'Hostname', address: name }],
      nodeInfo: { kernelVersion: '6.1.0', osImage: 'Debian GNU/Linux 12 (bookworm)', containerRuntimeVersion: 'containerd://1.7.13', kubeletVersion: 'v1.32.4', operatingSystem: 'linux', architecture: 'amd64' },
    },
  };
}

/** A container spec with optional requests/limits. */
export function container(name: string, resources: { requests?: Record<string, string>; limits?: Record<string, string> } = {}, extra: Json = {}): Json {
  return { name, image: `registry.example/${name}:1.0`, resources, terminationMessagePath: '/dev/termination-log', imagePullPolicy: 'IfNotPresent', ...extra };
}

/** A Pod object like kube-apiserver returns it. */
export function pod(namespace: string, name: string, opts: { nodeName: string; containers: Json[]; initContainers?: Json[]; labels?: Record<string, string>; phase?: string; createdMs: number; resources?: Json }): Json {
  return {
    metadata: {
      name,
      namespace,
      uid: `11111111-0000-4000-8000-${String(name.length).padStart(12, '0')}`,
      resourceVersion: '5678',
      creationTimestamp: iso(opts.createdMs),
      labels: opts.labels ?? { app: name.replace(/-[^-]*$/, '') },
    },
    spec: {
      nodeName: opts.nodeName,
      containers: opts.containers,
      ...(opts.initContainers !== undefined ? { initContainers: opts.initContainers } : {}),
      ...(opts.resources !== undefined ? { resources: opts.resources } : {}),
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler',
    },
    status: {
      phase: opts.phase ?? 'Running',
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: iso(opts.createdMs) }],
      startTime: iso(opts.createdMs),
    },
  };
}

/** NodeMetrics as metrics-server serialises an item. */
export function nodeMetrics(name: string, cpu: string, memory: string, nowMs: number, labels?: Record<string, string>): Json {
  return {
    metadata: { name, creationTimestamp: iso(nowMs), ...(labels !== undefined ? { labels } : {}) },
    timestamp: iso(nowMs - 7000),
    window: '15.012s',
    usage: { cpu, memory },
  };
}

/** PodMetrics as metrics-server serialises an item. */
export function podMetrics(namespace: string, name: string, containers: { name: string; cpu: string; memory: string }[], nowMs: number, labels?: Record<string, string>): Json {
  return {
    metadata: { name, namespace, creationTimestamp: iso(nowMs), ...(labels !== undefined ? { labels } : {}) },
    timestamp: iso(nowMs - 9000),
    window: '17.913s',
    containers: containers.map((c) => ({ name: c.name, usage: { cpu: c.cpu, memory: c.memory } })),
  };
}

/** A NodeScrapeStatus item as kubemeter server serialises it; times are Unix ms. */
export function scrapeStatus(name: string, s: { attemptMs?: number; successMs?: number; failures?: number; error?: { reason: string; message: string; timeMs: number } }, createdMs: number): Json {
  const status: Json = {};
  status['endpoint'] = `https://${name}:10250/metrics/resource`;
  if (s.attemptMs !== undefined) status['lastAttemptTime'] = iso(s.attemptMs);
  if (s.successMs !== undefined) status['lastSuccessTime'] = iso(s.successMs);
  status['consecutiveFailures'] = s.failures ?? 0;
  if (s.error !== undefined) status['lastError'] = { reason: s.error.reason, message: s.error.message, time: iso(s.error.timeMs) };
  return { metadata: { name, creationTimestamp: iso(createdMs) }, status };
}

/** A generated cluster of `nodes` nodes and `pods` pods with metrics for all of them. */
export function makeCluster(options: ClusterOptions): TopFixture {
  const rnd = prng(options.seed ?? 1);
  const now = options.nowMs ?? Date.UTC(2026, 7, 4, 10, 15, 32);
  const namespaces = options.namespaces ?? ['default', 'kube-system', 'monitoring', 'shop'];
  const tieShare = options.tieShare ?? 0.5;
  const fixture: TopFixture = { nodes: [], pods: [], nodeMetrics: [], podMetrics: [] };
  const nodeNames: string[] = [];
  for (let i = 0; i < options.nodes; i++) {
    const name = `node-${i + 1}`;
    nodeNames.push(name);
    const cores = [2, 4, 8, 16][i % 4]!;
    const memKi = BigInt(cores) * 4n * 1024n * 1024n;
    const labels = { 'node-role.kubernetes.io/worker': '', zone: `zone-${i % 3}` };
    fixture.nodes.push(node(name, { cpu: String(cores), memory: `${memKi}Ki`, allocCpu: `${cores * 1000 - 80}m`, allocMemory: `${memKi - 400000n}Ki`, labels, createdMs: now - 86400000 }));
    const cpuN = BigInt(Math.floor(rnd() * cores * 1e9 * 0.9));
    const memB = BigInt(Math.floor(rnd() * Number(memKi) * 900));
    fixture.nodeMetrics.push(nodeMetrics(name, nanoCores(cpuN), binaryBytes(memB), now, { ...labels, 'kubernetes.io/hostname': name }));
  }
  for (let i = 0; i < options.pods; i++) {
    const ns = namespaces[i % namespaces.length]!;
    const app = ['web', 'api', 'worker', 'cache', 'db'][i % 5]!;
    const name = `${app}-${(i * 2654435761 >>> 0).toString(36).slice(0, 5)}-${i}`;
    const nodeName = nodeNames[i % Math.max(1, nodeNames.length)] ?? 'node-1';
    const withSidecar = i % 7 === 0;
    const containers = [container(app, { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } })];
    if (i % 5 === 1) containers.push(container('proxy', { requests: { cpu: '50m', memory: '64Mi' } }));
    const initContainers = withSidecar ? [container('log-shipper', { requests: { cpu: '20m', memory: '32Mi' } }, { restartPolicy: 'Always' })] : undefined;
    fixture.pods.push(pod(ns, name, { nodeName, containers, ...(initContainers !== undefined ? { initContainers } : {}), labels: { app, tier: i % 2 === 0 ? 'frontend' : 'backend' }, createdMs: now - 3600000 }));
    const usage = [...containers, ...(initContainers ?? [])].map((c) => {
      const tie = rnd() < tieShare;
      const cpu = tie ? BigInt([1, 2, 5][Math.floor(rnd() * 3)]!) * 1000000n - BigInt(Math.floor(rnd() * 1000)) : BigInt(Math.floor(rnd() * 400e6));
      const mem = BigInt(Math.floor(rnd() * 300 * 1048576));
      return { name: String(c['name']), cpu: nanoCores(cpu), memory: binaryBytes(mem) };
    });
    fixture.podMetrics.push(podMetrics(ns, name, usage, now, { app, tier: i % 2 === 0 ? 'frontend' : 'backend' }));
  }
  return fixture;
}
