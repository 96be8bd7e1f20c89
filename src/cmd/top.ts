/**
 * `kubemeter top` (and `kubectl kubemeter top` through the plugin shim): wires process streams,
 * environment and Ctrl-C into the CLI. Ctrl-C ends `--watch` cleanly with exit code 0; in one-shot
 * mode it aborts the requests in flight.
 */
import { runTop } from '../cli/top-command.ts';

/** Entry point of the subcommand. */
export async function run(args: string[]): Promise<number> {
  const ctl = new AbortController();
  const onSigint = (): void => {
    // A second Ctrl-C exits at once, in case something does not honour the signal.
    if (ctl.signal.aborted) process.exit(130);
    ctl.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    return await runTop(args, {
      stdout: process.stdout,
      stderr: process.stderr,
      env: process.env,
      program: process.env['KUBEMETER_PROGRAM'] ?? 'kubemeter',
      signal: ctl.signal,
    });
  } finally {
    process.off('SIGINT', onSigint);
  }
}
