/**
 * Output of `kubemeter top` beyond kubectl's table, all opt-in: `--utilization` columns
 * (`%CPU/R %CPU/L %MEM/R %MEM/L`, k9s style, `n/a` when unset), `-o wide` (requests, limits,
 * allocatable, node, and why metrics are missing), `-o json|yaml`, kubemeter's own sort keys,
 * `--reverse`, and colour thresholds (70 %/90 %) for percentage cells on a terminal.
 */
import { formatGoDuration } from '../lib/go-format.ts';
import { formatMetaTime } from '../lib/go-format.ts';
import type { Quantity } from '../lib/quantity.ts';
import { compareGoStrings } from '../lib/go-strings.ts';
import { topNodes, topPods, percentOf } from '../client/top.ts';
import type { NodeView } from '../client/core-view.ts';
import type { Amount, ContainerTop, NodeResourceUsage, NodeTop, PodTop, ResourceUsage } from '../client/types.ts';
import { usageCell } from './cells.ts';
import { layoutRows } from './tabwriter.ts';
import { colorPercent } from './kubectl-printer.ts';
import type { TopOptions } from './top-options.ts';
import type { NodeSnapshot, PodSnapshot } from './top-fetch.ts';
import { scrapeReason } from './top-scrape.ts';
import type { NodeScrapeStatus } from '../api/scrape-status.ts';

/** Rendering context. */
export interface RenderContext {
  color: boolean;
  nowMs: number;
}

const pct = (p: number | undefined): string => (p === undefined ? 'n/a' : `${p}%`);
const cell = (res: string, a: Amount | undefined): string => (a === undefined ? '<unknown>' : usageCell(res, a.quantity));
const req = (res: string, a: Amount | undefined): string => (a === undefined ? 'n/a' : usageCell(res, a.quantity));

function layout(rows: string[][], ctx: RenderContext, percentColumns: ReadonlySet<number>, headerRows: number): string {
  if (!ctx.color) return layoutRows(rows);
  return layoutRows(rows, undefined, (text, row, col) => (row >= headerRows && percentColumns.has(col) ? colorPercent(text) : text));
}

/**
 * Why a node has no metrics: from its Node object and, when the server provides it (kubemeter
 * server's scrape.kubemeter.io), from its scrape status (the last error, or never scraped).
 */
export function nodeReason(n: NodeTop, view: NodeView | undefined, nowMs: number, scrape?: NodeScrapeStatus): string {
  if (n.metrics !== undefined) return '';
  if (view === undefined) return 'no Node object';
  const fromScrape = scrapeReason(scrape, nowMs);
  if (view.ready !== 'True') {
    const failing = scrape !== undefined && scrape.status.consecutiveFailures > 0 ? `; ${fromScrape}` : '';
    return `node not ready (Ready=${view.ready === '' ? 'missing' : view.ready})${failing}`;
  }
  if (fromScrape !== undefined) return fromScrape;
  const since = view.readySinceMs ?? view.createdMs;
  if (since !== null && nowMs - since < 60_000) return `node not scraped yet (ready for ${age(nowMs - since)})`;
  return 'no metrics from the metrics server (scrape failing: check its logs for this node)';
}

/**
 * Why a pod has no metrics: its phase, a failing scrape of its node (when the server says so),
 * its age.
 */
export function podReason(p: PodTop, nowMs: number, nodeScrape?: NodeScrapeStatus): string {
  if (p.metrics !== undefined) return '';
  if (p.phase !== '' && p.phase !== 'Running') return `pod ${p.phase}`;
  const st = nodeScrape?.status;
  if (st !== undefined && (st.consecutiveFailures > 0 || st.lastAttemptTime === undefined || st.lastAttemptTime === null)) {
    return `node ${p.nodeName}: ${scrapeReason(nodeScrape, nowMs) ?? ''}`;
  }
  if (p.createdMs !== null && nowMs - p.createdMs < 120_000) return `pod too young (age ${age(nowMs - p.createdMs)})`;
  return 'no metrics from the metrics server (a container without two samples yet, or scrape failing)';
}

function age(ms: number): string {
  return formatGoDuration(BigInt(Math.max(0, Math.round(ms / 1000))) * 1_000_000_000n);
}

function sortTops<T extends { name: string; namespace?: string; cpu: ResourceUsage; memory: ResourceUsage }>(items: T[], o: TopOptions): T[] {
  const byName = (a: T, b: T): number => compareGoStrings(a.namespace ?? '', b.namespace ?? '') || compareGoStrings(a.name, b.name);
  const desc = (x: bigint | number | undefined, y: bigint | number | undefined): number => (x === y ? 0 : x === undefined ? 1 : y === undefined ? -1 : x > y ? -1 : 1);
  const cmp: Record<string, (a: T, b: T) => number> = {
    cpu: (a, b) => desc(a.cpu.usage?.milli, b.cpu.usage?.milli) || byName(a, b),
    memory: (a, b) => desc(a.memory.usage?.quantity.value(), b.memory.usage?.quantity.value()) || byName(a, b),
    'cpu-util': (a, b) => desc(a.cpu.requestPercent, b.cpu.requestPercent) || byName(a, b),
    'mem-util': (a, b) => desc(a.memory.requestPercent, b.memory.requestPercent) || byName(a, b),
  };
  const sorted = [...items].sort(cmp[o.sortBy] ?? byName);
  return o.reverse ? sorted.reverse() : sorted;
}

/** The combined node views of a snapshot, in output order. */
export function nodeTops(s: NodeSnapshot, o: TopOptions): NodeTop[] {
  return sortTops(topNodes({ metrics: s.metrics, nodes: s.nodes, ...(s.pods !== undefined ? { pods: s.pods } : {}) }), o);
}

/** The combined pod views of a snapshot, in output order (only pods with metrics unless wide). */
export function podTops(s: PodSnapshot, o: TopOptions): PodTop[] {
  const all = topPods({ metrics: s.metrics, pods: s.pods ?? [] });
  const shown = o.output === 'wide' || o.output === 'json' || o.output === 'yaml' ? all.filter((p) => p.metrics !== undefined || s.pods !== undefined) : all.filter((p) => p.metrics !== undefined);
  return sortTops(shown, o);
}

/** `top node -o wide` / `--utilization` table. */
export function renderNodesExtended(s: NodeSnapshot, o: TopOptions, ctx: RenderContext): string {
  const wide = o.output === 'wide';
  const views = new Map(s.nodes.map((n) => [n.name, n]));
  const header = ['NAME', 'CPU(cores)', 'CPU(%)', 'MEMORY(bytes)', 'MEMORY(%)'];
  if (wide) header.push('CPU/A', 'MEM/A', 'CPU/R', '%CPU/R', 'CPU/L', '%CPU/L', 'MEM/R', '%MEM/R', 'MEM/L', '%MEM/L', 'REASON');
  else header.push('%CPU/R', '%CPU/L', '%MEM/R', '%MEM/L');
  const rows: string[][] = o.noHeaders ? [] : [header];
  const base = (r: NodeResourceUsage): Quantity | undefined => (o.showCapacity ? r.capacity : r.allocatable)?.quantity;
  for (const n of nodeTops(s, o)) {
    const ofBase = (r: NodeResourceUsage, a: Amount | undefined): string => pct(percentOf(a?.quantity, base(r)));
    const row = [n.name, cell('cpu', n.cpu.usage), n.metrics === undefined ? '<unknown>' : pct(percentOf(n.cpu.usage?.quantity, base(n.cpu))), cell('memory', n.memory.usage), n.metrics === undefined ? '<unknown>' : pct(percentOf(n.memory.usage?.quantity, base(n.memory)))];
    if (wide) {
      row.push(req('cpu', o.showCapacity ? n.cpu.capacity : n.cpu.allocatable), req('memory', o.showCapacity ? n.memory.capacity : n.memory.allocatable));
      row.push(req('cpu', n.cpu.requests), ofBase(n.cpu, n.cpu.requests), req('cpu', n.cpu.limits), ofBase(n.cpu, n.cpu.limits));
      row.push(req('memory', n.memory.requests), ofBase(n.memory, n.memory.requests), req('memory', n.memory.limits), ofBase(n.memory, n.memory.limits));
      row.push(nodeReason(n, views.get(n.name), ctx.nowMs, s.scrape?.get(n.name)));
    } else {
      row.push(ofBase(n.cpu, n.cpu.requests), ofBase(n.cpu, n.cpu.limits), ofBase(n.memory, n.memory.requests), ofBase(n.memory, n.memory.limits));
    }
    rows.push(row);
  }
  return layout(rows, ctx, new Set(wide ? [2, 4, 8, 10, 12, 14] : [2, 4, 5, 6, 7, 8]), o.noHeaders ? 0 : 1);
}

/** `top pod -o wide` / `--utilization` table. */
export function renderPodsExtended(s: PodSnapshot, o: TopOptions, ctx: RenderContext): string {
  const wide = o.output === 'wide';
  const lead = [...(o.allNamespaces ? ['NAMESPACE'] : []), ...(o.containers ? ['POD'] : []), 'NAME'];
  const header = wide
    ? [...lead, 'CPU(cores)', 'CPU/R', 'CPU/L', '%CPU/R', '%CPU/L', 'MEMORY(bytes)', 'MEM/R', 'MEM/L', '%MEM/R', '%MEM/L', 'NODE', 'REASON']
    : [...lead, 'CPU(cores)', 'MEMORY(bytes)', '%CPU/R', '%CPU/L', '%MEM/R', '%MEM/L'];
  const rows: string[][] = o.noHeaders ? [] : [header];
  const line = (leadCells: string[], u: { cpu: ResourceUsage; memory: ResourceUsage }, node: string, reason: string): string[] =>
    wide
      ? [...leadCells, cell('cpu', u.cpu.usage), req('cpu', u.cpu.requests), req('cpu', u.cpu.limits), pct(u.cpu.requestPercent), pct(u.cpu.limitPercent), cell('memory', u.memory.usage), req('memory', u.memory.requests), req('memory', u.memory.limits), pct(u.memory.requestPercent), pct(u.memory.limitPercent), node, reason]
      : [...leadCells, cell('cpu', u.cpu.usage), cell('memory', u.memory.usage), pct(u.cpu.requestPercent), pct(u.cpu.limitPercent), pct(u.memory.requestPercent), pct(u.memory.limitPercent)];
  for (const p of podTops(s, o)) {
    const ns = o.allNamespaces ? [p.namespace] : [];
    if (o.containers) {
      const cs: ContainerTop[] = [...p.containers].sort((a, b) => compareGoStrings(a.name, b.name));
      for (const c of cs) rows.push(line([...ns, p.name, c.name], c, p.nodeName, podReason(p, ctx.nowMs, s.scrape?.get(p.nodeName))));
    } else rows.push(line([...ns, p.name], p, p.nodeName, podReason(p, ctx.nowMs, s.scrape?.get(p.nodeName))));
  }
  const first = lead.length;
  const percentCols = wide ? [first + 3, first + 4, first + 8, first + 9] : [first + 2, first + 3, first + 4, first + 5];
  return layout(rows, ctx, new Set(percentCols), o.noHeaders ? 0 : 1);
}

function amountJson(a: Amount | undefined, res: string): Record<string, unknown> | null {
  if (a === undefined) return null;
  return res === 'cpu' ? { quantity: a.quantity.toString(), cores: a.value, millicores: Number(a.milli) } : { quantity: a.quantity.toString(), bytes: a.value };
}

function usageJson(r: ResourceUsage, res: string): Record<string, unknown> {
  return { usage: amountJson(r.usage, res), requests: amountJson(r.requests, res), limits: amountJson(r.limits, res), requestPercent: r.requestPercent ?? null, limitPercent: r.limitPercent ?? null };
}

const time = (ms: number | null | undefined): string | null => (ms === null || ms === undefined ? null : formatMetaTime(ms));

/** `top node -o json|yaml` document. */
export function nodesDocument(s: NodeSnapshot, o: TopOptions, nowMs: number): Record<string, unknown> {
  const views = new Map(s.nodes.map((n) => [n.name, n]));
  const items = nodeTops(s, o).map((n) => {
    const res = (r: NodeResourceUsage, name: string) => ({
      ...usageJson(r, name),
      allocatable: amountJson(r.allocatable, name),
      capacity: amountJson(r.capacity, name),
      allocatablePercent: r.allocatablePercent ?? null,
      capacityPercent: r.capacityPercent ?? null,
    });
    return { name: n.name, labels: n.labels, timestamp: time(n.metrics?.timestampMs), window: n.metrics?.window ?? null, cpu: res(n.cpu, 'cpu'), memory: res(n.memory, 'memory'), reason: nodeReason(n, views.get(n.name), nowMs, s.scrape?.get(n.name)) || null };
  });
  return { kind: 'NodeTopList', apiVersion: 'top.kubemeter.io/v1alpha1', items };
}

/** `top pod -o json|yaml` document. */
export function podsDocument(s: PodSnapshot, o: TopOptions, nowMs: number): Record<string, unknown> {
  const items = podTops(s, o).map((p) => ({
    namespace: p.namespace,
    name: p.name,
    node: p.nodeName || null,
    phase: p.phase || null,
    labels: p.labels,
    timestamp: time(p.metrics?.timestampMs),
    window: p.metrics?.window ?? null,
    cpu: usageJson(p.cpu, 'cpu'),
    memory: usageJson(p.memory, 'memory'),
    containers: p.containers.map((c) => ({ name: c.name, kind: c.kind, cpu: usageJson(c.cpu, 'cpu'), memory: usageJson(c.memory, 'memory') })),
    reason: podReason(p, nowMs, s.scrape?.get(p.nodeName)) || null,
  }));
  return { kind: 'PodTopList', apiVersion: 'top.kubemeter.io/v1alpha1', items };
}

// The YAML library is loaded only for `-o yaml`: importing it costs every other invocation several
// milliseconds of module compilation (measured with --cpu-prof on `top pods -A`).
let toYaml: ((doc: unknown) => string) | undefined;

/** Loads the YAML serialiser; call before serialize(…, 'yaml'). */
export async function loadYaml(): Promise<void> {
  toYaml ??= (await import('yaml')).stringify;
}

/** Serialises a document as `-o json` (4-space indent, like kubectl) or `-o yaml`. */
export function serialize(doc: Record<string, unknown>, format: 'json' | 'yaml'): string {
  if (format === 'json') return `${JSON.stringify(doc, null, 4)}\n`;
  if (toYaml === undefined) throw new Error('internal: loadYaml() was not awaited before -o yaml');
  return toYaml(doc);
}
