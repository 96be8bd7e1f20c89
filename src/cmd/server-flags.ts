/**
 * The flags of `kubemeter server`: metrics-server's own, the generic apiserver's secure serving,
 * delegated authentication and authorization flags (names and defaults of k8s.io/apiserver, from
 * src/auth/flags.ts), a few generic flags accepted for drop-in compatibility, and ours
 * (`--nodes-file`, `--kubelet-endpoint`, `--kubelet-max-concurrent-requests`,
 * `--kubelet-max-idle-connections`). Parsed with
 * pflag's rules; list flags given several times append, as pflag's StringSlice does.
 */
import { FlagError, parseFlags, type FlagSpec } from '../lib/flags.ts';
import { applySecureFlag, defaultSecureFlags, SECURE_FLAG_HELP, type SecureFlags } from '../auth/flags.ts';
import { pathMatcher } from '../auth/authorizer.ts';
import { formatGoDuration, parseGoDuration } from '../lib/go-format.ts';
import { ErrorCode, KubemeterError, errorMessage } from '../lib/errors.ts';
import { defaultMaxIdleConnections } from '../scraper/kubelet-client.ts';
import { parseLabelSelector } from '../lib/labels.ts';
import { defaultAddressTypes } from '../scraper/address.ts';

const secureDefaults = defaultSecureFlags('apiserver');
const dur = (ms: number): string => formatGoDuration(BigInt(ms) * 1_000_000n);
const list = (v: readonly string[]): string => `[${v.join(',')}]`;

/** Help defaults of the secure flags (pflag's rendering: durations in Go syntax, lists in brackets). */
const secureDefaultText: Readonly<Record<string, string>> = {
  'bind-address': secureDefaults.bindAddress,
  'secure-port': String(secureDefaults.securePort),
  'cert-dir': secureDefaults.certDir,
  'tls-cipher-suites': '[]',
  'max-requests-inflight': String(secureDefaults.maxRequestsInflight),
  'request-timeout': dur(secureDefaults.requestTimeoutMs),
  'requestheader-allowed-names': list(secureDefaults.requestheaderAllowedNames),
  'requestheader-username-headers': list(secureDefaults.requestheaderUsernameHeaders),
  'requestheader-uid-headers': list(secureDefaults.requestheaderUidHeaders),
  'requestheader-group-headers': list(secureDefaults.requestheaderGroupHeaders),
  'requestheader-extra-headers-prefix': list(secureDefaults.requestheaderExtraHeadersPrefix),
  'authentication-token-webhook-cache-ttl': dur(secureDefaults.authenticationTokenWebhookCacheTtlMs),
  'authentication-skip-lookup': String(secureDefaults.authenticationSkipLookup),
  'authentication-tolerate-lookup-failure': String(secureDefaults.authenticationTolerateLookupFailure),
  'anonymous-auth': String(secureDefaults.anonymousAuth),
  'authorization-webhook-cache-authorized-ttl': dur(secureDefaults.authorizationWebhookCacheAuthorizedTtlMs),
  'authorization-webhook-cache-unauthorized-ttl': dur(secureDefaults.authorizationWebhookCacheUnauthorizedTtlMs),
  'authorization-always-allow-paths': list(secureDefaults.authorizationAlwaysAllowPaths),
};

function secureSpec([name, type, help]: readonly [string, string, string]): FlagSpec {
  const kind = type === '' ? 'bool' : type === 'int' ? 'int' : type === 'duration' ? 'duration' : 'string';
  const defaultText = secureDefaultText[name];
  return { name, kind, help, ...(defaultText === undefined ? {} : { defaultText }) };
}

/** Names of the secure flags (applied with applySecureFlag). */
const secureNames = new Set(SECURE_FLAG_HELP.map(([n]) => n));

/** Generic apiserver flags accepted so metrics-server command lines keep working; see docs/server.md. */
const compatibilityFlags: FlagSpec[] = [
  { name: 'max-mutating-requests-inflight', kind: 'int', defaultText: '200', help: 'Accepted for compatibility: the metrics API has no mutating requests (they get 405).' },
  { name: 'enable-priority-and-fairness', kind: 'bool', defaultText: 'true', help: 'Accepted for compatibility: requests are limited by --max-requests-inflight.' },
  { name: 'profiling', kind: 'bool', defaultText: 'true', help: 'Accepted for compatibility: there is no /debug/pprof.' },
  { name: 'log-flush-frequency', kind: 'duration', defaultText: '5s', help: 'Accepted for compatibility: log lines are written unbuffered.' },
  { name: 'shutdown-delay-duration', kind: 'duration', defaultText: '0s', help: 'Time to keep serving after SIGTERM while /readyz already fails, so that load balancers stop sending requests first.' },
];

/** Every flag of `kubemeter server`. */
export const serverFlags: FlagSpec[] = [
  { name: 'metric-resolution', kind: 'duration', defaultText: '15s', help: 'The resolution at which metrics-server will retain metrics, must set value at least 10s.' },
  { name: 'kubelet-port', kind: 'int', defaultText: '10250', help: 'The port to use to connect to Kubelets.' },
  { name: 'kubelet-preferred-address-types', kind: 'string', defaultText: defaultAddressTypes.join(','), help: 'The priority of node address types to use when determining which address to use to connect to a particular node' },
  { name: 'kubelet-use-node-status-port', kind: 'bool', help: 'Use the port in the node status. Takes precedence over --kubelet-port flag.' },
  { name: 'kubelet-insecure-tls', kind: 'bool', help: 'Do not verify CA of serving certificates presented by Kubelets.  For testing purposes only.' },
  { name: 'kubelet-request-timeout', kind: 'duration', defaultText: '10s', help: 'The length of time to wait before giving up on a single request to Kubelet. Non-zero values should contain a corresponding time unit (e.g. 1s, 2m, 3h).' },
  { name: 'kubelet-certificate-authority', kind: 'string', help: 'Path to the CA to use to validate the Kubelet\'s serving certificates.' },
  { name: 'kubelet-client-certificate', kind: 'string', help: 'Path to a client cert file for TLS.' },
  { name: 'kubelet-client-key', kind: 'string', help: 'Path to a client key file for TLS.' },
  { name: 'node-selector', short: 'l', kind: 'string', help: 'Selector (label query) to filter on, not including uninitialized ones, supports \'=\', \'==\', and \'!=\'.(e.g. -l key1=value1,key2=value2).' },
  { name: 'kubeconfig', kind: 'string', help: 'The path to the kubeconfig used to connect to the Kubernetes API server and the Kubelets (defaults to in-cluster config)' },
  ...SECURE_FLAG_HELP.map(secureSpec),
  ...compatibilityFlags,
  { name: 'nodes-file', kind: 'string', help: 'Scrape the nodes listed in this YAML or JSON file ({name, address, port?, labels?, capacity?, allocatable?}) instead of asking a Kubernetes API; re-read when it changes.' },
  { name: 'kubelet-endpoint', kind: 'string', defaultText: 'resource', help: 'Kubelet endpoint to scrape: resource (/metrics/resource) or summary (/stats/summary?only_cpu_and_memory=true).' },
  { name: 'kubelet-max-concurrent-requests', kind: 'int', defaultText: '256', help: 'Most kubelet requests in flight at once (fewer while the metrics API is in use and the event loop is slow).' },
  { name: 'kubelet-max-idle-connections', kind: 'int', defaultText: '10000', help: 'Most kubelet connections kept open between scrapes (each saves a TLS handshake, about 1 ms of CPU, per scrape and holds about 35 KiB of memory); beyond, a connection is closed after its response. 0 keeps none.' },
  { name: 'v', short: 'v', kind: 'int', defaultText: '0', help: 'Log verbosity: 0 info, 2 and above adds debug messages.' },
  { name: 'logging-format', kind: 'string', defaultText: 'text', help: 'Log format: text or json.' },
  { name: 'help', short: 'h', kind: 'bool', help: 'help for server' },
];

/** The validated configuration. */
export interface ServerFlags {
  resolutionMs: number;
  kubeletPort: number;
  addressTypes: string[];
  useNodeStatusPort: boolean;
  insecureTls: boolean;
  requestTimeoutMs: number;
  kubeletCa: string;
  clientCert: string;
  clientKey: string;
  nodeSelector: string;
  kubeconfig: string;
  /** Secure serving, authentication and authorization. */
  secure: SecureFlags;
  /** --shutdown-delay-duration in ms. */
  shutdownDelayMs: number;
  nodesFile: string;
  endpoint: 'resource' | 'summary';
  concurrency: number;
  /** --kubelet-max-idle-connections. */
  maxIdleConnections: number;
  verbosity: number;
  loggingFormat: 'text' | 'json';
}

function durationMs(values: Map<string, string>, name: string, fallback: string): number {
  const text = values.get(name) ?? fallback;
  try {
    return Number(parseGoDuration(text) / 1_000_000n);
  } catch (e) {
    throw new KubemeterError(ErrorCode.InvalidFlag, `invalid argument ${JSON.stringify(text)} for "--${name}" flag: ${errorMessage(e)}`, { source: `--${name}` });
  }
}

function intFlag(values: Map<string, string>, name: string, fallback: number, min: number, max: number): number {
  const text = values.get(name);
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new KubemeterError(ErrorCode.InvalidFlag, `invalid argument ${JSON.stringify(text)} for "--${name}" flag: must be an integer from ${min} to ${max}`, { source: `--${name}` });
  return n;
}

/**
 * Every long flag in order with its value (bare booleans as 'true'), skipping the values that
 * flags consume, by the same rules as parseFlags (which has already validated the syntax).
 */
function orderedLongFlags(args: readonly string[], specs: readonly FlagSpec[]): [string, string][] {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short !== undefined).map((s) => [s.short!, s]));
  const out: [string, string][] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') break;
    if (arg.startsWith('--')) {
      const body = arg.slice(2);
      const eq = body.indexOf('=');
      const name = eq < 0 ? body : body.slice(0, eq);
      const spec = byName.get(name);
      if (spec === undefined) continue;
      if (eq >= 0) out.push([name, body.slice(eq + 1)]);
      else if (spec.kind === 'bool') out.push([name, 'true']);
      else out.push([name, args[++i] ?? '']);
    } else if (arg.startsWith('-') && arg.length > 1) {
      // A shorthand group consumes the next argument only when its last flag takes a value.
      let rest = arg.slice(1);
      while (rest.length > 0) {
        const spec = byShort.get(rest[0]!);
        rest = rest.slice(1);
        if (spec === undefined || spec.kind === 'bool') continue;
        if (rest.length === 0) i++;
        break;
      }
    }
  }
  return out;
}

/** Parse and validate the flags (metrics-server's rules and messages). */
export function parseServerFlags(args: readonly string[]): ServerFlags | 'help' {
  const { values, positionals } = parseFlags(args, serverFlags);
  if (values.get('help') === 'true') return 'help';
  if (positionals.length > 0) throw new FlagError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const s = (n: string, d = ''): string => values.get(n) ?? d;
  const endpoint = s('kubelet-endpoint', 'resource');
  if (endpoint !== 'resource' && endpoint !== 'summary') throw new KubemeterError(ErrorCode.InvalidFlag, `--kubelet-endpoint must be resource or summary, not ${JSON.stringify(endpoint)}`, { source: '--kubelet-endpoint' });
  const format = s('logging-format', 'text');
  if (format !== 'text' && format !== 'json') throw new KubemeterError(ErrorCode.InvalidFlag, `--logging-format must be text or json, not ${JSON.stringify(format)}`, { source: '--logging-format' });
  const secure = defaultSecureFlags('apiserver');
  const changed = new Set<string>();
  for (const [name, value] of orderedLongFlags(args, serverFlags)) if (secureNames.has(name)) applySecureFlag(secure, name, value, changed);
  const f: ServerFlags = {
    resolutionMs: durationMs(values, 'metric-resolution', '15s'),
    kubeletPort: intFlag(values, 'kubelet-port', 10250, 1, 65535),
    addressTypes: s('kubelet-preferred-address-types', defaultAddressTypes.join(',')).split(',').map((t) => t.trim()).filter((t) => t !== ''),
    useNodeStatusPort: values.get('kubelet-use-node-status-port') === 'true',
    insecureTls: values.get('kubelet-insecure-tls') === 'true',
    requestTimeoutMs: durationMs(values, 'kubelet-request-timeout', '10s'),
    kubeletCa: s('kubelet-certificate-authority'),
    clientCert: s('kubelet-client-certificate'),
    clientKey: s('kubelet-client-key'),
    nodeSelector: s('node-selector'),
    kubeconfig: s('kubeconfig'),
    secure,
    shutdownDelayMs: durationMs(values, 'shutdown-delay-duration', '0s'),
    nodesFile: s('nodes-file'),
    endpoint,
    concurrency: intFlag(values, 'kubelet-max-concurrent-requests', 256, 1, 100_000),
    maxIdleConnections: intFlag(values, 'kubelet-max-idle-connections', defaultMaxIdleConnections, 0, 1_000_000),
    verbosity: intFlag(values, 'v', 0, 0, 10),
    loggingFormat: format,
  };
  intFlag(values, 'max-mutating-requests-inflight', 200, 0, 1_000_000);
  durationMs(values, 'log-flush-frequency', '5s');
  const errors: string[] = [];
  if (f.resolutionMs < 10_000) errors.push(`metric-resolution should be a time duration at least 10s, but value ${s('metric-resolution')} provided`);
  if ((f.resolutionMs * 9) / 10 < f.requestTimeoutMs) errors.push('metric-resolution should be larger than kubelet-request-timeout');
  if (f.requestTimeoutMs <= 0) errors.push('kubelet-request-timeout should be positive');
  if ((f.clientCert === '') !== (f.clientKey === '')) errors.push('kubelet-client-certificate and kubelet-client-key must be both specified or both empty');
  if (f.insecureTls && f.kubeletCa !== '') errors.push('cannot use both --kubelet-certificate-authority and --kubelet-insecure-tls');
  if (f.addressTypes.length === 0) errors.push('kubelet-preferred-address-types must not be empty');
  if ((secure.tlsCertFile === '') !== (secure.tlsPrivateKeyFile === '')) errors.push('--tls-cert-file and --tls-private-key-file must be given together');
  if (f.shutdownDelayMs < 0) errors.push('--shutdown-delay-duration can not be negative value');
  if (errors.length > 0) throw new KubemeterError(ErrorCode.InvalidFlag, errors.join('; '), { source: 'flags' });
  // Checked now rather than at the first request: a `*` inside a path is refused.
  pathMatcher(secure.authorizationAlwaysAllowPaths);
  // Validate the selector now: a typo must stop the server, not silently select nothing.
  if (f.nodeSelector !== '') parseLabelSelector(f.nodeSelector, '--node-selector');
  return f;
}
