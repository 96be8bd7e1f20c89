/**
 * `kubemeter agent`: what the kubelet and its embedded cAdvisor do for resource metrics. Reads
 * the flags, detects the cgroup mounts, picks identity sources (CRI socket, else the Kubernetes
 * API, else the standalone systemd/Docker mapping), runs housekeeping, and serves the read-only
 * port (plain HTTP) and the secure port (HTTPS, authenticated and authorized) until SIGTERM.
 */
import type { Server } from 'node:http';
import { hostname, networkInterfaces } from 'node:os';
import { isIP } from 'node:net';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { applySecureFlag, defaultSecureFlags, SECURE_FLAG_HELP } from '../auth/flags.ts';
import type { SecureFlags } from '../auth/flags.ts';
import type { CgroupDriver } from '../cgroup/layout.ts';
import { readCgroupMounts } from '../cgroup/mounts.ts';
import { createCgroupReader } from '../cgroup/reader.ts';
import { Collector } from '../agent/collector.ts';
import type { ClaimResolver } from '../agent/fs/claims.ts';
import { StorageCollector } from '../agent/fs/storage.ts';
import type { CriStorage } from '../agent/identity/cri.ts';
import { lazyCri } from '../agent/identity/cri-lazy.ts';
import { addFeatureGatePairs, defaultFeatureGates, featureGatesHelp, resolveFeatureGates } from '../agent/feature-gates.ts';
import type { FeatureGatePairs, FeatureGates } from '../agent/feature-gates.ts';
import { HeapCompactor } from '../agent/heap-compactor.ts';
import { agentNodeEnv, agentNodeFlags, agentV8Flags } from './agent-node-flags.ts';
import { currentProcessImage, missingNodeFlags, reexecWithNodeFlags } from './node-flags.ts';
import { isCgroupPath } from '../agent/system-containers.ts';
import type { SystemCgroupNames } from '../agent/system-containers.ts';
import { createAgentHandler } from '../agent/http.ts';
import type { IdentityProvider } from '../agent/identity/types.ts';
import type { AuthorizationMode } from '../agent/secure.ts';
import type { ClusterConnection } from '../kube/kubeconfig.ts';
import { ErrorCode, KubemeterError, errorMessage, quoteInput } from '../lib/errors.ts';
import { FlagError, parseFlags, parseGoBool } from '../lib/flags.ts';
import type { FlagSpec, ParsedFlags } from '../lib/flags.ts';
import { parseGoDuration } from '../lib/go-format.ts';
import type { LogLevel } from '../lib/log.ts';
import { createLogger } from '../lib/log.ts';
import { nodeFs } from '../lib/node-fs.ts';

const { existsSync } = nodeFs;

/** Everything `kubemeter agent` is configured with. */
export interface AgentFlags {
  nodeName: string;
  cgroupRoot: string;
  cgroupDriver: CgroupDriver | 'auto';
  housekeepingIntervalMs: number;
  containerRuntimeEndpoint: string;
  kubeconfig: string;
  readOnlyPort: number;
  procRoot: string;
  sysRoot: string;
  rootDir: string;
  /** `--pod-logs-dir`: where the pods' log directories are. */
  podLogsDir: string;
  /** `--volume-stats-agg-period`, ms; ≤ 0 disables volume stats. */
  volumeStatsAggPeriodMs: number;
  imageFsDir: string;
  dockerEndpoint: string;
  podmanEndpoint: string;
  standalone: 'auto' | 'true' | 'false';
  authorizationMode: AuthorizationMode;
  /** `--node-ip`: the node's addresses, named by a self-signed serving certificate; empty = this host's interface addresses. */
  nodeIps: string[];
  /** `--kubelet-cgroups`, `--runtime-cgroups`, `--system-cgroups` (`''` = not configured). */
  systemCgroups: SystemCgroupNames;
  /** `--feature-gates`, resolved. */
  featureGates: FeatureGates;
  logLevel: LogLevel;
  help: boolean;
  /** `--low-memory` (default true): V8's optimizing compilers and Node's start-up snapshot off from the process's first instruction, malloc tuned (agent-node-flags.ts); false keeps Maglev. */
  lowMemory: boolean;
  /** Secure port, TLS and delegated auth (`--port`, `--address`, `--tls-*`, `--client-ca-file`, …). */
  secure: SecureFlags;
}

const own: readonly (readonly [string, string, string])[] = [
  ['node-name', 'string', 'Name of the node the stats are reported for (default: the hostname).'],
  ['cgroup-root', 'string', 'Parent of the kubepods cgroup, as the kubelet\'s --cgroup-root (default "/").'],
  ['cgroup-driver', 'string', 'auto, cgroupfs or systemd (default "auto": whichever kubepods cgroup exists).'],
  ['housekeeping-interval', 'duration', 'Interval between housekeeping passes, jittered up to +10% (default 10s).'],
  ['container-runtime-endpoint', 'string', 'CRI socket for pod and container names, e.g. unix:///run/containerd/containerd.sock.'],
  ['kubeconfig', 'string', 'kubeconfig for the Kubernetes API (pod names; TokenReview; SubjectAccessReview). In a pod the in-cluster config is used.'],
  ['address', 'ip', 'IP address to serve on (default 0.0.0.0).'],
  ['port', 'int', 'HTTPS port with authentication and authorization (default 10250); 0 disables.'],
  ['cert-dir', 'string', 'Where the self-signed serving certificate kubelet.crt/kubelet.key is kept (generated when absent) if --tls-cert-file and --tls-private-key-file are not given (default "/var/lib/kubemeter/pki").'],
  ['node-ip', 'strings', 'IP addresses of the node (comma-separated), named by the self-signed serving certificate (default: the addresses of this host\'s interfaces).'],
  ['read-only-port', 'int', 'Plain HTTP port without authentication (default 10255); 0 disables.'],
  ['proc-root', 'string', 'Where the host\'s /proc is mounted (default "/proc").'],
  ['sys-root', 'string', 'Where the host\'s /sys is mounted (default "/sys").'],
  ['root-dir', 'string', 'The kubelet\'s root directory: its filesystem is the node fs (else "/" when it does not exist), pods\' volumes and etc-hosts are read below it (default "/var/lib/kubelet").'],
  ['pod-logs-dir', 'string', 'Where the kubelet writes pod logs, for container `logs` and pod ephemeral storage (default "/var/log/pods").'],
  ['volume-stats-agg-period', 'duration', 'Specifies interval for kubelet to calculate and cache the volume disk usage for all pods and volumes.  To disable volume calculations, set to a negative number. (default 1m0s)'],
  ['image-fs-dir', 'string', 'Directory whose filesystem is reported as the image filesystem (default: the first of /var/lib/containerd, /var/lib/containers/storage, /var/lib/docker).'],
  ['docker-endpoint', 'string', 'Docker API socket for container names in standalone mode (default unix:///var/run/docker.sock).'],
  ['podman-endpoint', 'string', 'Podman API socket for container names in standalone mode (default unix:///run/podman/podman.sock).'],
  ['standalone', 'string', 'Map systemd units and Docker/Podman containers onto pods: auto (when there is no CRI endpoint and no Kubernetes API), true or false.'],
  ['authorization-mode', 'string', 'Webhook (SubjectAccessReview, default) or AlwaysAllow (any authenticated client).'],
  ['kubelet-cgroups', 'string', 'Absolute name of the kubelet\'s cgroup, reported as the "kubelet" system container (default: the cgroup of the process named kubelet, if there is one).'],
  ['runtime-cgroups', 'string', 'Absolute name of the container runtime\'s cgroup, reported as the "runtime" system container.'],
  ['system-cgroups', 'string', 'Absolute name of the cgroup of the system processes outside containers, reported as the "misc" system container.'],
  ['feature-gates', 'mapStringBool', featureGatesHelp()],
  ['log-level', 'string', 'debug, info, warn or error (default info).'],
  ['low-memory', '', 'Run V8 without its optimizing compilers and Node without its start-up snapshot from the first instruction, with glibc malloc tuned (re-executes once as node --no-opt --no-maglev --no-node-snapshot with MALLOC_ARENA_MAX=1 MALLOC_TRIM_THRESHOLD_=0 MALLOC_TOP_PAD_=0, same pid; default true). --low-memory=false keeps Maglev: about 15 MiB more RSS for somewhat less CPU per housekeeping pass.'],
];

/** The kind parseFlags checks: booleans as such; every other value is checked below, with the agent's messages. */
function flagSpec([name, type, help]: readonly [string, string, string]): FlagSpec {
  return { name, kind: type === '' ? 'bool' : 'string', help };
}

// cert-dir has its own row: the agent keeps the kubelet's file names there. The server's names of
// the address and port are not the kubelet's (--address, --port).
const secureRows = SECURE_FLAG_HELP.filter(([n]) => n !== 'secure-port' && n !== 'bind-address' && n !== 'cert-dir');

/** Every flag of `kubemeter agent` (pflag rules through src/lib/flags.ts). */
export const agentFlags: readonly FlagSpec[] = [...own.map(flagSpec), ...secureRows.map(flagSpec), { name: 'help', short: 'h', kind: 'bool', help: 'help for agent' }];

const specByName = new Map(agentFlags.map((s) => [s.name, s]));

/**
 * The long flags of `args` in order, with their values (booleans as `true`/`false`). parseFlags
 * keeps the last value of each flag, but list flags (`--requestheader-allowed-names`, …) append
 * per occurrence as pflag's StringSlice does, so they are applied in order. parseFlags has
 * already checked the syntax; `-h` is the only shorthand.
 */
function orderedFlags(args: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') break;
    if (!arg.startsWith('--')) continue;
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    const spec = specByName.get(name);
    if (spec === undefined) continue;
    if (spec.kind === 'bool') out.push([name, eq < 0 ? 'true' : String(parseGoBool(arg.slice(eq + 1)))]);
    else out.push([name, eq < 0 ? (args[++i] ?? '') : arg.slice(eq + 1)]);
  }
  return out;
}

function bad(name: string, value: string, why: string): KubemeterError {
  return new KubemeterError(ErrorCode.InvalidFlag, `invalid argument ${quoteInput(value)} for "--${name}" flag: ${why}`, { source: `--${name}` });
}

function port(name: string, value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw bad(name, value, 'must be a port number 0-65535');
  return Number(value);
}

/** Parse `kubemeter agent` flags with pflag's rules (as the kubelet). Throws KubemeterError InvalidFlag. */
export function parseAgentFlags(args: readonly string[], defaults: { hostname: string } = { hostname: hostname() }): AgentFlags {
  let parsed: ParsedFlags;
  try {
    parsed = parseFlags(args, agentFlags);
  } catch (e) {
    if (e instanceof FlagError) throw new KubemeterError(ErrorCode.InvalidFlag, e.message, { cause: e });
    throw e;
  }
  const first = parsed.positionals[0];
  if (first !== undefined) throw new KubemeterError(ErrorCode.InvalidFlag, `unexpected argument ${quoteInput(first)}`);
  const secure = defaultSecureFlags('kubelet');
  const f: AgentFlags = {
    nodeName: defaults.hostname.toLowerCase(), cgroupRoot: '/', cgroupDriver: 'auto', housekeepingIntervalMs: 10_000,
    containerRuntimeEndpoint: '', kubeconfig: '', readOnlyPort: 10255, procRoot: '/proc', sysRoot: '/sys', rootDir: '/var/lib/kubelet',
    podLogsDir: '/var/log/pods', volumeStatsAggPeriodMs: 60_000,
    imageFsDir: '', dockerEndpoint: 'unix:///var/run/docker.sock', podmanEndpoint: 'unix:///run/podman/podman.sock', standalone: 'auto',
    authorizationMode: 'Webhook', nodeIps: [], logLevel: 'info', help: parsed.values.get('help') === 'true', lowMemory: true, secure,
    systemCgroups: { kubelet: '', runtime: '', misc: '' }, featureGates: defaultFeatureGates(),
  };
  const gatePairs: FeatureGatePairs = new Map();
  const changed = new Set<string>();
  for (const [name, v] of orderedFlags(args)) {
    switch (name) {
      case 'help': break;
      case 'low-memory': f.lowMemory = v === 'true'; break;
      case 'node-name': f.nodeName = v; break;
      case 'cgroup-root': f.cgroupRoot = v === '' ? '/' : v; break;
      case 'cgroup-driver':
        if (v !== 'auto' && v !== 'cgroupfs' && v !== 'systemd') throw bad(name, v, 'must be auto, cgroupfs or systemd');
        f.cgroupDriver = v;
        break;
      case 'housekeeping-interval': {
        let ns: bigint;
        try {
          ns = parseGoDuration(v);
        } catch (e) {
          throw bad(name, v, errorMessage(e));
        }
        if (ns < 100_000_000n) throw bad(name, v, 'must be at least 100ms');
        f.housekeepingIntervalMs = Number(ns / 1_000_000n);
        break;
      }
      case 'container-runtime-endpoint': f.containerRuntimeEndpoint = v; break;
      case 'kubeconfig': f.kubeconfig = v; break;
      case 'address': secure.bindAddress = v; break;
      case 'port': secure.securePort = port(name, v); break;
      case 'read-only-port': f.readOnlyPort = port(name, v); break;
      case 'proc-root': f.procRoot = v; break;
      case 'sys-root': f.sysRoot = v; break;
      case 'root-dir': f.rootDir = v; break;
      case 'pod-logs-dir': f.podLogsDir = v; break;
      case 'volume-stats-agg-period':
        try {
          // As the kubelet: any Go duration; zero or negative turns volume stats off.
          f.volumeStatsAggPeriodMs = Number(parseGoDuration(v) / 1_000_000n);
        } catch (e) {
          throw bad(name, v, errorMessage(e));
        }
        break;
      case 'image-fs-dir': f.imageFsDir = v; break;
      case 'docker-endpoint': f.dockerEndpoint = v; break;
      case 'podman-endpoint': f.podmanEndpoint = v; break;
      case 'standalone':
        if (v !== 'auto' && v !== 'true' && v !== 'false') throw bad(name, v, 'must be auto, true or false');
        f.standalone = v;
        break;
      case 'authorization-mode':
        if (v !== 'Webhook' && v !== 'AlwaysAllow') throw bad(name, v, 'must be Webhook or AlwaysAllow');
        f.authorizationMode = v;
        break;
      case 'node-ip': {
        const ips = v.split(',').map((x) => x.trim()).filter((x) => x !== '');
        const badIp = ips.find((x) => isIP(x) === 0);
        if (badIp !== undefined) throw bad(name, v, `${JSON.stringify(badIp)} is not an IP address`);
        f.nodeIps = ips;
        break;
      }
      case 'kubelet-cgroups':
      case 'runtime-cgroups':
      case 'system-cgroups':
        if (v !== '' && !isCgroupPath(v)) throw bad(name, v, 'must be an absolute cgroup path such as /system.slice/kubelet.service');
        f.systemCgroups[name === 'kubelet-cgroups' ? 'kubelet' : name === 'runtime-cgroups' ? 'runtime' : 'misc'] = v;
        break;
      case 'feature-gates':
        try {
          addFeatureGatePairs(gatePairs, v);
          f.featureGates = resolveFeatureGates(gatePairs);
        } catch (e) {
          throw bad(name, v, errorMessage(e));
        }
        break;
      case 'log-level':
        if (v !== 'debug' && v !== 'info' && v !== 'warn' && v !== 'error') throw bad(name, v, 'must be debug, info, warn or error');
        f.logLevel = v;
        break;
      default:
        applySecureFlag(secure, name, v, changed);
    }
  }
  return f;
}

/** The `--help` text. */
export function agentUsage(): string {
  const rows = [...own, ...secureRows].map(([n, t, h]) => `      --${n}${t === '' ? '' : ` ${t}`}\n            ${h}`);
  return ['Usage: kubemeter agent [flags]', '', 'Serve the kubelet\'s /stats/summary and /metrics/resource from this host\'s cgroups.', '', 'Flags:', ...rows, ''].join('\n');
}

// gRPC, the Kubernetes client and the TLS/auth stack are loaded only when configured: each adds
// several MiB of resident memory, and a standalone or read-only agent needs none of them.

async function kubeConnection(f: AgentFlags): Promise<ClusterConnection | null> {
  if (f.kubeconfig === '' && (process.env.KUBERNETES_SERVICE_HOST ?? '') === '') return null;
  const { loadInCluster, loadKubeConfig } = await import('../kube/kubeconfig.ts');
  return f.kubeconfig !== '' ? loadKubeConfig({ kubeconfig: f.kubeconfig }) : loadInCluster();
}

/** This host's non-loopback, non-link-local interface addresses. */
export function interfaceAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.internal || a.address.toLowerCase().startsWith('fe80:') || a.address.startsWith('169.254.')) continue;
      out.push(a.address);
    }
  }
  return out;
}

function firstExisting(paths: readonly string[]): string | undefined {
  return paths.find((p) => existsSync(p));
}

/** Heap growth since the last compaction that triggers the next one (see tuneHeapForAgent). */
const compactionSlackBytes = 2 ** 20;

/**
 * V8 settings for a small, steady footprint, set at run time so that `kubemeter agent` gets them
 * wherever it runs (NODE_OPTIONS is not needed), and the heap compactor that runs after each pass.
 * Measured with the compiled agent on the 110-pod fixture, passes every 100 ms with scrapes
 * between them (Node 24, RSS after the first pass → after 100 passes):
 * - defaults: 68 → 140-200 MiB. A pass allocates a few MiB that live until the next pass, which
 *   V8 reads as a reason to grow the young generation towards its 64 MiB maximum.
 * - --optimize-for-size: 68 → 74-80 MiB; V8 keeps the heap small and grows the old generation in
 *   2 MiB steps instead of 8.
 * - plus --no-opt at run time (no TurboFan; Maglev still compiles hot code): 58-63 → 62-72 MiB.
 * - plus --semi-space-growth-factor=1: the young generation keeps the size it has (1-2 MiB)
 *   instead of doubling to 8 MiB. → 65-70 MiB: now the old generation's garbage dominates.
 * - plus the HeapCompactor (V8's last-resort collection, reached through --expose-gc in a
 *   throw-away context, whenever the heap grew by 1 MiB since the last one): 63-65 → 66-67 MiB
 *   once the filesystem statistics were added; 69 MiB without the compactor.
 * - --no-opt --no-maglev from the process's first instruction (the default, `--low-memory`),
 *   through the re-execution in agent-node-flags.ts: 54 → 55-57 MiB (secure port with a CRI
 *   runtime: 75 → 65 MiB). A pass then runs on Ignition and Sparkplug only, which is why the
 *   pass's parsers hand their per-byte work to native code (regular expressions, string
 *   searches); `--low-memory=false` keeps Maglev for less CPU and more memory.
 * The compactor's price, at the benchmark's rate: 24-27 ms of CPU after nearly every pass (the
 * agent's /metrics counts them); at the default 10 s interval well under 1% of one core.
 */
export function tuneHeapForAgent(lowMemory = true): HeapCompactor {
  setFlagsFromString('--optimize-for-size');
  // Normally already given by the re-execution (agent-node-flags.ts); set here
  // too for an agent run in a process of its own choosing. A compiler the operator switched on on
  // the command line (`node --opt …`) stays on.
  for (const flag of missingNodeFlags(currentProcessImage(), lowMemory ? agentV8Flags : ['--no-opt'])) setFlagsFromString(flag);
  setFlagsFromString('--semi-space-growth-factor=1');
  setFlagsFromString('--expose-gc');
  // The gc extension is installed in contexts created after the flag is set, never in this one.
  const gc = process.getBuiltinModule('node:vm').runInNewContext('gc') as (options: { type: 'major'; flavor: 'last-resort' }) => void;
  return new HeapCompactor({
    heapBytes: () => getHeapStatistics().total_heap_size,
    compact: () => gc({ type: 'major', flavor: 'last-resort' }),
    slackBytes: compactionSlackBytes,
  });
}

/** Run the agent until SIGTERM/SIGINT. */
export async function run(args: string[]): Promise<number> {
  let f: AgentFlags;
  try {
    f = parseAgentFlags(args);
  } catch (e) {
    process.stderr.write(`Error: ${errorMessage(e)}\n\n${agentUsage()}`);
    return 2;
  }
  if (f.help) {
    process.stdout.write(agentUsage());
    return 0;
  }
  // Before anything is opened: the agent's V8 options must hold from the process's first
  // instruction (see agent-node-flags.ts); returns when they already do.
  if (f.lowMemory) reexecWithNodeFlags('agent', args, agentNodeFlags, agentNodeEnv);
  const heap = tuneHeapForAgent(f.lowMemory);
  const log = createLogger({ level: f.logLevel }).with({ component: 'agent', node: f.nodeName });
  const mounts = readCgroupMounts({ procRoot: f.procRoot, sysRoot: f.sysRoot });
  const connection = await kubeConnection(f);
  const identity: IdentityProvider[] = [];
  let cri: CriStorage | undefined;
  let claims: ClaimResolver | undefined;
  if (f.containerRuntimeEndpoint !== '') {
    // gRPC loads on the first call once the runtime's socket exists (see cri-lazy.ts).
    const runtime = lazyCri({ endpoint: f.containerRuntimeEndpoint });
    identity.push(runtime.identity);
    cri = runtime.storage;
  }
  if (connection !== null) {
    const [{ kubeApiIdentity }, { KubeClient }, { apiClaimResolver }] = await Promise.all([
      import('../agent/identity/kube-api.ts'), import('../kube/client.ts'), import('../agent/fs/claims.ts'),
    ]);
    const client = new KubeClient(connection, { logger: log });
    identity.push(kubeApiIdentity({ client, nodeName: f.nodeName, logger: log }));
    claims = apiClaimResolver({ client });
  }
  const standalone = f.standalone === 'true' || (f.standalone === 'auto' && identity.length === 0);
  // Volumes, logs and the runtime's filesystems are measured outside the housekeeping passes,
  // waiting for each pass to end; the collector takes their latest results into its snapshots.
  const storage = new StorageCollector({
    rootDir: f.rootDir, podLogsDir: f.podLogsDir, volumeStatsAggPeriodMs: f.volumeStatsAggPeriodMs, refreshIntervalMs: f.housekeepingIntervalMs,
    pods: () => collector.latest()?.pods ?? [], cri, claims, gate: () => collector.idle(),
    onError: (kind, what, e) => collector.recordError(kind, what, e), logger: log,
  });
  const collector: Collector = new Collector({
    reader: createCgroupReader(mounts),
    procRoot: f.procRoot,
    nodeName: f.nodeName,
    cgroupRoot: f.cgroupRoot,
    driver: f.cgroupDriver,
    identity,
    standalone: standalone ? { engineEndpoints: [f.dockerEndpoint, f.podmanEndpoint] } : undefined,
    pressure: f.featureGates.KubeletPSI,
    systemCgroups: f.systemCgroups,
    fs: {
      rootDir: existsSync(f.rootDir) ? f.rootDir : '/',
      imageFsDir: f.imageFsDir !== '' ? f.imageFsDir : firstExisting(['/var/lib/containerd', '/var/lib/containers/storage', '/var/lib/docker']),
    },
    logger: log,
    storage,
  });
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);

  // One pass before listening: the endpoints never answer without data.
  await collector.collectOnce(stop.signal);
  heap.afterPass();
  const storageLoop = storage.run(stop.signal);
  const loop = collector.run({ intervalMs: f.housekeepingIntervalMs, signal: stop.signal, afterPass: () => heap.afterPass(), afterFirstPass: true });
  const handler = createAgentHandler({ source: collector, logger: log, heap });
  let readOnly: Server | undefined;
  try {
    if (f.readOnlyPort !== 0) {
      // Not `import … from 'node:http'`: an ES import of node:http builds the module namespace,
      // whose lazy WebSocket getters load Node's bundled undici: +12 MiB RSS (58 vs 46 MiB for a
      // bare server, Node 24). getBuiltinModule returns the CommonJS exports without touching them.
      const server = process.getBuiltinModule('node:http').createServer((req, res) => void handler(req, res));
      readOnly = server;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(f.readOnlyPort, f.secure.bindAddress, () => resolve());
      });
    }
    // Like the kubelet, the secure port is served with or without a certificate: without one, a
    // self-signed pair in --cert-dir names the node (clients then need its CA or to skip checks).
    const secure = f.secure.securePort !== 0
      ? await (await import('../agent/secure.ts')).startSecurePort({
        flags: f.secure, nodeName: f.nodeName, authorizationMode: f.authorizationMode, connection, handler, logger: log,
        certificateNames: [f.nodeName, hostname(), ...(f.nodeIps.length > 0 ? f.nodeIps : interfaceAddresses())],
      })
      : undefined;
    log.info('agent serving', {
      cgroup: mounts.version, hybrid: mounts.hybrid, identity: identity.map((p) => p.name).join(',') || 'none', standalone,
      readOnlyPort: f.readOnlyPort, securePort: secure?.port ?? 0,
    });
    await new Promise<void>((resolve) => (stop.signal.aborted ? resolve() : stop.signal.addEventListener('abort', () => resolve(), { once: true })));
    log.info('agent stopping');
    await secure?.close();
  } catch (e) {
    stop.abort();
    log.error('agent failed', { error: errorMessage(e) });
    await Promise.all([loop, storageLoop]);
    collector.close();
    storage.close();
    readOnly?.close();
    return 1;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
  await new Promise<void>((resolve) => {
    if (readOnly === undefined) return resolve();
    readOnly.close(() => resolve());
    readOnly.closeAllConnections();
  });
  await Promise.all([loop, storageLoop]);
  collector.close();
  storage.close();
  return 0;
}
