/**
 * The StorageCollector on a real kubelet-layout tree in a temp dir (volumes of every kind, a
 * tmpfs "PV" and a tmpfs secret mounted when mount(8) is permitted, etc-hosts, pod logs), with a
 * real CRI gRPC server on a unix socket answering ListContainerStats and ImageFsInfo.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statfsSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ManualClock } from '../../lib/clock.ts';
import { answer, startCriServer } from '../../../test/support/cri-server.ts';
import { criStorage } from '../identity/cri.ts';
import type { ClaimResolver } from './claims.ts';
import { decodePodVolumes } from './pod-volumes.ts';
import { StorageCollector } from './storage.ts';
import type { StoragePod } from './types.ts';

const uid = '0b1c2d3e-1111-4222-8333-444455556666';
const app = 'ab'.repeat(32);

function gnuDu(path: string): { usedBytes: bigint; inodesUsed: bigint } {
  const bytes = execFileSync('du', ['-s', '-x', '-B1', path], { encoding: 'utf8' });
  const inodes = execFileSync('du', ['-s', '-x', '--inodes', path], { encoding: 'utf8' });
  return { usedBytes: BigInt(bytes.split('\t')[0]!), inodesUsed: BigInt(inodes.split('\t')[0]!) };
}

function statfsOf(path: string): { capacityBytes: bigint; availableBytes: bigint; freeBytes: bigint; inodes: bigint; inodesFree: bigint } {
  const s = statfsSync(path, { bigint: true });
  return { capacityBytes: s.blocks * s.bsize, availableBytes: s.bavail * s.bsize, freeBytes: s.bfree * s.bsize, inodes: s.files, inodesFree: s.ffree };
}

interface Host {
  root: string;
  rootDir: string;
  logs: string;
  mounts: boolean;
}

/** A kubelet root dir and log dir for one pod; tmpfs mounts for the secret and the PV when permitted. */
function makeHost(t: { after(fn: () => void): void }): Host {
  const root = mkdtempSync(join(tmpdir(), 'kubemeter-storage-'));
  const rootDir = join(root, 'kubelet');
  const logs = join(root, 'pods-logs');
  const mounted: string[] = [];
  t.after(() => {
    for (const m of mounted.reverse()) spawnSync('umount', [m]);
    rmSync(root, { recursive: true, force: true });
  });
  const vol = (plugin: string, name: string): string => {
    const d = join(rootDir, 'pods', uid, 'volumes', plugin, name);
    mkdirSync(d, { recursive: true });
    return d;
  };
  const cache = vol('kubernetes.io~empty-dir', 'cache');
  writeFileSync(join(cache, 'blob'), Buffer.alloc(12288, 7));
  mkdirSync(join(cache, 'sub'));
  writeFileSync(join(cache, 'sub', 'small'), 'x');
  // A configMap as the kubelet's atomic writer lays it out: ..data → timestamped dir, keys as symlinks.
  const config = vol('kubernetes.io~configmap', 'config');
  mkdirSync(join(config, '..2024_01_01_00_00_00.1'));
  writeFileSync(join(config, '..2024_01_01_00_00_00.1', 'app.yaml'), 'a: 1\n');
  symlinkSync('..2024_01_01_00_00_00.1', join(config, '..data'));
  symlinkSync('..data/app.yaml', join(config, 'app.yaml'));
  writeFileSync(join(vol('kubernetes.io~projected', 'kube-api-access-x2l9d'), 'token'), 'eyJ');
  writeFileSync(join(vol('kubernetes.io~downward-api', 'podinfo'), 'labels'), 'a="b"\n');
  const secret = vol('kubernetes.io~secret', 'tls');
  const pv = vol('kubernetes.io~csi', 'pvc-7d1e');
  mkdirSync(join(pv, 'mount'));
  writeFileSync(join(pv, 'vol_data.json'), '{}');
  // A CSI volume whose mount is not there (not mounted yet): left out.
  mkdirSync(join(vol('kubernetes.io~csi', 'pvc-unmounted'), 'mount'));
  let mounts = true;
  for (const [dir, size] of [[secret, '1m'], [join(pv, 'mount'), '4m']] as const) {
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]).status === 0) mounted.push(dir);
    else mounts = false;
  }
  writeFileSync(join(secret, 'tls.key'), 'k');
  writeFileSync(join(pv, 'mount', 'db'), Buffer.alloc(65536, 1));
  writeFileSync(join(rootDir, 'pods', uid, 'etc-hosts'), '127.0.0.1 localhost\n');
  const podLog = join(logs, `shop_web-0_${uid}`);
  mkdirSync(join(podLog, 'nginx'), { recursive: true });
  writeFileSync(join(podLog, 'nginx', '0.log'), Buffer.alloc(5000, 65));
  writeFileSync(join(podLog, 'nginx', '1.log'), Buffer.alloc(10, 65));
  mkdirSync(join(podLog, 'nginx', 'not-a-log-file'));
  writeFileSync(join(podLog, 'sandbox.log'), 'pod level\n');
  // Another pod's directory and junk in the log root are ignored.
  mkdirSync(join(logs, 'shop_other_ffff'), { recursive: true });
  writeFileSync(join(logs, 'junk'), '');
  return { root, rootDir, logs, mounts };
}

const pod: StoragePod = {
  uid, name: 'web-0', namespace: 'shop', containers: [{ name: 'nginx' }, { name: 'no-logs' }],
  volumes: decodePodVolumes({ spec: { volumes: [
    { name: 'cache', emptyDir: {} }, { name: 'config', configMap: {} }, { name: 'kube-api-access-x2l9d', projected: {} },
    { name: 'podinfo', downwardAPI: {} }, { name: 'tls', secret: {} }, { name: 'data', persistentVolumeClaim: { claimName: 'data-web-0' } },
  ] } }),
};

const claims: ClaimResolver = { claimOf: (pv) => Promise.resolve(pv === 'pvc-7d1e' ? { name: 'data-web-0', namespace: 'shop' } : undefined) };

function lstatBytes(...paths: string[]): number {
  return Number(execFileSync('stat', ['-c', '%b', ...paths], { encoding: 'utf8' }).trim().split('\n').reduce((n, b) => n + Number(b) * 512, 0));
}

test('volumes: du for in-pod volumes, statfs for the PV, names from the spec, pvcRef through the PV, ephemeral first; logs and etc-hosts', async (t) => {
  const h = makeHost(t);
  const errors: string[] = [];
  const clock = new ManualClock(1_700_000_000_000);
  const storage = new StorageCollector({
    rootDir: h.rootDir, podLogsDir: h.logs, pods: () => [pod], volumeStatsAggPeriodMs: 60_000, refreshIntervalMs: 10_000, claims, clock,
    onError: (kind, what) => errors.push(`${kind} ${what}`),
  });
  assert.equal(storage.latest().pods.size, 0, 'nothing before the first walk');
  await storage.refreshVolumes(new AbortController().signal);
  await storage.refreshHost(new AbortController().signal);
  const s = storage.latest();
  assert.equal(s, storage.latest(), 'the same snapshot until something new is measured');
  const p = s.pods.get(uid)!;
  const vols = p.volumes!;
  const v = (name: string): NonNullable<typeof vols[number]> => vols.find((x) => x.name === name)!;
  const volDir = (plugin: string, name: string): string => join(h.rootDir, 'pods', uid, 'volumes', plugin, name);

  // Ephemeral (emptyDir on disk, configMap) first, then the rest, each by name.
  assert.deepEqual(vols.map((x) => [x.name, x.ephemeral]), [
    ['cache', true], ['config', true],
    ...(h.mounts ? [['data', false]] : []), ['kube-api-access-x2l9d', false], ['podinfo', false], ['tls', false],
  ]);
  for (const [name, plugin] of [['cache', 'kubernetes.io~empty-dir'], ['config', 'kubernetes.io~configmap'], ['podinfo', 'kubernetes.io~downward-api'], ['tls', 'kubernetes.io~secret']] as const) {
    const dir = volDir(plugin, name);
    const { usedBytes, inodesUsed } = gnuDu(dir);
    const fs = statfsOf(dir);
    assert.deepEqual({ usedBytes: v(name).usedBytes, inodesUsed: v(name).inodesUsed, cap: v(name).fs.capacityBytes, inodes: v(name).fs.inodes },
      { usedBytes, inodesUsed, cap: fs.capacityBytes, inodes: fs.inodes }, name);
    assert.equal(v(name).timeMs, clock.nowMs());
    assert.equal(v(name).pvcRef, undefined);
  }
  // The cache volume exactly: the directory, blob, sub and sub/small, each blocks × 512.
  const cache = volDir('kubernetes.io~empty-dir', 'cache');
  assert.equal(v('cache').usedBytes, BigInt(lstatBytes(cache, join(cache, 'blob'), join(cache, 'sub'), join(cache, 'sub', 'small'))));
  assert.equal(v('cache').inodesUsed, 4n);
  // The configMap: directory, the timestamped dir, its file, and two symlinks, none followed.
  assert.equal(v('config').inodesUsed, 5n);
  if (h.mounts) {
    const mount = join(volDir('kubernetes.io~csi', 'pvc-7d1e'), 'mount');
    const fs = statfsOf(mount);
    assert.deepEqual(v('data').pvcRef, { name: 'data-web-0', namespace: 'shop' });
    assert.equal(v('data').usedBytes, fs.capacityBytes - fs.freeBytes);
    assert.equal(v('data').fs.capacityBytes, 4n << 20n);
    assert.equal(v('data').inodesUsed, fs.inodes - fs.inodesFree);
    assert.equal(v('tls').fs.capacityBytes, 1n << 20n, 'the secret tmpfs, not the node disk');
  }
  assert.ok(!vols.some((x) => x.name === 'pvc-unmounted'), 'an unmounted PV directory is left out');

  const podLog = join(h.logs, `shop_web-0_${uid}`);
  assert.deepEqual(p.containerLogs.get('nginx'), { timeMs: clock.nowMs(), usedBytes: lstatBytes(join(podLog, 'nginx', '0.log'), join(podLog, 'nginx', '1.log')), inodesUsed: 2 });
  assert.equal(p.containerLogs.has('no-logs'), false);
  assert.deepEqual(p.podLogs, { timeMs: clock.nowMs(), usedBytes: lstatBytes(join(podLog, 'sandbox.log')), inodesUsed: 1 });
  assert.deepEqual(p.etcHosts, { timeMs: clock.nowMs(), usedBytes: lstatBytes(join(h.rootDir, 'pods', uid, 'etc-hosts')), inodesUsed: 1 });
  assert.deepEqual(errors, []);
  assert.equal(s.imageFs, undefined, 'no runtime, no image filesystem usage');
});

test('bad input: a huge volume over the entry cap and a vanished pod are counted, the rest is served', async (t) => {
  const h = makeHost(t);
  const big = join(h.rootDir, 'pods', uid, 'volumes', 'kubernetes.io~empty-dir', 'huge');
  mkdirSync(big);
  for (let i = 0; i < 300; i++) writeFileSync(join(big, `f${i}`), '');
  const gone: StoragePod = { uid: 'gone', name: 'gone', namespace: 'shop', containers: [{ name: 'c' }] };
  const errors: string[] = [];
  const storage = new StorageCollector({
    rootDir: h.rootDir, podLogsDir: join(h.root, 'no-logs-here'), pods: () => [pod, gone], volumeStatsAggPeriodMs: 60_000, refreshIntervalMs: 10_000,
    maxWalkEntries: 100, onError: (kind, what) => errors.push(`${kind} ${what}`),
  });
  await storage.refreshVolumes(new AbortController().signal);
  await storage.refreshHost(new AbortController().signal);
  const s = storage.latest();
  assert.deepEqual(errors, [`too_large ${big}`]);
  const names = s.pods.get(uid)!.volumes!.map((v) => v.name);
  assert.ok(names.includes('cache') && !names.includes('huge'), names.join());
  assert.equal(s.pods.get('gone')?.volumes, undefined, 'no volumes directory: no volume stats (nor ephemeral-storage)');
  assert.equal(s.pods.get(uid)!.containerLogs.size, 0, 'no log root: no logs, and no error');
});

test('the loops: volumes every period (jittered ×[1, 2)), logs every interval; they stop on abort and wait for the gate', async (t) => {
  const h = makeHost(t);
  const sleeps: number[] = [];
  const ctl = new AbortController();
  let gateCalls = 0;
  const storage = new StorageCollector({
    rootDir: h.rootDir, podLogsDir: h.logs, pods: () => [pod], volumeStatsAggPeriodMs: 60_000, refreshIntervalMs: 10_000, onError: () => undefined,
    random: () => 0.5, gate: () => { gateCalls++; return Promise.resolve(); },
    sleep: (ms) => {
      sleeps.push(ms);
      // Stop after the volume loop's second round (the log loop turns faster).
      if (sleeps.filter((x) => x === 90_000).length >= 2) ctl.abort();
      return new Promise((resolve) => setImmediate(resolve));
    },
  });
  await storage.run(ctl.signal);
  assert.deepEqual([...new Set(sleeps)].sort((a, b) => a - b), [10_500, 90_000]);
  assert.ok(gateCalls > 5);
  assert.ok(storage.latest().pods.get(uid)?.volumes !== undefined);
});

test('CRI: writable layers from ListContainerStats and the image filesystem from ImageFsInfo, over a real unix socket', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubemeter-cri-fs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const socket = join(dir, 'cri.sock');
  const server = await startCriServer(socket, {
    ListContainerStats: answer({
      stats: [{
        attributes: { id: app, metadata: { name: 'nginx', attempt: 0 } },
        writable_layer: { timestamp: '1700000012000000000', fs_id: { mountpoint: '/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs' }, used_bytes: { value: '8192' }, inodes_used: { value: '22' } },
      }],
    }),
    ImageFsInfo: answer({
      image_filesystems: [{ timestamp: '1700000012500000000', fs_id: { mountpoint: '/var/lib/containerd' }, used_bytes: { value: '843317248' }, inodes_used: { value: '13541' } }],
    }),
  });
  t.after(() => server.stop());
  const cri = criStorage({ endpoint: `unix://${socket}` });
  t.after(() => cri.close());
  const storage = new StorageCollector({
    rootDir: join(dir, 'none'), podLogsDir: join(dir, 'none'), pods: () => [], volumeStatsAggPeriodMs: 60_000, refreshIntervalMs: 10_000, cri, onError: () => undefined,
  });
  await storage.refreshHost(new AbortController().signal);
  const s = storage.latest();
  assert.deepEqual(s.writableLayers.get(app), { timeMs: 1700000012000, usedBytes: 8192n, inodesUsed: 22n, mountpoint: '/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs' });
  assert.deepEqual(s.imageFs, { timeMs: 1700000012500, usedBytes: 843317248n, inodesUsed: 13541n, mountpoint: '/var/lib/containerd' });
  assert.equal(s.containerFs, undefined);

  // The runtime going away: counted, the last answers kept.
  server.stop();
  const errors: string[] = [];
  const again = new StorageCollector({
    rootDir: join(dir, 'none'), podLogsDir: join(dir, 'none'), pods: () => [], volumeStatsAggPeriodMs: 60_000, refreshIntervalMs: 10_000, cri,
    onError: (kind, what) => errors.push(`${kind} ${what}`), criTimeoutMs: 2000,
  });
  await again.refreshHost(new AbortController().signal);
  assert.deepEqual(errors.sort(), ['node CRI ImageFsInfo', 'node CRI ListContainerStats']);
});

test('an agent that cannot read <root-dir>/pods (root:root 0750, as the kubelet makes it): one error per round, logs still measured', async (t) => {
  if (process.getuid?.() !== 0) {
    t.skip('needs root to start the collector as another user');
    return;
  }
  const h = makeHost(t);
  chmodSync(h.root, 0o755);
  chmodSync(join(h.rootDir, 'pods'), 0o750);
  const script = `
    import { StorageCollector } from ${JSON.stringify(fileURLToPath(new URL('./storage.ts', import.meta.url)))};
    const errors = [];
    const pod = { uid: ${JSON.stringify(uid)}, name: 'web-0', namespace: 'shop', containers: [{ name: 'nginx' }] };
    const s = new StorageCollector({ rootDir: ${JSON.stringify(h.rootDir)}, podLogsDir: ${JSON.stringify(h.logs)}, pods: () => [pod],
      volumeStatsAggPeriodMs: 60000, refreshIntervalMs: 10000, onError: (kind, what) => errors.push(kind + ' ' + what) });
    const signal = new AbortController().signal;
    await s.refreshVolumes(signal);
    await s.refreshHost(signal);
    const p = s.latest().pods.get(pod.uid);
    console.log(JSON.stringify({ errors, volumes: p?.volumes?.map((v) => ({ name: v.name })) ?? null, etcHosts: p?.etcHosts ?? null, logs: p?.containerLogs.get('nginx')?.inodesUsed ?? null }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { uid: 65534, gid: 65534, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const pods = join(h.rootDir, 'pods');
  assert.deepEqual(JSON.parse(r.stdout), { errors: [`unreadable ${pods}`, `unreadable ${pods}`], volumes: null, etcHosts: null, logs: 2 });

  // With group 0 (the manifests' opt-in supplementalGroups), the kubelet's 0750 root:root
  // directories can be walked without root or capabilities.
  for (const d of [join(pods, uid), join(pods, uid, 'volumes'), join(pods, uid, 'volumes', 'kubernetes.io~empty-dir')]) chmodSync(d, 0o750);
  const g = spawnSync(process.execPath, ['--input-type=module', '-e', script], { uid: 65534, gid: 0, encoding: 'utf8' });
  assert.equal(g.status, 0, g.stderr);
  const out = JSON.parse(g.stdout) as { errors: string[]; volumes: { name: string }[]; etcHosts: unknown };
  assert.deepEqual(out.errors, []);
  assert.ok(out.volumes.some((v) => v.name === 'cache') && out.etcHosts !== null);
});
