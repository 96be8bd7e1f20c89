import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeSummary } from '../api/stats-decode.ts';
import { readCgroupMounts } from '../cgroup/mounts.ts';
import { createCgroupReader } from '../cgroup/reader.ts';
import { parseExposition } from '../lib/promtext/parse.ts';
import { writeGeneratedHost } from '../../test/support/agent-fixtures.ts';
import { Collector } from './collector.ts';
import { createAgentHandler, onlyCpuAndMemoryRequested } from './http.ts';

test('only_cpu_and_memory follows Go ParseForm: exactly one value, exactly "true"', () => {
  const q = (s: string): URLSearchParams => new URLSearchParams(s);
  assert.equal(onlyCpuAndMemoryRequested(q('only_cpu_and_memory=true'), undefined), true);
  assert.equal(onlyCpuAndMemoryRequested(q('only_cpu_and_memory=True'), undefined), false);
  assert.equal(onlyCpuAndMemoryRequested(q('only_cpu_and_memory=true&only_cpu_and_memory=true'), undefined), false);
  assert.equal(onlyCpuAndMemoryRequested(q(''), q('only_cpu_and_memory=true')), true);
  assert.equal(onlyCpuAndMemoryRequested(q('only_cpu_and_memory=true'), q('only_cpu_and_memory=true')), false);
  assert.equal(onlyCpuAndMemoryRequested(q('only_cpu_and_memory'), undefined), false);
});

test('the endpoints over real HTTP, before and after the first pass', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'kubemeter-http-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  writeGeneratedHost(root, 3, 2);
  const roots = { procRoot: join(root, 'proc'), sysRoot: join(root, 'sys') };
  const collector = new Collector({
    reader: createCgroupReader(readCgroupMounts(roots)), procRoot: roots.procRoot, nodeName: 'n1', cgroupRoot: '/', driver: 'auto',
    identity: [], standalone: undefined, fs: { rootDir: root, imageFsDir: root },
  });
  const server = createServer(createAgentHandler({ source: collector }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  let res = await fetch(`${base}/stats/summary`);
  assert.equal(res.status, 500);
  assert.match(await res.text(), /^Internal Error: failed to get summary stats/);
  res = await fetch(`${base}/metrics/resource`);
  assert.match(await res.text(), /^resource_scrape_error 1$/m);

  await collector.collectOnce();
  res = await fetch(`${base}/stats/summary`);
  assert.equal(res.headers.get('content-type'), 'application/json');
  const full = decodeSummary(await res.text());
  assert.equal(full.pods.length, 3);
  assert.ok(full.node.fs !== undefined && full.node.runtime?.imageFs !== undefined && full.node.rlimit !== undefined);
  assert.ok(full.pods.every((p) => p.network?.name === 'eth0' && p.process_stats?.process_count === 2));

  res = await fetch(`${base}/stats/summary`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'only_cpu_and_memory=true' });
  const cm = decodeSummary(await res.text());
  assert.equal(cm.node.fs, undefined);
  assert.equal(cm.pods[0]?.network, undefined);
  assert.ok(cm.pods[0]?.cpu !== undefined);

  res = await fetch(`${base}/metrics/resource`);
  assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  const families = parseExposition(await res.text());
  assert.equal(families.find((f) => f.name === 'container_cpu_usage_seconds_total')?.samples.length, 6);
  assert.equal(families.find((f) => f.name === 'resource_scrape_error')?.samples[0]?.value, 0);

  const own = parseExposition(await (await fetch(`${base}/metrics`)).text());
  assert.equal(own.find((f) => f.name === 'kubemeter_agent_housekeeping_passes_total')?.samples[0]?.value, 1);
  assert.equal(own.find((f) => f.name === 'kubemeter_agent_cgroups_seen')?.samples[0]?.value, 1 + 1 + 3 + 3 * 2, 'root, kubepods, pods and app containers (sandboxes are not read)');

  assert.equal(await (await fetch(`${base}/healthz`)).text(), 'ok');
  res = await fetch(`${base}/nope`);
  assert.equal(res.status, 404);
  res = await fetch(`${base}/metrics/resource`, { method: 'DELETE' });
  assert.equal(res.status, 405);
});
