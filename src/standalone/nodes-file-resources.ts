/**
 * The `capacity` and `allocatable` a nodes file declares per node. The server's nodes-file view
 * keeps only what scraping needs; the core API also needs these to build Node objects for
 * `kubectl top node` percentages. Read after the view has validated the file, and re-read
 * whenever the view reloads it. Every value must parse as a Kubernetes quantity.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ErrorCode, KubemeterError, errorMessage, quoteInput } from '../lib/errors.ts';
import { Quantity } from '../lib/quantity.ts';

/** Declared resources of one node (quantity texts, canonical). */
export interface NodeResources {
  capacity: Record<string, string>;
  allocatable: Record<string, string>;
}

function list(v: unknown, where: string, source: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new KubemeterError(ErrorCode.InvalidFile, `${source}: ${where}: expected a map of quantities`, { source });
  const out: Record<string, string> = {};
  for (const [k, raw] of Object.entries(v as Record<string, unknown>)) {
    if (typeof raw !== 'string' && typeof raw !== 'number') throw new KubemeterError(ErrorCode.InvalidFile, `${source}: ${where}.${k}: expected a quantity`, { source });
    try {
      out[k] = Quantity.parse(String(raw)).toString();
    } catch (e) {
      throw new KubemeterError(ErrorCode.InvalidFile, `${source}: ${where}.${k}: ${quoteInput(String(raw))} is not a quantity: ${errorMessage(e)}`, { source, cause: e });
    }
  }
  return out;
}

/** Parse the resources of every entry of a nodes file's text (pure). */
export function parseNodeResources(text: string, source: string): Map<string, NodeResources> {
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 100 });
  } catch (e) {
    throw new KubemeterError(ErrorCode.InvalidFile, `${source}: not YAML or JSON: ${errorMessage(e)}`, { source, cause: e });
  }
  const out = new Map<string, NodeResources>();
  if (doc === null || doc === undefined) return out;
  if (!Array.isArray(doc)) throw new KubemeterError(ErrorCode.InvalidFile, `${source}: expected a list of nodes`, { source });
  doc.forEach((entry: unknown, i) => {
    if (typeof entry !== 'object' || entry === null) throw new KubemeterError(ErrorCode.InvalidFile, `${source}: [${i}]: expected a map`, { source });
    const e = entry as Record<string, unknown>;
    if (typeof e['name'] !== 'string') return;
    out.set(e['name'], { capacity: list(e['capacity'], `[${i}].capacity`, source), allocatable: list(e['allocatable'], `[${i}].allocatable`, source) });
  });
  return out;
}

/** Re-reads the file's resources when `version` (the view's node list) changes; keeps the last good ones on error. */
export function nodeResourcesReader(path: string, version: () => unknown, onError: (e: unknown) => void): () => ReadonlyMap<string, NodeResources> {
  let seen: unknown = Symbol('none');
  let current: ReadonlyMap<string, NodeResources> = new Map();
  return () => {
    const v = version();
    if (v === seen) return current;
    seen = v;
    try {
      current = parseNodeResources(readFileSync(path, 'utf8'), path);
    } catch (e) {
      onError(e);
    }
    return current;
  };
}
