/**
 * Command-line flags with the rules and error texts of spf13/pflag, which kubectl uses: flags and
 * positional arguments may be interleaved, `--name=value` or `--name value`, `-n value`, `-nvalue`,
 * `-n=value`, grouped boolean shorthands (`-Ah`), booleans take a value only with `=`, `--` ends
 * the flags. Error messages are pflag's, so scripts that match on them keep working.
 *
 * Hand-written rather than node:util parseArgs because parseArgs has different grouping rules,
 * no `-n=value`, and its own error texts.
 */

/** The type of a flag's value. */
export type FlagKind = 'bool' | 'string' | 'duration' | 'int';

/** One flag definition. */
export interface FlagSpec {
  /** Long name without dashes, e.g. `sort-by`. */
  name: string;
  /** One-letter shorthand, e.g. `l`. */
  short?: string;
  kind: FlagKind;
  /** Help text. */
  help: string;
  /** Default shown in help (the parser itself leaves absent flags unset). */
  defaultText?: string;
  /** Not listed in help. */
  hidden?: boolean;
}

/** A parsed command line. */
export interface ParsedFlags {
  /** Values by long name: `true`/`false` for booleans, the raw text otherwise. Last one wins. */
  values: Map<string, string>;
  /** Arguments that are not flags, in order. */
  positionals: string[];
}

/** A command-line error in pflag's words (kubectl prints it as `Error: <message>`). */
export class FlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlagError';
  }
}

/** Go's strconv.ParseBool. */
export function parseGoBool(text: string): boolean | undefined {
  switch (text) {
    case '1':
    case 't':
    case 'T':
    case 'true':
    case 'TRUE':
    case 'True':
      return true;
    case '0':
    case 'f':
    case 'F':
    case 'false':
    case 'FALSE':
    case 'False':
      return false;
    default:
      return undefined;
  }
}

function setValue(spec: FlagSpec, text: string, values: Map<string, string>): void {
  // pflag names the flag with its shorthand whichever spelling was used.
  const shownName = spec.short !== undefined ? `-${spec.short}, --${spec.name}` : `--${spec.name}`;
  if (spec.kind === 'bool') {
    const b = parseGoBool(text);
    if (b === undefined) {
      throw new FlagError(`invalid argument ${JSON.stringify(text)} for ${JSON.stringify(shownName)} flag: strconv.ParseBool: parsing ${JSON.stringify(text)}: invalid syntax`);
    }
    values.set(spec.name, String(b));
    return;
  }
  if (spec.kind === 'int' && !/^[+-]?\d+$/.test(text)) {
    throw new FlagError(`invalid argument ${JSON.stringify(text)} for ${JSON.stringify(shownName)} flag: strconv.ParseInt: parsing ${JSON.stringify(text)}: invalid syntax`);
  }
  values.set(spec.name, text);
}

/** Parses `args` against `specs` with pflag's rules. Throws FlagError. */
export function parseFlags(args: readonly string[], specs: readonly FlagSpec[]): ParsedFlags {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short !== undefined).map((s) => [s.short!, s]));
  const values = new Map<string, string>();
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const body = arg.slice(2);
      const eq = body.indexOf('=');
      const name = eq < 0 ? body : body.slice(0, eq);
      if (name.length === 0 || name.startsWith('-') || name.startsWith('=')) throw new FlagError(`bad flag syntax: ${arg}`);
      const spec = byName.get(name);
      if (spec === undefined) throw new FlagError(`unknown flag: --${name}`);
      if (eq >= 0) setValue(spec, body.slice(eq + 1), values);
      else if (spec.kind === 'bool') values.set(spec.name, 'true');
      else if (i + 1 < args.length) setValue(spec, args[++i]!, values);
      else throw new FlagError(`flag needs an argument: --${name}`);
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      let rest = arg.slice(1);
      while (rest.length > 0) {
        const c = rest[0]!;
        if (c === '-') throw new FlagError(`bad flag syntax: ${arg}`);
        const spec = byShort.get(c);
        if (spec === undefined) throw new FlagError(`unknown shorthand flag: '${c}' in -${rest}`);
        rest = rest.slice(1);
        if (rest.length >= 2 && rest.startsWith('=')) {
          setValue(spec, rest.slice(1), values);
          rest = '';
        } else if (spec.kind === 'bool') {
          values.set(spec.name, 'true');
        } else if (rest.length > 0) {
          setValue(spec, rest, values);
          rest = '';
        } else if (i + 1 < args.length) {
          setValue(spec, args[++i]!, values);
        } else {
          throw new FlagError(`flag needs an argument: '${c}' in -${c}`);
        }
      }
      continue;
    }
    positionals.push(arg);
  }
  return { values, positionals };
}

/** Help lines for flags, kubectl style (`-l, --selector='': text`). */
export function flagHelp(specs: readonly FlagSpec[]): string {
  const lines: string[] = [];
  for (const s of specs) {
    if (s.hidden === true) continue;
    const names = s.short !== undefined ? `-${s.short}, --${s.name}` : `--${s.name}`;
    const def = s.defaultText ?? (s.kind === 'bool' ? 'false' : "''");
    lines.push(`    ${names}=${def}:`, `\t${s.help}`, '');
  }
  return lines.join('\n');
}
