/**
 * Cell texts of `kubectl top` (metricsutil printer): CPU as `MilliValue()` + `m` (rounds up),
 * memory as `Value()` ÷ 2^20 + `Mi` (rounds down), other resources as `Value()`, and percentages
 * as Go's `int64(float64(usage.MilliValue()) / float64(available.MilliValue()) * 100)`.
 */
import { Quantity } from '../lib/quantity.ts';
import type { PodMetricsSample } from '../client/types.ts';

/** The resources `kubectl top` (1.32) measures, in column order. */
export const measuredResources = ['cpu', 'memory'] as const;

/** Go's int64(f) on amd64: truncation, and 0x8000000000000000 for NaN, ±Inf and out-of-range values. */
export function goFloatToInt64(f: number): bigint {
  if (!Number.isFinite(f) || f >= 9223372036854775808 || f < -9223372036854775808) return -9223372036854775808n;
  return BigInt(Math.trunc(f));
}

/** The usage cell of one resource. */
export function usageCell(resource: string, q: Quantity | undefined): string {
  if (resource === 'cpu') return `${q === undefined ? 0n : q.milliValue()}m`;
  if (resource === 'memory' || resource === 'swap') return `${q === undefined ? 0n : q.value() / 1048576n}Mi`;
  return `${q === undefined ? 0n : q.value()}`;
}

/**
 * The percentage cell: usage over available in milli-units, as a float64 ratio truncated toward
 * zero. kubectl 1.32 has no zero guard: 0 available prints Go's NaN/Inf conversion result.
 */
export function percentCell(usage: Quantity | undefined, available: Quantity): string {
  const u = usage === undefined ? 0 : Number(usage.milliValue());
  const fraction = (u / Number(available.milliValue())) * 100;
  return `${goFloatToInt64(fraction)}%`;
}

const zero = Quantity.zero();

/** A pod's usage per measured resource: the exact sum over its containers, from a DecimalSI zero like kubectl. */
export function podUsage(m: PodMetricsSample): Record<string, Quantity> {
  const out: Record<string, Quantity> = {};
  for (const res of measuredResources) {
    let total = zero;
    for (const c of m.containers) {
      const q = c.usage[res];
      if (q !== undefined) total = total.add(q);
    }
    out[res] = total;
  }
  return out;
}
