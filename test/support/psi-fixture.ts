/**
 * The v2-systemd fixture host plus what the kubelet's system containers and PSI need: a kubelet
 * process (`/proc/700/comm`, `/proc/700/cgroup`, `/proc/700/stat`) in
 * `/system.slice/kubelet.service`, and the kernel's pressure files in every cgroup (written by
 * writeV2Cgroups). `node test/support/psi-fixture.ts` rewrites src/agent/testdata/v2-psi/host.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeV2SystemdHost } from './agent-fixtures.ts';
import { writeV2Cgroups } from './cgroup-fixture.ts';

/** The kubelet's pid and its start, in USER_HZ ticks after boot, on the v2-psi host. */
export const v2PsiKubelet = { pid: 700, startTicks: 123_456, cgroup: '/system.slice/kubelet.service' } as const;

/** Write the v2-psi host under `root`. */
export function writeV2PsiHost(root: string): void {
  writeV2SystemdHost(root);
  const MiB = 1024n ** 2n;
  writeV2Cgroups(root, [
    {
      name: v2PsiKubelet.cgroup, cpuUsageCoreNanoSeconds: 32_503_705_524_000n, pids: [v2PsiKubelet.pid],
      memory: { usageBytes: 50n * MiB, inactiveFileBytes: 1n * MiB, rssBytes: 48n * MiB, pageFaults: 19_121_096n, majorPageFaults: 0n },
    },
  ]);
  const proc = join(root, 'proc', String(v2PsiKubelet.pid));
  mkdirSync(proc, { recursive: true });
  writeFileSync(join(proc, 'comm'), 'kubelet\n');
  writeFileSync(join(proc, 'cgroup'), `0::${v2PsiKubelet.cgroup}\n`);
  const fields = ['S', '1', '700', '700', '0', '-1', '4194560', '61541', '0', '12', '0', '2400', '1100', '0', '0', '20', '0', '23', '0', String(v2PsiKubelet.startTicks), '1983438848', '13000'];
  writeFileSync(join(proc, 'stat'), `${v2PsiKubelet.pid} (kubelet) ${fields.join(' ')}\n`);
}

if (import.meta.main) {
  const dir = new URL('../../src/agent/testdata/v2-psi/host', import.meta.url).pathname;
  rmSync(dir, { recursive: true, force: true });
  writeV2PsiHost(dir);
}
