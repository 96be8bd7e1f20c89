/**
 * Checks that the arguments a manifest passes to `kubemeter server` or `kubemeter agent` are ones
 * the binary accepts, against the commands' real flag definitions.
 *
 * The contract with the commands: `src/cmd/server.ts` exports `serverFlags` and
 * `src/cmd/agent.ts` exports `agentFlags`, each the `options` object the command passes to
 * node:util `parseArgs` (a `ParseArgsOptionsConfig`). Arguments are then parsed exactly as the
 * command parses them, in strict mode. When a command exists but exports no table, the flag names
 * listed by `kubemeter <command> --help` are used instead (names only, no value types).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, promisify, type ParseArgsOptionsConfig } from 'node:util';

const run = promisify(execFile);

/** The commands whose flags deploy/ uses, with the export that holds each one's flag table. */
export const flagExports = { server: 'serverFlags', agent: 'agentFlags' } as const;

/** A subcommand of kubemeter whose arguments manifests pass. */
export type FlagCommand = keyof typeof flagExports;

/** Where a command's accepted flags came from. */
export type FlagSource =
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
    case 'table':
      return argsProblemsWithTable(args, source.flags);
    case 'help':
      return argsProblemsWithNames(args, source.names);
    case 'missing':
      return [];
  }
}

function isFlagTable(v: unknown): v is ParseArgsOptionsConfig {
  if (typeof v !== 'object' || v === null) return false;
  return Object.values(v).every((o) => typeof o === 'object' && o !== null && ((o as { type?: unknown }).type === 'string' || (o as { type?: unknown }).type === 'boolean'));
}

/** The accepted flags of `kubemeter <command>` in the repository at `repoRoot`. */
export async function loadFlagSource(repoRoot: string, command: FlagCommand): Promise<FlagSource> {
  const file = join(repoRoot, 'src', 'cmd', `${command}.ts`);
  if (!existsSync(file)) return { kind: 'missing', why: `src/cmd/${command}.ts does not exist yet` };
  const mod = (await import(file)) as Record<string, unknown>;
  const table = mod[flagExports[command]];
  if (table !== undefined) {
    if (!isFlagTable(table)) throw new Error(`src/cmd/${command}.ts: ${flagExports[command]} is not a parseArgs options object`);
    return { kind: 'table', flags: table };
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
  const names = flagNamesInHelp(help);
  if (names.size === 0) return { kind: 'missing', why: `kubemeter ${command} --help lists no flags` };
  return { kind: 'help', names };
}
