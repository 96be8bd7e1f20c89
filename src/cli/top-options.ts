/**
 * Flags of `kubemeter top node|pod`: every flag of kubectl 1.32's top, kubectl's global connection
 * flags, and the opt-in extras. Parsing and validation follow kubectl's order and messages.
 */
import { FlagError, parseFlags, type FlagSpec } from '../lib/flags.ts';

/** Output formats: '' is kubectl's table. */
export type OutputFormat = '' | 'wide' | 'json' | 'yaml';

/** Sort keys: kubectl's ('' , cpu, memory) and the extras. */
export type TopSortBy = '' | 'cpu' | 'memory' | 'name' | 'cpu-util' | 'mem-util';

/** Connection flags shared with kubectl. */
export interface GlobalOptions {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  server?: string;
  token?: string;
  insecureSkipTlsVerify?: boolean;
  requestTimeoutMs?: number;
}

/** Everything `top node` and `top pod` understand. */
export interface TopOptions {
  kind: 'node' | 'pod';
  name: string;
  selector: string;
  fieldSelector: string;
  sortBy: TopSortBy;
  noHeaders: boolean;
  showCapacity: boolean;
  allNamespaces: boolean;
  containers: boolean;
  sum: boolean;
  output: OutputFormat;
  utilization: boolean;
  watch: boolean;
  intervalMs: number;
  node: string;
  reverse: boolean;
  help: boolean;
  global: GlobalOptions;
}

const common: FlagSpec[] = [
  { name: 'no-headers', kind: 'bool', help: 'If present, print output without headers.' },
  { name: 'selector', short: 'l', kind: 'string', help: "Selector (label query) to filter on, supports '=', '==', and '!='.(e.g. -l key1=value1,key2=value2). Matching objects must satisfy all of the specified label constraints." },
  { name: 'sort-by', kind: 'string', help: "If non-empty, sort the list using specified field: 'cpu' or 'memory' (kubectl's order), or the extras 'name', 'cpu-util', 'mem-util'." },
  { name: 'use-protocol-buffers', kind: 'bool', defaultText: 'true', help: 'Accepted for kubectl compatibility; kubemeter always asks for JSON.' },
  { name: 'output', short: 'o', kind: 'string', help: "Extra: output format, one of 'wide' (requests, limits and utilisation columns), 'json' or 'yaml'." },
  { name: 'utilization', kind: 'bool', help: 'Extra: add %CPU/R %CPU/L %MEM/R %MEM/L columns (usage against requests and limits; n/a when unset).' },
  { name: 'watch', short: 'w', kind: 'bool', help: 'Extra: redraw every --interval with CPU and memory deltas until Ctrl-C.' },
  { name: 'interval', kind: 'string', defaultText: '2s', help: 'Extra: refresh interval for --watch (Go duration).' },
  { name: 'reverse', kind: 'bool', help: 'Extra: reverse the sort order.' },
  { name: 'help', short: 'h', kind: 'bool', help: 'help for top' },
];

const globals: FlagSpec[] = [
  { name: 'kubeconfig', kind: 'string', help: 'Path to the kubeconfig file to use for CLI requests.' },
  { name: 'context', kind: 'string', help: 'The name of the kubeconfig context to use' },
  { name: 'namespace', short: 'n', kind: 'string', help: 'If present, the namespace scope for this CLI request' },
  { name: 'server', short: 's', kind: 'string', help: 'The address and port of the Kubernetes API server' },
  { name: 'token', kind: 'string', help: 'Bearer token for authentication to the API server' },
  { name: 'insecure-skip-tls-verify', kind: 'bool', help: "If true, the server's certificate will not be checked for validity." },
  { name: 'request-timeout', kind: 'string', defaultText: "'0'", help: 'The length of time to wait before giving up on a single server request (Go duration or seconds; 0 = 30s default).' },
  { name: 'v', short: 'v', kind: 'string', hidden: true, help: 'log level (accepted, ignored)' },
];

/** Flags of `top node`. */
export const nodeFlags: FlagSpec[] = [
  ...common,
  { name: 'show-capacity', kind: 'bool', help: 'Print node resources based on Capacity instead of Allocatable(default) of the nodes.' },
  ...globals,
];

/** Flags of `top pod`. */
export const podFlags: FlagSpec[] = [
  ...common,
  { name: 'all-namespaces', short: 'A', kind: 'bool', help: 'If present, list the requested object(s) across all namespaces. Namespace in current context is ignored even if specified with --namespace.' },
  { name: 'containers', kind: 'bool', help: 'If present, print usage of containers within a pod.' },
  { name: 'field-selector', kind: 'string', help: "Selector (field query) to filter on, supports '=', '==', and '!='.(e.g. --field-selector key1=value1,key2=value2). The server only supports a limited number of field queries per type." },
  { name: 'sum', kind: 'bool', help: 'Print the sum of the resource usage' },
  { name: 'node', kind: 'string', help: 'Extra: only pods running on this node.' },
  ...globals,
];

/** A usage error kubectl reports as `error: <use line>` plus a hint (exit 1). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Parses a Go duration or plain seconds (kubectl's --request-timeout) into ms. */
export function parseDurationMs(text: string, flag: string): number {
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const m = /^((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$/.test(text);
  if (!m) throw new FlagError(`invalid argument ${JSON.stringify(text)} for "--${flag}" flag: time: invalid duration ${JSON.stringify(text)}`);
  let total = 0;
  const unitMs: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60000, h: 3600000 };
  for (const part of text.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)) total += Number(part[1]) * unitMs[part[2]!]!;
  return total;
}

/** Parses the arguments after `top node` or `top pod`. Throws FlagError or UsageError. */
export function parseTopArgs(kind: 'node' | 'pod', args: readonly string[]): TopOptions {
  const parsed = parseFlags(args, kind === 'node' ? nodeFlags : podFlags);
  const v = parsed.values;
  const bool = (n: string): boolean => v.get(n) === 'true';
  const str = (n: string): string => v.get(n) ?? '';
  const output = str('output');
  if (!['', 'wide', 'json', 'yaml'].includes(output)) throw new FlagError(`invalid argument ${JSON.stringify(output)} for "-o, --output" flag: must be one of wide, json, yaml`);
  const global: GlobalOptions = {};
  for (const [flag, key] of [['kubeconfig', 'kubeconfig'], ['context', 'context'], ['namespace', 'namespace'], ['server', 'server'], ['token', 'token']] as const) {
    if (v.has(flag)) global[key] = str(flag);
  }
  if (bool('insecure-skip-tls-verify')) global.insecureSkipTlsVerify = true;
  if (v.has('request-timeout')) {
    const ms = parseDurationMs(str('request-timeout'), 'request-timeout');
    if (ms > 0) global.requestTimeoutMs = ms;
  }
  const opts: TopOptions = {
    kind,
    name: '',
    selector: str('selector'),
    fieldSelector: str('field-selector'),
    sortBy: str('sort-by') as TopSortBy,
    noHeaders: bool('no-headers'),
    showCapacity: bool('show-capacity'),
    allNamespaces: bool('all-namespaces'),
    containers: bool('containers'),
    sum: bool('sum'),
    output: output as OutputFormat,
    utilization: bool('utilization'),
    watch: bool('watch'),
    intervalMs: v.has('interval') ? parseDurationMs(str('interval'), 'interval') : 2000,
    node: str('node'),
    reverse: bool('reverse'),
    help: bool('help'),
    global,
  };
  if (opts.help) return opts;
  if (parsed.positionals.length > 1) throw new UsageError(`${kind} [NAME | -l label]`);
  opts.name = parsed.positionals[0] ?? '';
  if (opts.watch && opts.intervalMs < 100) throw new FlagError(`invalid argument ${JSON.stringify(str('interval'))} for "--interval" flag: must be at least 100ms`);
  return opts;
}

/** kubectl's Validate(): sort key, then NAME together with selectors. Returns the error text or undefined. */
export function validateTop(o: TopOptions): string | undefined {
  if (o.sortBy !== '' && !['cpu', 'memory', 'name', 'cpu-util', 'mem-util'].includes(o.sortBy)) {
    return '--sort-by accepts only cpu or memory';
  }
  if (o.kind === 'node' && o.name !== '' && o.selector !== '') return 'only one of NAME or --selector can be provided';
  if (o.kind === 'pod' && o.name !== '' && (o.selector !== '' || o.fieldSelector !== '')) return 'only one of NAME or selector can be provided';
  if (o.kind === 'pod' && o.node !== '' && o.name !== '') return 'only one of NAME or --node can be provided';
  return undefined;
}
