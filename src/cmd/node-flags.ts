/**
 * Node and V8 options a kubemeter command wants from its process's first instruction, and the
 * re-execution (same pid, same environment and descriptors) that gives them to it however it was
 * started: `kubemeter agent`, `node dist/cmd/main.js server`, a manifest's command. Some V8
 * settings are read only when V8 starts (the young generation's largest size) or only pay when
 * nothing has been compiled yet (the optimizing compilers off), so v8.setFlagsFromString at run
 * time cannot give them; NODE_OPTIONS or a wrapper script would have to be in every command line.
 */

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
  /** process.env: which of the wanted environment variables are set already (none when absent). */
  env?: Readonly<Record<string, string | undefined>>;
}

/** This process's image. */
export function currentProcessImage(): ProcessImage {
  return { execPath: process.execPath, execArgv: process.execArgv, argv: process.argv, nodeOptions: process.env.NODE_OPTIONS, env: process.env };
}

/**
 * The switch a flag sets, without its value and with V8's `_` spelled `-`:
 * `--max_semi_space_size=16` → `--max-semi-space-size`.
 */
function flagName(flag: string): string {
  const eq = flag.indexOf('=');
  return (eq < 0 ? flag : flag.slice(0, eq)).replaceAll('_', '-');
}

/** `--no-x` → `--x` and back: the same V8 switch the other way. */
function opposite(name: string): string {
  return name.startsWith('--no-') ? `--${name.slice(5)}` : `--no-${name.slice(2)}`;
}

/**
 * The flags of `wanted` that neither the command line nor NODE_OPTIONS decides: a switch given
 * either way (`--no-maglev` or `--maglev`), or with any value (`--max-semi-space-size=64`), is the
 * operator's choice and is left alone. (Node refuses some V8 flags in NODE_OPTIONS; it is read for
 * the options it does allow.)
 */
export function missingNodeFlags(image: ProcessImage, wanted: readonly string[]): string[] {
  const given = new Set([...image.execArgv, ...(image.nodeOptions ?? '').split(/\s+/)].map(flagName));
  return wanted.filter((f) => {
    const name = flagName(f);
    return !given.has(name) && !given.has(opposite(name));
  });
}

/**
 * The variables of `wanted` the environment does not set: one set to anything, even empty, is the
 * operator's choice and is left alone.
 */
export function missingEnv(image: ProcessImage, wanted: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(wanted)) if (image.env?.[name] === undefined) out[name] = value;
  return out;
}

/**
 * The argument vector that runs the same `kubemeter <command>` again with the missing flags (and
 * the environment with the missing variables of `wantedEnv`, which reexecWithNodeFlags adds), or
 * undefined when nothing is missing or this is not that command's command line: `run(args)`
 * called in some other process (a test, a program embedding the command) must never replace that
 * process. The flags go before the command line's own Node options, so that an explicit option
 * there still wins.
 */
export function reexecArgs(image: ProcessImage, command: string, args: readonly string[], wanted: readonly string[], wantedEnv: Readonly<Record<string, string>> = {}): string[] | undefined {
  const [, script, given, ...rest] = image.argv;
  if (script === undefined || script === '' || script.startsWith('-') || given !== command) return undefined;
  if (rest.length !== args.length || rest.some((a, i) => a !== args[i])) return undefined;
  const missing = missingNodeFlags(image, wanted);
  if (missing.length === 0 && Object.keys(missingEnv(image, wantedEnv)).length === 0) return undefined;
  return [image.execPath, ...missing, ...image.execArgv, script, given, ...rest];
}

/**
 * Replace this process with the same `kubemeter <command>` command line under `wanted` and with
 * the variables of `wantedEnv` in its environment (those the environment does not set; read by
 * the C library or Node as the process starts, e.g. glibc's malloc tunables), when it is one and
 * lacks any of them; returns only when it does not re-execute (then the command runs on without
 * them). Call it before the command opens anything.
 */
export function reexecWithNodeFlags(command: string, args: readonly string[], wanted: readonly string[], wantedEnv: Readonly<Record<string, string>> = {}): void {
  const image = currentProcessImage();
  const argv = reexecArgs(image, command, args, wanted, wantedEnv);
  if (argv === undefined || typeof process.execve !== 'function') return;
  try {
    process.execve(image.execPath, argv, { ...process.env, ...missingEnv(image, wantedEnv) });
  } catch {
    // execve failed (no permission to execute, resource limits): the process is unchanged and
    // runs on without the flags.
  }
}
