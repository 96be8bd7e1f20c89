/**
 * The `kubectl top` table printer (kubectl 1.32 metricsutil.TopCmdPrinter), reproduced row for row
 * so that the laid-out bytes are identical: same cells, same sort (Go's unstable sort.Sort), same
 * `<unknown>` rows, same `--sum` rows including their misalignment without headers.
 */
import { Quantity } from '../lib/quantity.ts';
import type { NodeMetricsSample, PodMetricsSample, ResourceQuantities } from '../client/types.ts';
import { measuredResources, percentCell, podUsage, usageCell } from './cells.ts';
import { layoutRows } from './tabwriter.ts';
import { sortContainers, sortNodeMetrics, sortPodMetrics, type SortBy } from './kubectl-sort.ts';

/** Node header cells (1.32: `CPU(%)` and `MEMORY(%)`). */
export const nodeColumns = ['NAME', 'CPU(cores)', 'CPU(%)', 'MEMORY(bytes)', 'MEMORY(%)'];
/** Pod header cells. */
export const podColumns = ['NAME', 'CPU(cores)', 'MEMORY(bytes)'];

/** Input of printNodeMetrics. */
export interface NodePrintInput {
  metrics: NodeMetricsSample[];
  /** Allocatable (or capacity) per node name, for every Node object listed. */
  available: ReadonlyMap<string, ResourceQuantities>;
  noHeaders: boolean;
  sortBy: SortBy;
  /** Extra: `metrics` is already in the wanted order (kubemeter's own sort keys, --reverse). */
  presorted?: boolean;
}

/** The cells of one metrics line: name, then per resource the usage and, when available has it, the %. */
function metricsLine(name: string, usage: ResourceQuantities, available: ResourceQuantities | undefined): string[] {
  const row = [name];
  for (const res of measuredResources) {
    const q = usage[res];
    row.push(usageCell(res, q));
    const avail = available?.[res];
    if (avail !== undefined) row.push(percentCell(q, avail));
  }
  return row;
}

/** Rows kubectl prints for `top node` (empty when there are no metrics). Sorts `metrics` in place. */
export function nodeRows(input: NodePrintInput): string[][] {
  const { metrics, available } = input;
  if (metrics.length === 0) return [];
  if (input.presorted !== true) sortNodeMetrics(metrics, input.sortBy);
  const rows: string[][] = [];
  if (!input.noHeaders) rows.push(nodeColumns);
  const printed = new Set<string>();
  for (const m of metrics) {
    rows.push(metricsLine(m.name, m.usage, available.get(m.name)));
    printed.add(m.name);
  }
  // Nodes without metrics. kubectl prints them in Go map order (random); we print them by name.
  const missing = [...available.keys()].filter((n) => !printed.has(n)).sort();
  for (const name of missing) {
    const row = [name];
    for (let i = 0; i < measuredResources.length; i++) row.push('<unknown>', '<unknown>');
    rows.push(row);
  }
  return rows;
}

/** Input of printPodMetrics. */
export interface PodPrintInput {
  metrics: PodMetricsSample[];
  containers: boolean;
  withNamespace: boolean;
  noHeaders: boolean;
  sortBy: SortBy;
  sum: boolean;
  /** Extra: `metrics` is already in the wanted order. */
  presorted?: boolean;
}

const zero = Quantity.zero();

/** Rows kubectl prints for `top pod` (empty when there are no metrics). Sorts `metrics` in place. */
export function podRows(input: PodPrintInput): string[][] {
  const { metrics } = input;
  if (metrics.length === 0) return [];
  const rows: string[][] = [];
  // kubectl widens the sum rows for NAMESPACE and POD only when it prints the header (upstream bug
  // kept for byte-identity).
  let columnCount = podColumns.length;
  if (!input.noHeaders) {
    const header: string[] = [];
    if (input.withNamespace) {
      header.push('NAMESPACE');
      columnCount++;
    }
    if (input.containers) {
      header.push('POD');
      columnCount++;
    }
    rows.push([...header, ...podColumns]);
  }
  if (input.presorted !== true) sortPodMetrics(metrics, input.withNamespace, input.sortBy);
  for (const m of metrics) {
    if (input.containers) {
      sortContainers(m.containers, input.sortBy);
      for (const c of m.containers) {
        const row = input.withNamespace ? [m.namespace, m.name] : [m.name];
        row.push(...metricsLine(c.name, c.usage, undefined));
        rows.push(row);
      }
    } else {
      const row = input.withNamespace ? [m.namespace] : [];
      row.push(...metricsLine(m.name, podUsage(m), undefined));
      rows.push(row);
    }
  }
  if (input.sum) {
    const total: Record<string, Quantity> = {};
    for (const res of measuredResources) {
      let t = zero;
      for (const m of metrics) for (const c of m.containers) t = t.add(c.usage[res] ?? zero);
      total[res] = t;
    }
    rows.push([...Array<string>(Math.max(0, columnCount - 2)).fill(''), '________', '________']);
    rows.push([...Array<string>(Math.max(0, columnCount - 3)).fill(''), ...metricsLine('', total, undefined)]);
  }
  return rows;
}

/** `kubectl top node` output; `color` wraps % cells in ANSI colours (70 % yellow, 90 % red) for terminals. */
export function printNodeMetrics(input: NodePrintInput, color = false): string {
  const rows = nodeRows(input);
  if (!color) return layoutRows(rows);
  const first = input.noHeaders ? 0 : 1;
  return layoutRows(rows, undefined, (text, row, col) => (row >= first && (col === 2 || col === 4) ? colorPercent(text) : text));
}

/** ANSI colour for a percentage cell: yellow from 70 %, red from 90 %. */
export function colorPercent(text: string): string {
  const m = /^(-?\d+)%$/.exec(text);
  if (m === null) return text;
  const v = Number(m[1]);
  if (v >= 90) return `\x1b[31m${text}\x1b[0m`;
  if (v >= 70) return `\x1b[33m${text}\x1b[0m`;
  return text;
}

/** `kubectl top pod` output. */
export function printPodMetrics(input: PodPrintInput): string {
  return layoutRows(podRows(input));
}
