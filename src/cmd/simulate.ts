/**
 * `kubemeter simulate`: serve N simulated kubelets on loopback (one 127.x.y.z address each, on the
 * kubelet port) for `kubemeter server --nodes-file`, `kubemeter top` demos and benchmarks. Stops by
 * itself after --duration, or on SIGTERM/SIGINT.
 */
import { writeFileSync } from 'node:fs';
import { FlagError, flagHelp, parseFlags, type FlagSpec } from '../lib/flags.ts';
import { parseGoDuration } from '../lib/go-format.ts';
import { ErrorCode, KubemeterError, errorMessage } from '../lib/errors.ts';
import { createLogger } from '../lib/log.ts';
import { parseFaultSpec, type FaultRequest } from '../sim/faults.ts';
import { acceleratedClock } from '../sim/clock.ts';
import { startSimulator, type SimulatorOptions } from '../sim/simulator.ts';

/** Every flag of `kubemeter simulate`. */
export const simulateFlags: FlagSpec[] = [
  { name: 'nodes', kind: 'int', help: 'Number of simulated nodes (required).' },
  { name: 'pods-per-node', kind: 'int', defaultText: '30', help: 'Pods on every node.' },
  { name: 'containers-per-pod', kind: 'int', defaultText: '2', help: 'Containers in every pod.' },
  { name: 'duration', kind: 'duration', defaultText: '1h', help: 'Stop after this long (the simulator never runs unbounded).' },
  { name: 'faults', kind: 'string', help: 'Faulty nodes: comma-separated KIND=COUNT or KIND=PERCENT%; KIND is all (even split) or latency, hang, http-500, http-403, truncate, garbage, huge, counter-reset, skew, duplicate, nan.' },
  { name: 'fault-latency', kind: 'duration', defaultText: '15s', help: 'How late a latency node answers (make it longer than the scraper\'s timeout).' },
  { name: 'tls', kind: 'bool', help: 'Serve HTTPS with certificates from a generated CA (kubemeter server only scrapes over HTTPS).' },
  { name: 'nodes-file-out', kind: 'string', help: 'Write the nodes file for kubemeter server --nodes-file here.' },
  { name: 'ca-file-out', kind: 'string', help: 'With --tls: write the CA certificate here (for --kubelet-certificate-authority).' },
  { name: 'churn', kind: 'string', defaultText: '0', help: 'Share of each node\'s pods replaced per minute (pods coming and going), e.g. 0.05.' },
  { name: 'restarts', kind: 'string', defaultText: '0.02', help: 'Share of containers that restart every 5 to 60 minutes.' },
  { name: 'seed', kind: 'int', defaultText: '1', help: 'Seed of every simulated value; the same seed serves the same cluster.' },
  { name: 'address-base', kind: 'string', defaultText: '127.1.0.1', help: 'First node address; nodes take consecutive addresses in 127.0.0.0/8.' },
  { name: 'port', kind: 'int', defaultText: '10250', help: 'Port of every node (0: a free port per node, written to the nodes file; scrape with --kubelet-use-node-status-port).' },
  { name: 'shard', kind: 'string', defaultText: '0/1', help: 'Serve only shard I of N (I/N) of the nodes, to spread a large cluster over processes.' },
  { name: 'speed', kind: 'string', defaultText: '1', help: 'Simulated time runs this many times faster than real time.' },
  { name: 'time-origin', kind: 'int', help: 'With --speed: Unix ms at which simulated and real time coincide (default: start).' },
  { name: 'v', kind: 'int', defaultText: '0', help: 'Log verbosity: 0 info, 2 and above adds debug messages.' },
  { name: 'help', short: 'h', kind: 'bool', help: 'help for simulate' },
];

/** The validated command line. */
export interface SimulateArgs {
  options: SimulatorOptions;
  nodesFileOut: string;
  caFileOut: string;
  verbosity: number;
}

function invalid(flag: string, message: string): never {
  throw new KubemeterError(ErrorCode.InvalidFlag, `invalid argument for "--${flag}" flag: ${message}`, { source: `--${flag}` });
}

function num(values: Map<string, string>, name: string, fallback: number, min: number, max: number): number {
  const text = values.get(name);
  if (text === undefined) return fallback;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < min || n > max) invalid(name, `${JSON.stringify(text)} is not a number from ${min} to ${max}`);
  return n;
}

function durationMs(values: Map<string, string>, name: string, fallback: string): number {
  const text = values.get(name) ?? fallback;
  let ms: number;
  try {
    ms = Number(parseGoDuration(text) / 1_000_000n);
  } catch (e) {
    return invalid(name, errorMessage(e));
  }
  if (!(ms > 0)) invalid(name, `${JSON.stringify(text)} must be positive`);
  return ms;
}

/** Parse and validate the flags. */
export function parseSimulateArgs(args: readonly string[]): SimulateArgs | 'help' {
  const { values, positionals } = parseFlags(args, simulateFlags);
  if (values.get('help') === 'true') return 'help';
  if (positionals.length > 0) throw new FlagError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  if (!values.has('nodes')) throw new FlagError('required flag(s) "nodes" not set');
  const shardText = values.get('shard') ?? '0/1';
  const shard = /^(\d+)\/(\d+)$/.exec(shardText);
  if (shard === null || Number(shard[1]) >= Number(shard[2])) invalid('shard', `${JSON.stringify(shardText)} is not I/N with I < N`);
  const speed = num(values, 'speed', 1, 0.001, 10_000);
  const faults: FaultRequest[] = parseFaultSpec(values.get('faults') ?? '');
  const tls = values.get('tls') === 'true';
  const caFileOut = values.get('ca-file-out') ?? '';
  if (caFileOut !== '' && !tls) invalid('ca-file-out', 'needs --tls');
  const origin = values.has('time-origin') ? num(values, 'time-origin', 0, 0, 1e14) : Date.now();
  return {
    options: {
      nodes: num(values, 'nodes', 0, 1, 1_000_000),
      podsPerNode: num(values, 'pods-per-node', 30, 0, 1000),
      containersPerPod: num(values, 'containers-per-pod', 2, 1, 100),
      durationMs: durationMs(values, 'duration', '1h'),
      faults,
      faultTimings: { latencyMs: durationMs(values, 'fault-latency', '15s') },
      tls,
      churnPerMinute: num(values, 'churn', 0, 0, 60),
      restartShare: num(values, 'restarts', 0.02, 0, 1),
      seed: num(values, 'seed', 1, 0, 2 ** 31),
      addressBase: values.get('address-base') ?? '127.1.0.1',
      port: num(values, 'port', 10250, 0, 65535),
      shard: { index: Number(shard[1]), count: Number(shard[2]) },
      clock: acceleratedClock({ speed, originMs: origin }),
    },
    nodesFileOut: values.get('nodes-file-out') ?? '',
    caFileOut,
    verbosity: num(values, 'v', 0, 0, 10),
  };
}

/** Entry point of `kubemeter simulate`. */
export async function run(args: string[]): Promise<number> {
  let a: SimulateArgs | 'help';
  try {
    a = parseSimulateArgs(args);
  } catch (e) {
    process.stderr.write(`Error: ${errorMessage(e)}\n`);
    return 2;
  }
  if (a === 'help') {
    process.stdout.write(`Serve simulated kubelets on loopback (/metrics/resource and /stats/summary), with faults on chosen nodes.\n\nUsage:\n  kubemeter simulate --nodes N [flags]\n\nFlags:\n${flagHelp(simulateFlags)}`);
    return 0;
  }
  const logger = createLogger({ level: a.verbosity >= 2 ? 'debug' : 'info' }).with({ component: 'simulate' });
  try {
    const sim = await startSimulator({ ...a.options, logger });
    if (a.nodesFileOut !== '') sim.writeNodesFile(a.nodesFileOut);
    if (a.caFileOut !== '' && sim.caPem !== undefined) writeFileSync(a.caFileOut, sim.caPem);
    const stop = (): void => void sim.close();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    const faulty = sim.nodes.filter((n) => n.fault !== undefined).length;
    logger.info('Simulating', { nodes: sim.nodes.length, faulty, nodesFile: a.nodesFileOut || undefined, durationMs: a.options.durationMs });
    await sim.done;
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
    logger.info('Simulation stopped', { requests: sim.nodes.reduce((s, n) => s + n.counters.requests, 0) });
    return 0;
  } catch (e) {
    logger.error('simulate failed', { err: errorMessage(e) });
    return 1;
  }
}
