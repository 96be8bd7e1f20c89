/**
 * Deterministic, stateless randomness for the simulator: every value is a hash of a seed and a
 * few integers (node, pod slot, container, …), so any node's state at any instant can be computed
 * on demand without storing it, and two runs with the same seed serve the same cluster.
 */

/** A 32-bit avalanche hash of a list of integers (murmur3's finaliser folded over the inputs). */
export function hash32(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    h = Math.imul(h ^ (p | 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** A uniform number in [0, 1) derived from the parts. */
export function unit(...parts: number[]): number {
  return hash32(...parts) / 4294967296;
}

/** A number in [lo, hi) spread logarithmically (most values near lo, a long tail towards hi). */
export function logUniform(lo: number, hi: number, ...parts: number[]): number {
  return lo * (hi / lo) ** unit(...parts);
}

/** One element of `list`, picked by the parts. */
export function pick<T>(list: readonly T[], ...parts: number[]): T {
  const v = list[hash32(...parts) % list.length];
  if (v === undefined) throw new RangeError('pick from an empty list');
  return v;
}

const alnum = 'bcdfghjklmnpqrstvwxz2456789';

/** A Kubernetes-style random suffix (the alphabet of generateName and ReplicaSet hashes). */
export function suffix(length: number, ...parts: number[]): string {
  let s = '';
  for (let i = 0; i < length; i++) s += alnum[hash32(...parts, i) % alnum.length];
  return s;
}

/** A UUID-shaped identifier (version 4 layout) derived from the parts. */
export function uuid(...parts: number[]): string {
  const hex = (i: number): string => hash32(...parts, i).toString(16).padStart(8, '0');
  const a = hex(1);
  const b = hex(2);
  const c = hex(3);
  const d = hex(4);
  return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-${((parseInt(c[0] ?? '0', 16) & 3) | 8).toString(16)}${c.slice(1, 4)}-${c.slice(4)}${d}`;
}
