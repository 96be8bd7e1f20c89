/**
 * `kubemeter up` composed: the agent (housekeeping over this host's cgroups, standalone identity)
 * serving its secure port on 127.0.0.1, the metrics server scraping it — and any remote agents
 * of `--nodes-file` — through its normal scraper, decoders and store, and one HTTPS listener
 * with metrics.k8s.io plus the read-only core API kubectl top needs. Authentication is always
 * on: client certificates from the generated CA only, nothing anonymous; the admin certificate
 * (group system:masters) is authorized, any other identity is denied. Nothing here reads argv
 * or exits; see src/cmd/up.ts.
 */
import { hostname as osHostname } from 'node:os';
import { Collector } from '../agent/collector.ts';
import { createAgentHandler } from '../agent/http.ts';
import type { IdentityProvider } from '../agent/identity/types.ts';
import { startSecurePort, type SecurePort } from '../agent/secure.ts';
import { defaultSecureFlags, type SecureFlags } from '../auth/flags.ts';
import { detectDriver } from '../agent/discover.ts';
import { readCgroupMounts } from '../cgroup/mounts.ts';
import { createCgroupReader } from '../cgroup/reader.ts';
import type { Clock } from '../lib/clock.ts';
import { systemClock } from '../lib/clock.ts';
import { ErrorCode, KubemeterError, errorMessage } from '../lib/errors.ts';
import { everythingLabelSelector } from '../lib/labels.ts';
import type { Logger } from '../lib/log.ts';
import { KubeletClient } from '../scraper/kubelet-client.ts';
import { NodesFileView } from '../server/nodes-file.ts';
import { serveApi, type Serving } from '../server/serve.ts';
import { MetricsServer } from '../server/server.ts';
import { Inventory, SOURCE_LABEL } from './inventory.ts';
import { readHostFacts } from './host-facts.ts';
import { standaloneHandler } from './http.ts';
import { CONTEXT_NAME, renderKubeconfig, writeKubeconfig } from './kubeconfig.ts';
import { nodeResourcesReader } from './nodes-file-resources.ts';
import { ensureStatePki } from './pki.ts';

/** Everything `kubemeter up` is configured with. */
export interface StandaloneOptions {
  /** CA, certificates (default `~/.kubemeter`). */
  stateDir: string;
  /** Where the kubeconfig is written (default `~/.kube/kubemeter.config`). */
  kubeconfigOut: string;
  /** Metrics API listen address (default 127.0.0.1). */
  bindAddress: string;
  /** Metrics API port; 0 = any free port. */
  securePort: number;
  /** Take any free port when `securePort` is busy (the default port was not asked for explicitly). */
  portFallback: boolean;
  nodeName: string;
  /** Scrape period, ms. */
  resolutionMs: number;
  /** Agent housekeeping period, ms. */
  housekeepingIntervalMs: number;
  /** `--nodes-file`: remote agents to scrape as well. */
  nodesFile?: string;
  /** Port of remote agents without a `port` in the nodes file. */
  agentPort: number;
  procRoot: string;
  sysRoot: string;
  cgroupRoot: string;
  /** CRI socket for names of Kubernetes pods on this host ('' = none). */
  containerRuntimeEndpoint: string;
  /** Docker/Podman API sockets for container names. */
  engineEndpoints: string[];
  /** Version reported as the Node's kubeletVersion and by /version. */
  version: string;
  logger: Logger;
  clock?: Clock;
}

/** What was found at start, for the banner. */
export interface StandaloneFound {
  cgroupVersion: 'v1' | 'v2';
  hybrid: boolean;
  driver: 'systemd' | 'cgroupfs';
  workloads: number;
  /** Workloads by `kubemeter.io/source` (systemd, docker, kubernetes, …). */
  bySource: Record<string, number>;
  cpuCores: number;
  memTotalBytes: bigint;
  remoteNodes: number;
}

/** A running standalone pipeline. */
export interface Standalone {
  nodeName: string;
  /** `https://127.0.0.1:PORT` of the Metrics and core API. */
  url: string;
  kubeconfigPath: string;
  contextName: string;
  caFile: string;
  /** The local agent's secure port URL. */
  agentUrl: string;
  found: StandaloneFound;
  server: MetricsServer;
  /** Resolves when the first node metrics can be served (or the pipeline stops). */
  firstMetrics: Promise<void>;
  close(): Promise<void>;
}

function isAddressInUse(e: unknown): boolean {
  return (e as { code?: unknown } | null)?.code === 'EADDRINUSE';
}

/** Start everything; `close()` stops it and keeps the state directory and the kubeconfig. */
export async function startStandalone(o: StandaloneOptions): Promise<Standalone> {
  const log = o.logger;
  const clock = o.clock ?? systemClock;
  const ctl = new AbortController();
  const closers: (() => Promise<void> | void)[] = [];
  const closeAll = async (): Promise<void> => {
    ctl.abort();
    for (const c of closers.reverse()) {
      try {
        await c();
      } catch (e) {
        log.warn('error while stopping', { err: errorMessage(e) });
      }
    }
    closers.length = 0;
  };
  try {
    const mounts = readCgroupMounts({ procRoot: o.procRoot, sysRoot: o.sysRoot });
    const reader = createCgroupReader(mounts);
    const facts = readHostFacts({ procRoot: o.procRoot, sysRoot: o.sysRoot }, o.nodeName);
    const identity: IdentityProvider[] = [];
    if (o.containerRuntimeEndpoint !== '') {
      const { criIdentity } = await import('../agent/identity/cri.ts');
      identity.push(criIdentity({ endpoint: o.containerRuntimeEndpoint }));
    }
    const collector = new Collector({
      reader,
      procRoot: o.procRoot,
      nodeName: o.nodeName,
      cgroupRoot: o.cgroupRoot,
      driver: 'auto',
      identity,
      standalone: { engineEndpoints: o.engineEndpoints },
      fs: { rootDir: '/', imageFsDir: undefined },
      clock,
      logger: log.with({ component: 'agent' }),
    });
    closers.push(() => collector.close());
    // One pass before anything listens: the agent never answers without data.
    const first = await collector.collectOnce(ctl.signal);
    const loop = collector.run({ intervalMs: o.housekeepingIntervalMs, signal: ctl.signal, afterFirstPass: true });
    closers.push(() => loop);

    const pki = ensureStatePki({
      stateDir: o.stateDir,
      apiNames: ['localhost', '127.0.0.1', '::1', osHostname(), ...(o.bindAddress === '0.0.0.0' || o.bindAddress === '::' ? [] : [o.bindAddress])],
      agentNames: ['localhost', '127.0.0.1'],
    });
    log.info(pki.ca.created ? 'created a CA' : 'reusing the CA', { caFile: pki.ca.certFile });

    // The agent's secure port, kubelet-style: only certificates of our CA, nothing anonymous.
    const agentFlags: SecureFlags = {
      ...defaultSecureFlags('kubelet'),
      bindAddress: '127.0.0.1', securePort: 0, certDir: o.stateDir, tlsCertFile: pki.agentServing.certFile, tlsPrivateKeyFile: pki.agentServing.keyFile,
      clientCaFile: pki.ca.certFile, anonymousAuth: false, authenticationSkipLookup: true,
    };
    const agentPort: SecurePort = await startSecurePort({
      flags: agentFlags,
      nodeName: o.nodeName,
      // There is no API server to ask: any client certificate signed by the generated CA may read.
      authorizationMode: 'AlwaysAllow',
      connection: null,
      handler: createAgentHandler({ source: collector, logger: log.with({ component: 'agent' }) }),
      logger: log.with({ component: 'agent' }),
    });
    closers.push(() => agentPort.close());

    let nodesFile: ConstructorParameters<typeof Inventory>[0]['nodesFile'];
    if (o.nodesFile !== undefined && o.nodesFile !== '') {
      const view = new NodesFileView({ path: o.nodesFile, logger: log });
      const path = o.nodesFile;
      nodesFile = { view, resources: nodeResourcesReader(path, () => view.nodes(), (e) => log.error('nodes file resources rejected', { path, err: errorMessage(e) })) };
    }
    const inventory = new Inventory({ nodeName: o.nodeName, facts, snapshot: () => collector.latest(), mounts, kubeletVersion: `v${o.version}-kubemeter`, clock, logger: log, ...(nodesFile === undefined ? {} : { nodesFile }) });
    inventory.localPort = agentPort.port;

    const kubelets = new KubeletClient({ caPem: pki.ca.certPem, clientCertPem: pki.scraperClient.certPem, clientKeyPem: pki.scraperClient.keyPem });
    closers.push(() => kubelets.close());
    const [major = '0', minor = '0'] = o.version.split('.');
    const server = new MetricsServer({
      cluster: inventory,
      client: kubelets,
      address: { preferredAddressTypes: ['InternalIP', 'Hostname', 'InternalDNS', 'ExternalIP', 'ExternalDNS'], port: o.agentPort, useNodeStatusPort: true, scheme: 'https', endpoint: 'resource' },
      nodeSelector: everythingLabelSelector,
      resolutionMs: o.resolutionMs,
      requestTimeoutMs: Math.max(1000, Math.floor(o.resolutionMs * 0.9)),
      concurrency: 64,
      clock,
      logger: log.with({ component: 'server' }),
      version: { major, minor, gitVersion: `v${o.version}`, gitCommit: '', gitTreeState: '', buildDate: '', goVersion: `node${process.versions.node}`, compiler: 'v8', platform: `linux/${facts.architecture}` },
    });
    inventory.attachStore(server.store);
    await server.start(ctl.signal);
    closers.push(() => server.beginShutdown());

    let port = 0;
    const handler = standaloneHandler({
      core: {
        nodeDescriptions: () => inventory.nodeDescriptions(),
        podDescriptions: () => inventory.podDescriptions(),
        serverAddress: () => `${o.bindAddress === '0.0.0.0' ? '127.0.0.1' : o.bindAddress}:${port}`,
        resourceVersion: () => String(collector.latest()?.startedMs ?? 0),
      },
      metrics: server.handle,
    });
    const apiFlags: SecureFlags = {
      ...defaultSecureFlags('apiserver'),
      bindAddress: o.bindAddress, securePort: o.securePort, certDir: o.stateDir, tlsCertFile: pki.apiServing.certFile, tlsPrivateKeyFile: pki.apiServing.keyFile,
      clientCaFile: pki.ca.certFile, anonymousAuth: false, authenticationSkipLookup: true,
    };
    // No kube-apiserver: no TokenReview, no SubjectAccessReview; only system:masters is authorized.
    const serve = (): Promise<Serving> => serveApi({ flags: apiFlags, handler, authenticationConnection: null, authorizationConnection: null, logger: log.with({ component: 'api' }), clock });
    let serving: Serving;
    try {
      serving = await serve();
    } catch (e) {
      if (!isAddressInUse(e) || !o.portFallback) {
        throw isAddressInUse(e) ? new KubemeterError(ErrorCode.InvalidFlag, `port ${o.securePort} on ${o.bindAddress} is in use (choose another --secure-port)`, { source: '--secure-port', cause: e }) : e;
      }
      log.warn('the default port is in use; serving on a free port instead', { port: o.securePort });
      apiFlags.securePort = 0;
      serving = await serve();
    }
    closers.push(() => serving.close());
    port = serving.port;
    const shownHost = o.bindAddress === '0.0.0.0' || o.bindAddress === '::' ? '127.0.0.1' : o.bindAddress.includes(':') ? `[${o.bindAddress}]` : o.bindAddress;
    const url = `https://${shownHost}:${port}`;
    writeKubeconfig(o.kubeconfigOut, renderKubeconfig({ server: url, caPem: pki.ca.certPem, clientCertPem: pki.admin.certPem, clientKeyPem: pki.admin.keyPem }));

    const firstMetrics = new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (ctl.signal.aborted || server.store.nodeUsage(o.nodeName) !== undefined) {
          clearInterval(t);
          resolve();
        }
      }, 200);
      t.unref();
    });
    const bySource: Record<string, number> = {};
    for (const p of inventory.podDescriptions()) {
      const s = p.labels[SOURCE_LABEL] ?? 'other';
      bySource[s] = (bySource[s] ?? 0) + 1;
    }
    return {
      nodeName: o.nodeName,
      url,
      kubeconfigPath: o.kubeconfigOut,
      contextName: CONTEXT_NAME,
      caFile: pki.ca.certFile,
      agentUrl: agentPort.url,
      found: {
        cgroupVersion: mounts.version,
        hybrid: mounts.hybrid,
        driver: detectDriver(reader, o.cgroupRoot) ?? (reader.exists('/system.slice') || reader.exists('/init.scope') ? 'systemd' : 'cgroupfs'),
        workloads: first.pods.length,
        bySource,
        cpuCores: facts.cpuCores,
        memTotalBytes: first.node.memTotalBytes,
        remoteNodes: inventory.nodes().length - 1,
      },
      server,
      firstMetrics,
      close: closeAll,
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}
