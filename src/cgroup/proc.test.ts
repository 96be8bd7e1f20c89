import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isKubemeterError } from '../lib/errors.ts';
import { netDevText } from '../../test/support/cgroup-fixture.ts';
import { parseBootTimeSeconds, parseLoadavgTasks, parseMeminfo, parseNetDev, parsePidStat, readBootTimeMs, readMaxPid, readMeminfo, readNetDev, readPidStat, readTaskCount } from './proc.ts';

test('meminfo values in kB become bytes', () => {
  const m = parseMeminfo('MemTotal:       24684084 kB\nSwapTotal:             0 kB\nHugePages_Total:       0\n');
  assert.equal(m.get('MemTotal'), 24684084n * 1024n);
  assert.equal(m.get('SwapTotal'), 0n);
  assert.equal(m.get('HugePages_Total'), 0n);
  assert.throws(() => parseMeminfo('MemTotal: lots\n'), /meminfo/);
});

test('boot time, task count and pid stat', () => {
  assert.equal(parseBootTimeSeconds('cpu  1 2 3\nbtime 1666061429\nprocesses 3\n'), 1666061429);
  assert.equal(parseLoadavgTasks('2.10 0.88 0.34 3/103 12515\n'), 103);
  assert.throws(() => parseLoadavgTasks('garbage'), /loadavg/);
  const s = parsePidStat('4242 (my (odd) proc) R 1 4242 4242 0 -1 4194304 100 0 0 0 250 30 0 0 20 0 1 0 123456 1000 10');
  assert.deepEqual(s, { comm: 'my (odd) proc', userTicks: 250, systemTicks: 30, startTicks: 123456 });
});

test('net/dev with the kubelet interface rules, glued counters included', () => {
  const text = netDevText([['lo', 3793, 3793], ['eth0', 134787335, 181210], ['veth12', 5, 5], ['docker0', 1, 1], ['cni0', 7, 8]])
    .replace('  eth0: 134787335', '  eth0:134787335');
  const ifs = parseNetDev(text);
  assert.deepEqual(ifs.map((i) => i.name), ['eth0', 'cni0']);
  assert.equal(ifs[0]?.rxBytes, 134787335n);
  assert.equal(ifs[0]?.txBytes, 181210n);
  assert.throws(() => parseNetDev('h\nh\n eth0: 1 2 3\n'), /16 counters/);
  fc.assert(
    fc.property(fc.string(), (s) => {
      try {
        parseNetDev(s);
      } catch (e) {
        assert.ok(isKubemeterError(e));
      }
    }),
  );
});

test('this machine: the /proc readers work on the real /proc', () => {
  assert.ok((readMeminfo('/proc').get('MemTotal') ?? 0n) > 0n);
  assert.ok(readBootTimeMs('/proc') < Date.now());
  assert.ok(readTaskCount('/proc') > 0);
  assert.ok(readMaxPid('/proc') > 0);
  assert.ok(Array.isArray(readNetDev('/proc', 1)));
  assert.equal(readPidStat('/proc', process.pid)?.comm.length !== undefined, true);
  assert.equal(readNetDev('/proc', 2 ** 30), undefined);
});
