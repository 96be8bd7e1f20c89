/**
 * Loopback addresses for simulated kubelets: consecutive addresses in 127.0.0.0/8 from a base
 * (default 127.1.0.1), skipping host parts .0 and .255 so every address looks like a node's.
 * Linux routes all of 127.0.0.0/8 to `lo`, so each can be bound without configuration.
 */
import { ErrorCode, KubemeterError, quoteInput } from '../lib/errors.ts';

/** Parse an IPv4 address in 127.0.0.0/8 to a 32-bit integer. Throws KubemeterError(InvalidFlag). */
export function parseLoopback(text: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  const parts = m === null ? [] : m.slice(1).map(Number);
  if (parts.length !== 4 || parts.some((p) => p > 255) || parts[0] !== 127) {
    throw new KubemeterError(ErrorCode.InvalidFlag, `--address-base ${quoteInput(text)} is not an IPv4 address in 127.0.0.0/8 (traffic stays on loopback)`, { source: '--address-base' });
  }
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

function format(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** The `index`-th address from `base` (a parseLoopback value). Throws past the end of 127.0.0.0/8. */
export function loopbackAddress(base: number, index: number): string {
  // 254 usable host parts per /24 (1–254).
  const first = (base & 255) === 0 ? base + 1 : (base & 255) === 255 ? base + 2 : base;
  const within = (first & 255) - 1 + index;
  const n = (first & ~255) + Math.floor(within / 254) * 256 + (within % 254) + 1;
  if (n >>> 24 !== 127 || n >= 0x7fffffff) {
    throw new KubemeterError(ErrorCode.InvalidFlag, `node ${index} would be outside 127.0.0.0/8 (base ${format(base)})`, { source: '--address-base' });
  }
  return format(n >>> 0);
}
