import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { isKubemeterError } from '../lib/errors.ts';
import { v1MountInfo, v2MountInfo } from '../../test/support/cgroup-fixture.ts';
import { cgroupDir, detectCgroupMounts, parseMountInfo, readCgroupMounts, rebaseMountPoint } from './mounts.ts';

test('a hybrid host is v1 with each controller at its own mount', () => {
  const m = detectCgroupMounts(parseMountInfo(v1MountInfo));
  assert.equal(m.version, 'v1');
  assert.equal(m.hybrid, true);
  assert.deepEqual(m.controllers.cpuacct, { dir: '/sys/fs/cgroup/cpuacct', root: '/' });
  assert.deepEqual(m.controllers.memory, { dir: '/sys/fs/cgroup/memory', root: '/' });
  assert.deepEqual(m.unified, { dir: '/sys/fs/cgroup/unified', root: '/' });
});

test('co-mounted cpu,cpuacct resolves both controllers to one directory', () => {
  const m = detectCgroupMounts(parseMountInfo('30 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n'));
  assert.equal(m.controllers.cpu?.dir, '/sys/fs/cgroup/cpu,cpuacct');
  assert.equal(m.controllers.cpuacct?.dir, '/sys/fs/cgroup/cpu,cpuacct');
  assert.equal(m.hybrid, false);
});

test('a unified host is v2, rebased onto the /sys root', () => {
  const m = detectCgroupMounts(parseMountInfo(v2MountInfo), '/fixture/sys');
  assert.equal(m.version, 'v2');
  assert.deepEqual(m.unified, { dir: '/fixture/sys/fs/cgroup', root: '/' });
  assert.equal(rebaseMountPoint('/host/sys/fs/cgroup', '/host/sys'), '/host/sys/fs/cgroup');
  assert.equal(rebaseMountPoint('/sys/fs/cgroup', '/host/sys'), '/host/sys/fs/cgroup');
  assert.equal(rebaseMountPoint('/other', '/host/sys'), '/other');
});

test('mount points with escaped spaces and subtree roots', () => {
  const [m] = parseMountInfo('40 31 0:37 /kubepods /sys/fs/cgroup/my\\040dir rw - cgroup2 cgroup2 rw\n');
  assert.equal(m?.mountPoint, '/sys/fs/cgroup/my dir');
  assert.equal(cgroupDir({ dir: '/c', root: '/kubepods' }, '/kubepods/pod1'), '/c/pod1');
  assert.equal(cgroupDir({ dir: '/c', root: '/' }, '/'), '/c');
});

test('no cgroup mount at all is an error, malformed lines too', () => {
  assert.throws(() => detectCgroupMounts([]), (e: unknown) => isKubemeterError(e) && /no cgroup/.test(e.message));
  assert.throws(() => parseMountInfo('garbage line\n'), /malformed line/);
  fc.assert(
    fc.property(fc.string(), (s) => {
      try {
        parseMountInfo(s);
      } catch (e) {
        assert.ok(isKubemeterError(e));
      }
    }),
  );
});

test('this machine: the detection agrees with /proc/self/mountinfo', () => {
  const text = readFileSync('/proc/self/mountinfo', 'utf8');
  const m = readCgroupMounts({ procRoot: '/proc', sysRoot: '/sys' });
  const hasV1 = parseMountInfo(text).some((x) => x.fsType === 'cgroup');
  assert.equal(m.version, hasV1 ? 'v1' : 'v2');
});
