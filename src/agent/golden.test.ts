/**
 * Golden end-to-end outputs of the agent on committed fixture hosts (real cgroup v2 file trees
 * with the systemd driver, and a host without Kubernetes). Two passes 10 s apart with CPU
 * counters advanced in between, so rates are exercised. Regenerate with UPDATE_GOLDEN=1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeSummary } from '../api/stats-encode.ts';
import { readCgroupMounts } from '../cgroup/mounts.ts';
import { createCgroupReader } from '../cgroup/reader.ts';
import { ManualClock } from '../lib/clock.ts';
import { copyFixtureHost, v2Systemd } from '../../test/support/agent-fixtures.ts';
import { Collector } from './collector.ts';
import type { IdentityProvider } from './identity/types.ts';
import { unresolvedNamespace } from './identity/types.ts';
import { buildResourceMetrics } from './resource-metrics.ts';
import { buildCpuAndMemorySummary, buildSummary } from './summary.ts';

const testdata = new URL('./testdata/', import.meta.url).pathname;
const update = process.env.UPDATE_GOLDEN === '1';
const cgroupTimeMs = Date.UTC(2022, 9, 27, 10, 23, 33);

function copyHost(name: string): string {
  return copyFixtureHost(testdata, name, cgroupTimeMs);
}

/** Add `usec` to usage_usec of a v2 cgroup's cpu.stat. */
function burn(dir: string, cgroup: string, usec: bigint): void {
  const file = join(dir, 'sys/fs/cgroup', cgroup, 'cpu.stat');
  const text = readFileSync(file, 'latin1');
  writeFileSync(file, text.replace(/^usage_usec (\d+)$/m, (_m, v: string) => `usage_usec ${BigInt(v) + usec}`));
}

function golden(name: string, file: string, actual: string): void {
  const path = join(testdata, name, file);
  if (update) writeFileSync(path, actual);
  assert.equal(actual, readFileSync(path, 'utf8'), `${name}/${file} differs from the golden file (UPDATE_GOLDEN=1 regenerates)`);
}

const f = v2Systemd;
/** Identity as a CRI runtime would answer for the v2-systemd host (pod C is deliberately unknown). */
const staticIdentity: IdentityProvider = {
  name: 'static',
  lookup: () =>
    Promise.resolve({
      pods: new Map([
        [f.guaranteedUid, { uid: f.guaranteedUid, name: 'kube-controller-manager-node-1', namespace: 'kube-system', startTimeMs: Date.UTC(2022, 9, 28, 2, 8, 39) }],
        [f.burstableUid, { uid: f.burstableUid, name: 'aws-node-7k649', namespace: 'kube-system', startTimeMs: Date.UTC(2022, 9, 28, 2, 9, 1) }],
      ]),
      containers: new Map([
        [f.sandboxA, { id: f.sandboxA, podUid: f.guaranteedUid, name: 'POD', sandbox: true, createdAtMs: undefined }],
        [f.appA, { id: f.appA, podUid: f.guaranteedUid, name: 'kube-controller-manager', sandbox: false, createdAtMs: Date.UTC(2022, 10, 2, 3, 50, 41, 134) }],
        [f.sandboxB, { id: f.sandboxB, podUid: f.burstableUid, name: 'POD', sandbox: true, createdAtMs: undefined }],
        [f.appB1, { id: f.appB1, podUid: f.burstableUid, name: 'aws-node', sandbox: false, createdAtMs: Date.UTC(2022, 10, 2, 3, 51, 0, 500) }],
        [f.appB2, { id: f.appB2, podUid: f.burstableUid, name: 'kube-proxy', sandbox: false, createdAtMs: Date.UTC(2022, 10, 2, 3, 51, 2, 1) }],
      ]),
    }),
  close: () => {},
};

async function twoPasses(name: string, options: { identity: IdentityProvider[]; standalone: boolean; burnPaths: string[] }) {
  const dir = copyHost(name);
  try {
    const clock = new ManualClock(Date.UTC(2022, 10, 11, 7, 58, 3, 250));
    const roots = { procRoot: join(dir, 'proc'), sysRoot: join(dir, 'sys') };
    const collector = new Collector({
      reader: createCgroupReader(readCgroupMounts(roots)),
      procRoot: roots.procRoot,
      nodeName: 'node-1',
      cgroupRoot: '/',
      driver: 'auto',
      identity: options.identity,
      standalone: options.standalone ? { engineEndpoints: [] } : undefined,
      fs: { rootDir: undefined, imageFsDir: undefined },
      clock,
    });
    await collector.collectOnce();
    // A quarter core for 10 s.
    for (const p of options.burnPaths) burn(dir, p, 2_500_000n);
    clock.advance(10_000);
    const snap = await collector.collectOnce();
    return { snap, stats: collector.stats() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const podA = `/kubepods.slice/kubepods-pod${f.guaranteedUid.replaceAll('-', '_')}.slice`;

test('v2 + systemd driver + containerd: summary, cpu-and-memory summary and /metrics/resource match the golden files', async () => {
  const { snap, stats } = await twoPasses('v2-systemd', { identity: [staticIdentity], standalone: false, burnPaths: ['/', podA, `${podA}/cri-containerd-${f.appA}.scope`] });
  const full = buildSummary(snap);
  golden('v2-systemd', 'summary.json', encodeSummary(full));
  golden('v2-systemd', 'summary-cpu-memory.json', encodeSummary(buildCpuAndMemorySummary(snap)));
  golden('v2-systemd', 'metrics-resource.txt', buildResourceMetrics(buildCpuAndMemorySummary(snap)));

  // The facts the golden files encode, stated outright.
  assert.equal(full.pods.length, 3);
  const a = full.pods.find((p) => p.podRef.uid === f.guaranteedUid)!;
  assert.deepEqual(a.containers.map((c) => c.name), ['kube-controller-manager']);
  assert.equal(a.containers[0]?.cpu?.usageNanoCores, 250_000_000);
  assert.equal(a.cpu?.usageNanoCores, 250_000_000);
  assert.equal(a.network?.name, 'eth0');
  assert.equal(a.memory?.availableBytes, 256 * 2 ** 20 - 53 * 2 ** 20);
  assert.equal(a.process_stats?.process_count, 2);
  const b = full.pods.find((p) => p.podRef.uid === f.burstableUid)!;
  assert.deepEqual(b.containers.map((c) => c.name).sort(), ['aws-node', 'kube-proxy']);
  assert.deepEqual(b.containers.find((c) => c.name === 'kube-proxy')?.memory, { time: snap.pods[0]!.reading!.timeMs, workingSetBytes: 0 });
  assert.equal(b.memory?.availableBytes, undefined);
  const c = full.pods.find((p) => p.podRef.uid === f.besteffortUid)!;
  assert.deepEqual(c.podRef, { name: `pod${f.besteffortUid}`, namespace: unresolvedNamespace, uid: f.besteffortUid });
  assert.deepEqual(c.containers.map((x) => x.name), [f.appC.slice(0, 12)], 'the pause container is recognised without identity');
  assert.equal(full.node.cpu?.usageNanoCores, 250_000_000);
  assert.equal(full.node.network?.name, '', 'no eth0 on the host: the default interface is empty');
  assert.deepEqual(full.node.systemContainers?.map((s) => s.name), ['pods']);
  assert.equal(stats.podsUnresolved, 1);
  assert.equal(stats.identitySource, 'static');
  assert.equal([...stats.errors.values()].reduce((x, y) => x + y, 0), 0);
});

test('a host without Kubernetes: systemd units and Docker containers become pods', async () => {
  const { snap } = await twoPasses('standalone', { identity: [], standalone: true, burnPaths: ['/system.slice/nginx.service'] });
  const full = buildSummary(snap);
  golden('standalone', 'summary.json', encodeSummary(full));
  golden('standalone', 'metrics-resource.txt', buildResourceMetrics(buildCpuAndMemorySummary(snap)));
  const refs = full.pods.map((p) => `${p.podRef.namespace}/${p.podRef.name}/${p.containers.map((c) => c.name).join(',')}`).sort();
  assert.deepEqual(refs, ['docker/d0d0d0d0d0d0/d0d0d0d0d0d0', 'host/init/init', 'system/nginx/nginx', 'user-1000/session-3/session-3']);
  const nginx = full.pods.find((p) => p.podRef.name === 'nginx')!;
  assert.equal(nginx.cpu?.usageNanoCores, 250_000_000);
  assert.equal(nginx.process_stats?.process_count, 2);
});
