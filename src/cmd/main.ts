/**
 * The `kubemeter` command: dispatches to a subcommand. This directory is the only code that reads
 * argv or the environment and decides the exit code.
 */
import { commands } from './commands.ts';

/** The command overview printed by `kubemeter`, `kubemeter help` and on a usage error. */
export function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}   ${c.summary}`);
  return [
    'kubemeter: the Kubernetes resource-metrics pipeline (kubelet stats, metrics-server, kubectl top).',
    '',
    'Usage: kubemeter <command> [flags]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run "kubemeter <command> --help" for the flags of a command.',
    '',
  ].join('\n');
}

/** Run the command line `args` (without node and script); resolves to the exit code. */
export async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(usage());
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (command === undefined) {
    process.stderr.write(`kubemeter: unknown command ${JSON.stringify(name)}\n\n${usage()}`);
    return 2;
  }
  const mod = await command.load();
  return mod.run(rest);
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`kubemeter: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
