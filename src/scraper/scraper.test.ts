import { test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { KubeletClient } from './kubelet-client.ts';
import { scrapeAll, startSpreadMs, type ScrapeOutcome } from './scraper.ts';
import { kubeletUrl, type KubeletNode } from './address.ts';
import { startFakeKubelet } from '../../test/support/fake-kubelet.ts';
import { createTestPki } from '../../test/support/pki.ts';

function run(client: KubeletClient, urls: { node: string; url: string }[], extra: Partial<Parameters<typeof scrapeAll>[0]> = {}): Promise<ScrapeOutcome[]> {
  const outcomes: ScrapeOutcome[] = [];
  return scrapeAll({
    client,
    targets: urls.map((u) => ({ node: u.node, url: new URL(u.url) })),
    endpoint: 'resource',
    requestTimeoutMs: 2000,
    concurrency: 4,
    nowMs: Date.now,
    sleep: () => Promise.resolve(),
    onOutcome: (o) => outcomes.push(o),
    ...extra,
  }).then(() => outcomes.sort((a, b) => a.node.localeCompare(b.node)));
}

test('HTTPS scrape verified against the kubelet CA with a bearer token; failures are classified per node', async (t) => {
  const pki = createTestPki();
  t.after(() => pki.cleanup());
  const ca = pki.ca('kubelet-ca');
  const serving = pki.issue(ca, { commonName: 'node-1', ipAddresses: ['127.0.0.1'], usage: 'server' });
  const good = await startFakeKubelet({ tls: serving, bearerToken: 's3cret' });
  const forbidden = await startFakeKubelet({ tls: serving, bearerToken: 's3cret' });
  const hanging = await startFakeKubelet({ tls: serving, bearerToken: 's3cret' });
  const garbage = await startFakeKubelet({ tls: serving, bearerToken: 's3cret' });
  const huge = await startFakeKubelet({ tls: serving, bearerToken: 's3cret' });
  const reset = await startFakeKubelet({ tls: serving, bearerToken: 's3cret' });
  const otherCa = pki.ca('other');
  const untrusted = await startFakeKubelet({ tls: pki.issue(otherCa, { commonName: 'x', ipAddresses: ['127.0.0.1'], usage: 'server' }) });
  const all = [good, forbidden, hanging, garbage, huge, reset, untrusted];
  t.after(() => Promise.all(all.map((k) => k.close())));
  good.container('ns', 'p', 'c').cpuNs = 5n;
  forbidden.fault = { kind: 'status', code: 403 };
  hanging.fault = { kind: 'hang' };
  garbage.fault = { kind: 'garbage' };
  huge.fault = { kind: 'huge', chars: 300_000 };
  reset.fault = { kind: 'reset' };
  const client = new KubeletClient({ caPem: ca.certPem, bearerToken: () => 's3cret', maxBodyBytes: 200_000 });
  t.after(() => client.close());
  const names = ['a-good', 'b-forbidden', 'c-hanging', 'd-garbage', 'e-huge', 'f-reset', 'g-untrusted'];
  const outcomes = await run(client, all.map((k, i) => ({ node: names[i]!, url: `${k.url}/metrics/resource` })), { requestTimeoutMs: 300 });
  assert.deepEqual(outcomes.map((o) => [o.node, o.ok ? 'ok' : o.failure]), [
    ['a-good', 'ok'], ['b-forbidden', 'http-status'], ['c-hanging', 'timeout'], ['d-garbage', 'decode'],
    ['e-huge', 'too-large'], ['f-reset', 'network'], ['g-untrusted', 'tls'],
  ]);
  const bad = outcomes[1]!;
  assert.equal(bad.ok ? '' : bad.error, 'request failed, status: "403 Forbidden"');
  const first = outcomes[0]!;
  assert.ok(first.ok && first.scrape.containers.length === 1 && first.scrape.containers[0]!.cpuUsageCoreNanoSeconds === 5n);

  // --kubelet-insecure-tls accepts the untrusted kubelet; a wrong token gives 401.
  const insecure = new KubeletClient({ insecureSkipTlsVerify: true, bearerToken: () => 'wrong' });
  t.after(() => insecure.close());
  const o2 = await run(insecure, [{ node: 'u', url: `${untrusted.url}/metrics/resource` }, { node: 'v', url: `${good.url}/metrics/resource` }]);
  assert.deepEqual(o2.map((o) => (o.ok ? 'ok' : o.error)), ['ok', 'request failed, status: "401 Unauthorized"']);
});

test('client certificates are presented; keep-alive reuses one connection', async (t) => {
  const pki = createTestPki();
  t.after(() => pki.cleanup());
  const ca = pki.ca('ca');
  const k = await startFakeKubelet({ tls: { ...pki.issue(ca, { commonName: 'n', ipAddresses: ['127.0.0.1'], usage: 'server' }), clientCaPem: ca.certPem } });
  t.after(() => k.close());
  const cert = pki.issue(ca, { commonName: 'system:metrics-server', usage: 'client' });
  const client = new KubeletClient({ caPem: ca.certPem, clientCertPem: cert.certPem, clientKeyPem: cert.keyPem });
  t.after(() => client.close());
  for (let i = 0; i < 3; i++) {
    const o = await run(client, [{ node: 'n', url: `${k.url}/metrics/resource` }]);
    assert.equal(o[0]?.ok, true);
  }
  const noCert = new KubeletClient({ caPem: ca.certPem });
  t.after(() => noCert.close());
  const o = await run(noCert, [{ node: 'n', url: `${k.url}/metrics/resource` }]);
  assert.equal(o[0]?.ok, false);
});

test('cancelling the tick stops pending nodes; concurrency is bounded', async (t) => {
  const k = await startFakeKubelet();
  t.after(() => k.close());
  k.fault = { kind: 'hang' };
  const client = new KubeletClient();
  t.after(() => client.close());
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 100);
  const outcomes = await run(client, [1, 2, 3, 4, 5].map((i) => ({ node: `n${i}`, url: `${k.url}/metrics/resource` })), { signal: ac.signal, concurrency: 2, requestTimeoutMs: 10_000 });
  assert.deepEqual(outcomes.map((o) => (o.ok ? 'ok' : o.failure)), ['cancelled', 'cancelled', 'cancelled', 'cancelled', 'cancelled']);
  // Only two requests ever reached the kubelet.
  assert.equal(k.requests.length, 2);
});

test('kubelet URLs follow address preference, ports, IPv6 and the path annotation', () => {
  const node: KubeletNode = {
    name: 'n', ready: true, labels: {}, kubeletPort: 10255,
    addresses: [{ type: 'Hostname', address: 'n.local' }, { type: 'InternalIP', address: 'fd00::1' }],
  };
  const o = { preferredAddressTypes: ['InternalIP', 'Hostname'], port: 10250, useNodeStatusPort: false, scheme: 'https' as const, endpoint: 'resource' as const };
  assert.equal(kubeletUrl(node, o).toString(), 'https://[fd00::1]:10250/metrics/resource');
  assert.equal(kubeletUrl(node, { ...o, useNodeStatusPort: true, endpoint: 'summary' }).toString(), 'https://[fd00::1]:10255/stats/summary?only_cpu_and_memory=true');
  assert.equal(kubeletUrl({ ...node, annotations: { 'metrics.k8s.io/resource-metrics-path': '/custom/path' } }, { ...o, preferredAddressTypes: ['Hostname'] }).toString(), 'https://n.local:10250/custom/path');
  assert.throws(() => kubeletUrl(node, { ...o, preferredAddressTypes: ['ExternalIP'] }), /no address matched types \[ExternalIP\]/);
  assert.equal(startSpreadMs(10), 80);
  assert.equal(startSpreadMs(10_000), 4000);
});

test('the post-quantum hybrid key exchange is offered first, and kubelets that only know X25519 or P-256 still answer', async (t) => {
  const pki = createTestPki();
  t.after(() => pki.cleanup());
  const ca = pki.ca('kubelet-ca');
  const serving = pki.issue(ca, { commonName: 'node-1', ipAddresses: ['127.0.0.1'], usage: 'server' });
  const page = '# HELP scrape_error [ALPHA] 1 if there was an error while getting container metrics, 0 otherwise\n# TYPE scrape_error gauge\nscrape_error 0\n';
  const groups = ['X25519MLKEM768', 'X25519', 'P-256'];
  const servers = await Promise.all(groups.map((group) => new Promise<https.Server>((resolve) => {
    const s = https.createServer({ cert: serving.certPem, key: serving.keyPem, ecdhCurve: group, minVersion: 'TLSv1.3' }, (_req, res) => res.end(page));
    s.listen(0, '127.0.0.1', () => resolve(s));
  })));
  t.after(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));
  const client = new KubeletClient({ caPem: ca.certPem });
  t.after(() => client.close());
  const urls = servers.map((s, i) => ({ node: `n${i}-${groups[i]!}`, url: `https://127.0.0.1:${(s.address() as AddressInfo).port}/metrics/resource` }));
  const outcomes = await run(client, urls);
  assert.deepEqual(outcomes.map((o) => [o.node, o.ok ? 'ok' : o.error]), urls.map((u) => [u.node, 'ok']));
});

test('the built-in start spread: nodes waiting for their start wake up when the tick is cancelled', async (t) => {
  // Timers mocked and never advanced: a sleeping node can only end through the signal.
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const client = new KubeletClient();
  t.after(() => client.close());
  const controller = new AbortController();
  const outcomes: ScrapeOutcome[] = [];
  // The first node starts at once (and fails: nothing listens on port 1); the others wait for their start.
  const done = scrapeAll({
    client,
    targets: Array.from({ length: 50 }, (_, i) => ({ node: `n${i}`, url: new URL('http://127.0.0.1:1/metrics/resource') })),
    endpoint: 'resource',
    requestTimeoutMs: 60_000,
    concurrency: 8,
    nowMs: Date.now,
    signal: controller.signal,
    onOutcome: (o) => {
      outcomes.push(o);
      if (outcomes.length === 1) controller.abort();
    },
  });
  const result = await done;
  assert.equal(result.ok + result.failed, 50);
  assert.equal(outcomes.filter((o) => !o.ok && o.failure === 'cancelled').length, 49);
});

test('paced: requests in flight start at the floor until the loop has been sampled, and pacing ends after forMs', async (t) => {
  // The pacer's timer (every 10 ms) is mocked and never reaches its first sample: the limit stays
  // at the floor (1) until forMs (5 ms) has passed, then every waiting node goes at the full
  // concurrency (4).
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let inFlight = 0;
  let most = 0;
  const pending: Array<() => void> = [];
  const client = {
    get: (_url: URL, o: { decoder: { end(): unknown } }) => new Promise((resolve) => {
      inFlight++;
      most = Math.max(most, inFlight);
      pending.push(() => {
        inFlight--;
        resolve(o.decoder.end());
      });
    }),
  } as unknown as KubeletClient;
  const outcomes: ScrapeOutcome[] = [];
  const done = scrapeAll({
    client,
    targets: Array.from({ length: 12 }, (_, i) => ({ node: `n${i}`, url: new URL(`http://127.0.0.1:1/${i}`) })),
    endpoint: 'resource',
    requestTimeoutMs: 60_000,
    concurrency: 4,
    nowMs: Date.now,
    sleep: () => Promise.resolve(),
    pace: { minInFlight: 1, targetDelayMs: 5, forMs: 5 },
    onOutcome: (o) => outcomes.push(o),
  });
  const settle = (): Promise<void> => new Promise((r) => setImmediate(r));
  for (let i = 0; i < 3; i++) {
    await settle();
    assert.equal(inFlight, 1);
    pending.shift()!();
  }
  await settle();
  t.mock.timers.tick(5);
  await settle();
  assert.equal(inFlight, 4);
  while (outcomes.length < 12) {
    pending.shift()?.();
    await settle();
  }
  assert.deepEqual(await done, { ok: 12, failed: 0 });
  assert.equal(most, 4);
});
