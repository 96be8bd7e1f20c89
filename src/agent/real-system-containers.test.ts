/**
 * The `kubelet` system container on this machine's real cgroups: a process whose command name is
 * `kubelet` (a copy of sleep) started in a test cgroup is found by its name, its cgroup is taken
 * with the kubelet's rule, and the entry reports that cgroup with the process's start time. On a
 * hybrid v1 host the rule takes the `name=systemd` path, so the test cgroup is made there too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findPidsByComm, readBootTimeMs, readPidStat } from '../cgroup/proc.ts';
import { readCgroupMounts } from '../cgroup/mounts.ts';
import { createCgroupReader } from '../cgroup/reader.ts';
import { RealCgroups } from '../../test/support/real-cgroups.ts';
import { Collector } from './collector.ts';
import { buildSummary } from './summary.ts';

const isRoot = process.getuid?.() === 0;

test('real cgroups: the process named kubelet gives the kubelet system container', { skip: (!isRoot && 'needs root') || (findPidsByComm('/proc', 'kubelet').length > 0 && 'a kubelet runs here') }, async (t) => {
  const mounts = readCgroupMounts({ procRoot: '/proc', sysRoot: '/sys' });
  const cg = new RealCgroups(mounts);
  const tmp = mkdtempSync(join(tmpdir(), 'kubemeter-kubelet-'));
  const name = `/kubemeter-sys-${process.pid}`;
  // Hybrid hosts: the kubelet's rule prefers the name=systemd hierarchy's path.
  const systemd = mounts.version === 'v1' && existsSync('/sys/fs/cgroup/systemd/cgroup.procs') ? `/sys/fs/cgroup/systemd${name}` : undefined;
  t.after(async () => {
    await cg.remove();
    if (systemd !== undefined) {
      for (let i = 0; i < 50 && existsSync(systemd); i++) {
        try {
          rmdirSync(systemd);
        } catch {
          await sleep(20);
        }
      }
    }
    rmSync(tmp, { recursive: true, force: true });
  });
  cg.create(name);
  if (systemd !== undefined) mkdirSync(systemd);
  const kubelet = join(tmp, 'kubelet');
  copyFileSync('/bin/sleep', kubelet);
  const child = cg.startIn(name, [kubelet, '60']);
  // Wait until the process runs as `kubelet` inside the cgroup.
  for (let i = 0; i < 200 && !(child.pid !== undefined && readFileSync(`/proc/${child.pid}/comm`, 'latin1').trim() === 'kubelet'); i++) await sleep(10);
  if (systemd !== undefined) writeFileSync(join(systemd, 'cgroup.procs'), String(child.pid));

  const collector = new Collector({
    reader: createCgroupReader(mounts), procRoot: '/proc', nodeName: 'n', cgroupRoot: `/kubemeter-none-${process.pid}`, driver: 'cgroupfs',
    identity: [], standalone: undefined, fs: { rootDir: undefined, imageFsDir: undefined },
  });
  t.after(() => collector.close());
  const snap = await collector.collectOnce();
  const entry = buildSummary(snap).node.systemContainers?.find((s) => s.name === 'kubelet');
  assert.ok(entry !== undefined, 'a kubelet entry');
  assert.equal(snap.node.systemContainers?.[0]?.reading.path, name);
  const stat = readPidStat('/proc', child.pid!)!;
  assert.equal(entry.startTime, readBootTimeMs('/proc') + stat.startTicks * 10);
  assert.ok(entry.cpu !== undefined && entry.memory !== undefined);
});
