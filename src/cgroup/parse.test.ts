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

/** The fscommon rules written as plainly as possible (regexes, split): the oracle for the byte parsers. */
const oracle = {
  uint64(text: string): bigint | 'error' {
    const t = text.trim();
    if (t === 'max') return maxUint64;
    if (/^\d+$/.test(t)) return BigInt(t) > maxUint64 ? maxUint64 : BigInt(t);
    if (/^-\d+$/.test(t)) return 0n;
    return 'error';
  },
  flat(text: string, wanted: readonly string[]): Map<string, bigint> | 'error' {
    const out = new Map<string, bigint>();
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const sp = line.indexOf(' ');
      if (sp <= 0 || !/^[a-z]$/.test(line[0]!) || !/^[0-9m-]$/.test(line[sp + 1] ?? '')) return 'error';
      const key = line.slice(0, sp);
      if (!wanted.includes(key)) continue;
      const v = oracle.uint64(line.slice(sp + 1));
      if (v === 'error') return 'error';
      out.set(key, v);
    }
    return out;
  },
  pids(text: string): number[] | 'error' {
    const out: number[] = [];
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const pid = Number(line.trim());
      if (line.trim() === '' || !Number.isSafeInteger(pid) || pid < 0) return 'error';
      out.push(pid);
    }
    return out;
  },
};

function outcome<T>(f: () => T): T | 'error' {
  try {
    return f();
  } catch (e) {
    assert.ok(isKubemeterError(e), String(e));
    return 'error';
  }
}

test('the byte parsers agree with the plain rules on kernel-like and arbitrary latin1 text', () => {
  const line = fc.oneof(
    fc.tuple(fc.constantFrom('anon', 'file', 'rss', 'total_rss', 'pgfault', 'x'), fc.oneof(fc.bigInt({ min: 0n, max: maxUint64 * 2n }).map(String), fc.constantFrom('max', '-1', '1e3', '', ' 7', '0x1', '12 ')))
      .map(([k, v]) => `${k} ${v}`),
    fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 12 }),
  );
  const wanted = ['anon', 'file', 'total_rss', 'pgfault'];
  fc.assert(
    fc.property(fc.array(line, { maxLength: 8 }), fc.boolean(), (lines, newline) => {
      const text = lines.join('\n') + (newline ? '\n' : '');
      assert.deepEqual(outcome(() => parseFlatKeyed(text, 'f', new Set(wanted))), oracle.flat(text, wanted));
      for (const l of lines) {
        assert.deepEqual(outcome(() => parseUint64(l, 'f')), oracle.uint64(l));
        const value = l.slice(l.indexOf(' ') + 1);
        assert.deepEqual(outcome(() => parseUint64(value, 'f')), oracle.uint64(value));
      }
    }),
    { numRuns: 500 },
  );
  const pidLine = fc.oneof(fc.nat().map(String), fc.constantFrom(' 12', '+5', '1e3', '0x10', '', ' ', '9007199254740993', '12345678901234567', '-1', 'Infinity', '\u00a042'));
  fc.assert(
    fc.property(fc.array(pidLine, { maxLength: 6 }), (lines) => {
      const text = lines.join('\n');
      assert.deepEqual(outcome(() => parsePids(text, 'f')), oracle.pids(text));
    }),
  );
});

test('kernel-shaped flat keyed text (the native fast path) agrees with the plain rules, repeated keys included', () => {
  const wanted = ['anon', 'file', 'inactive_file', 'pgfault'];
  const line = fc.tuple(fc.constantFrom('anon', 'file', 'inactive_file', 'active_file', 'pgfault', 'pgmajfault', 'file_dirty', 'x'), fc.oneof(fc.bigInt({ min: 0n, max: maxUint64 * 2n }).map(String), fc.constantFrom('max', '-1', '0x1', '1 2', '7\r', '5x')))
    .map(([k, v]) => `${k} ${v}`);
  fc.assert(
    fc.property(fc.array(line, { maxLength: 12 }), fc.boolean(), (lines, newline) => {
      const text = lines.join('\n') + (newline ? '\n' : '');
      assert.deepEqual(outcome(() => parseFlatKeyed(text, 'f', new Set(wanted))), oracle.flat(text, wanted));
    }),
    { numRuns: 1000 },
  );
});
