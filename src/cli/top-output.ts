/**
 * One-shot `top` output: fetch a snapshot, render it in the requested format (kubectl's table,
 * kubemeter's extended tables, JSON or YAML), and kubectl's text for failures.
 */
import { isKubemeterError } from '../lib/errors.ts';
import type { MetricsClient } from '../client/metrics-client.ts';
import { kubectlErrorMessage } from './kubectl-errors.ts';
import { printNodeMetrics, printPodMetrics } from './kubectl-printer.ts';
import type { SortBy } from './kubectl-sort.ts';
import { fetchNodes, fetchPods, TopFailure, type FetchContext, type NodeSnapshot, type PodSnapshot } from './top-fetch.ts';
import type { GlobalOptions, TopOptions } from './top-options.ts';
import { loadYaml, nodesDocument, nodeTops, podsDocument, podTops, renderNodesExtended, renderPodsExtended, serialize } from './top-render.ts';

/** Where `top` writes and what it may read. */
export interface TopIO {
  stdout: { write(s: string): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown };
  env: NodeJS.ProcessEnv;
  /** How the user invoked us, for hints: `kubemeter` or `kubectl kubemeter`. */
  program: string;
  nowMs?: () => number;
  /** Ends --watch (Ctrl-C). */
  signal?: AbortSignal;
  /** Builds the client (tests inject one). */
  connect?: (g: GlobalOptions) => Promise<MetricsClient>;
}

/** The text of a failure as kubectl prints it. */
export function describe(e: unknown): string {
  if (e instanceof TopFailure) return e.message;
  if (isKubemeterError(e) || e instanceof Error) return kubectlErrorMessage(e);
  return `error: ${String(e)}`;
}

/** One snapshot and its rendering. */
export async function renderOnce(ctx: FetchContext, o: TopOptions, color: boolean): Promise<{ stdout: string; stderr: string }> {
  if (o.output === 'yaml') await loadYaml();
  if (o.kind === 'node') {
    const s = await fetchNodes(ctx, o);
    return { stdout: renderNodes(s, o, color, ctx.nowMs()), stderr: '' };
  }
  const s = await fetchPods(ctx, o);
  const stderr = s.noResources !== undefined && o.output !== 'json' && o.output !== 'yaml' ? `${s.noResources}\n` : '';
  return { stdout: renderPods(s, o, color, ctx.nowMs()), stderr };
}

const kubectlSort = (o: TopOptions): o is TopOptions & { sortBy: SortBy } => o.sortBy === '' || o.sortBy === 'cpu' || o.sortBy === 'memory';

/** Renders a node snapshot in the requested format. */
export function renderNodes(s: NodeSnapshot, o: TopOptions, color: boolean, nowMs: number): string {
  if (o.output === 'json' || o.output === 'yaml') return serialize(nodesDocument(s, o, nowMs), o.output);
  if (o.output === 'wide' || o.utilization) return renderNodesExtended(s, o, { color, nowMs });
  const available = new Map(s.nodes.map((n) => [n.name, o.showCapacity ? n.capacity : n.allocatable]));
  if (kubectlSort(o) && !o.reverse) return printNodeMetrics({ metrics: s.metrics, available, noHeaders: o.noHeaders, sortBy: o.sortBy }, color);
  // kubemeter's own order: compute it on the joined views, then print kubectl's table in that order.
  const order = new Map(nodeTops(s, o).map((n, i) => [n.name, i]));
  const metrics = [...s.metrics].sort((a, b) => order.get(a.name)! - order.get(b.name)!);
  return printNodeMetrics({ metrics, available, noHeaders: o.noHeaders, sortBy: '', presorted: true }, color);
}

/** Renders a pod snapshot in the requested format. */
export function renderPods(s: PodSnapshot, o: TopOptions, color: boolean, nowMs: number): string {
  if (o.output === 'json' || o.output === 'yaml') return serialize(podsDocument(s, o, nowMs), o.output);
  if (o.output === 'wide' || o.utilization) return renderPodsExtended(s, o, { color, nowMs });
  const common = { containers: o.containers, withNamespace: o.allNamespaces, noHeaders: o.noHeaders, sum: o.sum };
  if (kubectlSort(o) && !o.reverse) return printPodMetrics({ ...common, metrics: s.metrics, sortBy: o.sortBy });
  const order = new Map(podTops(s, o).map((p, i) => [p.key, i]));
  const metrics = [...s.metrics].sort((a, b) => order.get(`${a.namespace}/${a.name}`)! - order.get(`${b.namespace}/${b.name}`)!);
  return printPodMetrics({ ...common, metrics, sortBy: '', presorted: true });
}
