/**
 * `kubemeter top node|pod`: kubectl 1.32's `top` byte for byte by default (same table, messages,
 * streams and exit codes), with opt-in extras (`-o wide|json|yaml`, `--utilization`, `--watch`,
 * `--node`, more sort keys, `--reverse`, colour on a terminal).
 */
import type { MetricsClient } from '../client/metrics-client.ts';
import { FlagError, flagHelp } from '../lib/flags.ts';
import { kubectlErrorMessage } from './kubectl-errors.ts';
import { connect } from './top-connect.ts';
import type { FetchContext } from './top-fetch.ts';
import { nodeFlags, parseTopArgs, podFlags, UsageError, validateTop, type TopOptions } from './top-options.ts';
import { describe, renderOnce, type TopIO } from './top-output.ts';
import { watchTop } from './top-watch.ts';

export type { TopIO } from './top-output.ts';

const kinds: Record<string, 'node' | 'pod'> = { node: 'node', nodes: 'node', no: 'node', pod: 'pod', pods: 'pod', po: 'pod' };

function topHelp(program: string): string {
  return [
    'Display resource (CPU/memory) usage.',
    '',
    ' The top command allows you to see the resource consumption for nodes or pods.',
    '',
    ' This command requires Metrics Server to be correctly configured and working on the server.',
    '',
    'Available Commands:',
    '  node          Display resource (CPU/memory) usage of nodes',
    '  pod           Display resource (CPU/memory) usage of pods',
    '',
    'Usage:',
    `  ${program} top [flags] [options]`,
    '',
    `Use "${program} top <command> --help" for more information about a given command.`,
    '',
  ].join('\n');
}

function kindHelp(program: string, kind: 'node' | 'pod'): string {
  const what = kind === 'node' ? 'nodes' : 'pods';
  return [
    `Display resource (CPU/memory) usage of ${what}.`,
    '',
    'Examples:',
    `  ${program} top ${kind}${kind === 'pod' ? ' -A --sort-by=cpu' : ''}`,
    `  ${program} top ${kind} -o wide            # requests, limits and utilisation`,
    `  ${program} top ${kind} --watch            # live view with deltas (Ctrl-C to quit)`,
    '',
    'Options:',
    flagHelp(kind === 'node' ? nodeFlags : podFlags),
    'Usage:',
    `  ${program} top ${kind} [NAME | -l label] [options]`,
    '',
  ].join('\n');
}

/** Runs `top` with the arguments after `top`; resolves to the exit code. */
export async function runTop(args: readonly string[], io: TopIO): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined) {
    io.stderr.write(topHelp(io.program));
    return 1;
  }
  if (sub === '-h' || sub === '--help' || sub === 'help') {
    io.stdout.write(topHelp(io.program));
    return 0;
  }
  const kind = kinds[sub];
  if (kind === undefined) {
    io.stderr.write(`error: unknown command ${JSON.stringify(sub)} for "${io.program} top"\n`);
    return 1;
  }
  let o: TopOptions;
  try {
    o = parseTopArgs(kind, rest);
  } catch (e) {
    if (e instanceof FlagError) {
      io.stderr.write(`Error: ${e.message}\nSee '${io.program} top ${kind} --help' for usage.\n`);
      return 1;
    }
    if (e instanceof UsageError) {
      io.stderr.write(`error: ${e.message}\nSee '${io.program} top ${kind} -h' for help and examples\n`);
      return 1;
    }
    throw e;
  }
  if (o.help) {
    io.stdout.write(kindHelp(io.program, kind));
    return 0;
  }
  let client: MetricsClient;
  try {
    client = await (io.connect ?? ((g) => connect(g, { env: io.env, userAgent: 'kubemeter-top' })))(o.global);
  } catch (e) {
    io.stderr.write(`${kubectlErrorMessage(e)}\n`);
    return 1;
  }
  try {
    const invalid = validateTop(o);
    if (invalid !== undefined) {
      io.stderr.write(`error: ${invalid}\n`);
      return 1;
    }
    const nowMs = io.nowMs ?? Date.now;
    const ctx: FetchContext = { client, namespace: client.namespace, nowMs, ...(io.signal !== undefined ? { signal: io.signal } : {}) };
    const color = io.stdout.isTTY === true && (io.env['NO_COLOR'] ?? '') === '' && io.env['TERM'] !== 'dumb';
    if (o.watch) return await watchTop(ctx, o, io, color);
    const out = await renderOnce(ctx, o, color);
    io.stdout.write(out.stdout);
    if (out.stderr !== '') io.stderr.write(out.stderr);
    return 0;
  } catch (e) {
    io.stderr.write(`${describe(e)}\n`);
    return 1;
  } finally {
    client.close();
  }
}

