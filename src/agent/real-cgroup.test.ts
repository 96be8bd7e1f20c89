/**
 * The agent on this machine's real cgroups: a kubepods tree under a unique cgroup root with a
 * pause container, a container burning one CPU and one holding 64 MiB, served over real HTTP.
 * The test root gets the highest CPU weight, so the burner keeps its core while other test files
 * load the machine. The CPU rate is checked against the burner's own CPU time from /proc/<pid>/stat
 * over the same window, and against one core ±15% whenever the burner actually got a core (a CPU
 * quota on the machine running the tests could still deny it one). Memory is checked as the growth of the working set when the holder
 * allocates. Everything created is removed afterwards, also on failure.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeSummary } from '../api/stats-decode.ts';
import { readCgroupMounts } from '../cgroup/mounts.ts';
import { readPidStat } from '../cgroup/proc.ts';
import { createCgroupReader } from '../cgroup/reader.ts';
import { Collector } from './collector.ts';
import { createAgentHandler } from './http.ts';
import { RealCgroups } from '../../test/support/real-cgroups.ts';

const MiB = 1024 * 1024;
const isRoot = process.getuid?.() === 0;

function cpuTicks(pid: number): number {
  const s = readPidStat('/proc', pid);
  if (s === undefined) throw new Error(`process ${pid} is gone`);
  return s.userTicks + s.systemTicks;
}

test('real cgroups: one busy core and 64 MiB held are reported by /stats/summary and /metrics/resource', { skip: !isRoot && 'needs root to create cgroups' }, async (t) => {
  const mounts = readCgroupMounts({ procRoot: '/proc', sysRoot: '/sys' });
  const root = `/kubemeter-test-${process.pid}-${Math.random().toString(16).slice(2, 10)}`;
  const uid = '3b0c1f4e-7d2a-4c55-9e61-0a1b2c3d4e5f';
  const pod = `${root}/kubepods/burstable/pod${uid}`;
  const ids = { sandbox: 'a'.repeat(64), burner: 'b'.repeat(64), holder: 'c'.repeat(64) };
  const tmp = mkdtempSync(join(tmpdir(), 'kubemeter-real-'));
  const cgroups = new RealCgroups(mounts);
  t.after(async () => {
    await cgroups.remove();
    rmSync(tmp, { recursive: true, force: true });
  });
  for (const name of [root, `${root}/kubepods`, `${root}/kubepods/burstable`, pod, `${pod}/${ids.sandbox}`, `${pod}/${ids.burner}`, `${pod}/${ids.holder}`]) cgroups.create(name);
  // The suite runs two test files at once on small machines: the test root outweighs them, so the
  // burner gets its core and "about one core" is a statement about the agent, not the scheduler.
  cgroups.preferForCpu(root);
  const startIn = (id: string, argv: string[]): ChildProcess => cgroups.startIn(`${pod}/${id}`, argv, ['pipe', 'pipe', 'inherit']);
  const pauseBin = join(tmp, 'pause');
  copyFileSync('/bin/sleep', pauseBin);
  startIn(ids.sandbox, [pauseBin, '600']);
  const burner = startIn(ids.burner, ['/bin/sh', '-c', 'while :; do :; done']);
  const holder = startIn(ids.holder, [
    process.execPath,
    '-e',
    `process.stdin.once('data', () => { globalThis.held = Buffer.alloc(${64 * MiB}, 1); console.log('held'); }); console.log('ready');`,
  ]);
  const line = (c: ChildProcess): Promise<string> => new Promise((r) => c.stdout!.once('data', (d: Buffer) => r(d.toString().trim())));
  assert.equal(await line(holder), 'ready');

  const collector = new Collector({
    reader: createCgroupReader(mounts),
    procRoot: '/proc',
    nodeName: 'real-node',
    cgroupRoot: root,
    driver: 'cgroupfs',
    identity: [],
    standalone: undefined,
    fs: { rootDir: '/', imageFsDir: undefined },
  });
  const server = createServer(createAgentHandler({ source: collector }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // The burner's own CPU time is taken just outside the agent's two passes, so both rates cover
  // (almost) the same window.
  const burnerPid = burner.pid!;
  const ticks0 = cpuTicks(burnerPid);
  const wall0 = performance.now();
  const first = await collector.collectOnce();
  const before = first.pods.find((p) => p.uid === uid)?.containers.find((c) => c.id === ids.holder)?.reading.memory?.workingSetBytes;
  assert.ok(before !== undefined, 'holder container read in the first pass');
  holder.stdin!.write('go\n');
  assert.equal(await line(holder), 'held');
  await sleep(2000);
  await collector.collectOnce();
  const ticks1 = cpuTicks(burnerPid);
  const wall1 = performance.now();

  const summary = decodeSummary(await (await fetch(`${base}/stats/summary`)).text());
  const p = summary.pods.find((x) => x.podRef.uid === uid);
  assert.ok(p !== undefined, 'the test pod is reported');
  assert.deepEqual(p.podRef, { name: `pod${uid}`, namespace: 'kubemeter-unresolved', uid });
  assert.deepEqual(p.containers.map((c) => c.name).sort(), [ids.burner.slice(0, 12), ids.holder.slice(0, 12)], 'the pause container is not a container');
  assert.ok(p.network !== undefined && (p.network.interfaces?.length ?? 0) >= 0);
  assert.equal(p.process_stats?.process_count, 2);

  const burnerStats = p.containers.find((c) => c.name === ids.burner.slice(0, 12))!;
  const reportedCores = (burnerStats.cpu?.usageNanoCores ?? 0) / 1e9;
  // USER_HZ is 100 on Linux.
  const ownCores = (ticks1 - ticks0) / 100 / ((wall1 - wall0) / 1000);
  assert.ok(Math.abs(reportedCores - ownCores) <= Math.max(0.05, 0.1 * ownCores), `reported ${reportedCores} cores, the burner itself used ${ownCores}`);
  if (ownCores >= 0.85) assert.ok(reportedCores >= 0.85 && reportedCores <= 1.15, `reported ${reportedCores} cores for a busy core`);
  assert.ok((p.cpu?.usageNanoCores ?? 0) >= (burnerStats.cpu?.usageNanoCores ?? 0) * 0.9, 'the pod includes its containers');

  const holderStats = p.containers.find((c) => c.name === ids.holder.slice(0, 12))!;
  const grew = (holderStats.memory?.workingSetBytes ?? 0) - Number(before);
  assert.ok(Math.abs(grew - 64 * MiB) <= 6.4 * MiB, `working set grew by ${grew / MiB} MiB for 64 MiB held`);
  assert.ok((p.memory?.workingSetBytes ?? 0) >= (holderStats.memory?.workingSetBytes ?? 0));

  const metrics = await (await fetch(`${base}/metrics/resource`)).text();
  const sample = (name: string, container: string, secondMs: number | null | undefined): number => {
    const re = new RegExp(`^${name}\\{container="${container}",namespace="kubemeter-unresolved",pod="pod${uid}"\\} (\\S+) (\\d+)$`, 'm');
    const m = re.exec(metrics);
    assert.ok(m !== null, `${name} for ${container} in /metrics/resource`);
    // The sample's own time in ms; the Summary shows the same moment truncated to the second.
    assert.ok(typeof secondMs === 'number' && Number(m[2]) >= secondMs && Number(m[2]) < secondMs + 1000, `timestamp ${m[2]} is the sample time`);
    return Number(m[1]);
  };
  assert.equal(sample('container_memory_working_set_bytes', ids.holder.slice(0, 12), holderStats.memory?.time), holderStats.memory?.workingSetBytes);
  assert.ok(Math.abs(sample('container_cpu_usage_seconds_total', ids.burner.slice(0, 12), burnerStats.cpu?.time) - Number(burnerStats.cpu!.usageCoreNanoSeconds!) / 1e9) < 1e-6);
  assert.equal(readFileSync(join(cgroups.dirsOf(pod)[0]!, 'cgroup.procs'), 'utf8'), '', 'no task in the pod cgroup itself');
});
