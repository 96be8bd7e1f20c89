/**
 * `topNodes` and `topPods` as pure functions: join metrics with Node and Pod objects by name (pods
 * by namespace/name, never by name alone) and compute usage against requests, limits, allocatable
 * and capacity. Percentages are truncated like kubectl's and undefined (shown as `n/a`) when the
 * denominator is missing or zero.
 */
import { Quantity } from '../lib/quantity.ts';
import type { NodeView, PodView } from './core-view.ts';
import { podLimits, podRequests } from './pod-resources.ts';
import type { Amount, ContainerTop, NodeMetricsSample, NodeResourceUsage, NodeTop, PodMetricsSample, PodTop, ResourceUsage } from './types.ts';

const zero = Quantity.zero();

/** An Amount for `resource`: CPU in (fractional) cores, anything else in whole units. */
export function amount(resource: string, q: Quantity): Amount {
  const value = resource === 'cpu' ? Number(q.scaledValue(-9)) / 1e9 : Number(q.value());
  return { quantity: q, value, milli: q.milliValue() };
}

/** trunc(usage ÷ of × 100) on milli-values; undefined when either is missing or `of` is zero. */
export function percentOf(usage: Quantity | undefined, of: Quantity | undefined): number | undefined {
  if (usage === undefined || of === undefined) return undefined;
  const d = Number(of.milliValue());
  if (d === 0) return undefined;
  return Math.trunc((Number(usage.milliValue()) / d) * 100);
}

function resourceUsage(resource: string, usage: Quantity | undefined, requests: Quantity | undefined, limits: Quantity | undefined): ResourceUsage {
  return {
    usage: usage === undefined ? undefined : amount(resource, usage),
    requests: requests === undefined ? undefined : amount(resource, requests),
    limits: limits === undefined ? undefined : amount(resource, limits),
    requestPercent: percentOf(usage, requests),
    limitPercent: percentOf(usage, limits),
  };
}

/** Sum of `resource` over a pod's containers; undefined when no container reports it (HPA: missing). */
export function podUsageOf(m: PodMetricsSample, resource: string): Quantity | undefined {
  let total: Quantity | undefined;
  for (const c of m.containers) {
    const q = c.usage[resource];
    if (q !== undefined) total = (total ?? zero).add(q);
  }
  return total;
}

/** Inputs of topPods. */
export interface TopPodsInput {
  metrics: readonly PodMetricsSample[];
  /** Pod objects; pods without metrics are included with `metrics: undefined`. */
  pods: readonly PodView[];
}

const key = (ns: string, name: string): string => `${ns}/${name}`;

/** Pods with usage, requests and limits, per pod and per container. Order: namespace, name. */
export function topPods(input: TopPodsInput): PodTop[] {
  const podByKey = new Map(input.pods.map((p) => [key(p.namespace, p.name), p]));
  const metricsByKey = new Map(input.metrics.map((m) => [key(m.namespace, m.name), m]));
  const keys = new Set([...metricsByKey.keys(), ...[...podByKey.values()].filter((p) => p.phase !== 'Succeeded' && p.phase !== 'Failed').map((p) => key(p.namespace, p.name))]);
  const out: PodTop[] = [];
  for (const k of keys) {
    const m = metricsByKey.get(k);
    const p = podByKey.get(k);
    const namespace = m?.namespace ?? p!.namespace;
    const name = m?.name ?? p!.name;
    const containers: ContainerTop[] = [];
    const specByName = new Map((p?.containers ?? []).map((c) => [c.name, c]));
    const names = new Set([...(p?.containers ?? []).map((c) => c.name), ...(m?.containers ?? []).map((c) => c.name)]);
    for (const cname of names) {
      const spec = specByName.get(cname);
      const cm = m?.containers.find((c) => c.name === cname);
      // A classic init container that has finished reports no metrics; leave it out.
      if (spec?.kind === 'init' && cm === undefined) continue;
      containers.push({
        name: cname,
        kind: spec?.kind ?? 'unknown',
        cpu: resourceUsage('cpu', cm?.usage['cpu'], spec?.requests['cpu'], spec?.limits['cpu']),
        memory: resourceUsage('memory', cm?.usage['memory'], spec?.requests['memory'], spec?.limits['memory']),
      });
    }
    out.push({
      namespace,
      name,
      key: k,
      labels: p?.labels ?? m?.labels ?? {},
      nodeName: p?.nodeName ?? '',
      phase: p?.phase ?? '',
      createdMs: p?.createdMs ?? null,
      metrics: m,
      cpu: resourceUsage('cpu', m === undefined ? undefined : podUsageOf(m, 'cpu'), p === undefined ? undefined : podRequests(p, 'cpu'), p === undefined ? undefined : podLimits(p, 'cpu')),
      memory: resourceUsage('memory', m === undefined ? undefined : podUsageOf(m, 'memory'), p === undefined ? undefined : podRequests(p, 'memory'), p === undefined ? undefined : podLimits(p, 'memory')),
      containers,
    });
  }
  return out.sort((a, b) => (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Inputs of topNodes. */
export interface TopNodesInput {
  metrics: readonly NodeMetricsSample[];
  nodes: readonly NodeView[];
  /** Pods, to sum requests and limits per node (optional: without them requests/limits are undefined). */
  pods?: readonly PodView[];
}

/** Nodes with usage against allocatable and capacity, and the requests/limits of their pods. Order: name. */
export function topNodes(input: TopNodesInput): NodeTop[] {
  const metricsByName = new Map(input.metrics.map((m) => [m.name, m]));
  const nodeByName = new Map(input.nodes.map((n) => [n.name, n]));
  const reserved = new Map<string, { req: Record<string, Quantity>; lim: Record<string, Quantity | undefined> }>();
  for (const p of input.pods ?? []) {
    if (p.nodeName === '' || p.phase === 'Succeeded' || p.phase === 'Failed') continue;
    let r = reserved.get(p.nodeName);
    if (r === undefined) reserved.set(p.nodeName, (r = { req: { cpu: zero, memory: zero }, lim: { cpu: zero, memory: zero } }));
    for (const res of ['cpu', 'memory']) {
      r.req[res] = r.req[res]!.add(podRequests(p, res) ?? zero);
      const l = podLimits(p, res);
      const cur = r.lim[res];
      r.lim[res] = cur === undefined || l === undefined ? undefined : cur.add(l);
    }
  }
  const names = [...new Set([...nodeByName.keys(), ...metricsByName.keys()])].sort();
  return names.map((name) => {
    const m = metricsByName.get(name);
    const n = nodeByName.get(name);
    const r = reserved.get(name);
    const res = (resource: string): NodeResourceUsage => {
      const usage = m?.usage[resource];
      const requests = input.pods === undefined ? undefined : (r?.req[resource] ?? zero);
      const limits = input.pods === undefined ? undefined : r === undefined ? zero : r.lim[resource];
      const alloc = n?.allocatable[resource];
      const cap = n?.capacity[resource];
      return {
        ...resourceUsage(resource, usage, requests, limits),
        allocatable: alloc === undefined ? undefined : amount(resource, alloc),
        capacity: cap === undefined ? undefined : amount(resource, cap),
        allocatablePercent: percentOf(usage, alloc),
        capacityPercent: percentOf(usage, cap),
      };
    };
    return { name, labels: n?.labels ?? m?.labels ?? {}, metrics: m, cpu: res('cpu'), memory: res('memory') };
  });
}
