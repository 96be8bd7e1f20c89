/**
 * What `kubectl top node|pod` asks the server, in kubectl's order and with kubectl's conclusions
 * (kubectl-top.md §3): discovery, then metrics, then Node objects (nodes) or, only when no pod
 * metrics came back, Pod objects to explain why. Discovery and independent requests run in
 * parallel; when several fail, the error kubectl would have met first is the one reported.
 */
import { formatGoDuration } from '../lib/go-format.ts';
import { parseFieldSelector, parseLabelSelector } from '../lib/labels.ts';
import { errorMessage } from '../lib/errors.ts';
import type { MetricsClient } from '../client/metrics-client.ts';
import { MetricsClientError } from '../client/errors.ts';
import type { NodeView, PodView } from '../client/core-view.ts';
import type { NodeMetricsSample, PodMetricsSample } from '../client/types.ts';
import type { TopOptions } from './top-options.ts';
import { fetchScrapeStatuses, type ScrapeStatuses } from './top-scrape.ts';

/** A failure with the exact text kubectl prints (already prefixed, e.g. `error: …`). */
export class TopFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TopFailure';
  }
}

/** Nodes snapshot. */
export interface NodeSnapshot {
  metrics: NodeMetricsSample[];
  nodes: NodeView[];
  /** Pods (for requests/limits), when an extra asked for them. */
  pods: PodView[] | undefined;
  /** Scrape statuses of the nodes without metrics (-o wide|json|yaml, kubemeter server only). */
  scrape?: ScrapeStatuses | undefined;
}

/** Pods snapshot. */
export interface PodSnapshot {
  metrics: PodMetricsSample[];
  /** Pod objects, when an extra asked for them. */
  pods: PodView[] | undefined;
  /** kubectl's informational line when nothing matched (stderr, exit 0). */
  noResources: string | undefined;
  /** Scrape statuses of the nodes of pods without metrics (-o wide|json|yaml, kubemeter server only). */
  scrape?: ScrapeStatuses | undefined;
}

/** Shared request settings. */
export interface FetchContext {
  client: MetricsClient;
  /** Namespace of the context or `-n`. */
  namespace: string;
  signal?: AbortSignal;
  timeoutMs?: number;
  nowMs: () => number;
}

/** Does this invocation need Pod objects beyond kubectl's own use? */
export function needsPods(o: TopOptions): boolean {
  return o.output === 'wide' || o.output === 'json' || o.output === 'yaml' || o.utilization || o.sortBy === 'cpu-util' || o.sortBy === 'mem-util' || o.node !== '';
}

/** Does this invocation say why metrics are missing (and so may ask for scrape statuses)? */
export function explainsMissing(o: TopOptions): boolean {
  return o.output === 'wide' || o.output === 'json' || o.output === 'yaml';
}

/** kubectl parses selectors before talking to the server; parse errors print verbatim. */
export function checkSelectors(o: TopOptions): void {
  try {
    if (o.selector !== '') parseLabelSelector(o.selector);
    if (o.fieldSelector !== '') parseFieldSelector(o.fieldSelector);
  } catch (e) {
    throw new TopFailure(`error: ${errorMessage(e)}`);
  }
}

async function requireMetricsApi(versions: Promise<string[]>): Promise<void> {
  let found: string[];
  try {
    found = await versions;
  } catch (e) {
    // Discovery tolerates 403 and 404 on /apis (aggregated servers return them): no groups.
    if (e instanceof MetricsClientError && (e.statusCode === 403 || e.statusCode === 404)) found = [];
    else throw e;
  }
  if (!found.includes('v1beta1')) throw new TopFailure('error: Metrics API not available');
}

/** Settles every promise, then throws the first failure in kubectl's order. */
async function inOrder<T extends unknown[]>(...ps: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const settled = await Promise.allSettled(ps);
  for (const s of settled) if (s.status === 'rejected') throw s.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as T;
}

/** `top node`: discovery, metrics (list or one), then Node objects. */
export async function fetchNodes(ctx: FetchContext, o: TopOptions): Promise<NodeSnapshot> {
  checkSelectors(o);
  const call = { signal: ctx.signal, timeoutMs: ctx.timeoutMs };
  const c = ctx.client;
  const discovery = c.metricsVersions(call);
  const metricsP = discovery.then(() =>
    o.name !== '' ? c.getNodeMetrics(o.name, call).then((m) => [m]) : c.listNodeMetrics({ ...call, labelSelector: o.selector }),
  );
  const nodesP = o.name !== '' ? c.getNode(o.name, call).then((n) => [n]) : c.listNodes({ ...call, labelSelector: o.selector });
  const podsP = needsPods(o) ? c.listPods(call) : Promise.resolve(undefined);
  // Silence unhandled rejections of requests whose errors may never be reported.
  for (const p of [metricsP, nodesP, podsP]) p.catch(() => undefined);
  await requireMetricsApi(discovery);
  const metrics = await metricsP;
  if (metrics.length === 0) throw new TopFailure('error: metrics not available yet');
  const [nodes, pods] = await inOrder<[NodeView[], PodView[] | undefined]>(nodesP, podsP);
  if (!explainsMissing(o)) return { metrics, nodes, pods };
  const served = new Set(metrics.map((m) => m.name));
  const scrape = await fetchScrapeStatuses(c, nodes.filter((n) => !served.has(n.name)).map((n) => n.name), call);
  return { metrics, nodes, pods, scrape };
}

/** `top pod`: discovery, metrics, and the "why is it empty" pass over Pod objects. */
export async function fetchPods(ctx: FetchContext, o: TopOptions): Promise<PodSnapshot> {
  checkSelectors(o);
  const call = { signal: ctx.signal, timeoutMs: ctx.timeoutMs };
  const c = ctx.client;
  const ns = o.allNamespaces ? '' : ctx.namespace;
  const discovery = c.metricsVersions(call);
  const metricsP = discovery.then(() =>
    o.name !== '' ? c.getPodMetrics(ns, o.name, call).then((m) => [m]) : c.listPodMetrics({ ...call, namespace: ns, labelSelector: o.selector, fieldSelector: o.fieldSelector }),
  );
  const extraPods = needsPods(o);
  const podsP = extraPods
    ? c.listPods({ ...call, namespace: ns, labelSelector: o.selector, fieldSelector: [o.fieldSelector, o.node !== '' ? `spec.nodeName=${o.node}` : ''].filter(Boolean).join(',') })
    : Promise.resolve(undefined);
  for (const p of [metricsP, podsP]) p.catch(() => undefined);
  await requireMetricsApi(discovery);
  let metrics = await metricsP;
  const pods = await podsP;
  if (o.node !== '' && pods !== undefined) {
    const onNode = new Set(pods.map((p) => `${p.namespace}/${p.name}`));
    metrics = metrics.filter((m) => onNode.has(`${m.namespace}/${m.name}`));
  }
  if (metrics.length > 0) {
    let scrape: ScrapeStatuses | undefined;
    if (explainsMissing(o) && pods !== undefined) {
      const served = new Set(metrics.map((m) => `${m.namespace}/${m.name}`));
      scrape = await fetchScrapeStatuses(c, pods.filter((p) => p.phase === 'Running' && !served.has(`${p.namespace}/${p.name}`)).map((p) => p.nodeName), call);
    }
    return { metrics, pods, noResources: undefined, scrape };
  }
  await explainEmpty(ctx, o);
  return { metrics, pods, noResources: o.allNamespaces ? 'No resources found' : `No resources found in ${ctx.namespace} namespace.` };
}

const metricsCreationDelayMs = 2 * 60 * 1000;

/** kubectl's verifyEmptyMetrics: uses the context namespace even with -A (upstream quirk). */
async function explainEmpty(ctx: FetchContext, o: TopOptions): Promise<void> {
  const call = { signal: ctx.signal, timeoutMs: ctx.timeoutMs };
  let pods: PodView[];
  if (o.name !== '') pods = [await ctx.client.getPod(ctx.namespace, o.name, call)];
  else {
    pods = await ctx.client.listPods({ ...call, namespace: ctx.namespace, labelSelector: o.selector, fieldSelector: o.fieldSelector });
    if (pods.length === 0) return;
  }
  for (const p of pods) {
    const ageMs = p.createdMs === null ? Number.POSITIVE_INFINITY : ctx.nowMs() - p.createdMs;
    if (ageMs > metricsCreationDelayMs) {
      const age = Number.isFinite(ageMs) ? formatGoDuration(BigInt(Math.round(ageMs)) * 1_000_000n) : '2562047h47m16.854775807s';
      throw new TopFailure(`error: Metrics not available for pod ${p.namespace}/${p.name}, age: ${age}`);
    }
  }
  throw new TopFailure('error: metrics not available yet');
}
