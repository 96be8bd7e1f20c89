/**
 * zod building blocks for decoding untrusted Kubernetes JSON with Go's semantics (a `null` pointer
 * is an absent field, uint64 is a non-negative integer literal) and with error messages that name
 * the field path: `pods[3].containers[0].cpu.usageCoreNanoSeconds: expected a non-negative integer`.
 */
import { z } from 'zod';
import { ErrorCode, KubemeterError, quoteInput } from '../lib/errors.ts';
import { parseMetaTime } from '../lib/go-format.ts';
import { FloatLiteral, type Time } from './json.ts';

const INVALID = Symbol('invalid');
type Invalid = typeof INVALID;

const TWO_64 = 1n << 64n;
const TWO_63 = 1n << 63n;
const UINT64_MAX = TWO_64 - 1n;

/** A leaf schema: `convert` returns the decoded value or INVALID, reported as `expected <expected>`. */
function leaf<T>(expected: string, convert: (v: unknown) => T | Invalid) {
  return z.unknown().transform((v, ctx): T => {
    const r = convert(v);
    if (r === INVALID) {
      ctx.issues.push({ code: 'custom', message: `expected ${expected}`, input: v });
      return z.NEVER;
    }
    return r;
  });
}

function isAbsent(v: unknown): v is null | undefined {
  return v === null || v === undefined;
}

function asU64(v: unknown): bigint | Invalid {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 && !Object.is(v, -0) ? BigInt(v) : INVALID;
  if (typeof v === 'bigint') return v >= 0n && v <= UINT64_MAX ? v : INVALID;
  return INVALID;
}

function u64AsNumber(v: unknown): number | Invalid {
  const b = asU64(v);
  // Above 2^53 only a uint64 wrap-around can produce these gauges; keep the nearest double rather
  // than refusing the whole document.
  return b === INVALID ? INVALID : Number(b);
}

/** uint64 as bigint; required. */
export const u64Big = leaf('a non-negative integer', asU64);
/** uint64 pointer (`omitempty`) as bigint; null or missing → undefined. */
export const optU64Big = leaf('a non-negative integer', (v) => (isAbsent(v) ? undefined : asU64(v))).optional();
/** uint64 that is physically below 2^53 (memory gauges, rates), as number; required. */
export const u64Num = leaf('a non-negative integer', u64AsNumber);
/** uint64 pointer as number; null or missing → undefined. */
export const optU64Num = leaf('a non-negative integer', (v) => (isAbsent(v) ? undefined : u64AsNumber(v))).optional();
/**
 * uint64 pointer computed in Go as `limit − usage`, which wraps when usage exceeds the limit:
 * values ≥ 2^63 decode to the (exact, negative) difference, so `-4096` means "4096 bytes over".
 */
export const optWrappingU64Num = leaf('a non-negative integer', (v) => {
  if (isAbsent(v)) return undefined;
  const b = asU64(v);
  if (b === INVALID) return INVALID;
  return Number(b >= TWO_63 ? b - TWO_64 : b);
}).optional();
/** int64 pointer within ±(2^53−1), as number; null or missing → undefined. */
export const optI64Num = leaf('an integer', (v) => {
  if (isAbsent(v)) return undefined;
  return typeof v === 'number' && Number.isSafeInteger(v) ? v : INVALID;
}).optional();
/** int32 (Kubernetes `int32` fields), required. */
export const i32 = leaf('a 32-bit integer', (v) =>
  typeof v === 'number' && Number.isInteger(v) && v >= -2147483648 && v <= 2147483647 ? v : INVALID,
);
/** float64; required. */
export const f64 = leaf('a number', (v) => {
  if (v instanceof FloatLiteral) return v.value;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  return INVALID;
});
/** string; required. */
export const str = leaf('a string', (v) => (typeof v === 'string' ? v : INVALID));
/** string with `omitempty` or a pointer; null or missing → undefined. */
export const optStr = leaf('a string', (v) => (isAbsent(v) ? undefined : typeof v === 'string' ? v : INVALID)).optional();
/** bool pointer / omitempty bool; null or missing → undefined. */
export const optBool = leaf('a boolean', (v) => (isAbsent(v) ? undefined : typeof v === 'boolean' ? v : INVALID)).optional();
/** bool; required. */
export const bool = leaf('a boolean', (v) => (typeof v === 'boolean' ? v : INVALID));
/** A present `metav1.Time` value: RFC 3339 text, Go's zero time as null. */
function metaTimeOf(v: unknown): Time | Invalid {
  if (typeof v !== 'string') return INVALID;
  try {
    const ms = parseMetaTime(v);
    return ms === GO_ZERO_TIME_MS ? null : ms;
  } catch {
    return INVALID;
  }
}
/** `metav1.Time`: RFC 3339 text or null (missing → null, Go's zero time; `0001-01-01T00:00:00Z` → null). */
export const time = leaf('an RFC 3339 time or null', (v): Time | Invalid => (isAbsent(v) ? null : metaTimeOf(v)))
  .optional()
  .transform((v): Time => v ?? null);
/** `*metav1.Time` (omitempty): RFC 3339 text; null or missing → undefined. */
export const optTime = leaf('an RFC 3339 time or null', (v): Time | undefined | Invalid => (isAbsent(v) ? undefined : metaTimeOf(v))).optional();

/** Milliseconds of Go's zero `time.Time` (0001-01-01T00:00:00Z), which `metav1.Time` writes as null. */
export const GO_ZERO_TIME_MS = -62135596800000;

/** A string constant (kind, apiVersion); missing is allowed (list items carry none), null is not. */
export function optLiteral<T extends string>(value: T) {
  return leaf(JSON.stringify(value), (v) => (v === undefined ? undefined : v === value ? value : INVALID)).optional();
}

/** An object; required. Unknown keys are dropped (forward compatible). */
export function obj<S extends z.core.$ZodLooseShape>(shape: S) {
  return z.object(shape, { error: 'expected an object' });
}

const nullToUndefined = (v: unknown): unknown => (v === null ? undefined : v);
const nullToEmpty = (v: unknown): unknown => (v === null ? [] : v);

/** A pointer to an object (`omitempty`); null or missing → undefined. */
export function optObj<S extends z.core.$ZodLooseShape>(shape: S) {
  return z.preprocess(nullToUndefined, obj(shape).optional());
}

/** A slice; required (an explicit null decodes as empty, as Go decodes it to a nil slice). */
export function arr<T extends z.ZodType>(item: T) {
  return z.preprocess(nullToEmpty, z.array(item, { error: 'expected an array' }));
}

/** A slice with `omitempty`; null or missing → undefined. */
export function optArr<T extends z.ZodType>(item: T) {
  return z.preprocess(nullToUndefined, z.array(item, { error: 'expected an array or null' }).optional());
}

/** `map[string]string` with `omitempty`; null or missing → undefined. */
export const optStringMap = z.preprocess(
  nullToUndefined,
  z.record(z.string(), z.string({ error: 'expected a string' }), { error: 'expected an object of strings' }).optional(),
);

/** `map[string][]string` with `omitempty` (user extra); null or missing → undefined, a null entry → empty (a nil slice). */
export const optStringListMap = z.preprocess(
  nullToUndefined,
  z
    .record(z.string(), z.preprocess(nullToEmpty, z.array(z.string({ error: 'expected a string' }), { error: 'expected an array of strings' })), {
      error: 'expected an object of string arrays',
    })
    .optional(),
);

/** `[]string` with `omitempty`; null or missing → undefined. */
export const optStringArray = optArr(z.string({ error: 'expected a string' }));

/** Renders a zod issue path the way a reader writes it: `pods[3].containers[0].cpu`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (typeof p === 'string' && /^[A-Za-z_$][\w$-]*$/.test(p)) out += out === '' ? p : `.${p}`;
    else out += `[${JSON.stringify(String(p))}]`;
  }
  return out === '' ? '(document)' : out;
}

function describe(input: unknown): string {
  if (input === undefined) return 'nothing';
  if (typeof input === 'bigint') return input.toString();
  if (input instanceof FloatLiteral) return `${input.value} written as a float`;
  if (typeof input === 'string') return quoteInput(input, 60);
  if (input === null || typeof input !== 'object') return String(input);
  return Array.isArray(input) ? 'an array' : 'an object';
}

/**
 * Validates `value` against `schema`; on failure throws KubemeterError(InvalidDocument) naming the
 * document kind, its source, the first offending field path and the value found there.
 */
export function decodeWith<T>(schema: z.ZodType<T>, value: unknown, what: string, source?: string): T {
  const r = schema.safeParse(value, { reportInput: true });
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const more = r.error.issues.length > 1 ? ` (and ${r.error.issues.length - 1} more)` : '';
  const from = source === undefined ? '' : ` from ${source}`;
  const input = (issue as { input?: unknown }).input;
  const got = 'input' in issue ? ` (got ${describe(input)})` : '';
  throw new KubemeterError(
    ErrorCode.InvalidDocument,
    `invalid ${what} document${from}: ${formatPath(issue.path)}: ${issue.message}${got}${more}`,
    source === undefined ? {} : { source },
  );
}
