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

/** cAdvisor's net/dev rules written plainly (split, replaceAll): the oracle for the byte parser. */
function netDevOracle(text: string): { name: string; values: bigint[] }[] | 'error' {
  const out: { name: string; values: bigint[] }[] = [];
  for (const line of text.split('\n').slice(2)) {
    if (line.trim() === '') continue;
    const f = line.replaceAll(':', ' ').trim().split(/\s+/);
    if (f.length !== 17) return 'error';
    if (['lo', 'veth', 'docker', 'nerdctl'].some((p) => f[0]!.toLowerCase().startsWith(p))) continue;
    const values = [1, 3, 9, 11].map((k) => (/^\d+$/.test(f[k]!) ? BigInt(f[k]!) : f[k] === 'max' ? (1n << 64n) - 1n : /^-\d+$/.test(f[k]!) ? 0n : undefined));
    if (values.some((v) => v === undefined)) return 'error';
    out.push({ name: f[0]!, values: values as bigint[] });
  }
  return out;
}

test('the net/dev byte parser agrees with the plain rules', () => {
  const field = fc.oneof(fc.bigInt({ min: 0n, max: 1n << 63n }).map(String), fc.constantFrom('x', '-1', 'max', ':', ''));
  const line = fc.oneof(
    fc.tuple(fc.constantFrom('eth0', 'LO', 'veth1', 'cni0', 'Docker0', ''), fc.constantFrom(':', ': ', ' : ', ':\t'), fc.array(field, { minLength: 14, maxLength: 18 }))
      .map(([name, sep, fs]) => `  ${name}${sep}${fs.join(' ')}`),
    fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 8 }),
  );
  fc.assert(
    fc.property(fc.array(line, { maxLength: 5 }), (lines) => {
      const text = ['Inter-|   Receive', ' face |bytes', ...lines].join('\n');
      let got: ReturnType<typeof netDevOracle>;
      try {
        got = parseNetDev(text).map((i) => ({ name: i.name, values: [i.rxBytes, i.rxErrors, i.txBytes, i.txErrors] }));
      } catch (e) {
        assert.ok(isKubemeterError(e), String(e));
        got = 'error';
      }
      assert.deepEqual(got, netDevOracle(text), JSON.stringify(text));
    }),
    { numRuns: 500 },
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

test('kernel-printed net/dev text (the native fast path) agrees with the plain rules', () => {
  // At most 19 digits: a 20-digit counter (up to 2^64 - 1) goes through the byte loop, tested above.
  const counter = fc.oneof(fc.nat(), fc.bigInt({ min: 0n, max: 10n ** 19n - 1n })).map(String);
  const line = fc.tuple(fc.constantFrom('eth0', 'lo', 'veth1a2b', 'cni0', 'Docker0', 'wlan0', 'nerdctl0', 'ens3'), fc.array(counter, { minLength: 16, maxLength: 16 }))
    .map(([name, cs]) => `${name.padStart(6)}:${cs.map((c, i) => (i === 0 ? c.padStart(8) : ` ${c.padStart(7)}`)).join('')}\n`);
  fc.assert(
    fc.property(fc.array(line, { maxLength: 5 }), (lines) => {
      const text = `Inter-|   Receive\n face |bytes\n${lines.join('')}`;
      const got = parseNetDev(text).map((i) => ({ name: i.name, values: [i.rxBytes, i.rxErrors, i.txBytes, i.txErrors] }));
      assert.deepEqual(got, netDevOracle(text), JSON.stringify(text));
    }),
    { numRuns: 500 },
  );
});
