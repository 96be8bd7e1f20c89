import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isKubemeterError } from '../lib/errors.ts';
import { isUnlimited, maxUint64, parseFlatKeyed, parsePids, parseUint64 } from './parse.ts';

test('parseUint64 follows the fscommon rules', () => {
  assert.equal(parseUint64('205646103363\n', 'f'), 205646103363n);
  assert.equal(parseUint64('max\n', 'f'), maxUint64);
  assert.equal(parseUint64('-1', 'f'), 0n);
  assert.equal(parseUint64('99999999999999999999999', 'f'), maxUint64);
  assert.equal(parseUint64('9223372036854771712', 'f'), 9223372036854771712n);
  assert.throws(() => parseUint64('', '/x/memory.max'), /\/x\/memory.max: expected an unsigned integer/);
  assert.throws(() => parseUint64('12abc', 'f'), /"12abc"/);
  assert.ok(isUnlimited(9223372036854771712n));
  assert.ok(!isUnlimited(1n << 62n));
});

test('parseUint64 round-trips every uint64', () => {
  fc.assert(fc.property(fc.bigInt({ min: 0n, max: maxUint64 }), (v) => parseUint64(`${v}\n`, 'f') === v));
});

test('parseFlatKeyed converts only the wanted keys and rejects malformed lines', () => {
  const m = parseFlatKeyed('cache 1\nrss 2\ntotal_rss 3\n', 'memory.stat', new Set(['rss', 'total_rss', 'absent']));
  assert.deepEqual([...m], [['rss', 2n], ['total_rss', 3n]]);
  assert.throws(() => parseFlatKeyed('rss\n', 'memory.stat', new Set(['rss'])), /memory.stat: expected "key value" lines/);
  assert.throws(() => parseFlatKeyed('rss 5x\n', 'memory.stat', new Set(['rss'])), /key rss/);
  // Unknown keys pass (new kernels add keys), garbage lines do not.
  assert.equal(parseFlatKeyed('future_key 7\nrss 5', 's', new Set(['rss'])).get('rss'), 5n);
  assert.throws(() => parseFlatKeyed('rss 5\n\u0000\u0007 garbage', 's', new Set(['rss'])), /expected "key value" lines/);
});

test('parsePids reads one pid per line', () => {
  assert.deepEqual(parsePids('1\n22\n333\n', 'cgroup.procs'), [1, 22, 333]);
  assert.deepEqual(parsePids('', 'cgroup.procs'), []);
  assert.throws(() => parsePids('1\nx\n', 'cgroup.procs'), /cgroup.procs: expected one pid per line/);
});

test('the parsers never throw anything but KubemeterError on arbitrary text', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), (s) => {
      for (const f of [() => parseUint64(s, 'f'), () => parseFlatKeyed(s, 'f', new Set(['a', 'b'])), () => parsePids(s, 'f')]) {
        try {
          f();
        } catch (e) {
          assert.ok(isKubemeterError(e));
        }
      }
    }),
  );
});
