import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { isKubemeterError } from '../lib/errors.ts';
import { accountingCgroupOf, parseProcCgroup } from './proc.ts';

const hybrid = [
  '12:pids:/system.slice/kubelet.service',
  '6:cpu,cpuacct:/system.slice/kubelet.service',
  '4:memory:/system.slice/kubelet.service',
  '1:name=systemd:/system.slice/kubelet.service',
  '0::/system.slice/kubelet.service',
  '',
].join('\n');

test('/proc/<pid>/cgroup: co-mounted controllers, named hierarchies and the unified line', () => {
  const m = parseProcCgroup(hybrid);
  assert.equal(m.get('cpu'), '/system.slice/kubelet.service');
  assert.equal(m.get('cpuacct'), '/system.slice/kubelet.service');
  assert.equal(m.get('name=systemd'), '/system.slice/kubelet.service');
  assert.equal(m.get(''), '/system.slice/kubelet.service');
  assert.throws(() => parseProcCgroup('garbage\n'), (e: unknown) => isKubemeterError(e));
  fc.assert(fc.property(fc.string(), (s) => {
    try {
      parseProcCgroup(s);
    } catch (e) {
      assert.ok(isKubemeterError(e));
    }
  }));
});

test('the cgroup a process is accounted to, by the kubelet\'s rule', () => {
  assert.equal(accountingCgroupOf(parseProcCgroup('0::/kubelet.slice\n'), 'v2'), '/kubelet.slice');
  assert.equal(accountingCgroupOf(parseProcCgroup(hybrid), 'v1'), '/system.slice/kubelet.service');
  // systemd without CPU/memory accounting for the unit: the name=systemd path is still reported.
  assert.equal(accountingCgroupOf(parseProcCgroup('4:memory:/\n3:cpu,cpuacct:/\n1:name=systemd:/system.slice/kubelet.service\n'), 'v1'), '/system.slice/kubelet.service');
  assert.equal(accountingCgroupOf(parseProcCgroup('4:memory:/a\n3:cpu,cpuacct:/b\n'), 'v1'), undefined, 'cpu and memory must agree');
  assert.equal(accountingCgroupOf(parseProcCgroup('3:cpu,cpuacct:/b\n'), 'v1'), undefined);
  assert.equal(accountingCgroupOf(parseProcCgroup('3:cpu:/b\n'), 'v2'), undefined);
});

test('this process: its own cgroup file parses', () => {
  assert.ok(parseProcCgroup(readFileSync('/proc/self/cgroup', 'latin1')).size > 0);
});
