/**
 * Wire metrics (api/metrics.ts, quantities as strings) → client samples with exact Quantities.
 * Parsing happens once here, so printing, sorting and summing never re-parse.
 */
import { Quantity } from '../lib/quantity.ts';
import { parseGoDuration } from '../lib/go-format.ts';
import { ErrorCode, KubemeterError, errorMessage } from '../lib/errors.ts';
import type { NodeMetrics, PodMetrics, ResourceList } from '../api/metrics.ts';
import type { NodeMetricsSample, PodMetricsSample, ResourceQuantities } from './types.ts';

// Most usages repeat a few strings ("0", "1Mi", "5m"); caching parsed values saves bigint work on
// large lists. Quantities are immutable, so sharing them is safe. Bounded to stay small.
const cache = new Map<string, Quantity>();
const CACHE_MAX = 4096;

/** Parses a quantity string from a server answer; the error names where it came from. */
export function parseServerQuantity(text: string, where: string): Quantity {
  let q = cache.get(text);
  if (q !== undefined) return q;
  try {
    q = Quantity.parse(text);
  } catch (e) {
    throw new KubemeterError(ErrorCode.InvalidQuantity, `${where}: ${errorMessage(e)}`, { source: where, cause: e });
  }
  if (cache.size < CACHE_MAX) cache.set(text, q);
  return q;
}

/** A ResourceList with every value parsed. */
export function parseResourceList(list: ResourceList | undefined, where: string): ResourceQuantities {
  const out: Record<string, Quantity> = {};
  if (list === undefined) return out;
  for (const key of Object.keys(list)) out[key] = parseServerQuantity(list[key]!, `${where}.${key}`);
  return out;
}

const windowCache = new Map<string, number>();

function windowMs(window: string, where: string): number {
  const hit = windowCache.get(window);
  if (hit !== undefined) return hit;
  try {
    const ms = Number(parseGoDuration(window)) / 1e6;
    if (windowCache.size < CACHE_MAX) windowCache.set(window, ms);
    return ms;
  } catch (e) {
    throw new KubemeterError(ErrorCode.InvalidDocument, `${where}.window: ${errorMessage(e)}`, { source: where, cause: e });
  }
}

/** NodeMetrics → NodeMetricsSample. */
export function nodeSample(m: NodeMetrics, source: string): NodeMetricsSample {
  const name = m.metadata.name ?? '';
  const where = `${source}: NodeMetrics ${name}`;
  return {
    name,
    labels: m.metadata.labels ?? {},
    timestampMs: m.timestamp,
    window: m.window,
    windowMs: windowMs(m.window, where),
    usage: parseResourceList(m.usage, `${where} usage`),
  };
}

/** PodMetrics → PodMetricsSample. */
export function podSample(m: PodMetrics, source: string): PodMetricsSample {
  const name = m.metadata.name ?? '';
  const namespace = m.metadata.namespace ?? '';
  const where = `${source}: PodMetrics ${namespace}/${name}`;
  return {
    namespace,
    name,
    labels: m.metadata.labels ?? {},
    timestampMs: m.timestamp,
    window: m.window,
    windowMs: windowMs(m.window, where),
    containers: m.containers.map((c) => ({ name: c.name, usage: parseResourceList(c.usage, `${where} container ${c.name} usage`) })),
  };
}
