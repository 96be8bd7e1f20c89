/**
 * The core of the server's end-to-end tests, all on 127.0.0.1: fake kubelets over TLS (one
 * serving certificate from a test kubelet CA), a nodes file naming them, and a MetricsServer with
 * the real scrape loop on a manual clock, not serving yet. Everything is closed in `t.after`.
 *
 *   const r = await startNodesFileServer(t, { nodes: ['node-a'], nodesYaml: ([a]) => `- {name: node-a, address: 127.0.0.1, port: ${a}}\n`, … });
 *   r.kubelets[0]!.container('default', 'web-1', 'app').cpuNs = …; await r.server.loop.tick();
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../src/lib/clock.ts';
import { everythingLabelSelector, parseLabelSelector } from '../../src/lib/labels.ts';
import { silentLogger } from '../../src/lib/log.ts';
import { apiRequest } from '../../src/apiserver/http.ts';
import { KubeletClient } from '../../src/scraper/kubelet-client.ts';
import { MetricsServer } from '../../src/server/server.ts';
import { NodesFileView } from '../../src/server/nodes-file.ts';
import { startFakeKubelet, type FakeKubelet } from './fake-kubelet.ts';
import { createTestPki, type TestPki } from './pki.ts';

/** Options of startNodesFileServer. */
export interface NodesFileServerOptions {
  /** Node names: one fake kubelet each, in this order. */
  nodes: readonly string[];
  /** The nodes file, given the fake kubelets' ports in the order of `nodes`. */
  nodesYaml: (ports: number[]) => string;
  /** Start of the scrape loop's manual clock, Unix ms. */
  startMs: number;
  /** Label selector text for the nodes to scrape (default '': every node). */
  nodeSelector?: string;
  requestTimeoutMs: number;
  /** Kubelet requests in flight at once. */
  concurrency: number;
  /** Prefix of the temporary directory that holds the nodes file. */
  dirPrefix: string;
}

/** What startNodesFileServer built. */
export interface NodesFileServer {
  /** The test PKI (the kubelet CA is `kubelet-ca`; tests may add their own CAs). */
  pki: TestPki;
  /** The fake kubelets, in the order of `nodes`. */
  kubelets: FakeKubelet[];
  /** Clock of the scrape loop and the store. */
  clock: ManualClock;
  server: MetricsServer;
  /** The temporary directory (removed after the test). */
  dir: string;
  /** Status and body the server's handler gives for `GET path` (no sockets, no authentication). */
  get(path: string, accept?: string): { status: number; body: string };
}

/** Minimal test-context surface: cleanups registered in order. */
type After = { after: (fn: () => unknown) => void };

/** Start the fake kubelets and compose the server over a nodes file naming them. */
export async function startNodesFileServer(t: After, o: NodesFileServerOptions): Promise<NodesFileServer> {
  const pki = createTestPki();
  t.after(() => pki.cleanup());
  const ca = pki.ca('kubelet-ca');
  const serving = pki.issue(ca, { commonName: 'kubelet', ipAddresses: ['127.0.0.1'], usage: 'server' });
  const kubelets: FakeKubelet[] = [];
  t.after(() => Promise.all(kubelets.map((k) => k.close())));
  for (const nodeName of o.nodes) kubelets.push(await startFakeKubelet({ tls: serving, nodeName }));
  const dir = mkdtempSync(join(tmpdir(), o.dirPrefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const nodesFile = join(dir, 'nodes.yaml');
  writeFileSync(nodesFile, o.nodesYaml(kubelets.map((k) => k.port)));
  const client = new KubeletClient({ caPem: ca.certPem });
  t.after(() => client.close());
  const clock = new ManualClock(o.startMs);
  const server = new MetricsServer({
    cluster: new NodesFileView({ path: nodesFile, logger: silentLogger }),
    client,
    // Only InternalIP: a node named by a host name has no usable address.
    address: { preferredAddressTypes: ['InternalIP'], port: 10250, useNodeStatusPort: true, scheme: 'https', endpoint: 'resource' },
    nodeSelector: o.nodeSelector === undefined || o.nodeSelector === '' ? everythingLabelSelector : parseLabelSelector(o.nodeSelector),
    resolutionMs: 15_000,
    requestTimeoutMs: o.requestTimeoutMs,
    concurrency: o.concurrency,
    clock,
    logger: silentLogger,
    version: { major: '0', minor: '1', gitVersion: 'v0.1.0', gitCommit: '', gitTreeState: '', buildDate: '', goVersion: 'node', compiler: 'v8', platform: 'linux/amd64' },
  });
  const get = (path: string, accept = ''): { status: number; body: string } => {
    const r = server.handle(apiRequest('GET', path, { accept }));
    return { status: r.status, body: r.body };
  };
  return { pki, kubelets, clock, server, dir, get };
}
