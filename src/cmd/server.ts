/**
 * `kubemeter server`: a drop-in metrics-server. Flags keep metrics-server's names and defaults so
 * the args of its components.yaml work unchanged; `--nodes-file` and `--kubelet-endpoint` are ours.
 */
import { readFileSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { FlagError, flagHelp, parseFlags, type FlagSpec } from '../cli/flags.ts';
import { parseGoDuration } from '../lib/go-format.ts';
import { ErrorCode, KubemeterError, errorMessage } from '../lib/errors.ts';
import { createLogger, type Logger } from '../lib/log.ts';
import { systemClock } from '../lib/clock.ts';
import { everythingLabelSelector, parseLabelSelector } from '../lib/labels.ts';
import { KubeClient } from '../kube/client.ts';
import { loadKubeConfig } from '../kube/kubeconfig.ts';
import { KubeletClient } from '../scraper/kubelet-client.ts';
import { defaultAddressTypes } from '../scraper/address.ts';
import { NodesFileView } from '../server/nodes-file.ts';
import { KubeClusterView } from '../server/kube-view.ts';
import { MetricsServer } from '../server/server.ts';
import { servingCertificate } from '../server/serve.ts';
import type { ClusterView } from '../server/cluster.ts';
import { packageVersion } from './version.ts';

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
  { name: 'secure-port', kind: 'int', defaultText: '443', help: 'The port on which to serve HTTPS with authentication and authorization.' },
  { name: 'bind-address', kind: 'string', defaultText: '0.0.0.0', help: 'The IP address on which to listen for the --secure-port port.' },
  { name: 'cert-dir', kind: 'string', defaultText: 'apiserver.local.config/certificates', help: 'The directory where the TLS certs are located. If --tls-cert-file and --tls-private-key-file are provided, this flag will be ignored.' },
  { name: 'tls-cert-file', kind: 'string', help: 'File containing the default x509 Certificate for HTTPS.' },
  { name: 'tls-private-key-file', kind: 'string', help: 'File containing the default x509 private key matching --tls-cert-file.' },
  { name: 'nodes-file', kind: 'string', help: 'Scrape the nodes listed in this YAML or JSON file ({name, address, port?, labels?, capacity?, allocatable?}) instead of asking a Kubernetes API; re-read when it changes.' },
  { name: 'kubelet-endpoint', kind: 'string', defaultText: 'resource', help: 'Kubelet endpoint to scrape: resource (/metrics/resource) or summary (/stats/summary?only_cpu_and_memory=true).' },
  { name: 'kubelet-max-concurrent-requests', kind: 'int', defaultText: '256', help: 'Most kubelet requests in flight at once.' },
  { name: 'v', kind: 'int', defaultText: '0', help: 'Log verbosity: 0 info, 2 and above adds debug messages.' },
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
  securePort: number;
  bindAddress: string;
  certDir: string;
  tlsCertFile: string;
  tlsKeyFile: string;
  nodesFile: string;
  endpoint: 'resource' | 'summary';
  concurrency: number;
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
    securePort: intFlag(values, 'secure-port', 443, 0, 65535),
    bindAddress: s('bind-address', '0.0.0.0'),
    certDir: s('cert-dir', 'apiserver.local.config/certificates'),
    tlsCertFile: s('tls-cert-file'),
    tlsKeyFile: s('tls-private-key-file'),
    nodesFile: s('nodes-file'),
    endpoint,
    concurrency: intFlag(values, 'kubelet-max-concurrent-requests', 256, 1, 100_000),
    verbosity: intFlag(values, 'v', 0, 0, 10),
    loggingFormat: format,
  };
  const errors: string[] = [];
  if (f.resolutionMs < 10_000) errors.push(`metric-resolution should be a time duration at least 10s, but value ${s('metric-resolution')} provided`);
  if ((f.resolutionMs * 9) / 10 < f.requestTimeoutMs) errors.push('metric-resolution should be larger than kubelet-request-timeout');
  if (f.requestTimeoutMs <= 0) errors.push('kubelet-request-timeout should be positive');
  if ((f.clientCert === '') !== (f.clientKey === '')) errors.push('kubelet-client-certificate and kubelet-client-key must be both specified or both empty');
  if (f.insecureTls && f.kubeletCa !== '') errors.push('cannot use both --kubelet-certificate-authority and --kubelet-insecure-tls');
  if (f.addressTypes.length === 0) errors.push('kubelet-preferred-address-types must not be empty');
  if (errors.length > 0) throw new KubemeterError(ErrorCode.InvalidFlag, errors.join('; '), { source: 'flags' });
  // Validate the selector now: a typo must stop the server, not silently select nothing.
  if (f.nodeSelector !== '') parseLabelSelector(f.nodeSelector, '--node-selector');
  return f;
}

function readPem(path: string, flag: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new KubemeterError(ErrorCode.InvalidFile, `cannot read ${flag} ${path}: ${errorMessage(e)}`, { source: path, cause: e });
  }
}

/** Compose and run the server until SIGTERM/SIGINT. */
async function serve(f: ServerFlags, logger: Logger): Promise<number> {
  const ctl = new AbortController();
  let cluster: ClusterView;
  let token: string | undefined;
  let clusterCa: string | undefined;
  if (f.nodesFile !== '') {
    cluster = new NodesFileView({ path: f.nodesFile, logger });
  } else {
    const connection = await loadKubeConfig(f.kubeconfig === '' ? {} : { kubeconfig: f.kubeconfig });
    const client = new KubeClient(connection, { logger, userAgent: `kubemeter-server/v${packageVersion()}` });
    cluster = new KubeClusterView({ client, logger });
    clusterCa = connection.ca?.toString('utf8');
    const refresh = async (): Promise<void> => {
      try {
        token = (await connection.credentials.get()).token;
      } catch (e) {
        logger.error('Cannot refresh kubelet credentials', { err: errorMessage(e) });
      }
    };
    await refresh();
    const timer = setInterval(() => void refresh(), 60_000);
    timer.unref();
  }
  const caPem = f.kubeletCa !== '' ? readPem(f.kubeletCa, '--kubelet-certificate-authority') : clusterCa;
  const kubelets = new KubeletClient({
    insecureSkipTlsVerify: f.insecureTls,
    ...(caPem === undefined ? {} : { caPem }),
    ...(f.clientCert === '' ? {} : { clientCertPem: readPem(f.clientCert, '--kubelet-client-certificate'), clientKeyPem: readPem(f.clientKey, '--kubelet-client-key') }),
    bearerToken: () => (f.clientCert === '' ? token : undefined),
  });
  const version = packageVersion();
  const [major = '0', minor = '0'] = version.split('.');
  const server = new MetricsServer({
    cluster,
    client: kubelets,
    address: { preferredAddressTypes: f.addressTypes, port: f.kubeletPort, useNodeStatusPort: f.useNodeStatusPort, scheme: 'https', endpoint: f.endpoint },
    nodeSelector: f.nodeSelector === '' ? everythingLabelSelector : parseLabelSelector(f.nodeSelector, '--node-selector'),
    resolutionMs: f.resolutionMs,
    requestTimeoutMs: f.requestTimeoutMs,
    concurrency: f.concurrency,
    clock: systemClock,
    logger,
    version: { major, minor, gitVersion: `v${version}`, gitCommit: '', gitTreeState: '', buildDate: '', goVersion: `node${process.versions.node}`, compiler: 'v8', platform: `${platform()}/${arch() === 'x64' ? 'amd64' : arch()}` },
  });
  const cert = servingCertificate({ tlsCertFile: f.tlsCertFile, tlsPrivateKeyFile: f.tlsKeyFile, certDir: f.certDir, extraNames: [f.bindAddress], logger });
  const stopped = new Promise<void>((resolve) => {
    const stop = (): void => {
      server.beginShutdown();
      ctl.abort();
      resolve();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  await server.start(ctl.signal);
  if (ctl.signal.aborted) return 0;
  const serving = await server.serve({ bindAddress: f.bindAddress, port: f.securePort, cert });
  logger.info('Serving securely', { address: `${f.bindAddress}:${serving.port}`, nodesFile: f.nodesFile || undefined });
  await stopped;
  await serving.close();
  kubelets.close();
  return 0;
}

/** Entry point of `kubemeter server`. */
export async function run(args: string[]): Promise<number> {
  let f: ServerFlags | 'help';
  try {
    f = parseServerFlags(args);
  } catch (e) {
    process.stderr.write(`Error: ${errorMessage(e)}\n`);
    return 2;
  }
  if (f === 'help') {
    process.stdout.write(`Launch a metrics server (metrics.k8s.io/v1beta1) that scrapes kubelets.\n\nUsage:\n  kubemeter server [flags]\n\nFlags:\n${flagHelp(serverFlags)}`);
    return 0;
  }
  const logger = createLogger({ level: f.verbosity >= 2 ? 'debug' : 'info', format: f.loggingFormat });
  try {
    return await serve(f, logger);
  } catch (e) {
    logger.error('server failed', { err: errorMessage(e) });
    return 1;
  }
}
