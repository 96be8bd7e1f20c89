/**
 * The agent's fixture hosts, written as real file trees (`<root>/sys/fs/cgroup/…`,
 * `<root>/proc/…`): a cgroup v2 host with the systemd driver and containerd, a standalone
 * (no Kubernetes) systemd host, and a generated v2 host with N pods × M containers for benchmarks.
 * `node test/support/agent-fixtures.ts` rewrites the committed trees under src/agent/testdata.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FixtureCgroup } from './cgroup-fixture.ts';
import { netDevText, v2MountInfo, writeFixtureProc, writeV2Cgroups } from './cgroup-fixture.ts';

const GiB = 1024n ** 3n;
const MiB = 1024n ** 2n;

/** Pod UIDs and container ids of the v2-systemd fixture. */
export const v2Systemd = {
  guaranteedUid: '0f7a3f52-6a39-4d2e-9a0e-6a3f5b1c2d01',
  burstableUid: '5c1e9e2a-8b7d-4c3f-a2e1-9d8c7b6a5f02',
  besteffortUid: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c03',
  sandboxA: 'a1'.repeat(32),
  appA: 'a2'.repeat(32),
  sandboxB: 'b1'.repeat(32),
  appB1: 'b2'.repeat(32),
  appB2: 'b3'.repeat(32),
  sandboxC: 'c1'.repeat(32),
  appC: 'c2'.repeat(32),
} as const;

function sd(uid: string): string {
  return uid.replaceAll('-', '_');
}

function mem(usageMiB: bigint, inactiveMiB: bigint, limit?: bigint): NonNullable<FixtureCgroup['memory']> {
  return {
    usageBytes: usageMiB * MiB,
    inactiveFileBytes: inactiveMiB * MiB,
    rssBytes: (usageMiB - inactiveMiB) * MiB,
    pageFaults: usageMiB * 100n,
    majorPageFaults: usageMiB / 10n,
    ...(limit === undefined ? {} : { limitBytes: limit }),
  };
}

/** The v2 host with the systemd driver, containerd, three QoS classes and one unresolved pod. */
export function writeV2SystemdHost(root: string): void {
  const f = v2Systemd;
  const podA = `/kubepods.slice/kubepods-pod${sd(f.guaranteedUid)}.slice`;
  const podB = `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${sd(f.burstableUid)}.slice`;
  const podC = `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${sd(f.besteffortUid)}.slice`;
  const scope = (pod: string, id: string): string => `${pod}/cri-containerd-${id}.scope`;
  const cgroups: FixtureCgroup[] = [
    { name: '/', cpuUsageCoreNanoSeconds: 172_395_638_218_014_000n, memory: mem(3652n, 1286n), pids: [1] },
    { name: '/kubepods.slice', cpuUsageCoreNanoSeconds: 128_623_648_470_000n, memory: mem(785n, 48n, 7n * GiB), swap: { usageBytes: 0n } },
    { name: '/kubepods.slice/kubepods-burstable.slice', cpuUsageCoreNanoSeconds: 60_000_000_000n, memory: mem(300n, 10n) },
    { name: '/kubepods.slice/kubepods-besteffort.slice', cpuUsageCoreNanoSeconds: 5_000_000_000n, memory: mem(40n, 1n) },
    { name: '/system.slice', cpuUsageCoreNanoSeconds: 9_000_000_000n, memory: mem(200n, 20n) },
    { name: '/system.slice/containerd.service', cpuUsageCoreNanoSeconds: 8_000_000_000n, memory: mem(120n, 10n), pids: [500] },
    { name: podA, cpuUsageCoreNanoSeconds: 25_552_286_513_000n, memory: mem(58n, 5n, 256n * MiB), swap: { usageBytes: 0n, limitBytes: 0n } },
    { name: scope(podA, f.sandboxA), cpuUsageCoreNanoSeconds: 40_000_000n, memory: mem(1n, 0n, 256n * MiB), pids: [1001] },
    { name: scope(podA, f.appA), cpuUsageCoreNanoSeconds: 16_645_906_408_000n, memory: mem(54n, 2n, 256n * MiB), swap: { usageBytes: 0n, limitBytes: 0n }, pids: [1002, 1003] },
    { name: podB, cpuUsageCoreNanoSeconds: 334_256_356_000n, memory: mem(70n, 1n), swap: { usageBytes: 4096n } },
    { name: scope(podB, f.sandboxB), cpuUsageCoreNanoSeconds: 94_545_000n, memory: mem(1n, 0n), pids: [1101] },
    { name: scope(podB, f.appB1), cpuUsageCoreNanoSeconds: 293_769_327_000n, memory: mem(48n, 0n), swap: { usageBytes: 4096n }, pids: [1102] },
    // A container whose memory controller is not enabled: memory is {time, workingSetBytes: 0}.
    { name: scope(podB, f.appB2), cpuUsageCoreNanoSeconds: 27_787_800_000n, pids: [1103] },
    { name: podC, cpuUsageCoreNanoSeconds: 1_000_000_000n, memory: mem(20n, 4n) },
    { name: scope(podC, f.sandboxC), cpuUsageCoreNanoSeconds: 10_000_000n, memory: mem(1n, 0n), pids: [1201] },
    { name: scope(podC, f.appC), cpuUsageCoreNanoSeconds: 900_000_000n, memory: mem(18n, 4n), pids: [1202] },
  ];
  writeV2Cgroups(root, cgroups);
  // Things discovery must ignore: a mount unit and a non-container scope inside a pod slice.
  const mountUnit = join(root, 'sys/fs/cgroup', podB, 'run-containerd-something.mount');
  mkdirSync(mountUnit, { recursive: true });
  writeFileSync(join(mountUnit, 'cgroup.procs'), '');
  const podNet = (rx: number, tx: number): string => netDevText([['lo', 100, 100], ['eth0', rx, tx]]);
  writeFixtureProc(root, {
    mountInfo: v2MountInfo,
    memTotalKb: 16_252_928,
    swapTotalKb: 2_097_152,
    swapFreeKb: 2_096_128,
    bootTimeSeconds: 1_666_061_429,
    tasks: 591,
    netDev: {
      1: netDevText([['lo', 3793, 3793], ['ens5', 213281337459, 292869995684], ['cni0', 70749124, 47813506], ['veth1a2b3c', 1, 1]]),
      1001: podNet(70749124, 47813506),
      1101: podNet(1234567, 7654321),
      1201: podNet(42, 24),
    },
    comm: { 1: 'systemd', 1001: 'pause', 1002: 'kube-controller', 1003: 'sh', 1101: 'pause', 1102: 'aws-node', 1103: 'kube-proxy', 1201: 'pause', 1202: 'nginx', 500: 'containerd' },
  });
}

/** A host without Kubernetes: systemd services, a user session scope and a Docker container. */
export function writeStandaloneHost(root: string): void {
  const dockerId = 'd0'.repeat(32);
  writeV2Cgroups(root, [
    { name: '/', cpuUsageCoreNanoSeconds: 50_000_000_000n, memory: mem(900n, 300n), pids: [1] },
    { name: '/init.scope', cpuUsageCoreNanoSeconds: 2_000_000_000n, memory: mem(12n, 1n), pids: [1] },
    { name: '/system.slice', cpuUsageCoreNanoSeconds: 30_000_000_000n, memory: mem(500n, 100n) },
    { name: '/system.slice/nginx.service', cpuUsageCoreNanoSeconds: 12_000_000_000n, memory: mem(64n, 8n, 512n * MiB), pids: [700, 701] },
    { name: '/system.slice/var-lib-docker.mount', cpuUsageCoreNanoSeconds: 0n },
    { name: `/system.slice/docker-${dockerId}.scope`, cpuUsageCoreNanoSeconds: 7_000_000_000n, memory: mem(128n, 16n), pids: [800] },
    { name: '/user.slice', cpuUsageCoreNanoSeconds: 9_000_000_000n, memory: mem(200n, 20n) },
    { name: '/user.slice/user-1000.slice', cpuUsageCoreNanoSeconds: 9_000_000_000n, memory: mem(200n, 20n) },
    { name: '/user.slice/user-1000.slice/session-3.scope', cpuUsageCoreNanoSeconds: 4_000_000_000n, memory: mem(90n, 9n), pids: [900] },
  ]);
  writeFixtureProc(root, {
    mountInfo: v2MountInfo,
    memTotalKb: 8_126_464,
    bootTimeSeconds: 1_700_000_000,
    tasks: 210,
    netDev: { 1: netDevText([['lo', 1, 1], ['eth0', 5000, 6000]]), 700: netDevText([['lo', 1, 1], ['eth0', 5000, 6000]]), 800: netDevText([['eth0', 77, 88]]) },
    comm: { 1: 'systemd', 700: 'nginx', 701: 'nginx', 800: 'redis-server', 900: 'bash' },
  });
}

/** A generated v2 cgroupfs-driver host with `pods` burstable pods of `containers` app containers each (plus sandboxes). */
export function writeGeneratedHost(root: string, pods: number, containers: number): void {
  const cgroups: FixtureCgroup[] = [
    { name: '/', cpuUsageCoreNanoSeconds: 1_000_000_000_000n, memory: mem(4000n, 1000n), pids: [1] },
    { name: '/kubepods', cpuUsageCoreNanoSeconds: 500_000_000_000n, memory: mem(3000n, 500n) },
    { name: '/kubepods/burstable', cpuUsageCoreNanoSeconds: 400_000_000_000n, memory: mem(2500n, 400n) },
  ];
  const netDev: Record<number, string> = { 1: netDevText([['lo', 1, 1], ['eth0', 1000, 2000]]) };
  const comm: Record<number, string> = {};
  for (let p = 0; p < pods; p++) {
    const uid = `00000000-0000-4000-8000-${p.toString(16).padStart(12, '0')}`;
    const pod = `/kubepods/burstable/pod${uid}`;
    cgroups.push({ name: pod, cpuUsageCoreNanoSeconds: BigInt(p + 1) * 1_000_000_000n, memory: mem(100n, 10n, 512n * MiB) });
    const basePid = 10_000 + p * 10;
    cgroups.push({ name: `${pod}/${'f'.repeat(56)}${p.toString(16).padStart(8, '0')}`, cpuUsageCoreNanoSeconds: 1_000_000n, memory: mem(1n, 0n), pids: [basePid] });
    netDev[basePid] = netDevText([['lo', 1, 1], ['eth0', p * 1000, p * 2000]]);
    comm[basePid] = 'pause';
    for (let c = 0; c < containers; c++) {
      const id = `${c.toString(16).padStart(8, '0')}${'e'.repeat(48)}${p.toString(16).padStart(8, '0')}`;
      cgroups.push({ name: `${pod}/${id}`, cpuUsageCoreNanoSeconds: BigInt(c + 1) * 300_000_000n, memory: mem(30n, 3n, 512n * MiB), pids: [basePid + 1 + c] });
    }
  }
  writeV2Cgroups(root, cgroups);
  writeFixtureProc(root, { mountInfo: v2MountInfo, memTotalKb: 16_000_000, bootTimeSeconds: 1_700_000_000, tasks: 400, netDev, comm });
}

if (import.meta.main) {
  const base = new URL('../../src/agent/testdata/', import.meta.url).pathname;
  for (const [name, write] of [['v2-systemd', writeV2SystemdHost], ['standalone', writeStandaloneHost]] as const) {
    rmSync(join(base, name, 'host'), { recursive: true, force: true });
    write(join(base, name, 'host'));
  }
}

/**
 * Copy a checked-in fixture host (`<testdata>/<name>/host`) into a new temporary directory, which
 * the caller removes, with the mtimes under its sys/ pinned to `timeMs`: cgroup creation times come
 * from directory mtimes, so outputs must not depend on when the checkout was made.
 */
export function copyFixtureHost(testdata: string, name: string, timeMs: number): string {
  const dir = mkdtempSync(join(tmpdir(), `kubemeter-fixture-${name}-`));
  cpSync(join(testdata, name, 'host'), dir, { recursive: true });
  const pin = (d: string): void => {
    utimesSync(d, timeMs / 1000, timeMs / 1000);
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) pin(join(d, e.name));
      else utimesSync(join(d, e.name), timeMs / 1000, timeMs / 1000);
    }
  };
  pin(join(dir, 'sys'));
  return dir;
}
