/**
 * Field selectors with apimachinery's grammar (`fields.ParseSelector`): comma-separated terms
 * `field=value`, `field==value`, `field!=value`; `\,`, `\=` and `\\` escapes in values; exact
 * upstream error texts. Also the generic apiserver's field-label check for metrics resources,
 * which only knows `metadata.name` and `metadata.namespace`.
 */
import { KubemeterError, ErrorCode } from './errors.ts';
import { compareGoStrings, goQuote } from './go-strings.ts';

/** One term of a field selector. */
export interface FieldRequirement {
  readonly field: string;
  readonly operator: '=' | '!=';
  readonly value: string;
}

/** A parsed field selector: the AND of its terms. */
export interface FieldSelector {
  readonly requirements: readonly FieldRequirement[];
  /** Does the selector hold for this field set? Absent fields read as "". */
  matches(fields: Readonly<Record<string, string>>): boolean;
  empty(): boolean;
  toString(): string;
}

/** Split on commas not preceded by a backslash escape; escapes stay in the terms. */
function splitTerms(s: string): string[] {
  if (s.length === 0) return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inSlash) inSlash = false;
    else if (c === '\\') inSlash = true;
    else if (c === ',') {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms;
}

const termOperators = ['!=', '==', '='] as const;

function splitTerm(term: string): [string, string, string] | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of termOperators) {
      if (term.startsWith(op, i)) return [term.slice(0, i), op, term.slice(i + op.length)];
    }
  }
  return undefined;
}

function unescapeValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = '';
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c === '\\' || c === ',' || c === '=') out += c;
      else throw new Error(`invalid field selector: invalid escape sequence: \\${c}`);
      inSlash = false;
      continue;
    }
    if (c === '\\') inSlash = true;
    // Go formats the offending rune with %v, which prints its code point number.
    else if (c === ',' || c === '=') throw new Error(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    else out += c;
  }
  if (inSlash) throw new Error('invalid field selector: invalid escape sequence: \\');
  return out;
}

function selectorOf(reqs: FieldRequirement[]): FieldSelector {
  return {
    requirements: reqs,
    matches: (fields) => reqs.every((r) => ((fields[r.field] ?? '') === r.value) === (r.operator === '=')),
    empty: () => reqs.length === 0,
    toString: () => reqs.map((r) => `${r.field}${r.operator}${r.value}`).join(','),
  };
}

/** The selector that matches everything. */
export const everythingFieldSelector: FieldSelector = selectorOf([]);

/** Options for parsing a field selector. */
export interface ParseFieldSelectorOptions {
  /**
   * Field labels the resource supports. When given, any other label is rejected with the generic
   * apiserver's message (`"x" is not a known field selector: only "metadata.name", "metadata.namespace"`).
   */
  knownFields?: readonly string[];
  /** Where the text came from, for the error. */
  source?: string;
}

/**
 * Parse a field selector. Throws KubemeterError(InvalidSelector) with apimachinery's exact message.
 */
export function parseFieldSelector(text: string, options: ParseFieldSelectorOptions = {}): FieldSelector {
  const source = options.source ?? 'fieldSelector';
  const parts = splitTerms(text).sort(compareGoStrings);
  const reqs: FieldRequirement[] = [];
  try {
    for (const part of parts) {
      if (part === '') continue;
      const split = splitTerm(part);
      if (split === undefined) throw new Error(`invalid selector: '${text}'; can't understand '${part}'`);
      const [field, op, rawValue] = split;
      const value = unescapeValue(rawValue);
      reqs.push({ field, operator: op === '!=' ? '!=' : '=', value });
    }
    if (options.knownFields !== undefined) {
      for (const r of reqs) {
        if (!options.knownFields.includes(r.field)) {
          throw new Error(`${goQuote(r.field)} is not a known field selector: only "metadata.name", "metadata.namespace"`);
        }
      }
    }
  } catch (e) {
    throw new KubemeterError(ErrorCode.InvalidSelector, (e as Error).message, { source });
  }
  // A term with an empty field and value transforms to "everything" upstream.
  return selectorOf(reqs.filter((r) => r.field !== '' || r.value !== ''));
}
