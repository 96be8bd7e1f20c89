/**
 * The Node and V8 options `kubemeter agent` runs under by default (`--low-memory`; not with
 * `--low-memory=false`), and the re-execution that gives them to it from the first instruction whichever way it was started (`kubemeter agent`,
 * `node dist/cmd/main.js agent`, the DaemonSet's command): NODE_OPTIONS or a wrapper are not needed.
 *
 * Why from the first instruction and not with v8.setFlagsFromString once the command runs: V8
 * compiles while Node starts and the agent's modules load, and turning its compilers off later
 * leaves the pages of their machine code that were already touched in the process. Measured with
 * the compiled agent on the 110-pod fixture (read-only port, passes every 100 ms with scrapes in
 * between, RSS after 60 passes; /proc/PID/pagemap of the node binary mapped to its symbols):
 * - flags set at run time (--no-opt, Maglev on): 65.2 MiB, 48.5 MiB of it the node binary's
 *   pages, among them 2.4 MiB of TurboFan (v8::internal::compiler), 1.8 MiB of Turboshaft and
 *   1.4 MiB of Maglev code. Adding --no-maglev at run time saves 2.5 MiB of heap but none of
 *   these pages; setting both before the agent's modules load leaves Maglev's (58.6 MiB).
 * - `--no-opt --no-maglev` on the command line: 55.1 MiB, 41.0 MiB file-backed: no optimizing
 *   compiler code is ever touched, the same as --jitless (55.5 MiB), which would also give up
 *   Sparkplug and the regular-expression JIT (and WebAssembly, which Node's TypeScript stripping
 *   uses) for no further saving.
 * The price: re-executing costs one more start of Node and of the agent's module graph, once; a
 * pass runs on Ignition and Sparkplug only, which is why the pass's parsers leave the scanning of
 * bytes to native code (see docs/agent.md, "Memory and CPU").
 */

/** V8 options the agent wants from its first instruction, in the order they are given. */
export const agentNodeFlags: readonly string[] = ['--no-opt', '--no-maglev'];

/** What decides whether and how to re-execute; the fields of `process` by default. */
export interface ProcessImage {
  /** process.execPath. */
  execPath: string;
  /** process.execArgv: the Node options of the command line. */
  execArgv: readonly string[];
  /** process.argv: execPath, the script, then the command's arguments. */
  argv: readonly string[];
  /** process.env.NODE_OPTIONS. */
  nodeOptions: string | undefined;
}

/** `--no-x` → `--x` and back: the same V8 switch the other way. */
function opposite(flag: string): string {
  return flag.startsWith('--no-') ? `--${flag.slice(5)}` : `--no-${flag.slice(2)}`;
}

/** This process's image. */
export function currentProcessImage(): ProcessImage {
  return { execPath: process.execPath, execArgv: process.execArgv, argv: process.argv, nodeOptions: process.env.NODE_OPTIONS };
}

/**
 * The flags of `wanted` that neither the command line nor NODE_OPTIONS decides: a flag given
 * either way (`--no-maglev` or `--maglev`) is the operator's choice and is left alone, so that
 * `node --maglev dist/cmd/main.js agent` keeps Maglev. (Node refuses V8's compiler flags in
 * NODE_OPTIONS; it is read for the options it does allow.)
 */
export function missingNodeFlags(image: ProcessImage, wanted: readonly string[] = agentNodeFlags): string[] {
  const given = new Set([...image.execArgv, ...(image.nodeOptions ?? '').split(/\s+/)]);
  return wanted.filter((f) => !given.has(f) && !given.has(opposite(f)));
}

/**
 * The argument vector that runs the same command again with the missing flags, or undefined when
 * nothing is missing or this is not a `kubemeter agent` command line: `run(args)` called in some
 * other process (a test, a program embedding the command) must never replace that process. The
 * flags go before the command line's own Node options, so that an explicit option there (say
 * `--maglev`) still wins.
 */
export function agentReexecArgs(image: ProcessImage, args: readonly string[], wanted: readonly string[] = agentNodeFlags): string[] | undefined {
  const [, script, command, ...rest] = image.argv;
  if (script === undefined || script === '' || script.startsWith('-') || command !== 'agent') return undefined;
  if (rest.length !== args.length || rest.some((a, i) => a !== args[i])) return undefined;
  const missing = missingNodeFlags(image, wanted);
  if (missing.length === 0) return undefined;
  return [image.execPath, ...missing, ...image.execArgv, script, command, ...rest];
}

/**
 * Replace this process (same pid, same environment and descriptors) with the same `kubemeter
 * agent` command line under agentNodeFlags, when it is one and lacks them; returns only when it
 * does not re-execute (then the agent runs on with the flags it can set at run time). Call it
 * before the agent opens anything.
 */
export function reexecWithAgentNodeFlags(args: readonly string[]): void {
  const image = currentProcessImage();
  const argv = agentReexecArgs(image, args);
  if (argv === undefined || typeof process.execve !== 'function') return;
  try {
    process.execve(image.execPath, argv, process.env);
  } catch {
    // execve failed (no permission to execute, resource limits): the process is unchanged and
    // runs on with the run-time flags, a few MiB larger.
  }
}
