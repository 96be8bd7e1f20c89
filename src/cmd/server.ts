/**
 * `kubemeter server`: a drop-in metrics-server. Flags keep metrics-server's names and defaults so
 * the args of its components.yaml work unchanged; `--nodes-file` and `--kubelet-endpoint` are ours.
 * Serves only over authenticated, authorized HTTPS (src/auth), as metrics-server does.
 */
import { readFileSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { flagHelp } from '../lib/flags.ts';
import { ErrorCode, KubemeterError, errorMessage } from '../lib/errors.ts';
import { createLogger, type Logger } from '../lib/log.ts';
import { systemClock } from '../lib/clock.ts';
import { everythingLabelSelector, parseLabelSelector } from '../lib/labels.ts';
import { KubeClient } from '../kube/client.ts';
import { loadKubeConfig } from '../kube/kubeconfig.ts';
import { KubeletClient } from '../scraper/kubelet-client.ts';
import { NodesFileView } from '../server/nodes-file.ts';
import { KubeClusterView } from '../server/kube-view.ts';
import { MetricsServer } from '../server/server.ts';
import { resolveAuthSources } from '../server/auth-sources.ts';
import { serverNodeFlags, tuneHeapForServer } from '../server/heap-tuning.ts';
import { reexecWithNodeFlags } from './node-flags.ts';
import type { ClusterView } from '../server/cluster.ts';
import { parseServerFlags, serverFlags, type ServerFlags } from './server-flags.ts';
import { packageVersion } from './version.ts';

export { parseServerFlags, serverFlags, type ServerFlags } from './server-flags.ts';

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
  if (f.insecureTls) logger.warn('--kubelet-insecure-tls: kubelet serving certificates are not verified; anyone on the path to a kubelet can feed false metrics. For testing purposes only.');
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
    maxIdleConnections: f.maxIdleConnections,
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
  const auth = await resolveAuthSources({ flags: f.secure, kubeconfig: f.kubeconfig, logger });
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
  const serving = await server.serve({ flags: auth.flags, authenticationConnection: auth.authentication, authorizationConnection: auth.authorization });
  logger.info('Serving securely', { address: `${f.secure.bindAddress}:${serving.port}`, nodesFile: f.nodesFile || undefined });
  await stopped;
  // /readyz fails from now on; keep serving so that load balancers notice before we go.
  if (f.shutdownDelayMs > 0) await sleep(f.shutdownDelayMs);
  await serving.close();
  kubelets.close();
  return 0;
}

/** Entry point of `kubemeter server`. */
export async function run(args: string[]): Promise<number> {
  // The young generation's cap is read only when V8 starts: re-execute with it (returns when the
  // command line already has it, or when this is not a `kubemeter server` process of its own).
  reexecWithNodeFlags('server', args, serverNodeFlags);
  tuneHeapForServer();
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
