import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import fc from 'fast-check';
import { isKubemeterError } from '../lib/errors.ts';
import { v2MemoryStat, v2MountInfo, writeV2Cgroups } from '../../test/support/cgroup-fixture.ts';
import { detectCgroupMounts, parseMountInfo } from './mounts.ts';
import { runReaderConformance } from './stats.case.ts';
import { v2StatsFromFiles } from './v2.ts';

runReaderConformance('cgroup v2', {
  writeTree(dir, cgroups) {
    writeV2Cgroups(dir, cgroups);
    const mounts = detectCgroupMounts(parseMountInfo(v2MountInfo), join(dir, 'sys'));
    assert.equal(mounts.version, 'v2');
    assert.equal(mounts.hybrid, false);
    return mounts;
  },
  cpuFile: (dir, name) => join(dir, 'sys/fs/cgroup', name, 'cpu.stat'),
  memoryUsageFile: (dir, name) => join(dir, 'sys/fs/cgroup', name, 'memory.current'),
});

test('v2 root: usage is emulated as anon + file when memory.current does not exist', () => {
  const memoryStat = v2MemoryStat({ usageBytes: 1000n, inactiveFileBytes: 300n, rssBytes: 400n, pageFaults: 9n, majorPageFaults: 2n });
  const s = v2StatsFromFiles(
    { cpuStat: 'usage_usec 7\nuser_usec 5\nsystem_usec 2\n', memoryCurrent: undefined, memoryStat, memoryMax: undefined, swapCurrent: undefined, swapMax: undefined },
    '/',
  );
  assert.equal(s.cpuUsageCoreNanoSeconds, 7000n);
  assert.equal(s.memory?.usageBytes, 1000n);
  assert.equal(s.memory?.workingSetBytes, 700n);
  assert.equal(s.memory?.rssBytes, 400n);
  assert.equal(s.memory?.pageFaults, 9n);
  assert.equal(s.swap?.usageBytes, 0n);
});

test('v2: a cpu.stat without usage_usec is rejected', () => {
  assert.throws(
    () => v2StatsFromFiles({ cpuStat: 'user_usec 1\n', memoryCurrent: undefined, memoryStat: undefined, memoryMax: undefined, swapCurrent: undefined, swapMax: undefined }, '/c'),
    /usage_usec/,
  );
});

test('v2: arbitrary file contents either parse or throw a KubemeterError', () => {
  fc.assert(
    fc.property(fc.string(), fc.string(), fc.string(), fc.string(), (a, b, c, d) => {
      try {
        v2StatsFromFiles({ cpuStat: a, memoryCurrent: b, memoryStat: c, memoryMax: d, swapCurrent: undefined, swapMax: undefined }, '/x');
      } catch (e) {
        assert.ok(isKubemeterError(e), String(e));
      }
    }),
  );
});
