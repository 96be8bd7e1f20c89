import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isKubemeterError } from '../lib/errors.ts';
import { assignFaults, faultKinds, parseFaultSpec } from './faults.ts';
import { loopbackAddress, parseLoopback } from './addresses.ts';
import { acceleratedClock } from './clock.ts';

test('--faults grammar: counts, percentages, aliases, all; errors name the term', () => {
  assert.deepEqual(parseFaultSpec(''), []);
  assert.deepEqual(parseFaultSpec('all=10%, hang=2,500=1.5%'), [
    { kind: 'all', percent: 10 }, { kind: 'hang', count: 2 }, { kind: 'http-500', percent: 1.5 },
  ]);
  for (const [bad, why] of [['hang', /not KIND=SHARE/], ['melt=1', /unknown fault kind "melt"/], ['hang=1.5', /whole number/], ['hang=101%', /from 0 to 100/]] as const) {
    assert.throws(() => parseFaultSpec(bad), (e) => isKubemeterError(e, 'KM_INVALID_FLAG') && why.test(e.message) && e.message.includes(`"${bad}"`));
  }
});

test('assignFaults: the asked counts, at most one fault per node, reproducible, scattered', () => {
  const a = assignFaults(parseFaultSpec('all=10%'), 1000, 1);
  assert.equal(a.filter((f) => f !== undefined).length, 100);
  for (const k of faultKinds) assert.ok(a.filter((f) => f === k).length >= 9, k);
  assert.deepEqual(assignFaults(parseFaultSpec('all=10%'), 1000, 1), a);
  assert.notDeepEqual(a.slice(0, 100).filter((f) => f !== undefined).length, 100, 'not simply the first nodes');
  assert.equal(assignFaults(parseFaultSpec('hang=0.1%'), 20, 1).filter((f) => f === 'hang').length, 1, 'a positive share covers at least one node');
  fc.assert(fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 0, max: 100 }), fc.integer(), (nodes, pct, seed) => {
    const r = assignFaults([{ kind: 'all', percent: pct }], nodes, seed);
    assert.equal(r.length, nodes);
    assert.ok(r.filter((f) => f !== undefined).length <= nodes);
  }));
});

test('loopback addresses: consecutive, skipping .0 and .255, never outside 127/8', () => {
  const base = parseLoopback('127.1.0.1');
  assert.equal(loopbackAddress(base, 0), '127.1.0.1');
  assert.equal(loopbackAddress(base, 253), '127.1.0.254');
  assert.equal(loopbackAddress(base, 254), '127.1.1.1');
  assert.equal(loopbackAddress(base, 10_000), '127.1.39.95');
  assert.equal(loopbackAddress(parseLoopback('127.1.0.0'), 0), '127.1.0.1');
  const seen = new Set(Array.from({ length: 2000 }, (_, i) => loopbackAddress(base, i)));
  assert.equal(seen.size, 2000);
  assert.throws(() => parseLoopback('10.0.0.1'), /127\.0\.0\.0\/8/);
  assert.throws(() => parseLoopback('127.0.0.256'), /127\.0\.0\.0\/8/);
  assert.throws(() => loopbackAddress(parseLoopback('127.255.255.1'), 300), /outside 127\.0\.0\.0\/8/);
});

test('accelerated clock: speed × real time from a shared origin', () => {
  let real = 1_000_000;
  const c = acceleratedClock({ speed: 15, originMs: 1_000_000, realNowMs: () => real });
  assert.equal(c.nowMs(), 1_000_000);
  real += 1000;
  assert.equal(c.nowMs(), 1_015_000);
});
