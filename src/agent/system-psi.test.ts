/**
 * System containers and PSI on the committed v2-psi fixture host (the v2-systemd host plus a
 * kubelet process and the kernel's pressure files): golden full and cpu-and-memory summaries,
 * /metrics/resource unchanged by PSI, the kubelet found by its process or named by flag, the
 * gate off, v1 without pressure, and a broken pressure file costing only its own value.
 * Regenerate with UPDATE_GOLDEN=1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeSummary } from '../api/stats-encode.ts';
import { detectCgroupMounts, parseMountInfo, readCgroupMounts } from '../cgroup/mounts.ts';
import { createCgroupReader } from '../cgroup/reader.ts';
import { ManualClock } from '../lib/clock.ts';
import { copyFixtureHost, v2Systemd } from '../../test/support/agent-fixtures.ts';
import { pressureText, v1MountInfo, writeV1Cgroups } from '../../test/support/cgroup-fixture.ts';
import { v2PsiKubelet } from '../../test/support/psi-fixture.ts';
import { Collector } from './collector.ts';
import type { CollectorOptions } from './collector.ts';
import { buildResourceMetrics } from './resource-metrics.ts';
import { buildCpuAndMemorySummary, buildSummary } from './summary.ts';

const testdata = new URL('./testdata/', import.meta.url).pathname;
const update = process.env.UPDATE_GOLDEN === '1';
const cgroupTimeMs = Date.UTC(2022, 9, 27, 10, 23, 33);
const bootTimeMs = 1_666_061_429_000;

function copyHost(t: { after(fn: () => void): void }): string {
  const dir = copyFixtureHost(testdata, 'v2-psi', cgroupTimeMs);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function golden(file: string, actual: string, dir = 'v2-psi'): void {
  const path = join(testdata, dir, file);
  if (update && dir === 'v2-psi') writeFileSync(path, actual);
  assert.equal(actual, readFileSync(path, 'utf8'), `${dir}/${file} differs from the golden file (UPDATE_GOLDEN=1 regenerates)`);
}

function burn(dir: string, cgroup: string, usec: bigint): void {
  const file = join(dir, 'sys/fs/cgroup', cgroup, 'cpu.stat');
  writeFileSync(file, readFileSync(file, 'latin1').replace(/^usage_usec (\d+)$/m, (_m, v: string) => `usage_usec ${BigInt(v) + usec}`));
}

async function twoPasses(dir: string, options: Partial<CollectorOptions>) {
  const clock = new ManualClock(Date.UTC(2022, 10, 11, 7, 58, 3, 250));
  const roots = { procRoot: join(dir, 'proc'), sysRoot: join(dir, 'sys') };
  const collector = new Collector({
    reader: createCgroupReader(readCgroupMounts(roots)), procRoot: roots.procRoot, nodeName: 'node-1', cgroupRoot: '/', driver: 'auto',
    identity: [], standalone: undefined, fs: { rootDir: undefined, imageFsDir: undefined }, clock, ...options,
  });
  await collector.collectOnce();
  burn(dir, '/', 2_500_000n);
  burn(dir, v2PsiKubelet.cgroup, 500_000n);
  clock.advance(10_000);
  const snap = await collector.collectOnce();
  collector.close();
  return { snap, stats: collector.stats() };
}

const podA = `/kubepods.slice/kubepods-pod${v2Systemd.guaranteedUid.replaceAll('-', '_')}.slice`;

test('KubeletPSI with configured system containers: golden summaries; /metrics/resource is unchanged', async (t) => {
  const dir = copyHost(t);
  const { snap, stats } = await twoPasses(dir, { pressure: true, systemCgroups: { runtime: '/system.slice/containerd.service', misc: '/system.slice' } });
  const full = buildSummary(snap);
  golden('summary.json', encodeSummary(full));
  golden('summary-cpu-memory.json', encodeSummary(buildCpuAndMemorySummary(snap)));
  // No PSI family in /metrics/resource, and system containers are not in it: the v2-systemd bytes, minus no line.
  const metrics = buildResourceMetrics(buildCpuAndMemorySummary(snap));
  assert.doesNotMatch(metrics, /pressure|psi/i);
  assert.equal([...stats.errors.values()].reduce((x, y) => x + y, 0), 0);

  // What the golden files encode, stated outright.
  assert.deepEqual(full.node.systemContainers?.map((s) => s.name), ['kubelet', 'runtime', 'misc', 'pods']);
  const kubelet = full.node.systemContainers![0]!;
  assert.equal(kubelet.startTime, bootTimeMs + v2PsiKubelet.startTicks * 10, 'the kubelet entry starts when the kubelet process started');
  assert.equal(kubelet.cpu?.usageNanoCores, 50_000_000);
  assert.equal(kubelet.cpu?.usageCoreNanoSeconds, 32_504_205_524_000n);
  assert.equal(kubelet.memory?.workingSetBytes, 49 * 2 ** 20);
  assert.equal(full.node.systemContainers![1]!.startTime, cgroupTimeMs, 'the runtime entry starts when its cgroup was created');
  assert.ok(kubelet.swap !== undefined && kubelet.rootfs === undefined && kubelet.logs === undefined);
  const rootCpuPsi = full.node.cpu?.psi;
  // The root's cpu.pressure after the second pass (usage_usec grew by 2.5 s): totals in µs, as the file.
  assert.equal(rootCpuPsi?.some.total, BigInt(/some .* total=(\d+)/.exec(readFileSync(join(dir, 'sys/fs/cgroup/cpu.pressure'), 'latin1'))![1]!));
  assert.ok(full.node.memory?.psi !== undefined && full.node.io?.psi !== undefined);
  const a = full.pods.find((p) => p.podRef.uid === v2Systemd.guaranteedUid)!;
  assert.ok(a.cpu?.psi !== undefined && a.memory?.psi !== undefined && a.io?.psi !== undefined);
  const b = full.pods.find((p) => p.podRef.uid === v2Systemd.burstableUid)!;
  const noMemory = b.containers.find((c) => c.memory?.usageBytes === undefined)!;
  assert.equal(noMemory.memory?.psi, undefined, 'no memory accounting: no memory block, so no memory pressure');
  assert.ok(noMemory.cpu?.psi !== undefined && noMemory.io?.psi !== undefined);
  const cm = buildCpuAndMemorySummary(snap);
  assert.ok(cm.node.cpu?.psi !== undefined && cm.node.io === undefined, 'cpu-and-memory keeps cpu/memory PSI, drops io');
});

test('--kubelet-cgroups names the kubelet entry; with the gate off nothing carries PSI; without a kubelet there is no kubelet entry', async (t) => {
  const dir = copyHost(t);
  const named = await twoPasses(dir, { pressure: false, systemCgroups: { kubelet: podA } });
  const full = buildSummary(named.snap);
  assert.deepEqual(full.node.systemContainers?.map((s) => s.name), ['kubelet', 'pods']);
  assert.equal(full.node.systemContainers![0]!.cpu?.usageCoreNanoSeconds, full.pods.find((p) => p.podRef.uid === v2Systemd.guaranteedUid)!.cpu?.usageCoreNanoSeconds);
  assert.equal(full.node.systemContainers![0]!.startTime, bootTimeMs + v2PsiKubelet.startTicks * 10);
  assert.doesNotMatch(encodeSummary(full), /"psi"|"io"/);

  rmSync(join(dir, 'proc', String(v2PsiKubelet.pid)), { recursive: true });
  const none = await twoPasses(dir, { pressure: true, systemCgroups: { misc: '/does-not-exist.slice' } });
  assert.deepEqual(buildSummary(none.snap).node.systemContainers?.map((s) => s.name), ['pods'], 'neither a kubelet process nor an existing misc cgroup');
  assert.equal([...none.stats.errors.values()].reduce((x, y) => x + y, 0), 0, 'a configured cgroup that does not exist is skipped, not an error');
});

test('garbage in a pressure file loses only that value, counted as a parse error', async (t) => {
  const dir = copyHost(t);
  writeFileSync(join(dir, 'sys/fs/cgroup', podA, 'memory.pressure'), 'some avg10=lots avg60=0.00 avg300=0.00 total=1\n');
  writeFileSync(join(dir, 'sys/fs/cgroup', podA, 'io.pressure'), '\u0000\u0001 not pressure');
  const { snap, stats } = await twoPasses(dir, { pressure: true });
  const a = buildSummary(snap).pods.find((p) => p.podRef.uid === v2Systemd.guaranteedUid)!;
  assert.equal(a.memory?.psi, undefined);
  assert.equal(a.io, undefined);
  assert.ok(a.cpu?.psi !== undefined && a.memory?.workingSetBytes !== undefined, 'the rest of the pod is served');
  // Two passes, two broken files each.
  assert.deepEqual(Object.fromEntries(stats.errors), { parse: 4 });
});

test('a kernel without PSI (no cpu.pressure at the root) reads no pressure files', async (t) => {
  const dir = copyHost(t);
  rmSync(join(dir, 'sys/fs/cgroup/cpu.pressure'));
  const { snap } = await twoPasses(dir, { pressure: true });
  assert.doesNotMatch(encodeSummary(buildSummary(snap)), /"psi"/);
});

test('cgroup v1: never any pressure, even with the gate on and pressure files present', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubemeter-psi-v1-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeV1Cgroups(dir, [{ name: '/', cpuUsageCoreNanoSeconds: 5n, memory: { usageBytes: 10n, inactiveFileBytes: 1n, rssBytes: 2n, pageFaults: 0n, majorPageFaults: 0n } }]);
  writeFileSync(join(dir, 'sys/fs/cgroup/cpuacct/cpu.pressure'), pressureText(10n, 1n));
  const reader = createCgroupReader(detectCgroupMounts(parseMountInfo(v1MountInfo), join(dir, 'sys')));
  const s = reader.readStats('/', { pressure: true });
  assert.equal(s.pressure, undefined);
  assert.equal(reader.pressureSupported?.() ?? false, false);
});
