import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { runTop } from './top-command.ts';
import { scrapeReason } from './top-scrape.ts';
import { MetricsClient } from '../client/metrics-client.ts';
import { startTopApiServer, type TopApiServer } from '../../test/support/top-apiserver.ts';
import { container, node, nodeMetrics, pod, podMetrics, scrapeStatus, type TopFixture } from '../../test/support/top-fixture.ts';

const now = Date.UTC(2026, 7, 4, 10, 0, 0);
const timeoutText = 'request to https://n2:10250/metrics/resource timed out after 10000 ms';

function fixture(withScrape: boolean, extraNodes = 0): TopFixture {
  const names = ['n1', 'n2', 'n3', ...Array.from({ length: extraNodes }, (_, i) => `x${i}`)];
  return {
    nodes: names.map((n) => node(n, { cpu: '4', memory: '16Gi', allocCpu: '4', allocMemory: '16Gi', createdMs: now - 1e7 })),
    nodeMetrics: [nodeMetrics('n1', '3', '1Gi', now)],
    pods: [
      pod('default', 'ok', { nodeName: 'n1', containers: [container('app')], createdMs: now - 1e6 }),
      pod('default', 'stuck', { nodeName: 'n2', containers: [container('app')], createdMs: now - 1e6 }),
      pod('default', 'fresh', { nodeName: 'n2', containers: [container('app')], createdMs: now - 10_000 }),
    ],
    podMetrics: [podMetrics('default', 'ok', [{ name: 'app', cpu: '5m', memory: '10Mi' }], now)],
    ...(withScrape ? {
      scrapeStatuses: [
        scrapeStatus('n1', { attemptMs: now - 3_000, successMs: now - 2_000 }, now - 1e7),
        scrapeStatus('n2', { attemptMs: now - 22_000, successMs: now - 300_000, failures: 21, error: { reason: 'timeout', message: timeoutText, timeMs: now - 12_000 } }, now - 1e7),
        scrapeStatus('n3', {}, now - 5_000),
        ...Array.from({ length: extraNodes }, (_, i) => scrapeStatus(`x${i}`, { attemptMs: now - 1_000, failures: 1, error: { reason: 'tls', message: 'x509: certificate signed by unknown authority', timeMs: now - 1_000 } }, now - 1e7)),
      ],
    } : {}),
  };
}

async function setup(t: { after: (fn: () => unknown) => void }, fx: TopFixture): Promise<{ server: TopApiServer; kc: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'kubemeter-top-scrape-'));
  const server = await startTopApiServer({ fixture: fx });
  t.after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { server, kc: server.writeKubeconfig(join(dir, 'kc')) };
}

async function top(kc: string, args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  let stdout = '';
  let stderr = '';
  const code = await runTop(args, { stdout: { write: (s: string) => (stdout += s), isTTY: false }, stderr: { write: (s: string) => (stderr += s) }, env: { KUBECONFIG: kc }, program: 'kubemeter', nowMs: () => now });
  return { stdout, stderr, code };
}

const scrapeRequests = (s: TopApiServer): string[] => s.requests.map((r) => r.url).filter((u) => u.startsWith('/apis/scrape.kubemeter.io/'));

test('-o wide|json: the last scrape error of a node, and of the node of a pod, from a server that has scrape.kubemeter.io', async (t) => {
  const { server, kc } = await setup(t, fixture(true));
  const nodes = await top(kc, ['node', '-o', 'wide']);
  assert.equal(nodes.code, 0, nodes.stderr);
  const row = (name: string): string => nodes.stdout.split('\n').find((l) => l.startsWith(`${name} `))!;
  assert.match(row('n2'), new RegExp(`<unknown>.*last scrape failed 12s ago: timeout \\(${timeoutText.replace(/[.]/g, '\\.')}\\); 21 failures in a row; last success 5m0s ago\\s*$`));
  assert.match(row('n3'), /node not scraped yet by the metrics server\s*$/);
  assert.deepEqual(scrapeRequests(server).sort(), ['/apis/scrape.kubemeter.io/v1alpha1/nodescrapestatuses/n2', '/apis/scrape.kubemeter.io/v1alpha1/nodescrapestatuses/n3']);

  const doc = JSON.parse((await top(kc, ['node', '-o', 'json'])).stdout) as { items: { name: string; reason: string | null }[] };
  assert.deepEqual(doc.items.map((i) => [i.name, i.reason?.split(':')[0] ?? null]), [['n1', null], ['n2', 'last scrape failed 12s ago'], ['n3', 'node not scraped yet by the metrics server']]);

  const pods = await top(kc, ['pod', '-o', 'wide']);
  const podRow = (name: string): string => pods.stdout.split('\n').find((l) => l.startsWith(`${name} `))!;
  assert.match(podRow('stuck'), /n2\s+node n2: last scrape failed 12s ago: timeout \(/);
  // The node's failure explains a young pod better than its age.
  assert.match(podRow('fresh'), /node n2: last scrape failed/);
  assert.doesNotMatch(podRow('ok'), /scrape/);
});

test('falls back to the Node/Pod reasons against a server without the group; the default output never asks', async (t) => {
  const { server, kc } = await setup(t, fixture(false));
  const nodes = await top(kc, ['node', '-o', 'wide']);
  assert.equal(nodes.code, 0, nodes.stderr);
  assert.match(nodes.stdout, /n2\s+<unknown>.*no metrics from the metrics server \(scrape failing: check its logs for this node\)/);
  assert.equal(scrapeRequests(server).length, 2, 'asked, got 404, moved on');
  const pods = await top(kc, ['pod', '-o', 'wide']);
  assert.match(pods.stdout, /fresh .*pod too young \(age 10s\)/);
  server.requests.length = 0;
  const plain = await top(kc, ['node']);
  assert.equal(plain.code, 0);
  assert.equal(plain.stdout, 'NAME   CPU(cores)   CPU(%)      MEMORY(bytes)   MEMORY(%)   \nn1     3000m        75%         1024Mi          6%          \nn2     <unknown>    <unknown>   <unknown>       <unknown>   \nn3     <unknown>    <unknown>   <unknown>       <unknown>   \n');
  await top(kc, ['pod']);
  assert.deepEqual(scrapeRequests(server), []);
});

test('many nodes without metrics: one list request instead of a GET each', async (t) => {
  const { server, kc } = await setup(t, fixture(true, 12));
  const nodes = await top(kc, ['node', '-o', 'yaml']);
  assert.equal(nodes.code, 0, nodes.stderr);
  const doc = parseYaml(nodes.stdout) as { items: { name: string; reason: string | null }[] };
  assert.equal(doc.items.find((i) => i.name === 'x7')?.reason, 'last scrape failed 1s ago: tls (x509: certificate signed by unknown authority); never scraped successfully');
  assert.deepEqual(scrapeRequests(server), ['/apis/scrape.kubemeter.io/v1alpha1/nodescrapestatuses']);
});

test('the client: typed statuses, undefined when the server does not provide the API', async (t) => {
  const withGroup = await setup(t, fixture(true));
  const c = MetricsClient.fromUrl(withGroup.server.url);
  t.after(() => c.close());
  const list = await c.listNodeScrapeStatuses({ fieldSelector: 'metadata.name=n2' });
  assert.deepEqual(list?.map((s) => [s.metadata.name, s.status.consecutiveFailures, s.status.lastError?.reason, s.status.lastError?.time]), [['n2', 21, 'timeout', now - 12_000]]);
  assert.equal((await c.getNodeScrapeStatus('n1'))?.status.lastSuccessTime, now - 2_000);
  assert.equal(await c.getNodeScrapeStatus('nope'), undefined);
  const without = await setup(t, fixture(false));
  const d = MetricsClient.fromUrl(without.server.url);
  t.after(() => d.close());
  assert.equal(await d.listNodeScrapeStatuses(), undefined);
  assert.equal(await d.getNodeScrapeStatus('n1'), undefined);
  await assert.rejects(c.getNodeScrapeStatus('a/b'), /invalid node name/);
});

test('scrapeReason: failing, never attempted, succeeded without values, and nothing to say', () => {
  const meta = { name: 'n', creationTimestamp: now };
  assert.equal(scrapeReason(undefined, now), undefined);
  assert.equal(scrapeReason({ metadata: meta, status: { consecutiveFailures: 1, lastAttemptTime: now - 5_000, lastError: { reason: 'http-status', message: 'request failed,\n status: "403 Forbidden"', time: now - 4_400 } } }, now),
    'last scrape failed 4s ago: http-status (request failed, status: "403 Forbidden"); never scraped successfully');
  assert.equal(scrapeReason({ metadata: meta, status: { consecutiveFailures: 0 } }, now), 'node not scraped yet by the metrics server');
  assert.equal(scrapeReason({ metadata: meta, status: { consecutiveFailures: 0, lastAttemptTime: now - 3_000, lastSuccessTime: now - 2_000 } }, now),
    'last scrape succeeded 2s ago without usable values yet (a CPU rate needs two samples)');
  const long = scrapeReason({ metadata: meta, status: { consecutiveFailures: 2, lastAttemptTime: now, lastSuccessTime: now - 60_000, lastError: { reason: 'decode', message: 'y'.repeat(1000), time: now } } }, now)!;
  assert.ok(long.length < 300 && long.includes('…)') && long.endsWith('; 2 failures in a row; last success 1m0s ago'), long);
});
