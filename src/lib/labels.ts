/**
 * Label selectors with the exact grammar, matching rules and parse-error messages of apimachinery's
 * `labels.Parse` (`=`, `==`, `!=`, `in`, `notin`, `key`, `!key`, `>`, `<`). The error texts are
 * part of the wire: kube-apiserver and metrics-server return them verbatim in 400 Status bodies,
 * so they are reproduced character for character (including the `<nil>:` field path).
 */
import { KubemeterError, ErrorCode } from './errors.ts';
import { compareGoStrings, goQuote } from './go-strings.ts';

/** A label map as found in object metadata. */
export type Labels = Readonly<Record<string, string>>;

/** A selector operator. */
export type LabelOperator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | 'gt' | 'lt';

/** One requirement of a selector; all of a selector's requirements must hold (AND). */
export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelOperator;
  /** Sorted, de-duplicated values (empty for `exists` and `!`). */
  readonly values: readonly string[];
}

/** A parsed label selector: the AND of its requirements, sorted by key (as apimachinery does). */
export interface LabelSelector {
  readonly requirements: readonly LabelRequirement[];
  /** Does the selector hold for these labels? */
  matches(labels: Labels | undefined): boolean;
  /** True when the selector does not restrict anything. */
  empty(): boolean;
  /** The canonical text form (apimachinery `String()`). */
  toString(): string;
}

const Tok = {
  Error: 0,
  End: 1,
  ClosePar: 2,
  Comma: 3,
  Not: 4,
  DoubleEquals: 5,
  Equals: 6,
  Gt: 7,
  Ident: 8,
  In: 9,
  Lt: 10,
  NotEquals: 11,
  NotIn: 12,
  OpenPar: 13,
} as const;
type Tok = (typeof Tok)[keyof typeof Tok];

const literalTokens: ReadonlyMap<string, Tok> = new Map<string, Tok>([
  [')', Tok.ClosePar],
  [',', Tok.Comma],
  ['!', Tok.Not],
  ['==', Tok.DoubleEquals],
  ['=', Tok.Equals],
  ['>', Tok.Gt],
  ['in', Tok.In],
  ['<', Tok.Lt],
  ['!=', Tok.NotEquals],
  ['notin', Tok.NotIn],
  ['(', Tok.OpenPar],
]);

const binaryOperators = 'in, notin, =, ==, !=, gt, lt';

const binaryTokens: ReadonlyMap<Tok, LabelOperator> = new Map<Tok, LabelOperator>([
  [Tok.In, 'in'],
  [Tok.NotIn, 'notin'],
  [Tok.Equals, '='],
  [Tok.DoubleEquals, '=='],
  [Tok.NotEquals, '!='],
  [Tok.Gt, 'gt'],
  [Tok.Lt, 'lt'],
]);

function isWhitespace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}

function isSpecial(c: string): boolean {
  return c === '=' || c === '!' || c === '(' || c === ')' || c === ',' || c === '>' || c === '<';
}

interface Item {
  tok: Tok;
  lit: string;
}

/** Tokenises like apimachinery's Lexer (byte-oriented; multi-byte characters stay inside identifiers). */
function lex(s: string): Item[] {
  const items: Item[] = [];
  let pos = 0;
  for (;;) {
    while (pos < s.length && isWhitespace(s[pos]!)) pos++;
    if (pos >= s.length) {
      items.push({ tok: Tok.End, lit: '' });
      return items;
    }
    if (isSpecial(s[pos]!)) {
      let buffer = '';
      let last: Item | undefined;
      while (pos < s.length && isSpecial(s[pos]!)) {
        buffer += s[pos];
        const t = literalTokens.get(buffer);
        if (t !== undefined) last = { tok: t, lit: buffer };
        else if (last !== undefined) break;
        pos++;
      }
      items.push(last ?? { tok: Tok.Error, lit: `error expected: keyword found '${buffer}'` });
      continue;
    }
    const start = pos;
    while (pos < s.length && !isSpecial(s[pos]!) && !isWhitespace(s[pos]!)) pos++;
    const word = s.slice(start, pos);
    items.push({ tok: literalTokens.get(word) ?? Tok.Ident, lit: word });
  }
}

const labelKeyRe = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const labelValueRe = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const dns1123SubdomainRe = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const labelKeyFmt = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const labelKeyMsg =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

function regexError(msg: string, re: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${re}')`;
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(' or ')}regex used for validation is '${re}')`;
}

/** Go's byte length of a string (limits are in bytes upstream). */
function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** apimachinery `IsQualifiedName` (label key) messages; empty when valid. */
export function labelKeyErrors(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0]!;
  } else if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else {
      if (byteLength(prefix) > 253) errs.push('prefix part must be no more than 253 bytes');
      if (!dns1123SubdomainRe.test(prefix)) {
        errs.push(
          'prefix part ' +
            regexError(
              "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
              '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*',
              'example.com',
            ),
        );
      }
    }
  } else {
    return [
      'a valid label key ' +
        regexError(labelKeyMsg, labelKeyFmt, 'MyName', 'my.name', '123-abc') +
        " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (byteLength(name) > 63) errs.push('name part must be no more than 63 bytes');
  if (!labelKeyRe.test(name)) errs.push('name part ' + regexError(labelKeyMsg, labelKeyFmt, 'MyName', 'my.name', '123-abc'));
  return errs;
}

/** apimachinery `IsValidLabelValue` messages; empty when valid. */
export function labelValueErrors(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > 63) errs.push('must be no more than 63 bytes');
  if (!labelValueRe.test(value)) {
    errs.push(
      regexError(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        `(${labelKeyFmt})?`,
        'MyValue',
        'my_value',
        '12345',
      ),
    );
  }
  return errs;
}

/** A parse failure: the message is exactly apimachinery's. */
function parseError(message: string, source: string): KubemeterError {
  return new KubemeterError(ErrorCode.InvalidSelector, message, { source });
}

function goInt64(s: string): boolean {
  if (!/^[+-]?[0-9]+$/.test(s)) return false;
  const n = BigInt(s);
  return n >= -(2n ** 63n) && n < 2n ** 63n;
}

/** Build a requirement with apimachinery's NewRequirement validation (path: `values[i][key]`). */
function newRequirement(key: string, operator: LabelOperator, values: string[]): LabelRequirement {
  const errs: string[] = [];
  const keyErrs = labelKeyErrors(key);
  if (keyErrs.length > 0) errs.push(`key: Invalid value: ${goQuote(key)}: ${keyErrs.join('; ')}`);
  if ((operator === 'gt' || operator === 'lt') && values.length === 1 && !goInt64(values[0]!)) {
    errs.push(`values[0]: Invalid value: ${goQuote(values[0]!)}: for 'Gt', 'Lt' operators, the value must be an integer`);
  }
  values.forEach((v, i) => {
    const valueErrs = labelValueErrors(v);
    if (valueErrs.length > 0) errs.push(`values[${i}][${key}]: Invalid value: ${goQuote(v)}: ${valueErrs.join('; ')}`);
  });
  const unique = [...new Set(errs)];
  if (unique.length === 1) throw new Error(unique[0]);
  if (unique.length > 1) throw new Error(`[${unique.join(', ')}]`);
  return { key, operator, values };
}

/** Sorted unique values (Go `sets.String.List()`), compared by UTF-16 code units like byte order for ASCII. */
function sortedSet(values: Iterable<string>): string[] {
  return [...new Set(values)].sort(compareGoStrings);
}

class Parser {
  private pos = 0;
  private readonly items: Item[];

  constructor(items: Item[]) {
    this.items = items;
  }

  private peek(values: boolean): Item {
    const it = this.items[this.pos]!;
    if (values && (it.tok === Tok.In || it.tok === Tok.NotIn)) return { tok: Tok.Ident, lit: it.lit };
    return it;
  }

  private next(values: boolean): Item {
    const it = this.peek(values);
    this.pos++;
    return it;
  }

  parse(): LabelRequirement[] {
    const reqs: LabelRequirement[] = [];
    for (;;) {
      const la = this.peek(true);
      if (la.tok === Tok.End) return reqs;
      if (la.tok !== Tok.Ident && la.tok !== Tok.Not) {
        throw new Error(`found '${la.lit}', expected: !, identifier, or 'end of string'`);
      }
      try {
        reqs.push(this.requirement());
      } catch (e) {
        throw new Error(`unable to parse requirement: ${(e as Error).message}`);
      }
      const t = this.next(true);
      if (t.tok === Tok.End) return reqs;
      if (t.tok !== Tok.Comma) throw new Error(`found '${t.lit}', expected: ',' or 'end of string'`);
      const t2 = this.peek(true);
      if (t2.tok !== Tok.Ident && t2.tok !== Tok.Not) throw new Error(`found '${t2.lit}', expected: identifier after ','`);
    }
  }

  private requirement(): LabelRequirement {
    let negated = false;
    let t = this.next(true);
    if (t.tok === Tok.Not) {
      negated = true;
      t = this.next(true);
    }
    if (t.tok !== Tok.Ident) throw new Error(`found '${t.lit}', expected: identifier`);
    const key = t.lit;
    const keyErrs = labelKeyErrors(key);
    if (keyErrs.length > 0) throw new Error(`<nil>: Invalid value: ${goQuote(key)}: ${keyErrs.join('; ')}`);
    // `!key` is complete by itself: whatever follows must be `,` or the end (checked by parse()).
    if (negated) return newRequirement(key, '!', []);
    const la = this.peek(true).tok;
    if (la === Tok.End || la === Tok.Comma) return newRequirement(key, 'exists', []);
    const op = this.next(false);
    const operator = binaryTokens.get(op.tok);
    if (operator === undefined) throw new Error(`found '${op.lit}', expected: ${binaryOperators}`);
    const values = operator === 'in' || operator === 'notin' ? this.setValues() : this.exactValue();
    return newRequirement(key, operator, values);
  }

  private setValues(): string[] {
    const open = this.next(true);
    if (open.tok !== Tok.OpenPar) throw new Error(`found '${open.lit}' expected: '('`);
    const la = this.peek(true);
    if (la.tok === Tok.ClosePar) {
      this.pos++;
      return [''];
    }
    if (la.tok !== Tok.Ident && la.tok !== Tok.Comma) throw new Error(`found '${la.lit}', expected: ',', ')' or identifier`);
    const set = new Set<string>();
    for (;;) {
      const t = this.next(true);
      if (t.tok === Tok.Ident) {
        set.add(t.lit);
        const t2 = this.peek(true);
        if (t2.tok === Tok.Comma) continue;
        if (t2.tok === Tok.ClosePar) break;
        throw new Error(`found '${t2.lit}', expected: ',' or ')'`);
      } else if (t.tok === Tok.Comma) {
        if (set.size === 0) set.add('');
        const t2 = this.peek(true);
        if (t2.tok === Tok.ClosePar) {
          set.add('');
          break;
        }
        if (t2.tok === Tok.Comma) {
          this.pos++;
          set.add('');
        }
      } else {
        throw new Error(`found '${t.lit}', expected: ',', or identifier`);
      }
    }
    // Upstream reports the token seen before the list on a missing ')', which cannot happen here
    // because the loop above only exits in front of ')'.
    this.pos++;
    return sortedSet(set);
  }

  private exactValue(): string[] {
    const la = this.peek(true);
    if (la.tok === Tok.End || la.tok === Tok.Comma) return [''];
    const t = this.next(true);
    if (t.tok === Tok.Ident) return [t.lit];
    throw new Error(`found '${t.lit}', expected: identifier`);
  }
}

function requirementMatches(r: LabelRequirement, labels: Labels | undefined): boolean {
  const has = labels !== undefined && Object.hasOwn(labels, r.key);
  switch (r.operator) {
    case 'in':
    case '=':
    case '==':
      return has && r.values.includes(labels[r.key]!);
    case 'notin':
    case '!=':
      return !has || !r.values.includes(labels[r.key]!);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      if (!has || !goInt64(labels[r.key]!) || r.values.length !== 1) return false;
      const v = BigInt(labels[r.key]!);
      const bound = BigInt(r.values[0]!);
      return r.operator === 'gt' ? v > bound : v < bound;
    }
  }
}

function requirementString(r: LabelRequirement): string {
  const vals = r.values.length === 1 ? r.values[0]! : [...r.values].sort(compareGoStrings).join(',');
  switch (r.operator) {
    case 'exists': return r.key;
    case '!': return `!${r.key}`;
    case 'in': return `${r.key} in (${vals})`;
    case 'notin': return `${r.key} notin (${vals})`;
    case 'gt': return `${r.key}>${vals}`;
    case 'lt': return `${r.key}<${vals}`;
    case '=':
    case '==':
    case '!=':
      return `${r.key}${r.operator}${vals}`;
  }
}

/** A selector from requirements (sorted stably by key, like `internalSelector.Add`). */
export function labelSelectorOf(requirements: readonly LabelRequirement[]): LabelSelector {
  const reqs = [...requirements].sort((a, b) => compareGoStrings(a.key, b.key));
  return {
    requirements: reqs,
    matches: (labels) => reqs.every((r) => requirementMatches(r, labels)),
    empty: () => reqs.length === 0,
    toString: () => reqs.map(requirementString).join(','),
  };
}

/** The selector that matches everything. */
export const everythingLabelSelector: LabelSelector = labelSelectorOf([]);

/**
 * Parse a label selector. Throws KubemeterError(InvalidSelector) whose message is exactly the
 * apimachinery parse error (what a Status body carries).
 */
export function parseLabelSelector(text: string, source = 'labelSelector'): LabelSelector {
  try {
    return labelSelectorOf(new Parser(lex(text)).parse());
  } catch (e) {
    throw parseError((e as Error).message, source);
  }
}

/** AND two selectors (metrics-server adds `--node-selector` requirements to a request's selector). */
export function andLabelSelectors(a: LabelSelector, b: LabelSelector): LabelSelector {
  if (b.empty()) return a;
  if (a.empty()) return b;
  return labelSelectorOf([...a.requirements, ...b.requirements]);
}

export { parseFieldSelector, everythingFieldSelector, type FieldSelector, type FieldRequirement } from './fields.ts';
