/**
 * Pure parsers for the cgroup file formats (kernel cgroup-v1 and cgroup-v2 interface files),
 * following the rules of opencontainers/cgroups `fscommon`: single values, flat keyed files and
 * pid lists. Every parser throws a KubemeterError (InvalidFile) naming the file on garbage.
 */
import { ErrorCode, KubemeterError, quoteInput } from '../lib/errors.ts';

/** 2^64 − 1: what `max` means in a cgroup file, and the "unlimited" sentinel for limits. */
export const maxUint64 = (1n << 64n) - 1n;

/** Limits above 2^62 count as unlimited (cAdvisor and the kubelet use this threshold). */
export const unlimitedThreshold = 1n << 62n;

const digitsOnly = /^\d+$/;
const negativeInt = /^-\d+$/;

function bad(source: string, what: string, text: string): KubemeterError {
  return new KubemeterError(ErrorCode.InvalidFile, `${source}: ${what}, got ${quoteInput(text)}`, { source });
}

/**
 * A single unsigned value: trimmed; `max` → 2^64−1; a negative integer → 0 (as the kernel prints
 * `-1` for "no quota"); values above 2^64−1 saturate. Empty or non-numeric text is an error.
 */
export function parseUint64(text: string, source: string): bigint {
  const t = text.trim();
  if (t === 'max') return maxUint64;
  if (digitsOnly.test(t)) {
    // Fast path: up to 15 digits fit a double exactly (⌊log10 2^53⌋ = 15).
    const v = t.length <= 15 ? BigInt(Number(t)) : BigInt(t);
    return v > maxUint64 ? maxUint64 : v;
  }
  if (negativeInt.test(t)) return 0n;
  throw bad(source, 'expected an unsigned integer or "max"', text);
}

/**
 * A flat keyed file (`memory.stat`, `cpu.stat`, `memory.events`): one `key value` per line. Only the
 * keys in `wanted` are converted (converting all ~60 keys of a v2 memory.stat per cgroup would
 * double the cost of a housekeeping pass); every line must still have the `key value` shape.
 */
export function parseFlatKeyed(text: string, source: string, wanted: ReadonlySet<string>): Map<string, bigint> {
  const out = new Map<string, bigint>();
  let start = 0;
  const n = text.length;
  while (start < n) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = n;
    if (end > start) {
      const sp = text.indexOf(' ', start);
      if (sp < 0 || sp >= end || sp === start) throw bad(source, 'expected "key value" lines', text.slice(start, end));
      // Unwanted keys are not converted, but a line must still look like `name number`
      // (two character tests per line keep garbage from passing unnoticed).
      const k0 = text.charCodeAt(start);
      const v0 = text.charCodeAt(sp + 1);
      if (k0 < 0x61 || k0 > 0x7a || !((v0 >= 0x30 && v0 <= 0x39) || v0 === 0x2d || v0 === 0x6d)) {
        throw bad(source, 'expected "key value" lines', text.slice(start, end));
      }
      // Compared in place rather than sliced out: a v2 memory.stat has ~60 keys and a pass reads
      // ~440 of them, so slicing every key allocated ~1 MiB per pass for the 5 keys used.
      const keyLength = sp - start;
      for (const key of wanted) {
        if (key.length === keyLength && text.startsWith(key, start)) {
          out.set(key, parseUint64(text.slice(sp + 1, end), `${source} key ${key}`));
          break;
        }
      }
    }
    start = end + 1;
  }
  return out;
}

/** A pid list (`cgroup.procs`, `tasks`): one decimal pid per line. */
export function parsePids(text: string, source: string): number[] {
  const out: number[] = [];
  let start = 0;
  const n = text.length;
  while (start < n) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = n;
    if (end > start) {
      const line = text.slice(start, end).trim();
      const pid = Number(line);
      if (line === '' || !Number.isSafeInteger(pid) || pid < 0) throw bad(source, 'expected one pid per line', line);
      out.push(pid);
    }
    start = end + 1;
  }
  return out;
}

/** Is this limit (bytes) effectively unlimited? */
export function isUnlimited(limitBytes: bigint): boolean {
  return limitBytes > unlimitedThreshold;
}
