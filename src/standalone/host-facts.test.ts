import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { isKubemeterError } from '../lib/errors.ts';
import { countCpuinfoProcessors, goArch, hostAddresses, parseCpuList, parseOsRelease, readHostFacts } from './host-facts.ts';

test('CPU lists, cpuinfo and os-release', () => {
  assert.equal(parseCpuList('0-3\n', 'online'), 4);
  assert.equal(parseCpuList('0,2-3,8-9', 'online'), 5);
  assert.equal(parseCpuList('0', 'online'), 1);
  assert.throws(() => parseCpuList('3-1', 'online'), /online: descending range "3-1"/);
  assert.throws(() => parseCpuList('zero', 'online'), /not a CPU list/);
  assert.equal(countCpuinfoProcessors('processor\t: 0\nmodel name\t: x\n\nprocessor\t: 1\n'), 2);
  assert.equal(parseOsRelease('NAME="Debian GNU/Linux"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n'), 'Debian GNU/Linux 12 (bookworm)');
  assert.equal(parseOsRelease('PRETTY_NAME=Alpine\n'), 'Alpine');
  assert.equal(parseOsRelease(''), 'Linux');
  assert.equal(goArch('x64'), 'amd64');
  assert.equal(goArch('arm64'), 'arm64');
  fc.assert(fc.property(fc.string({ maxLength: 30 }), (s) => {
    try {
      assert.ok(parseCpuList(s, 'f') >= 0);
    } catch (e) {
      if (!isKubemeterError(e)) throw e;
    }
  }));
});

test('addresses: non-loopback IPv4 first, then global IPv6, then the host name', () => {
  const a = hostAddresses({
    lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' }],
    eth0: [
      { address: 'fe80::1', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: 'aa:bb:cc:dd:ee:ff', internal: false, cidr: 'fe80::1/64', scopeid: 2 },
      { address: '2001:db8::5', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: 'aa:bb:cc:dd:ee:ff', internal: false, cidr: '2001:db8::5/64', scopeid: 0 },
      { address: '10.0.0.5', netmask: '255.255.255.0', family: 'IPv4', mac: 'aa:bb:cc:dd:ee:ff', internal: false, cidr: '10.0.0.5/24' },
    ],
  }, 'vm');
  assert.deepEqual(a, [{ type: 'InternalIP', address: '10.0.0.5' }, { type: 'InternalIP', address: '2001:db8::5' }, { type: 'Hostname', address: 'vm' }]);
});

test('readHostFacts reads the injected roots', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'kubemeter-facts-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'sys/devices/system/cpu'), { recursive: true });
  mkdirSync(join(root, 'proc/sys/kernel/random'), { recursive: true });
  mkdirSync(join(root, 'etc'));
  writeFileSync(join(root, 'sys/devices/system/cpu/online'), '0-5\n');
  writeFileSync(join(root, 'proc/sys/kernel/random/boot_id'), 'boot-1\n');
  writeFileSync(join(root, 'etc/machine-id'), 'machine-1\n');
  writeFileSync(join(root, 'etc/os-release'), 'PRETTY_NAME="Test OS 1"\n');
  const f = readHostFacts({ procRoot: join(root, 'proc'), sysRoot: join(root, 'sys'), etcRoot: join(root, 'etc') }, 'vm');
  assert.equal(f.cpuCores, 6);
  assert.equal(f.machineId, 'machine-1');
  assert.equal(f.bootId, 'boot-1');
  assert.equal(f.osImage, 'Test OS 1');
  assert.equal(f.addresses.at(-1)?.address, 'vm');
  // No online file: /proc/cpuinfo; neither: an error naming both.
  rmSync(join(root, 'sys/devices/system/cpu/online'));
  writeFileSync(join(root, 'proc/cpuinfo'), 'processor\t: 0\n\nprocessor\t: 1\n');
  assert.equal(readHostFacts({ procRoot: join(root, 'proc'), sysRoot: join(root, 'sys'), etcRoot: join(root, 'etc') }, 'vm').cpuCores, 2);
  rmSync(join(root, 'proc/cpuinfo'));
  assert.throws(() => readHostFacts({ procRoot: join(root, 'proc'), sysRoot: join(root, 'sys') }, 'vm'), /cannot count CPUs/);
});
