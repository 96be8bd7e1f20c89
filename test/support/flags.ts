/**
 * Checks that the arguments a manifest passes to `kubemeter server` or `kubemeter agent` are ones
 * the binary accepts, against the commands' real flag definitions.
 *
 * The contract with the commands, strongest first: `src/cmd/<command>.ts` exports
 * 1. `parse<Command>Flags(args)` (`parseServerFlags`, `parseAgentFlags`): the function the command
 *    itself runs, which throws on an unknown flag, a bad value or a bad combination; or
 * 2. `<command>Flags` (`serverFlags`, `agentFlags`): either the `FlagSpec[]` table of
 *    src/lib/flags.ts (parsed with its pflag-compatible `parseFlags`) or a node:util `parseArgs`
 *    options object (parsed strictly).
 * When a command exists but exports neither, the flag names listed by `kubemeter <command> --help`
 * are used (names only, no values); when it does not exist yet, the check is skipped.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, promisify, type ParseArgsOptionsConfig } from 'node:util';
import { parseFlags, type FlagSpec } from '../../src/lib/flags.ts';

const run = promisify(execFile);

/** The commands whose flags deploy/ uses, with the exports that define their flags. */
export const flagExports = {
  server: { parser: 'parseServerFlags', table: 'serverFlags' },
  agent: { parser: 'parseAgentFlags', table: 'agentFlags' },
} as const;

/** A subcommand of kubemeter whose arguments manifests pass. */
export type FlagCommand = keyof typeof flagExports;

/** Where a command's accepted flags came from. */
export type FlagSource =
  | { kind: 'parser'; name: string; parse: (args: readonly string[]) => unknown }
  | { kind: 'table'; flags: ParseArgsOptionsConfig }
  | { kind: 'help'; names: ReadonlySet<string> }
  | { kind: 'missing'; why: string };

/** Problems with `args` under a parseArgs flag table, parsed as the command parses them. */
export function argsProblemsWithTable(args: readonly string[], flags: ParseArgsOptionsConfig): string[] {
  const out: string[] = [];
  // One argument at a time, so that every bad one is reported, not only the first.
  for (const arg of args) {
    try {
      parseArgs({ args: [arg], options: flags, strict: true, allowPositionals: false });
    } catch (e) {
      out.push(`${arg}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return out;
}

/** The flag name of one argument: `--a=b` → `--a`, `-l` → `-l`. */
export function flagName(arg: string): string {
  const eq = arg.indexOf('=');
  return eq === -1 ? arg : arg.slice(0, eq);
}

/** Flag names (`--x`, `-x`) mentioned in a command's help text. */
export function flagNamesInHelp(help: string): Set<string> {
  return new Set(help.match(/(?<![\w-])--?[a-zA-Z][\w-]*/g) ?? []);
}

/** Problems with `args` given only the flag names from --help. */
export function argsProblemsWithNames(args: readonly string[], names: ReadonlySet<string>): string[] {
  return args.filter((a) => !names.has(flagName(a))).map((a) => `${a}: not a flag listed by --help`);
}

/** Problems with `args` for a command, however its flags are known. */
export function argsProblems(args: readonly string[], source: FlagSource): string[] {
  switch (source.kind) {
    case 'parser':
      try {
        if (source.parse(args) === 'help') return ['parsed as a request for help'];
        return [];
      } catch (e) {
        return [`${source.name}(${JSON.stringify(args)}): ${e instanceof Error ? e.message : String(e)}`];
      }
    case 'table':
      return argsProblemsWithTable(args, source.flags);
    case 'help':
      return argsProblemsWithNames(args, source.names);
    case 'missing':
      return [];
  }
}

function isFlagTable(v: unknown): v is ParseArgsOptionsConfig {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  return Object.values(v).every((o) => typeof o === 'object' && o !== null && ((o as { type?: unknown }).type === 'string' || (o as { type?: unknown }).type === 'boolean'));
}

function isFlagSpecs(v: unknown): v is FlagSpec[] {
  return Array.isArray(v) && v.every((f) => typeof f === 'object' && f !== null && typeof (f as { name?: unknown }).name === 'string' && typeof (f as { kind?: unknown }).kind === 'string');
}

/** A parser over a FlagSpec table: pflag's rules, and no positional arguments. */
function specParser(specs: readonly FlagSpec[]): (args: readonly string[]) => unknown {
  return (args) => {
    const { positionals } = parseFlags(args, specs);
    if (positionals.length > 0) throw new Error(`unexpected argument ${JSON.stringify(positionals[0])}`);
    return undefined;
  };
}

/** The accepted flags of `kubemeter <command>` in the repository at `repoRoot`. */
export async function loadFlagSource(repoRoot: string, command: FlagCommand): Promise<FlagSource> {
  const file = join(repoRoot, 'src', 'cmd', `${command}.ts`);
  if (!existsSync(file)) return { kind: 'missing', why: `src/cmd/${command}.ts does not exist yet` };
  const mod = (await import(file)) as Record<string, unknown>;
  const names = flagExports[command];
  const parser = mod[names.parser];
  if (typeof parser === 'function') {
    return { kind: 'parser', name: names.parser, parse: (args) => (parser as (a: readonly string[]) => unknown)(args) };
  }
  const table = mod[names.table];
  if (table !== undefined) {
    if (isFlagSpecs(table)) return { kind: 'parser', name: `parseFlags(${names.table})`, parse: specParser(table) };
    if (isFlagTable(table)) return { kind: 'table', flags: table };
    throw new Error(`src/cmd/${command}.ts: ${names.table} is neither a FlagSpec[] nor a parseArgs options object`);
  }
  let help: string;
  try {
    const r = await run(process.execPath, [join(repoRoot, 'src', 'cmd', 'main.ts'), command, '--help'], { timeout: 60_000 });
    help = r.stdout + r.stderr;
  } catch (e) {
    // Some commands print help and exit non-zero; their output still lists the flags.
    const err = e as { stdout?: string; stderr?: string };
    help = (err.stdout ?? '') + (err.stderr ?? '');
  }
  const found = flagNamesInHelp(help);
  if (found.size === 0) return { kind: 'missing', why: `kubemeter ${command} --help lists no flags` };
  return { kind: 'help', names: found };
}
