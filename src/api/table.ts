/**
 * meta.k8s.io/v1 Table: what `kubectl get nodemetrics|podmetrics` asks for with
 * `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`.
 */
import { goFloatJson, goQuote } from './json.ts';
import { encodeListMeta, encodeObjectMeta, type ListMeta, type ObjectMeta } from './meta.ts';

/** A column. */
export interface TableColumnDefinition {
  /** Header (`Name`, `cpu`, `Window`). */
  name: string;
  /** OpenAPI type (`string`, `integer`, …). */
  type: string;
  /** OpenAPI format (`name`, `quantity`, `duration`). */
  format: string;
  /** Description. */
  description: string;
  /** 0 = shown by default; higher = only with `-o wide`. */
  priority: number;
}

/** A cell value. */
export type TableCell = string | number | boolean | null;

/** A row. */
export interface TableRow {
  /** One value per column. */
  cells: TableCell[];
  /**
   * The object: PartialObjectMetadata (includeObject=Metadata, the default), the full object as
   * pre-encoded JSON text (includeObject=Object), or undefined to leave the key out (None).
   */
  object?: { metadata: ObjectMeta } | { json: string };
}

/** A Table. */
export interface Table {
  /** List metadata (`{}`). */
  metadata?: ListMeta;
  /** Columns. */
  columnDefinitions: TableColumnDefinition[];
  /** Rows. */
  rows: TableRow[];
}

function cell(c: TableCell): string {
  if (typeof c === 'string') return goQuote(c);
  if (typeof c === 'number') return goFloatJson(c, 'cells');
  return String(c);
}

function row(r: TableRow): string {
  let object = '';
  if (r.object !== undefined) {
    object = 'json' in r.object ? `,"object":${r.object.json}`
      : `,"object":{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":${encodeObjectMeta(
        r.object.metadata)}}`;
  }
  return `{"cells":[${r.cells.map(cell).join(',')}]${object}}`;
}

/**
 * The Table body (compact, final newline). Empty `columnDefinitions`/`rows` are written `null`:
 * metrics-server appends to nil slices, so an empty list serialises that way.
 */
export function encodeTable(t: Table): string {
  const cols = t.columnDefinitions.length === 0 ? null : t.columnDefinitions.map((c) => `{"name":${goQuote(c.name)},"type":${goQuote(c.type)},"format":${
    goQuote(c.format)},"description":${goQuote(c.description)},"priority":${c.priority}}`).join(',');
  const rows = t.rows.length === 0 ? 'null' : `[${t.rows.map(row).join(',')}]`;
  return `{"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":${encodeListMeta(t.metadata)},"columnDefinitions":${
    cols === null ? 'null' : `[${cols}]`},"rows":${rows}}\n`;
}
