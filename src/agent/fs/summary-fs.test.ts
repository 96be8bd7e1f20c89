/**
 * The Summary of a pod with volumes, logs and a writable layer, against a golden file; the
 * ephemeral-storage sum stated outright; only_cpu_and_memory and /metrics/resource unchanged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeSummary } from '../../api/stats-encode.ts';
import type { Snapshot } from '../model.ts';
import { buildResourceMetrics } from '../resource-metrics.ts';
import { encodeAgentSummary } from '../summary-json.ts';
import { buildCpuAndMemorySummary, buildSummary } from '../summary.ts';
import type { StorageSnapshot } from './types.ts';

const here = dirname(fileURLToPath(import.meta.url));
const T = Date.UTC(2022, 10, 11, 7, 58, 6);
const uid = '588ef5a3-32ad-4549-9df8-1b7e59d72b14';
const app = 'ab'.repeat(32);
const fsUsage = { capacityBytes: 205918412800n, availableBytes: 15873736704n, freeBytes: 15873736704n + 10_000_000_000n, inodes: 32462592n, inodesFree: 31007474n };

function snapshot(storage: StorageSnapshot | undefined): Snapshot {
  const reading = { path: '/x', timeMs: T, cpuUsageCoreNanoSeconds: 5_000_000_000n, usageNanoCores: 1000, memory: undefined, swap: undefined };
  const s: Snapshot = {
    startedMs: T, durationMs: 1,
    node: {
      nodeName: 'node-1', bootTimeMs: T - 86_400_000, rootCgroupStartMs: T - 86_000_000, root: reading, memTotalBytes: 1n << 34n,
      swapTotalBytes: 0n, swapUsageBytes: 0n, pods: undefined, network: undefined,
      fs: { timeMs: T + 8000, usage: fsUsage }, imageFs: { timeMs: T + 6000, usage: fsUsage }, rlimit: undefined,
    },
    pods: [{
      uid, name: 'web-0', namespace: 'shop', resolved: true, startTimeMs: T - 3600_000, reading, network: undefined, processCount: 1,
      containers: [{ id: app, name: 'nginx', startTimeMs: T - 3500_000, reading }],
    }],
  };
  if (storage !== undefined) s.storage = storage;
  return s;
}

const volumeFs = { capacityBytes: 7903961088n, availableBytes: 7903948800n, freeBytes: 7903948800n, inodes: 1929687n, inodesFree: 1929678n };
const storage: StorageSnapshot = {
  pods: new Map([[uid, {
    volumes: [
      { name: 'cache', pvcRef: undefined, ephemeral: true, timeMs: T - 26_000, usedBytes: 16384n, inodesUsed: 4n, fs: fsUsage },
      { name: 'data', pvcRef: { name: 'data-web-0', namespace: 'shop' }, ephemeral: false, timeMs: T - 26_000, usedBytes: 1048576n, inodesUsed: 11n, fs: volumeFs },
      { name: 'kube-api-access-x2l9d', pvcRef: undefined, ephemeral: false, timeMs: T - 26_000, usedBytes: 12288n, inodesUsed: 9n, fs: volumeFs },
    ],
    podLogs: { timeMs: T - 1000, usedBytes: 4096, inodesUsed: 1 },
    etcHosts: { timeMs: T - 1000, usedBytes: 4096, inodesUsed: 1 },
    containerLogs: new Map([['nginx', { timeMs: T - 1000, usedBytes: 16437248, inodesUsed: 5 }]]),
  }]]),
  writableLayers: new Map([[app, { timeMs: T + 6000, usedBytes: 8192n, inodesUsed: 22n, mountpoint: '/var/lib/containerd' }]]),
  imageFs: { timeMs: T + 6500, usedBytes: 843317248n, inodesUsed: 13541n, mountpoint: '/var/lib/containerd' },
  containerFs: undefined,
};

test('a pod with volumes, logs and a writable layer: the Summary matches the golden file', () => {
  const summary = buildSummary(snapshot(storage));
  const body = encodeAgentSummary(summary);
  assert.equal(body, encodeSummary(summary));
  const path = join(here, 'testdata', 'summary-storage.json');
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, body);
  }
  assert.equal(body, readFileSync(path, 'utf8'), 'differs from testdata/summary-storage.json (UPDATE_GOLDEN=1 regenerates)');

  // What the golden file encodes, stated outright.
  const p = summary.pods[0]!;
  const c = p.containers[0]!;
  assert.deepEqual(c.rootfs, { time: T + 6000, availableBytes: fsUsage.availableBytes, capacityBytes: fsUsage.capacityBytes, usedBytes: 8192n, inodesFree: fsUsage.inodesFree, inodes: fsUsage.inodes, inodesUsed: 22n });
  assert.deepEqual(c.logs, { time: T + 8000, availableBytes: fsUsage.availableBytes, capacityBytes: fsUsage.capacityBytes, usedBytes: 16437248n, inodesFree: fsUsage.inodesFree, inodes: fsUsage.inodes, inodesUsed: 5n });
  assert.deepEqual(p.volume?.map((v) => v.name), ['cache', 'data', 'kube-api-access-x2l9d']);
  assert.deepEqual(p.volume?.[1]?.pvcRef, { name: 'data-web-0', namespace: 'shop' });
  // rootfs 8192 + logs 16437248 + the emptyDir 16384 + pod log files 4096 + etc-hosts 4096; the
  // PV and the projected token are not local ephemeral storage.
  assert.deepEqual(p['ephemeral-storage'], {
    time: T + 8000, availableBytes: fsUsage.availableBytes, capacityBytes: fsUsage.capacityBytes, usedBytes: 8192n + 16437248n + 16384n + 4096n + 4096n,
    inodesFree: fsUsage.inodesFree, inodes: fsUsage.inodes, inodesUsed: 22n + 5n + 4n + 1n + 1n,
  });
  assert.deepEqual(summary.node.runtime?.imageFs, {
    time: T + 6500, availableBytes: fsUsage.availableBytes, capacityBytes: fsUsage.capacityBytes, usedBytes: 843317248n, inodesFree: fsUsage.inodesFree, inodes: fsUsage.inodes, inodesUsed: 13541n,
  });
  assert.equal(summary.node.runtime?.containerFs, summary.node.runtime?.imageFs);
});

test('only_cpu_and_memory and /metrics/resource carry none of it: byte-identical with and without storage', () => {
  const withStorage = snapshot(storage);
  const without = snapshot(undefined);
  assert.equal(encodeAgentSummary(buildCpuAndMemorySummary(withStorage)), encodeAgentSummary(buildCpuAndMemorySummary(without)));
  assert.doesNotMatch(encodeAgentSummary(buildCpuAndMemorySummary(withStorage)), /volume|ephemeral-storage|rootfs|logs|runtime/);
  assert.equal(buildResourceMetrics(buildCpuAndMemorySummary(withStorage)), buildResourceMetrics(buildCpuAndMemorySummary(without)));
});

test('without a runtime: no rootfs, imageFs without usedBytes, logs still summed into ephemeral-storage; nothing before the first volume walk', () => {
  const noCri: StorageSnapshot = { ...storage, writableLayers: new Map(), imageFs: undefined };
  const p = buildSummary(snapshot(noCri)).pods[0]!;
  assert.equal(p.containers[0]!.rootfs, undefined);
  assert.equal(p['ephemeral-storage']?.usedBytes, 16437248n + 16384n + 4096n + 4096n);
  assert.equal(buildSummary(snapshot(noCri)).node.runtime?.imageFs?.usedBytes, undefined);
  const first = storage.pods.get(uid)!;
  const unwalked: StorageSnapshot = { ...storage, pods: new Map([[uid, { ...first, volumes: undefined }]]) };
  const q = buildSummary(snapshot(unwalked)).pods[0]!;
  assert.equal(q.volume, undefined);
  assert.equal(q['ephemeral-storage'], undefined);
  assert.ok(q.containers[0]!.logs !== undefined);
});
