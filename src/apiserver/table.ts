/**
 * Table output (`kubectl get nodemetrics|podmetrics`): Name, one quantity column per usage key,
 * Window; pod rows sum their containers; the row object follows `includeObject`. The Table and
 * its PartialObjectMetadata rows carry the meta.k8s.io version the client negotiated.
 */
import { goQuote } from '../api/json.ts';
import { encodeObjectMeta, type ObjectMeta } from '../api/meta.ts';
import type { NodeMetrics, PodMetrics } from '../api/metrics.ts';
import { encodeNodeMetrics, encodePodMetrics } from '../api/metrics.ts';
import { Quantity } from '../lib/quantity.ts';

/** meta.k8s.io version of a Table. */
export type TableVersion = 'v1' | 'v1beta1';

/** `includeObject` values the generic apiserver accepts ('' means Metadata). */
export const includeObjectValues = ['Metadata', 'Object', 'None', ''] as const;

/** The 400 message for another `includeObject` (ValidateTableOptions, wrapped as upstream does). */
export function invalidIncludeObjectMessage(value: string): string {
  return `Unable to convert to Table as requested: includeObject: Invalid value: ${goQuote(value)}: must be 'Metadata', 'Object', 'None', or empty`;
}

const columnsPrefix = '{"name":"Name","type":"string","format":"name","description":"Name of the resource","priority":0}';
const windowColumn = '{"name":"Window","type":"string","format":"duration","description":"","priority":0}';

/** The `object` member of a Table row for `includeObject` ('' and Metadata: PartialObjectMetadata). */
export function rowObject(includeObject: string, version: TableVersion, metadata: ObjectMeta, full: string): string {
  if (includeObject === 'None') return '';
  if (includeObject === 'Object') return `,"object":${full.slice(0, -1)}`;
  return `,"object":{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/${version}","metadata":${encodeObjectMeta(metadata)}}`;
}

function table(rows: string[], columns: readonly string[], version: TableVersion): string {
  // Go leaves both slices nil for an empty list, and they are not omitempty.
  if (rows.length === 0) return `{"kind":"Table","apiVersion":"meta.k8s.io/${version}","metadata":{},"columnDefinitions":null,"rows":null}\n`;
  const defs = `,"columnDefinitions":[${columnsPrefix},${columns.map((c) =>
    `{"name":${goQuote(c)},"type":"string","format":"quantity","description":"","priority":0}`).join(',')},${windowColumn}]`;
  return `{"kind":"Table","apiVersion":"meta.k8s.io/${version}","metadata":{}${defs},"rows":[${rows.join(',')}]}\n`;
}

/** A Table of node metrics. */
export function nodeMetricsTable(items: readonly NodeMetrics[], includeObject: string, version: TableVersion = 'v1'): string {
  const columns = items.length === 0 ? [] : Object.keys(items[0]!.usage).sort();
  const rows = items.map((m) => `{"cells":[${goQuote(m.metadata.name ?? '')},${columns.map((c) => goQuote(m.usage[c] ?? '0')).join(',')},${goQuote(m.window)}]${rowObject(includeObject, version, m.metadata, encodeNodeMetrics(m))}}`);
  return table(rows, columns, version);
}

/** A Table of pod metrics (usage summed over containers). */
export function podMetricsTable(items: readonly PodMetrics[], includeObject: string, version: TableVersion = 'v1'): string {
  let columns: string[] | undefined;
  const rows = items.map((m) => {
    const sums = new Map<string, Quantity>();
    for (const c of m.containers) {
      for (const [k, v] of Object.entries(c.usage)) {
        const q = Quantity.parse(v);
        const prev = sums.get(k);
        sums.set(k, prev === undefined ? q : prev.add(q));
      }
    }
    columns ??= [...sums.keys()].sort();
    return `{"cells":[${goQuote(m.metadata.name ?? '')},${columns.map((c) => goQuote((sums.get(c) ?? Quantity.zero()).toString())).join(',')},${goQuote(m.window)}]${rowObject(includeObject, version, m.metadata, encodePodMetrics(m))}}`;
  });
  return table(rows, columns ?? [], version);
}
