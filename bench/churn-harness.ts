/**
 * The server's collection path (scrape loop, decoders, store, self-metrics) in a child process,
 * driven tick by tick from the benchmark so that 1,000 cycles of node churn take minutes rather
 * than the 4 hours they would at a 15 s resolution. Time is the simulator's accelerated clock
 * (same origin and speed in both processes), so timestamps, rates and staleness behave as in a
 * real cluster; every tick is the server's own ScrapeLoop.tick over real HTTPS to the simulator.
 *
 *   node --expose-gc bench/churn-harness.ts <speed> <originMs> <resolutionMs>   (IPC channel)
 *   → { id, nodes: [{name, address, port}], gc? }   ← { id, tickMs, cpuUs, rssBytes, heapUsedBytes, served, points }
 */
import { acceleratedClock } from '../src/sim/clock.ts';
import { everythingLabelSelector } from '../src/lib/labels.ts';
import { silentLogger } from '../src/lib/log.ts';
import { KubeletClient } from '../src/scraper/kubelet-client.ts';
import type { KubeletNode } from '../src/scraper/address.ts';
import type { ClusterView } from '../src/server/cluster.ts';
import { MetricsServer } from '../src/server/server.ts';

const [speed = '1', originMs = String(Date.now()), resolutionMs = '15000'] = process.argv.slice(2);
const clock = acceleratedClock({ speed: Number(speed), originMs: Number(originMs) });

let list: KubeletNode[] = [];
let byName = new Map<string, KubeletNode>();
const cluster: ClusterView = {
  podSource: undefined,
  nodes: () => list,
  node: (name) => byName.get(name),
  synced: () => true,
  syncError: () => '',
  start: () => undefined,
  waitForSync: () => Promise.resolve(),
};
const client = new KubeletClient({ insecureSkipTlsVerify: true });
const server = new MetricsServer({
  cluster,
  client,
  address: { preferredAddressTypes: ['InternalIP'], port: 10250, useNodeStatusPort: true, scheme: 'https', endpoint: 'resource' },
  nodeSelector: everythingLabelSelector,
  resolutionMs: Number(resolutionMs),
  requestTimeoutMs: 5000,
  concurrency: 256,
  clock,
  logger: silentLogger,
  version: { major: '0', minor: '1', gitVersion: 'v0.1.0', gitCommit: '', gitTreeState: '', buildDate: '', goVersion: '', compiler: 'v8', platform: 'linux/amd64' },
});

interface TickRequest {
  id: number;
  nodes: Array<{ name: string; address: string; port: number }>;
  gc?: boolean;
}

process.on('message', (m: TickRequest | { stop: true }) => {
  if ('stop' in m) {
    client.close();
    process.disconnect();
    return;
  }
  list = m.nodes.map((n) => ({ name: n.name, addresses: [{ type: 'InternalIP', address: n.address }], kubeletPort: n.port, labels: {}, ready: true }));
  byName = new Map(list.map((n) => [n.name, n]));
  const start = performance.now();
  void server.loop.tick().then(() => {
    const tickMs = performance.now() - start;
    const served = list.filter((n) => server.store.nodeUsage(n.name) !== undefined).map((n) => n.name);
    if (m.gc === true && typeof globalThis.gc === 'function') globalThis.gc();
    const cpu = process.cpuUsage();
    const mem = process.memoryUsage();
    process.send?.({ id: m.id, tickMs, cpuUs: cpu.user + cpu.system, rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, served, points: server.store.pointCounts() });
  });
});
