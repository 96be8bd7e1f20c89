/**
 * The wiring as `kubemeter agent` does it: a Collector on a fixture host whose snapshots take the
 * StorageCollector's latest results, the walks gated on the passes, and /stats/summary over HTTP
 * showing a pod's volume, container logs and ephemeral storage after the next pass, while
 * only_cpu_and_memory and /metrics/resource stay as they were.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeSummary } from '../../api/stats-decode.ts';
import { readCgroupMounts } from '../../cgroup/mounts.ts';
import { createCgroupReader } from '../../cgroup/reader.ts';
import { writeGeneratedHost } from '../../../test/support/agent-fixtures.ts';
import { Collector } from '../collector.ts';
import { createAgentHandler } from '../http.ts';
import { StorageCollector } from './storage.ts';

const uid = '00000000-0000-4000-8000-000000000000';

test('collector + storage: volumes and logs reach /stats/summary with the next pass; the walks wait for passes; cpu-and-memory views unchanged', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'kubemeter-fs-wiring-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  writeGeneratedHost(root, 2, 1);
  const kubelet = join(root, 'kubelet');
  const cache = join(kubelet, 'pods', uid, 'volumes', 'kubernetes.io~empty-dir', 'cache');
  mkdirSync(cache, { recursive: true });
  writeFileSync(join(cache, 'data'), Buffer.alloc(8192, 1));
  // The unresolved pod's placeholder identity still finds its logs through the UID.
  const logDir = join(root, 'logs', `shop_web-0_${uid}`, 'app');
  mkdirSync(logDir, { recursive: true });
  writeFileSync(join(logDir, '0.log'), 'line\n');

  const roots = { procRoot: join(root, 'proc'), sysRoot: join(root, 'sys') };
  // A gate that lets a walk through while the second pass runs would see the first snapshot.
  const seen: { first: unknown } = { first: undefined };
  let secondStarted = false;
  let walkedDuringPass = 0;
  const storage: StorageCollector = new StorageCollector({
    rootDir: kubelet, podLogsDir: join(root, 'logs'), volumeStatsAggPeriodMs: 60_000, refreshIntervalMs: 10_000,
    pods: () => collector.latest()?.pods ?? [],
    gate: async () => {
      await collector.idle();
      if (secondStarted && collector.latest() === seen.first) walkedDuringPass++;
    },
    onError: (kind, what, e) => collector.recordError(kind, what, e),
  });
  const collector: Collector = new Collector({
    reader: createCgroupReader(readCgroupMounts(roots)), procRoot: roots.procRoot, nodeName: 'n', cgroupRoot: '/', driver: 'auto',
    identity: [], standalone: undefined, fs: { rootDir: root, imageFsDir: undefined }, storage,
  });
  seen.first = await collector.collectOnce();
  // Walks started while a pass runs wait for it to end.
  secondStarted = true;
  const pass = collector.collectOnce();
  const walks = Promise.all([storage.refreshVolumes(new AbortController().signal), storage.refreshHost(new AbortController().signal)]);
  await pass;
  await walks;
  assert.equal(walkedDuringPass, 0);
  const beforeNextPass = collector.latest()!;
  assert.equal(beforeNextPass.storage?.pods.size ?? 0, 0, 'results show with the next pass, not in the one already published');
  const snap = await collector.collectOnce();
  assert.equal(snap.storage, storage.latest());

  const server = createServer(createAgentHandler({ source: collector }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const summary = decodeSummary(await (await fetch(`${base}/stats/summary`)).text());
  const pod = summary.pods.find((p) => p.podRef.uid === uid)!;
  assert.deepEqual(pod.volume?.map((v) => v.name), ['cache']);
  assert.ok((pod.volume?.[0]?.usedBytes ?? 0n) >= 8192n);
  assert.ok(pod['ephemeral-storage'] !== undefined);
  // Placeholder container names (12 hex) have no log directory: no logs for them.
  assert.equal(pod.containers[0]?.logs, undefined);
  const other = summary.pods.find((p) => p.podRef.uid !== uid)!;
  assert.equal(other.volume, undefined);

  const cpuMem = await (await fetch(`${base}/stats/summary?only_cpu_and_memory=true`)).text();
  assert.doesNotMatch(cpuMem, /volume|ephemeral-storage|"logs"|rootfs/);
  assert.doesNotMatch(await (await fetch(`${base}/metrics/resource`)).text(), /volume|ephemeral|fs_/);
});
