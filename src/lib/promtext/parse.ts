/**
 * Streaming parser for the Prometheus text exposition format 0.0.4 (what the kubelet serves on
 * /metrics/resource). It follows prometheus/common expfmt's TextParser on what is an error (invalid
 * escapes, duplicate label names, `__name__` as a label, a second HELP/TYPE, TYPE after samples,
 * `quantile`/`le` that are not floats, a last line without newline) and differs knowingly in three
 * places: blanks after the value or timestamp are accepted (as Prometheus' scrape parser does), a
 * value must be separated from the name by a blank, and timestamps beyond ±2^53 ms are refused
 * instead of losing precision. Quoted UTF-8 metric/label names (a later extension) are refused.
 * Carriage returns are not whitespace in the format, so CRLF text fails on its first sample line, as
 * in expfmt; the error says so.
 *
 * Hand-written scanner (charCodeAt over the chunk, indexOf for line ends, quotes and backslashes)
 * rather than split('\n') plus a regular expression per line: on a 110-pod /metrics/resource page the
 * split/regex approach ran at about 0.4× this scanner's throughput (`npm run bench -- --only promtext`,
 * docs/benchmarks.md), allocates every line, and cannot say which character was wrong.
 *
 * Speed choices (the scrape hot path at 10,000 nodes):
 * - The sample callback gets positional arguments, not an object, and one label array that the
 *   parser reuses: no allocation per sample besides the strings a consumer actually keeps.
 * - Names, label names and label values equal to those of the previous sample at the same position
 *   are reused (startsWith on the text) instead of sliced again: kubelet pages repeat them.
 * - Values take Clinger's exact fast path (≤ 15 digits, |exponent| ≤ 22) and fall back to Number().
 * The parser is one class past the usual file size on purpose: every line type shares the scanner
 * state (position, reuse caches, per-family checks); character-level pieces live in scan.ts.
 */
import { ErrorCode } from '../errors.ts';
import { detachedCopy } from './detach.ts';
import { parseGoFloatToken, parseTimestampToken } from './float.ts';
import {
  BACKSLASH, crHint, describe, is, LABEL_CHAR, LABEL_START, NAME_CHAR, NAME_START, NL, QUOTE, quoteSlice,
  scanFastFloat, scanFastInteger, SP, TAB, tokenEnd, type Cursor,
} from './scan.ts';
import { ExpositionError, type Family, type MetricType } from './types.ts';

/**
 * Called once per sample line. `labels` is flat `[name0, value0, …]`, owned by the parser and
 * overwritten by the next call: copy it (`labels.slice()`) to keep it. `family` is the name of the
 * family the sample belongs to (differs from `name` for `_sum`/`_count`/`_bucket` series).
 */
export type SampleHandler = (
  name: string,
  labels: readonly string[],
  value: number,
  timestampMs: number | undefined,
  family: string,
) => void;

/** Options of an ExpositionParser. */
export interface ExpositionParserOptions {
  /** Receives every sample. */
  onSample: SampleHandler;
  /** Receives a family's HELP text (unescaped). */
  onHelp?: (family: string, help: string) => void;
  /** Receives a family's TYPE. */
  onType?: (family: string, type: MetricType) => void;
  /** Longest accepted line in UTF-16 code units (default 1 MiB); longer fails with code TooLarge. */
  maxLineLength?: number;
  /** Largest accepted input in UTF-16 code units (default 64 MiB); more fails with code TooLarge. */
  maxTotalLength?: number;
  /** Where the text comes from (a URL), for error messages. */
  source?: string;
}

/** Per-family state needed for expfmt's checks. */
interface FamilyState {
  type: MetricType | undefined; // undefined until a TYPE line or a sample fixes it
  hasHelp: boolean;
}

const TYPES: Record<string, MetricType> = {
  COUNTER: 'counter',
  GAUGE: 'gauge',
  HISTOGRAM: 'histogram',
  SUMMARY: 'summary',
  UNTYPED: 'untyped',
};

/** Incremental parser: `push()` text as it arrives (any split points), then `end()`. */
export class ExpositionParser {
  private readonly onSample: SampleHandler;
  private readonly onHelp: ((family: string, help: string) => void) | undefined;
  private readonly onType: ((family: string, type: MetricType) => void) | undefined;
  private readonly maxLineLength: number;
  private readonly maxTotalLength: number;
  private readonly source: string | undefined;
  private readonly families = new Map<string, FamilyState>();
  private pending = ''; // text after the last newline seen
  private totalLength = 0;
  private lineNo = 0;
  private ended = false;
  // Scanner state for the text being parsed.
  private readonly cur: Cursor = { pos: 0 }; // where the last scan ended
  private nextBackslash = -1; // index of the next '\' at or after pos, or text length when none
  private readonly labels: string[] = [];
  private labelCount = 0;
  // Reuse caches: the previous sample's name, family and label names/values per position.
  private lastName = '';
  private lastFamilyName = '';
  private lastFamily: FamilyState | undefined;
  private readonly lastLabels: string[] = [];

  constructor(options: ExpositionParserOptions) {
    this.onSample = options.onSample;
    this.onHelp = options.onHelp;
    this.onType = options.onType;
    this.maxLineLength = options.maxLineLength ?? 1 << 20;
    this.maxTotalLength = options.maxTotalLength ?? 64 << 20;
    this.source = options.source;
  }

  /** Feeds the next piece of text; complete lines are parsed (and callbacks called) right away. */
  push(chunk: string): void {
    if (this.ended) throw new Error('ExpositionParser.push after end');
    this.totalLength += chunk.length;
    if (this.totalLength > this.maxTotalLength) {
      throw this.error(`input exceeds ${this.maxTotalLength} characters`, this.lineNo + 1, ErrorCode.TooLarge);
    }
    const firstNl = chunk.indexOf('\n');
    if (firstNl < 0) {
      this.pending += chunk;
      this.checkPendingLength();
      return;
    }
    let start = 0;
    if (this.pending !== '') {
      // Only the line that straddles the previous chunk is concatenated; the rest is scanned in
      // place (concatenating whole chunks would copy every byte once more).
      const head = this.pending + chunk.slice(0, firstNl + 1);
      this.pending = '';
      this.parseLines(head, 0, head.length);
      start = firstNl + 1;
    }
    const lastNl = chunk.lastIndexOf('\n');
    this.parseLines(chunk, start, lastNl + 1);
    this.pending = chunk.slice(lastNl + 1);
    this.checkPendingLength();
  }

  /** Signals the end of input: fails when the last line was not terminated by a newline. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    for (let i = 0; i < this.pending.length; i++) {
      const c = this.pending.charCodeAt(i);
      if (c !== SP && c !== TAB) {
        throw this.error('unexpected end of input: the last line has no newline (truncated?)', this.lineNo + 1);
      }
    }
  }

  private checkPendingLength(): void {
    if (this.pending.length > this.maxLineLength) {
      throw this.error(`line longer than ${this.maxLineLength} characters`, this.lineNo + 1, ErrorCode.TooLarge);
    }
  }

  private error(
    message: string,
    line = this.lineNo,
    code: typeof ErrorCode.InvalidExposition | typeof ErrorCode.TooLarge = ErrorCode.InvalidExposition,
  ): ExpositionError {
    return new ExpositionError(line, message, { code, ...(this.source === undefined ? {} : { source: this.source }) });
  }

  /** Parses the complete lines of `s[start, end)`; `s[end - 1]` is a newline. */
  private parseLines(s: string, start: number, end: number): void {
    this.cur.pos = start;
    this.nextBackslash = -1;
    while (this.cur.pos < end) {
      const eol = s.indexOf('\n', this.cur.pos);
      this.lineNo++;
      if (eol - this.cur.pos > this.maxLineLength) {
        throw this.error(`line longer than ${this.maxLineLength} characters`, this.lineNo, ErrorCode.TooLarge);
      }
      this.parseLine(s, eol);
      this.cur.pos = eol + 1;
    }
  }

  /** Index of the next backslash at or after `p` (s.length when none); indexOf runs once per backslash. */
  private backslashFrom(s: string, p: number): number {
    if (this.nextBackslash < p) {
      const i = s.indexOf('\\', p);
      this.nextBackslash = i < 0 ? s.length : i;
    }
    return this.nextBackslash;
  }

  /** One line `s[pos, eol)`; `s[eol]` is '\n', which serves as the sentinel that ends every scan loop. */
  private parseLine(s: string, eol: number): void {
    let p = this.cur.pos;
    let c = s.charCodeAt(p);
    while (c === SP || c === TAB) c = s.charCodeAt(++p);
    if (c === NL) return;
    if (c === 0x23 /* # */) {
      this.parseComment(s, p + 1, eol);
      return;
    }
    // Metric name, reusing the previous sample's string when the text repeats it.
    let name = this.lastName;
    let family = this.lastFamily;
    if (name !== '' && s.startsWith(name, p) && !is(s.charCodeAt(p + name.length), NAME_CHAR)) {
      p += name.length;
    } else {
      if (!is(c, NAME_START)) throw this.error(`expected a metric name, found ${describe(s, p)}`);
      const start = p;
      while (is(s.charCodeAt(++p), NAME_CHAR));
      name = s.slice(start, p);
      this.lastName = name;
      this.lastFamilyName = this.resolveFamily(name);
      family = this.families.get(this.lastFamilyName);
      if (family === undefined) {
        family = { type: undefined, hasHelp: false };
        // A detached key: a slice would keep this chunk of the text alive as long as the parser.
        this.lastFamilyName = detachedCopy(this.lastFamilyName);
        this.families.set(this.lastFamilyName, family);
      }
      this.lastFamily = family;
    }
    if (family === undefined) throw this.error('internal: no family state'); // unreachable
    family.type ??= 'untyped'; // a sample fixes the type, as in expfmt
    const nameEnd = p;
    c = s.charCodeAt(p);
    while (c === SP || c === TAB) c = s.charCodeAt(++p);
    this.labelCount = 0;
    if (c === 0x7b /* { */) {
      p = this.parseLabels(s, p + 1, eol, name);
      c = s.charCodeAt(p);
      while (c === SP || c === TAB) c = s.charCodeAt(++p);
    } else if (p === nameEnd && c !== NL) {
      throw this.error(`expected a blank or '{' after metric name ${JSON.stringify(name)}, found ${describe(s, p)}`);
    }
    if (c === NL) throw this.error(`expected a value for metric ${JSON.stringify(name)}, found end of line`);
    if (family.type === 'summary' || family.type === 'histogram') this.checkBoundLabel(family.type);
    const value = this.parseValue(s, p);
    p = this.cur.pos;
    c = s.charCodeAt(p);
    while (c === SP || c === TAB) c = s.charCodeAt(++p);
    let timestampMs: number | undefined;
    if (c !== NL) {
      timestampMs = this.parseTimestamp(s, p);
      p = this.cur.pos;
      c = s.charCodeAt(p);
      while (c === SP || c === TAB) c = s.charCodeAt(++p);
      if (c !== NL) throw this.error(`unexpected text after timestamp: ${quoteSlice(s, p, eol)}`);
    }
    const labels = this.labels;
    if (labels.length !== this.labelCount * 2) labels.length = this.labelCount * 2;
    this.onSample(name, labels, value, timestampMs, this.lastFamilyName);
  }

  /** Label pairs after '{' up to and including '}'; returns the index after '}'. */
  private parseLabels(s: string, p: number, eol: number, metric: string): number {
    const labels = this.labels;
    const last = this.lastLabels;
    let k = 0;
    for (;;) {
      let c = s.charCodeAt(p);
      while (c === SP || c === TAB) c = s.charCodeAt(++p);
      if (c === 0x7d /* } */) break;
      // Label name (reused from the previous sample when identical).
      let lname = last[2 * k];
      if (lname !== undefined && s.startsWith(lname, p) && !is(s.charCodeAt(p + lname.length), LABEL_CHAR)) {
        p += lname.length;
      } else {
        if (!is(c, LABEL_START)) {
          throw this.error(`expected a label name or '}' in labels of ${JSON.stringify(metric)}, found ${describe(s, p)}`);
        }
        const start = p;
        while (is(s.charCodeAt(++p), LABEL_CHAR));
        lname = s.slice(start, p);
        if (lname === '__name__') throw this.error(`label name "__name__" is reserved (metric ${JSON.stringify(metric)})`);
        last[2 * k] = lname;
      }
      for (let j = 0; j < 2 * k; j += 2) {
        if (labels[j] === lname) throw this.error(`duplicate label name ${JSON.stringify(lname)} for metric ${JSON.stringify(metric)}`);
      }
      c = s.charCodeAt(p);
      while (c === SP || c === TAB) c = s.charCodeAt(++p);
      if (c !== 0x3d /* = */) throw this.error(`expected '=' after label name ${JSON.stringify(lname)}, found ${describe(s, p)}`);
      c = s.charCodeAt(++p);
      while (c === SP || c === TAB) c = s.charCodeAt(++p);
      if (c !== QUOTE) throw this.error(`expected '"' at start of value of label ${JSON.stringify(lname)}, found ${describe(s, p)}`);
      p++;
      const q = s.indexOf('"', p);
      let value: string;
      if (q >= 0 && q < eol && this.backslashFrom(s, p) > q) {
        // No escapes: reuse the previous value at this position when the text repeats it.
        const prev = last[2 * k + 1];
        if (prev !== undefined && prev.length === q - p && s.startsWith(prev, p)) value = prev;
        else value = last[2 * k + 1] = s.slice(p, q);
        p = q + 1;
      } else {
        value = this.unescapeLabelValue(s, p, eol, lname);
        last[2 * k + 1] = value;
        p = this.cur.pos;
      }
      labels[2 * k] = lname;
      labels[2 * k + 1] = value;
      k++;
      this.labelCount = k;
      c = s.charCodeAt(p);
      while (c === SP || c === TAB) c = s.charCodeAt(++p);
      if (c === 0x2c /* , */) {
        p++;
        continue;
      }
      if (c === 0x7d) break;
      throw this.error(`expected ',' or '}' after value of label ${JSON.stringify(lname)}, found ${describe(s, p)}`);
    }
    return p + 1;
  }

  /** Slow path for a label value with escapes (or unterminated); sets this.cur.pos after the closing quote. */
  private unescapeLabelValue(s: string, p: number, eol: number, lname: string): string {
    let out = '';
    let from = p;
    for (;;) {
      const c = s.charCodeAt(p);
      if (c === QUOTE) break;
      if (c === NL) throw this.error(`value of label ${JSON.stringify(lname)} is not terminated by '"' before the end of the line`);
      if (c === BACKSLASH) {
        const e = s.charCodeAt(p + 1);
        const rep = e === BACKSLASH ? '\\' : e === QUOTE ? '"' : e === 0x6e /* n */ ? '\n' : undefined;
        if (rep === undefined) {
          throw this.error(`invalid escape sequence ${quoteSlice(s, p, Math.min(p + 2, eol))} in value of label ${JSON.stringify(lname)} (allowed: \\\\, \\", \\n)`);
        }
        out += s.slice(from, p) + rep;
        p += 2;
        from = p;
        continue;
      }
      p++;
    }
    this.cur.pos = p + 1;
    return out + s.slice(from, p);
  }

  /** The value token at `p`; sets this.cur.pos to its end. */
  private parseValue(s: string, p: number): number {
    const fast = scanFastFloat(s, p, this.cur);
    if (fast !== undefined) return fast;
    this.cur.pos = tokenEnd(s, p);
    const token = s.slice(p, this.cur.pos);
    const v = parseGoFloatToken(token);
    if (v === 'invalid') throw this.error(`expected a float value, got ${JSON.stringify(token)}${crHint(token)}`);
    if (v === 'range') throw this.error(`value ${JSON.stringify(token)} is out of the float64 range`);
    return v;
  }

  /** The timestamp token at `p` (integer milliseconds); sets this.cur.pos to its end. */
  private parseTimestamp(s: string, p: number): number {
    const fast = scanFastInteger(s, p, this.cur);
    if (fast !== undefined) return fast;
    this.cur.pos = tokenEnd(s, p);
    const token = s.slice(p, this.cur.pos);
    const t = parseTimestampToken(token);
    if (t === 'invalid') throw this.error(`expected an integer timestamp in milliseconds, got ${JSON.stringify(token)}${crHint(token)}`);
    if (t === 'range') throw this.error(`timestamp ${token} is beyond ±2^53 milliseconds`);
    return t;
  }

  /** expfmt: a summary's `quantile` and a histogram's `le` label must be floats. */
  private checkBoundLabel(type: 'summary' | 'histogram'): void {
    const key = type === 'summary' ? 'quantile' : 'le';
    for (let j = 0; j < this.labelCount * 2; j += 2) {
      const v = this.labels[j + 1] ?? '';
      if (this.labels[j] === key && typeof parseGoFloatToken(v) !== 'number') {
        throw this.error(`expected a float as value of label ${JSON.stringify(key)}, got ${JSON.stringify(v)}`);
      }
    }
  }

  /** The family a series name belongs to: `x` for `x_sum`/`x_count` (summary, histogram), `x_bucket` (histogram). */
  private resolveFamily(name: string): string {
    if (this.families.has(name)) return name;
    const cut = name.endsWith('_count') ? 6 : name.endsWith('_sum') ? 4 : name.endsWith('_bucket') ? 7 : 0;
    if (cut === 0) return name;
    const base = name.slice(0, name.length - cut);
    const type = this.families.get(base)?.type;
    if (type === 'histogram' || (type === 'summary' && cut !== 7)) return base;
    return name;
  }

  /** A comment line after '#': HELP and TYPE are metadata, anything else is ignored. */
  private parseComment(s: string, p: number, eol: number): void {
    let c = s.charCodeAt(p);
    while (c === SP || c === TAB) c = s.charCodeAt(++p);
    const kwStart = p;
    while (c !== SP && c !== TAB && c !== NL) c = s.charCodeAt(++p);
    if (c === NL) return;
    const keyword = s.slice(kwStart, p);
    if (keyword !== 'HELP' && keyword !== 'TYPE') return;
    while (c === SP || c === TAB) c = s.charCodeAt(++p);
    if (c === NL) return;
    const nameStart = p;
    if (is(c, NAME_START)) while (is(s.charCodeAt(++p), NAME_CHAR));
    c = s.charCodeAt(p);
    if (c === NL) return;
    if (p === nameStart || (c !== SP && c !== TAB)) throw this.error(`invalid metric name in ${keyword} line: ${quoteSlice(s, nameStart, eol)}`);
    let familyName = this.resolveFamily(s.slice(nameStart, p));
    let family = this.families.get(familyName);
    if (family === undefined) {
      family = { type: undefined, hasHelp: false };
      familyName = detachedCopy(familyName);
      this.families.set(familyName, family);
    }
    while (c === SP || c === TAB) c = s.charCodeAt(++p);
    if (c === NL) return;
    if (keyword === 'HELP') {
      if (family.hasHelp) throw this.error(`second HELP line for metric name ${JSON.stringify(familyName)}`);
      family.hasHelp = true;
      this.onHelp?.(familyName, this.unescapeHelp(s, p, eol));
      return;
    }
    if (family.type !== undefined) {
      throw this.error(`second TYPE line for metric name ${JSON.stringify(familyName)}, or TYPE reported after samples`);
    }
    const typeText = s.slice(p, eol);
    const type = TYPES[typeText.toUpperCase()];
    if (type === undefined) throw this.error(`unknown metric type ${JSON.stringify(typeText)}${crHint(typeText)}`);
    family.type = type;
    // The family map key may now resolve differently for _sum/_count names seen before: drop the cache.
    this.lastName = '';
    this.onType?.(familyName, type);
  }

  /** HELP text escapes: `\\`, `\n` (and `\"`, accepted by expfmt); anything else is an error. */
  private unescapeHelp(s: string, p: number, eol: number): string {
    if (this.backslashFrom(s, p) >= eol) return s.slice(p, eol);
    let out = '';
    let from = p;
    for (let i = s.indexOf('\\', p); i >= 0 && i < eol; i = s.indexOf('\\', i)) {
      const e = s.charCodeAt(i + 1);
      const rep = e === BACKSLASH ? '\\' : e === 0x6e ? '\n' : e === QUOTE ? '"' : undefined;
      if (rep === undefined) throw this.error(`invalid escape sequence ${quoteSlice(s, i, Math.min(i + 2, eol))} in HELP text (allowed: \\\\, \\n)`);
      out += s.slice(from, i) + rep;
      i += 2;
      from = i;
    }
    return out + s.slice(from, eol);
  }
}

/** Parses a whole exposition text into families in order of first appearance (empty families dropped, as expfmt does). */
export function parseExposition(text: string, options: { source?: string; maxLineLength?: number } = {}): Family[] {
  const byName = new Map<string, Family>();
  const get = (name: string): Family => {
    let f = byName.get(name);
    if (f === undefined) {
      f = { name, help: undefined, type: 'untyped', samples: [] };
      byName.set(name, f);
    }
    return f;
  };
  const parser = new ExpositionParser({
    ...options,
    maxTotalLength: Math.max(text.length, 1),
    onHelp: (family, help) => {
      get(family).help = help;
    },
    onType: (family, type) => {
      get(family).type = type;
    },
    onSample: (name, labels, value, timestampMs, family) => {
      get(family).samples.push({ name, labels: labels.slice(), value, timestampMs });
    },
  });
  parser.push(text);
  parser.end();
  return [...byName.values()].filter((f) => f.samples.length > 0);
}
