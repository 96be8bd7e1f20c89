/**
 * Pure parsers for the cgroup file formats (kernel cgroup-v1 and cgroup-v2 interface files),
 * following the rules of opencontainers/cgroups `fscommon`: single values, flat keyed files and
 * pid lists. Every parser throws a KubemeterError (InvalidFile) naming the file on garbage.
 */
import { ErrorCode, KubemeterError, quoteInput } from '../lib/errors.ts';
import { isSpace, latin1, named, textBytes } from './bytes.ts';

/** 2^64 − 1: what `max` means in a cgroup file, and the "unlimited" sentinel for limits. */
export const maxUint64 = (1n << 64n) - 1n;

/** Limits above 2^62 count as unlimited (cAdvisor and the kubelet use this threshold). */
export const unlimitedThreshold = 1n << 62n;

function bad(source: string, what: string, text: string): KubemeterError {
  return new KubemeterError(ErrorCode.InvalidFile, `${source}: ${what}, got ${quoteInput(text)}`, { source });
}

/**
 * `bytes[start, end)` as parseUint64 reads it, or undefined when it is not an unsigned integer,
 * `max` or a negative integer. Builds no string unless the number has more than 15 digits.
 */
export function uint64At(bytes: Uint8Array, start: number, end: number): bigint | undefined {
  let s = start;
  let e = end;
  while (s < e && isSpace(bytes[s]!)) s++;
  while (e > s && isSpace(bytes[e - 1]!)) e--;
  if (e - s === 3 && bytes[s] === 0x6d && bytes[s + 1] === 0x61 && bytes[s + 2] === 0x78) return maxUint64;
  const negative = s < e && bytes[s] === 0x2d;
  const first = negative ? s + 1 : s;
  if (first === e) return undefined;
  let v = 0;
  for (let i = first; i < e; i++) {
    const d = bytes[i]! - 0x30;
    if (d < 0 || d > 9) return undefined;
    v = v * 10 + d;
  }
  if (negative) return 0n;
  // Up to 15 digits fit a double exactly (⌊log10 2^53⌋ = 15); longer ones go through BigInt's parser.
  if (e - first <= 15) return BigInt(v);
  const big = BigInt(latin1(bytes, first, e));
  return big > maxUint64 ? maxUint64 : big;
}

/** A single value as the kernel prints most of them: up to 19 digits (below 2^64) and a newline. */
const plainUint64 = /^\d{1,19}\n?$/;

/** parseUint64 over `bytes[start, end)`; errors name `named(dir, file)`. */
export function parseUint64Bytes(bytes: Uint8Array, start: number, end: number, dir: string, file: string): bigint {
  // Without V8's optimizing compilers (the agent's default) the digit loop of uint64At costs
  // ~700 ns for 12 digits; the text, a native check and BigInt's own parser (which skips the
  // newline) ~400 ns, for ~1,300 single-value files per pass. `max` stays with the loop (~150 ns).
  if (end - start > 4) {
    const text = latin1(bytes, start, end);
    if (plainUint64.test(text)) return BigInt(text);
  }
  const v = uint64At(bytes, start, end);
  if (v === undefined) throw bad(named(dir, file), 'expected an unsigned integer or "max"', latin1(bytes, start, end));
  return v;
}

/**
 * A single unsigned value: trimmed; `max` → 2^64−1; a negative integer → 0 (as the kernel prints
 * `-1` for "no quota"); values above 2^64−1 saturate. Empty or non-numeric text is an error.
 */
export function parseUint64(text: string, source: string): bigint {
  return parseUint64Bytes(textBytes(text), 0, text.length, source, '');
}

/** Keys of a flat keyed file to convert, prepared for comparing bytes in place and for searching the text. */
export interface FlatKeys {
  readonly names: readonly string[];
  readonly bytes: readonly Uint8Array[];
  /** `name + ' '`: the key at the start of the text. */
  readonly first: readonly string[];
  /** `'\n' + name + ' '`: the key at the start of any later line. */
  readonly later: readonly string[];
  /** The whole text as the kernel prints it, the keys in `names` order (see kernelOrderPattern); undefined when not asked for. */
  readonly kernelOrder: RegExp | undefined;
}

/** One line of the `key value` shape flatShape checks, without its newline. */
const shapeLine = '[a-z][^ \\n]* [0-9m-][^\\n]*';

/**
 * A pattern matching a flat keyed text only when it is as the kernel prints it: every line of
 * the `key value` shape, each wanted key on exactly one line, in the order of `names`, with a
 * plain decimal value of up to 19 digits (below 2^64, so no saturation), and nothing else
 * wanted anywhere. Its groups are the values in that order. Every line between the wanted ones
 * is refused when it starts with a wanted key (the negative lookahead), so each wanted key
 * matches at one place only and a failing text backtracks at most over each stretch of lines
 * once per key: linear in the text. Undefined for keys the shape would refuse.
 */
export function kernelOrderPattern(names: readonly string[]): RegExp | undefined {
  if (names.length === 0 || new Set(names).size !== names.length || !names.every((n) => /^[a-z][a-z0-9_]*$/.test(n))) return undefined;
  const other = `(?:(?!(?:${names.join('|')}) )${shapeLine}\\n)*`;
  let source = '^';
  for (const n of names) source += `${other}${n} (\\d{1,19})\\n`;
  return new RegExp(`${source}${other}(?:(?!(?:${names.join('|')}) )${shapeLine})?$`);
}

/**
 * Prepare the keys parseFlatKeyedBytes looks for; the values come back in this order. With
 * `kernelOrder`, `names` are in the order the kernel prints them and always present (v2
 * `memory.stat` and `cpu.stat`): such text is parsed by one native match (kernelOrderPattern).
 */
export function flatKeys(names: readonly string[], options: { kernelOrder?: boolean } = {}): FlatKeys {
  return {
    names, bytes: names.map((n) => Buffer.from(n, 'latin1')), first: names.map((n) => `${n} `), later: names.map((n) => `\n${n} `),
    kernelOrder: options.kernelOrder === true ? kernelOrderPattern(names) : undefined,
  };
}

/**
 * Every line of a flat keyed text has the `key value` shape the byte loop below checks (first
 * byte a-z, a space, then a digit, `-` or `m`), or is empty: one linear scan in irregexp's native
 * code. Linear: `[^ \n]*` stops at the first space and `[^\n]*` at the line's end, so a failing
 * line backtracks at most over its own bytes once per earlier line.
 */
const flatShape = /^(?:(?:[a-z][^ \n]* [0-9m-][^\n]*)?\n)*(?:[a-z][^ \n]* [0-9m-][^\n]*)?$/;

/**
 * A flat keyed file (`memory.stat`, `cpu.stat`, `memory.events`) in `bytes[start, end)`: one
 * `key value` per line. `out[i]` receives the value of `keys.names[i]` (undefined when absent; a
 * repeated key keeps its last value). Only those keys are converted (converting all ~60 keys of
 * a v2 memory.stat per cgroup would double the cost of a housekeeping pass); every line must
 * still have the `key value` shape.
 *
 * Why a text and a regular expression rather than a loop over the bytes: the agent runs without
 * V8's optimizing compilers (for memory), and there a JavaScript loop costs ~15 ns per byte.
 * Measured on a v2 memory.stat of 60 lines (1.6 KB) without them: the byte loop 37 µs; the latin1
 * text (0.6 µs), the shape check (1.2 µs) and a native search per wanted key (~0.5 µs each) ~5 µs,
 * i.e. ~14 ms less per pass over 443 cgroups. The text is ~1.6 KB of young garbage per file, which
 * a scavenge frees without promoting it. Text failing the shape check, or with a wanted key on more
 * than one line, is parsed by the byte loop, which finds and names the broken line.
 */
export function parseFlatKeyedBytes(bytes: Uint8Array, start: number, end: number, keys: FlatKeys, out: (bigint | undefined)[], dir: string, file: string): void {
  const text = latin1(bytes, start, end);
  // Text as the kernel prints it: one match checks every line and captures the values (a v2
  // memory.stat of 58 lines: ~1.5 instead of ~4.9 µs, the checks and searches below costing
  // a string search per key and another for a repeat). Anything else takes the path below.
  const exact = keys.kernelOrder === undefined ? null : keys.kernelOrder.exec(text);
  if (exact !== null) {
    for (let w = 0; w < keys.names.length; w++) out[w] = BigInt(exact[w + 1]!);
    return;
  }
  if (!flatShape.test(text) || !flatKeysByText(text, bytes, start, keys, out, dir, file)) flatKeyedLoop(bytes, start, end, keys, out, dir, file);
}

/** The wanted keys' values found by searching `text` (of `bytes` from `start`); false when a key is on more than one line. */
function flatKeysByText(text: string, bytes: Uint8Array, start: number, keys: FlatKeys, out: (bigint | undefined)[], dir: string, file: string): boolean {
  const later = keys.later;
  for (let w = 0; w < later.length; w++) {
    const needle = later[w]!;
    // Where the key's line starts (its key's first byte), -1 when absent.
    let line = text.startsWith(keys.first[w]!) ? 0 : -1;
    const at = text.indexOf(needle, line < 0 ? 0 : 1);
    if (at >= 0) {
      if (line === 0 || text.indexOf(needle, at + 1) >= 0) return false;
      line = at + 1;
    }
    if (line < 0) {
      out[w] = undefined;
      continue;
    }
    const valueStart = line + needle.length - 1;
    let lineEnd = text.indexOf('\n', valueStart);
    if (lineEnd < 0) lineEnd = text.length;
    const v = uint64At(bytes, start + valueStart, start + lineEnd);
    if (v === undefined) throw bad(`${named(dir, file)} key ${keys.names[w]!}`, 'expected an unsigned integer or "max"', text.slice(valueStart, lineEnd));
    out[w] = v;
  }
  return true;
}

/** parseFlatKeyedBytes as a loop over the bytes: broken text, which it names, and repeated keys. */
function flatKeyedLoop(bytes: Uint8Array, start: number, end: number, keys: FlatKeys, out: (bigint | undefined)[], dir: string, file: string): void {
  const wanted = keys.bytes;
  for (let w = 0; w < wanted.length; w++) out[w] = undefined;
  let lineStart = start;
  while (lineStart < end) {
    let lineEnd = lineStart;
    while (lineEnd < end && bytes[lineEnd] !== 0x0a) lineEnd++;
    if (lineEnd > lineStart) {
      let sp = lineStart;
      while (sp < lineEnd && bytes[sp] !== 0x20) sp++;
      // Unwanted keys are not converted, but a line must still look like `name number`
      // (two byte tests per line keep garbage from passing unnoticed).
      const k0 = bytes[lineStart]!;
      const v0 = sp + 1 < lineEnd ? bytes[sp + 1]! : -1;
      if (sp === lineEnd || sp === lineStart || k0 < 0x61 || k0 > 0x7a || !((v0 >= 0x30 && v0 <= 0x39) || v0 === 0x2d || v0 === 0x6d)) {
        throw bad(named(dir, file), 'expected "key value" lines', latin1(bytes, lineStart, lineEnd));
      }
      const keyLength = sp - lineStart;
      for (let w = 0; w < wanted.length; w++) {
        const key = wanted[w]!;
        if (key.length !== keyLength) continue;
        let same = true;
        for (let k = 0; k < keyLength; k++) {
          if (bytes[lineStart + k] !== key[k]) {
            same = false;
            break;
          }
        }
        if (!same) continue;
        const v = uint64At(bytes, sp + 1, lineEnd);
        if (v === undefined) throw bad(`${named(dir, file)} key ${keys.names[w]!}`, 'expected an unsigned integer or "max"', latin1(bytes, sp + 1, lineEnd));
        out[w] = v;
        break;
      }
    }
    lineStart = lineEnd + 1;
  }
}

/** parseFlatKeyedBytes over a text, as a map of the wanted keys found. */
export function parseFlatKeyed(text: string, source: string, wanted: ReadonlySet<string>): Map<string, bigint> {
  const keys = flatKeys([...wanted]);
  const values: (bigint | undefined)[] = [];
  parseFlatKeyedBytes(textBytes(text), 0, text.length, keys, values, source, '');
  const out = new Map<string, bigint>();
  keys.names.forEach((k, i) => {
    const v = values[i];
    if (v !== undefined) out.set(k, v);
  });
  return out;
}

/** A pid list (`cgroup.procs`, `tasks`) in `bytes[start, end)`: one decimal pid per line. */
export function parsePidsBytes(bytes: Uint8Array, start: number, end: number, dir: string, file: string): number[] {
  // Made with its first pid (most container cgroups have one or a few): an empty array's first
  // push allocates room for 17, ~60 KiB per pass over 440 cgroups.
  let out: number[] | undefined;
  let lineStart = start;
  while (lineStart < end) {
    let lineEnd = lineStart;
    while (lineEnd < end && bytes[lineEnd] !== 0x0a) lineEnd++;
    if (lineEnd > lineStart) {
      let s = lineStart;
      let e = lineEnd;
      while (s < e && isSpace(bytes[s]!)) s++;
      while (e > s && isSpace(bytes[e - 1]!)) e--;
      let pid = e > s && e - s <= 15 ? 0 : -1;
      for (let i = s; i < e && pid >= 0; i++) {
        const d = bytes[i]! - 0x30;
        pid = d < 0 || d > 9 ? -1 : pid * 10 + d;
      }
      if (pid < 0) {
        // Not plain digits: decided by Number() as before (the kernel prints plain digits).
        const line = latin1(bytes, s, e);
        pid = Number(line);
        if (line === '' || !Number.isSafeInteger(pid) || pid < 0) throw bad(named(dir, file), 'expected one pid per line', line);
      }
      if (out === undefined) out = [pid];
      else out.push(pid);
    }
    lineStart = lineEnd + 1;
  }
  return out ?? [];
}

/** A pid list (`cgroup.procs`, `tasks`): one decimal pid per line. */
export function parsePids(text: string, source: string): number[] {
  return parsePidsBytes(textBytes(text), 0, text.length, source, '');
}

/** Is this limit (bytes) effectively unlimited? */
export function isUnlimited(limitBytes: bigint): boolean {
  return limitBytes > unlimitedThreshold;
}
