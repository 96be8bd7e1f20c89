/**
 * The real Prometheus scrapes kubemeter as it scrapes kubelets. Two agents (`kubemeter agent` as a
 * child process on a host without Kubernetes, and an in-process agent with kubelet-style identity
 * whose names need escaping) serve /metrics/resource to a kubelet "resource" job (honor_labels,
 * honor_timestamps, 1 s interval), their own /metrics to a second job, and the server's /metrics
 * (rendered by its self-metrics registry) to a third. Prometheus refuses malformed exposition (the
 * target goes down with lastError) and counts the samples it drops from pages it otherwise accepts
 * (duplicate or out-of-order timestamps, …): both must stay clean, and what it stored must be
 * exactly what the agents served: same series, labels, values, timestamps, HELP and TYPE.
 * promtool lints the same pages. Skipped only when the Prometheus binary is not installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readCgroupMounts } from '../src/cgroup/mounts.ts';
import { createCgroupReader } from '../src/cgroup/reader.ts';
import { Collector } from '../src/agent/collector.ts';
import { createAgentHandler } from '../src/agent/http.ts';
import type { IdentityProvider } from '../src/agent/identity/types.ts';
import { SelfMetrics } from '../src/apiserver/self-metrics.ts';
import { parseExposition } from '../src/lib/promtext/parse.ts';
import type { Family } from '../src/lib/promtext/types.ts';
import { v2Systemd, writeStandaloneHost, writeV2SystemdHost } from './support/agent-fixtures.ts';
import { freePort } from './support/free-port.ts';
import {
  activeTargets, ingestionErrorCounters, ownCounters, prometheusInstalled, promtoolCheckMetrics, querySamples,
  startPrometheus, type StoredSeries, type Target,
} from './support/prometheus.ts';

const textContentType = 'text/plain; version=0.0.4; charset=utf-8';
const deadlineMs = 60_000;

/** Every family the kubelet's /metrics/resource can carry (the hidden `scrape_error` is not served). */
const resourceFamilies = [
  'container_cpu_usage_seconds_total', 'container_memory_working_set_bytes', 'container_start_time_seconds', 'container_swap_limit_bytes',
  'container_swap_usage_bytes', 'node_cpu_usage_seconds_total', 'node_memory_working_set_bytes', 'node_swap_usage_bytes',
  'pod_cpu_usage_seconds_total', 'pod_memory_working_set_bytes', 'pod_swap_usage_bytes', 'resource_scrape_error',
];

/** Series Prometheus adds to every target itself. */
const reportSeries = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'scrape_samples_post_metric_relabeling', 'scrape_series_added']);

function withoutKubernetesEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('KUBERNETES_')));
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** `kubemeter agent` as a process on the standalone fixture host; resolves once its startup pass is served. */
async function startChildAgent(dir: string): Promise<{ address: string; stop: () => void; stderr: () => string }> {
  writeStandaloneHost(dir);
  const port = await freePort();
  const main = new URL('../src/cmd/main.ts', import.meta.url).pathname;
  const child = spawn(process.execPath, [main, 'agent', '--proc-root', join(dir, 'proc'), '--sys-root', join(dir, 'sys'), '--node-name=standalone-host',
    '--address=127.0.0.1', '--read-only-port', String(port), '--port=0', '--housekeeping-interval=1h', '--standalone=true',
    '--docker-endpoint', `unix://${join(dir, 'no-docker.sock')}`, '--podman-endpoint', `unix://${join(dir, 'no-podman.sock')}`,
    '--root-dir', dir, '--image-fs-dir', dir, '--log-level=warn'], { stdio: ['ignore', 'ignore', 'pipe'], env: withoutKubernetesEnv() });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => (stderr += d));
  const address = `127.0.0.1:${port}`;
  // The command collects once before listening and its loop waits one interval before the next
  // pass, so the pages stay the same for the rest of the test (the next pass is an hour away).
  const end = Date.now() + deadlineMs;
  for (;;) {
    const own = await fetch(`http://${address}/metrics`).then((r) => (r.ok ? r.text() : ''), () => '');
    if (Number(/^kubemeter_agent_housekeeping_passes_total (\d+)$/m.exec(own)?.[1] ?? 0) >= 1) break;
    if (child.exitCode !== null || Date.now() > end) throw new Error(`the agent did not serve its first pass:\n${stderr}`);
    await sleep(50);
  }
  return { address, stop: () => child.kill('SIGKILL'), stderr: () => stderr };
}

/** Names a kubelet never sees from Kubernetes but the format must carry: quote, backslash, newline, non-ASCII. */
const odd = { namespace: 'ünïcødé-名前', pod: 'we"ird\\pod', container: 'line\nbreak 😀' } as const;

/** An in-process agent on the v2 systemd fixture host with CRI-like identity (pod C stays unresolved). */
async function startInProcessAgent(dir: string): Promise<{ address: string; close: () => Promise<void> }> {
  writeV2SystemdHost(dir);
  const f = v2Systemd;
  const identity: IdentityProvider = {
    name: 'static',
    lookup: () => Promise.resolve({
      pods: new Map([
        [f.guaranteedUid, { uid: f.guaranteedUid, name: odd.pod, namespace: odd.namespace, startTimeMs: undefined }],
        [f.burstableUid, { uid: f.burstableUid, name: 'aws-node-7k649', namespace: 'kube-system', startTimeMs: undefined }],
      ]),
      containers: new Map([
        [f.sandboxA, { id: f.sandboxA, podUid: f.guaranteedUid, name: 'POD', sandbox: true, createdAtMs: undefined }],
        [f.appA, { id: f.appA, podUid: f.guaranteedUid, name: odd.container, sandbox: false, createdAtMs: Date.now() - 3_600_123 }],
        [f.sandboxB, { id: f.sandboxB, podUid: f.burstableUid, name: 'POD', sandbox: true, createdAtMs: undefined }],
        [f.appB1, { id: f.appB1, podUid: f.burstableUid, name: 'aws-node', sandbox: false, createdAtMs: undefined }],
        [f.appB2, { id: f.appB2, podUid: f.burstableUid, name: 'kube-proxy', sandbox: false, createdAtMs: undefined }],
      ]),
    }),
    close: () => {},
  };
  const roots = { procRoot: join(dir, 'proc'), sysRoot: join(dir, 'sys') };
  const collector = new Collector({
    reader: createCgroupReader(readCgroupMounts(roots)), procRoot: roots.procRoot, nodeName: 'node-1', cgroupRoot: '/', driver: 'auto',
    identity: [identity], standalone: undefined, fs: { rootDir: dir, imageFsDir: dir },
  });
  await collector.collectOnce();
  const server = createServer(createAgentHandler({ source: collector }));
  const address = await listen(server);
  return { address, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** The server's /metrics as its registry renders it, after a few observations, over plain HTTP. */
async function startServerMetrics(): Promise<{ address: string; close: () => Promise<void> }> {
  const m = new SelfMetrics({ resolutionSeconds: 15, startTimeMs: Date.now() });
  const now = Date.now();
  m.observeKubeletRequest('node-1', now, 0.012, true);
  m.observeKubeletRequest('node-2', now, 0.7, false);
  m.observeTick(0.02);
  m.observeFreshness(3.25);
  m.setStoragePoints({ node: 2, container: 7 });
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': textContentType });
    res.end(m.render());
  });
  const address = await listen(server);
  return { address, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** Until every target is up with an empty lastError and its first scrape is committed (bounded). */
async function waitForScrapes(base: string, expected: number, log: () => string): Promise<Target[]> {
  const end = Date.now() + deadlineMs;
  let last: Target[] = [];
  for (;;) {
    last = await activeTargets(base);
    // A refused page never recovers: fail at once with Prometheus's reason. Only a timeout (a
    // loaded machine) is worth waiting out.
    for (const t of last) {
      if (t.health === 'down' && !/deadline exceeded|timeout/i.test(t.lastError)) assert.fail(`Prometheus refused ${t.scrapeUrl}: ${t.lastError}`);
    }
    if (last.length === expected && last.every((t) => t.health === 'up' && t.lastError === '')) {
      // `up` is appended in the same commit as the scraped samples: once it is queryable, they are.
      const up = await querySamples(base, 'up[1m]');
      if (last.every((t) => up.some((s) => s.labels.instance === t.labels.instance && s.labels.job === t.labels.job))) return last;
    }
    if (Date.now() > end) assert.fail(`targets not all up in ${deadlineMs} ms: ${JSON.stringify(last)}\n${log().slice(-4000)}`);
    await sleep(200);
  }
}

function seriesKey(name: string, labels: Record<string, string>): string {
  return JSON.stringify([name, ...Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]);
}

function pageSeries(families: readonly Family[]): Map<string, { family: string; value: number; timestampMs: number | undefined }> {
  const out = new Map<string, { family: string; value: number; timestampMs: number | undefined }>();
  for (const f of families) {
    for (const s of f.samples) {
      const labels: Record<string, string> = {};
      for (let i = 0; i < s.labels.length; i += 2) labels[s.labels[i]!] = s.labels[i + 1]!;
      out.set(seriesKey(s.name, labels), { family: f.name, value: s.value, timestampMs: s.timestampMs });
    }
  }
  return out;
}

function storedSeries(stored: readonly StoredSeries[]): Map<string, StoredSeries> {
  const out = new Map<string, StoredSeries>();
  for (const s of stored) {
    const { __name__: name = '', job: _job, instance: _instance, ...labels } = s.labels;
    if (!reportSeries.has(name)) out.set(seriesKey(name, labels), s);
  }
  return out;
}

/** HELP and TYPE per family, as Prometheus recorded them for one target. */
async function targetMetadata(base: string, job: string, instance: string): Promise<Map<string, string>> {
  const match = encodeURIComponent(`{job="${job}",instance="${instance}"}`);
  const body = await (await fetch(`${base}/api/v1/targets/metadata?match_target=${match}`)).json() as { data: { metric: string; type: string; help: string }[] };
  return new Map(body.data.filter((m) => !reportSeries.has(m.metric)).map((m) => [m.metric, `${m.type} ${m.help}`]));
}

/**
 * Compare one target's page with what Prometheus stored for it: the same series, and the same
 * values — exactly, with the page's own timestamp where it has one — except for `volatile` families
 * (process_* move between two renders), and the same HELP and TYPE.
 */
async function assertStoredAsServed(base: string, job: string, instance: string, page: readonly Family[], volatile: (family: string) => boolean): Promise<void> {
  const served = pageSeries(page);
  const stored = storedSeries(await querySamples(base, `{job="${job}",instance="${instance}"}[10m]`));
  assert.deepEqual([...stored.keys()].sort(), [...served.keys()].sort(), `${job} ${instance}: stored series = served series`);
  for (const [key, s] of served) {
    if (volatile(s.family)) continue;
    const samples = stored.get(key)!.samples;
    if (s.timestampMs !== undefined) {
      assert.deepEqual(samples.at(-1), { timestampMs: s.timestampMs, value: s.value }, `${job} ${instance} ${key}: last stored sample`);
    } else {
      assert.deepEqual([...new Set(samples.map((x) => x.value))], [s.value], `${job} ${instance} ${key}: every stored value`);
    }
  }
  const meta = await targetMetadata(base, job, instance);
  assert.deepEqual(meta, new Map(page.map((f) => [f.name, `${f.type} ${f.help ?? ''}`])), `${job} ${instance}: HELP and TYPE`);
}

async function page(address: string, path: string): Promise<{ text: string; families: Family[] }> {
  const res = await fetch(`http://${address}${path}`);
  assert.equal(res.headers.get('content-type'), textContentType, `${address}${path}`);
  const text = await res.text();
  return { text, families: parseExposition(text, { source: path }) };
}

test('Prometheus 2.42 scrapes the agents like kubelets and stores exactly what they serve', async (t) => {
  if (!prometheusInstalled()) {
    t.skip('/usr/bin/prometheus is not installed (Debian package "prometheus", listed in .ci/debian-packages)');
    return;
  }
  const dirA = mkdtempSync(join(tmpdir(), 'kubemeter-prom-standalone-'));
  const dirB = mkdtempSync(join(tmpdir(), 'kubemeter-prom-v2-'));
  t.after(() => {
    rmSync(dirA, { recursive: true, force: true });
    rmSync(dirB, { recursive: true, force: true });
  });
  const [childAgent, inProcess, server] = await Promise.all([startChildAgent(dirA), startInProcessAgent(dirB), startServerMetrics()]);
  t.after(() => childAgent.stop());
  t.after(() => inProcess.close());
  t.after(() => server.close());
  const agents = [childAgent.address, inProcess.address];

  const prom = await startPrometheus([
    // The kubelet resource-metrics job, as for a kubelet's read-only port.
    { job_name: 'kubelet-resource', metrics_path: '/metrics/resource', honor_labels: true, honor_timestamps: true, scrape_interval: '1s', static_configs: [{ targets: agents }] },
    { job_name: 'kubemeter-agent', metrics_path: '/metrics', scrape_interval: '1s', static_configs: [{ targets: agents }] },
    { job_name: 'kubemeter-server', metrics_path: '/metrics', scrape_interval: '1s', static_configs: [{ targets: [server.address] }] },
  ]);
  t.after(() => prom.stop());
  await waitForScrapes(prom.base, 5, prom.log);

  const ingested = new Set<string>();
  const resourcePages = new Map<string, string>();
  const ownPages = new Map<string, string>();
  for (const agent of agents) {
    const resource = await page(agent, '/metrics/resource');
    resourcePages.set(`${agent}/metrics/resource`, resource.text);
    await assertStoredAsServed(prom.base, 'kubelet-resource', agent, resource.families, () => false);
    for (const f of resource.families) {
      ingested.add(f.name);
      const labelNames = f.name.startsWith('container_') ? ['container', 'namespace', 'pod'] : f.name.startsWith('pod_') ? ['namespace', 'pod'] : [];
      for (const s of f.samples) assert.deepEqual(s.labels.filter((_, i) => i % 2 === 0), labelNames, `${f.name} labels`);
    }
    const own = await page(agent, '/metrics');
    ownPages.set(`${agent}/metrics`, own.text);
    await assertStoredAsServed(prom.base, 'kubemeter-agent', agent, own.families, (name) => name.startsWith('process_'));
  }
  assert.deepEqual([...ingested].sort(), resourceFamilies, 'every /metrics/resource family went through Prometheus');

  // The names that need escaping arrive intact (label values as Prometheus stored them).
  const odd1 = await querySamples(prom.base, `container_cpu_usage_seconds_total{namespace=${JSON.stringify(odd.namespace)}}[10m]`);
  assert.deepEqual(odd1.map((s) => [s.labels.pod, s.labels.container]), [[odd.pod, odd.container]]);

  const serverPage = await page(server.address, '/metrics');
  await assertStoredAsServed(prom.base, 'kubemeter-server', server.address, serverPage.families, (name) => name.startsWith('process_'));

  // Samples dropped from accepted pages are only counted and logged: none may have been.
  const counters = await ownCounters(prom.base, ingestionErrorCounters);
  assert.deepEqual([...counters].filter(([, v]) => v !== 0), [], 'Prometheus dropped no sample');
  const scrapeWarnings = prom.log().split('\n').filter((l) => /level=(warn|error)/.test(l) && /scrape/i.test(l));
  assert.deepEqual(scrapeWarnings, [], 'Prometheus logged no scrape problem');
  assert.doesNotMatch(childAgent.stderr(), /^\S+ ERROR /m, 'the agent process logged no error');

  // promtool lints with the stricter parser of the Go client (a second HELP, a TYPE after samples,
  // … are refused there while the scrape parser lets them through). The allow-list of lint
  // findings is empty: the kubelet's resource families and metrics-server's families follow the
  // naming rules (counters end in _total, base units, HELP on every family), and so do ours.
  const lintAllowed: string[] = [];
  const linted: [string, string][] = [...resourcePages, ...ownPages, ['server /metrics', serverPage.text]];
  assert.equal(linted.length, 5);
  for (const [what, text] of linted) {
    const lint = promtoolCheckMetrics(text);
    assert.ok(lint.status === 0 || lint.status === 3, `promtool parses ${what}: ${lint.output}`);
    assert.deepEqual(lint.findings, lintAllowed, `promtool lint of ${what}`);
  }
});
