/**
 * `kubemeter up` end to end on this machine: a CPU burner (CFS quota 500m) and a memory holder
 * (64 MiB held, 256 MiB limit) run as systemd-style units in a test slice the standalone mapping
 * turns into pods; `kubemeter up` runs as a real process; the real `kubectl top node`,
 * `kubectl top pod -A` and `kubemeter top` read it through the generated kubeconfig. The node's
 * CPU is checked against /proc/stat and the burner's against its own /proc/<pid>/stat over the
 * exact window the Metrics API reports, whose end is known to the second (so a loaded machine cannot make the test flaky). Also:
 * limits in the Pod objects, authentication (no certificate → 401, another identity → 403), a
 * clean Ctrl-C that keeps the state, and the CA reused by the next start. Everything created is
 * removed afterwards, also on failure.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { readCgroupMounts } from '../cgroup/mounts.ts';
import { readPidStat } from '../cgroup/proc.ts';
import { Quantity } from '../lib/quantity.ts';
import { RealCgroups } from '../../test/support/real-cgroups.ts';
import { runCommand, spawnLogged, type UpProcess } from '../../test/support/up-process.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const isRoot = process.getuid?.() === 0;
const hasKubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
const MiB = 1024 * 1024;
const USER_HZ = 100;

interface Sample {
  timeMs: number;
  busyTicks: number;
  burnerTicks: number;
}

function procStatBusy(): number {
  const line = readFileSync('/proc/stat', 'latin1').split('\n')[0]!;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: the node's CPU is its root cgroup's usage,
  // which counts user, nice and system time only. Interrupts, softirqs (loopback traffic of
  // other processes) and steal are not charged to any cgroup and were 10-20 % of a loaded
  // machine's busy time here, so they are left out of the reference.
  return f[0]! + f[1]! + f[2]!;
}

/** A counter of the samples at time `t`, linearly interpolated between the two samples around it (at most 250 ms apart). */
function valueAt(samples: readonly Sample[], key: 'busyTicks' | 'burnerTicks', t: number): number | undefined {
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1]!;
    const b = samples[i]!;
    if (a.timeMs <= t && t <= b.timeMs) {
      if (b.timeMs - a.timeMs > 250) return undefined;
      return b.timeMs === a.timeMs ? a[key] : a[key] + ((b[key] - a[key]) * (t - a.timeMs)) / (b.timeMs - a.timeMs);
    }
  }
  return undefined;
}

/**
 * The range of a counter's rate (per second) over every window of `winMs` ending in
 * [endFrom, endTo]: the Metrics API's timestamps are whole seconds, so the true window ends
 * somewhere in the second after the one shown.
 */
function rateRange(samples: readonly Sample[], key: 'busyTicks' | 'burnerTicks', winMs: number, endFrom: number, endTo: number): { min: number; max: number } | undefined {
  let min = Infinity;
  let max = -Infinity;
  for (let end = endFrom; end <= endTo; end += 25) {
    const a = valueAt(samples, key, end - winMs);
    const b = valueAt(samples, key, end);
    if (a === undefined || b === undefined) return undefined;
    const rate = (b - a) / USER_HZ / (winMs / 1000);
    min = Math.min(min, rate);
    max = Math.max(max, rate);
  }
  return { min, max };
}

function windowSeconds(window: string): number {
  const m = /^(?:(\d+)m)?(?:([\d.]+)s)?$/.exec(window);
  assert.ok(m !== null, `window ${window}`);
  return Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0);
}

function rows(out: string): string[][] {
  return out.trim().split('\n').map((l) => l.trim().split(/\s+/));
}

test('kubemeter up: real kubectl top node / top pod -A and kubemeter top on real cgroup workloads', { skip: (!isRoot && 'needs root to create cgroups') || (!hasKubectl && 'kubectl not installed') }, async (t) => {
  const mounts = readCgroupMounts({ procRoot: '/proc', sysRoot: '/sys' });
  const ns = `kubemeter-up-${process.pid}${Math.random().toString(16).slice(2, 8)}`;
  const slice = `/${ns}.slice`;
  const home = mkdtempSync(join(tmpdir(), 'kubemeter-up-'));
  const stateDir = join(home, '.kubemeter');
  const kubeconfig = join(home, '.kube', 'kubemeter.config');
  const cgroups = new RealCgroups(mounts);
  const ups: UpProcess[] = [];
  const timers: { sampler?: NodeJS.Timeout } = {};

  t.after(async () => {
    clearInterval(timers.sampler);
    for (const u of ups) await u.kill();
    await cgroups.remove();
    rmSync(home, { recursive: true, force: true });
  });

  cgroups.create(slice);
  const burnerDirs = cgroups.create(`${slice}/burner.service`);
  const holderDirs = cgroups.create(`${slice}/holder.service`);
  const setLimit = (dirs: string[], v1File: string, v2File: string, value: string): void => {
    for (const d of dirs) {
      const f = join(d, mounts.version === 'v2' ? v2File : v1File);
      if (existsSync(f)) writeFileSync(f, value);
    }
  };
  if (mounts.version === 'v2') {
    setLimit(burnerDirs, '', 'cpu.max', '50000 100000');
    setLimit(holderDirs, '', 'memory.max', String(256 * MiB));
  } else {
    setLimit(burnerDirs, 'cpu.cfs_period_us', '', '100000');
    setLimit(burnerDirs, 'cpu.cfs_quota_us', '', '50000');
    setLimit(holderDirs, 'memory.limit_in_bytes', '', String(256 * MiB));
  }
  const burner = cgroups.startIn(`${slice}/burner.service`, ['/bin/sh', '-c', 'while :; do :; done']);
  const holder = cgroups.startIn(`${slice}/holder.service`, [process.execPath, '-e', `globalThis.held = Buffer.alloc(${64 * MiB}, 1); console.log('held'); setInterval(() => {}, 1e6);`]);
  await new Promise<void>((r) => holder.stdout!.once('data', () => r()));

  const samples: Sample[] = [];
  const sample = (): void => {
    const b = readPidStat('/proc', burner.pid!);
    samples.push({ timeMs: Date.now(), busyTicks: procStatBusy(), burnerTicks: b === undefined ? NaN : b.userTicks + b.systemTicks });
    if (samples.length > 2000) samples.splice(0, 1000);
  };
  sample();
  timers.sampler = setInterval(sample, 50);

  const env = { ...process.env, HOME: home, KUBECONFIG: '' };
  const upArgs = [join(repo, 'src/cmd/main.ts'), 'up', '--state-dir', stateDir, '--kubeconfig-out', kubeconfig, '--secure-port', '0', '--metric-resolution', '2s', '--housekeeping-interval', '1s', '--logging-format', 'json'];
  const up = spawnLogged(process.execPath, upArgs, { env, cwd: repo });
  ups.push(up);
  const serving = await up.waitFor((r) => r['msg'] === 'kubemeter up serving', 30_000);
  assert.equal(serving['kubeconfig'], kubeconfig);
  assert.equal(serving['cgroupVersion'], mounts.version);
  assert.ok(typeof serving['workloads'] === 'number' && serving['workloads'] >= 2, 'the test units are found');
  assert.equal(serving['kubectlTopNode'], `kubectl --kubeconfig ${kubeconfig} top node`);
  const node = String(serving['node']);
  await up.waitFor((r) => r['msg'] === 'metrics available', 30_000);

  const kubectl = (...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> => runCommand('kubectl', ['--kubeconfig', kubeconfig, ...args], { ...env, HOME: home });
  const raw = async (path: string): Promise<Record<string, unknown>> => {
    const r = await kubectl('get', '--raw', path);
    assert.equal(r.code, 0, `${path}: ${r.stderr}`);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  };

  // Both test pods appear once they have two points.
  let pods = '';
  for (let i = 0; i < 60; i++) {
    const r = await kubectl('top', 'pod', '-A');
    pods = r.stdout;
    if (r.code === 0 && /\sburner\s/.test(pods) && /\sholder\s/.test(pods)) break;
    await sleep(500);
  }
  t.diagnostic(`kubectl top pod -A:\n${pods}`);
  const podRows = rows(pods);
  assert.deepEqual(podRows[0], ['NAMESPACE', 'NAME', 'CPU(cores)', 'MEMORY(bytes)']);
  const burnerRow = podRows.find((r) => r[0] === ns && r[1] === 'burner');
  const holderRow = podRows.find((r) => r[0] === ns && r[1] === 'holder');
  assert.ok(burnerRow !== undefined && holderRow !== undefined, `test pods in:\n${pods}`);
  const burnerMilli = Number(burnerRow[2]!.replace(/m$/, ''));
  assert.ok(burnerMilli > 0 && burnerMilli <= 600, `burner ${burnerRow[2]} under a 500m quota`);
  const holderMi = Number(holderRow[3]!.replace(/Mi$/, ''));
  assert.ok(holderMi >= 64 && holderMi <= 256, `holder holds 64 MiB, shows ${holderRow[3]}`);

  // Node CPU against /proc/stat, and the burner against its own CPU time, over the reported windows.
  let checked = false;
  for (let attempt = 0; attempt < 10 && !checked; attempt++) {
    const before = await raw(`/apis/metrics.k8s.io/v1beta1/nodes/${node}`);
    const top = await kubectl('top', 'node');
    const after = await raw(`/apis/metrics.k8s.io/v1beta1/nodes/${node}`);
    const podMetrics = await raw(`/apis/metrics.k8s.io/v1beta1/namespaces/${ns}/pods/burner`);
    if (before['timestamp'] !== after['timestamp']) continue;
    const endMs = Date.parse(String(after['timestamp']));
    const win = windowSeconds(String(after['window']));
    const pEnd = Date.parse(String(podMetrics['timestamp']));
    const pWin = windowSeconds(String(podMetrics['window']));
    // Wait until the sampler has covered the second after both timestamps.
    while (Date.now() < Math.max(endMs, pEnd) + 1300) await sleep(100);
    const nodeRange = rateRange(samples, 'busyTicks', win * 1000, endMs, endMs + 999);
    const burnerRange = rateRange(samples, 'burnerTicks', pWin * 1000, pEnd, pEnd + 999);
    if (nodeRange === undefined || burnerRange === undefined) continue;
    assert.equal(top.code, 0, top.stderr);
    t.diagnostic(`kubectl top node:\n${top.stdout}`);
    const nodeRow = rows(top.stdout).find((r) => r[0] === node);
    assert.ok(nodeRow !== undefined, top.stdout);
    const cpus = Number(((await raw(`/api/v1/nodes/${node}`))['status'] as { capacity: Record<string, string> }).capacity['cpu']);
    const shownCores = Number(nodeRow[1]!.replace(/m$/, '')) / 1000;
    const shownPct = Number(nodeRow[2]!.replace(/%$/, ''));
    const tolCores = 0.1 * cpus + 0.05;
    const procText = `/proc/stat ${nodeRange.min.toFixed(3)}..${nodeRange.max.toFixed(3)} cores over ${win}s`;
    assert.ok(shownCores >= nodeRange.min - tolCores && shownCores <= nodeRange.max + tolCores, `node ${shownCores} cores, ${procText}`);
    assert.ok(shownPct >= (nodeRange.min / cpus) * 100 - 10 && shownPct <= (nodeRange.max / cpus) * 100 + 10, `node ${shownPct}%, ${procText}`);

    const containers = podMetrics['containers'] as { name: string; usage: { cpu: string; memory: string } }[];
    const reported = Number(Quantity.parse(containers[0]!.usage.cpu).milliValue()) / 1000;
    const tol = Math.max(0.05, 0.1 * burnerRange.max);
    assert.ok(reported >= burnerRange.min - tol && reported <= burnerRange.max + tol, `burner reported ${reported} cores, its own CPU time says ${burnerRange.min.toFixed(3)}..${burnerRange.max.toFixed(3)} over ${pWin}s`);
    checked = true;
  }
  assert.ok(checked, 'a node and pod window could be compared with /proc samples');

  // kubemeter top reads the same API.
  const km = await runCommand(process.execPath, [join(repo, 'src/cmd/main.ts'), 'top', 'pod', '-A', '--kubeconfig', kubeconfig], { ...env, HOME: home });
  assert.equal(km.code, 0, km.stderr);
  t.diagnostic(`kubemeter top pod -A:\n${km.stdout}`);
  assert.ok(rows(km.stdout).some((r) => r[0] === ns && r[1] === 'burner'), km.stdout);
  const kmNode = await runCommand(process.execPath, [join(repo, 'src/cmd/main.ts'), 'top', 'node', '--kubeconfig', kubeconfig], { ...env, HOME: home });
  assert.equal(kmNode.code, 0, kmNode.stderr);
  assert.deepEqual(rows(kmNode.stdout)[0], ['NAME', 'CPU(cores)', 'CPU(%)', 'MEMORY(bytes)', 'MEMORY(%)']);
  assert.ok(rows(kmNode.stdout).some((r) => r[0] === node && /^\d+%$/.test(r[2]!)), kmNode.stdout);

  // The server's scrape.kubemeter.io is served too; kubectl finds it through /apis.
  const nss = await kubectl('get', 'nodescrapestatuses', node);
  assert.equal(nss.code, 0, nss.stderr);
  assert.match(nss.stdout, new RegExp(`^NAME\\s+LAST SUCCESS\\s+FAILURES\\s+LAST ERROR\\s+ERROR AGE\\s*\\n${node.replace(/[.]/g, '\\.')}\\s+\\d+s\\s+0\\s`), nss.stdout);
  const status = (await raw(`/apis/scrape.kubemeter.io/v1alpha1/nodescrapestatuses/${node}`))['status'] as { endpoint: string; podsServed: number };
  assert.match(status.endpoint, /^https:\/\/.+\/metrics\/resource$/);
  assert.ok(status.podsServed >= 2, `podsServed ${status.podsServed}`);

  // Pod objects carry the limits the cgroups enforce (requests defaulted to them).
  const burnerPod = await raw(`/api/v1/namespaces/${ns}/pods/burner`);
  const holderPod = await raw(`/api/v1/namespaces/${ns}/pods/holder`);
  const resources = (p: Record<string, unknown>): unknown => (p['spec'] as { containers: { resources: unknown }[] }).containers[0]!.resources;
  assert.deepEqual(resources(burnerPod), { limits: { cpu: '500m' }, requests: { cpu: '500m' } });
  assert.deepEqual(resources(holderPod), { limits: { memory: '256Mi' }, requests: { memory: '256Mi' } });
  assert.equal((burnerPod['status'] as { phase: string }).phase, 'Running');
  assert.deepEqual((burnerPod['metadata'] as { labels: unknown }).labels, { 'kubemeter.io/source': 'systemd' });

  // Authentication is on: no certificate → 401; a certificate of the CA without the admin group → 403.
  const url = new URL(String(serving['url']));
  const get = (opts: { cert?: string; key?: string }): Promise<number> => new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: '/apis/metrics.k8s.io/v1beta1/nodes', ca: readFileSync(join(stateDir, 'ca.crt')), ...opts }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
  assert.equal(await get({}), 401);
  assert.equal(await get({ cert: readFileSync(join(stateDir, 'scraper.crt'), 'utf8'), key: readFileSync(join(stateDir, 'scraper.key'), 'utf8') }), 403);

  // Ctrl-C: clean exit, state and kubeconfig kept; the next start reuses the CA.
  const caBefore = readFileSync(join(stateDir, 'ca.crt'), 'utf8');
  assert.equal(await up.interrupt(), 0, up.output().slice(-2000));
  assert.ok(existsSync(kubeconfig) && existsSync(join(stateDir, 'ca.key')));
  const again = spawnLogged(process.execPath, upArgs, { env, cwd: repo });
  ups.push(again);
  await again.waitFor((r) => r['msg'] === 'reusing the CA', 30_000);
  await again.waitFor((r) => r['msg'] === 'kubemeter up serving', 30_000);
  assert.equal(readFileSync(join(stateDir, 'ca.crt'), 'utf8'), caBefore);
  assert.equal(await again.interrupt(), 0, again.output().slice(-2000));
});
