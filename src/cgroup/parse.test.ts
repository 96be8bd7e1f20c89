import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isKubemeterError } from '../lib/errors.ts';
import { v2MemoryStat } from '../../test/support/cgroup-fixture.ts';
import { flatKeys, isUnlimited, kernelOrderPattern, maxUint64, parseFlatKeyed, parseFlatKeyedBytes, parsePids, parseUint64 } from './parse.ts';

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

/** parseFlatKeyedBytes with the kernel-order pattern for `wanted` (in that order), as a map of the keys found. */
function parseKernelOrder(text: string, wanted: readonly string[]): Map<string, bigint> {
  const keys = flatKeys(wanted, { kernelOrder: true });
  const values: (bigint | undefined)[] = [];
  parseFlatKeyedBytes(Buffer.from(text, 'latin1'), 0, text.length, keys, values, 'f', '');
  const out = new Map<string, bigint>();
  wanted.forEach((k, i) => {
    const v = values[i];
    if (v !== undefined) out.set(k, v);
  });
  return out;
}

test('the kernel-order pattern matches text as the kernel prints it, and nothing with a key missing, repeated or out of order', () => {
  const wanted = ['anon', 'file', 'inactive_file', 'pgfault', 'pgmajfault'];
  const pattern = kernelOrderPattern(wanted)!;
  const kernel = v2MemoryStat({ usageBytes: 5000n, inactiveFileBytes: 300n, rssBytes: 4000n, pageFaults: 12n, majorPageFaults: 3n });
  assert.deepEqual(pattern.exec(kernel)?.slice(1), ['4000', '1000', '300', '12', '3']);
  assert.ok(pattern.test(kernel.slice(0, -1)), 'the last newline may be missing');
  assert.equal(pattern.exec(kernel.replace('inactive_file 300\n', '')), null);
  assert.equal(pattern.exec(kernel + 'anon 1\n'), null);
  assert.equal(pattern.exec(kernel.replace('anon 4000\nfile 1000\n', 'file 1000\nanon 4000\n')), null);
  assert.equal(pattern.exec(kernel.replace('anon 4000', 'anon max')), null);
  assert.equal(pattern.exec(kernel.replace('kernel 0', 'kernel')), null);
  assert.equal(pattern.exec(kernel + '\n'), null, 'an empty line is left to the general path');
  assert.equal(pattern.exec(kernel.replace('anon 4000', 'anon 12345678901234567890')), null, 'twenty digits may exceed 2^64');
  assert.equal(pattern.exec('anon 1\nfile 2\ninactive_file 3\npgfault 4\npgmajfault 5'), null, 'a wanted key on an unterminated last line is left to the general path');
  assert.equal(parseKernelOrder('anon 1\nfile 2\ninactive_file 3\npgfault 4\npgmajfault 5', wanted).get('pgmajfault'), 5n);
  assert.equal(kernelOrderPattern(['a', 'a']), undefined);
  assert.equal(kernelOrderPattern(['Anon']), undefined);
  assert.equal(kernelOrderPattern([]), undefined);
  // The values, and every error, are those of the general path.
  assert.deepEqual([...parseKernelOrder(kernel, wanted)], [['anon', 4000n], ['file', 1000n], ['inactive_file', 300n], ['pgfault', 12n], ['pgmajfault', 3n]]);
  assert.throws(() => parseKernelOrder(kernel.replace('kernel 0', '\u0000kernel 0'), wanted), /expected "key value" lines/);
  assert.throws(() => parseKernelOrder(kernel.replace('pgfault 12', 'pgfault 12x'), wanted), /key pgfault/);
});

test('parsing with the kernel-order pattern agrees with the plain rules, on kernel-ordered and arbitrary text', () => {
  const wanted = ['anon', 'file', 'inactive_file', 'pgfault'];
  const value = fc.oneof(
    { weight: 8, arbitrary: fc.bigInt({ min: 0n, max: 10n ** 19n - 1n }).map(String) },
    { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: maxUint64 * 2n }).map(String) },
    { weight: 1, arbitrary: fc.constantFrom('max', '-1', '0x1', '1 2', '7\r', '5x', '', ' 3', '0012') },
  );
  const other = fc.oneof(
    { weight: 12, arbitrary: fc.tuple(fc.constantFrom('active_file', 'pgmajfault', 'file_dirty', 'anon_thp', 'x', 'filex'), value).map(([k, v]) => `${k} ${v}`) },
    { weight: 1, arbitrary: fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 10 }) },
  );
  // Mostly each wanted key once in the kernel's order between other lines (the pattern's case),
  // sometimes one dropped, doubled or moved.
  const text = fc
    .tuple(fc.array(fc.tuple(fc.array(other, { maxLength: 3 }), value), { minLength: wanted.length, maxLength: wanted.length }), fc.array(other, { maxLength: 3 }), fc.nat(40), fc.nat(40), fc.boolean())
    .map(([parts, tail, drop, swap, newline]) => {
      const lines: string[] = [];
      parts.forEach(([before, v], i) => {
        lines.push(...before);
        if (drop !== i) lines.push(`${wanted[i]!} ${v}`);
        if (drop === i + 10) lines.push(`${wanted[i]!} ${v}`);
      });
      lines.push(...tail);
      if (swap + 1 < lines.length) [lines[swap], lines[swap + 1]] = [lines[swap + 1]!, lines[swap]!];
      return lines.join('\n') + (newline ? '\n' : '');
    });
  const pattern = kernelOrderPattern(wanted)!;
  let matched = 0;
  fc.assert(
    fc.property(text, (t) => {
      if (pattern.test(t)) matched++;
      assert.deepEqual(outcome(() => parseKernelOrder(t, wanted)), oracle.flat(t, wanted));
    }),
    { numRuns: 2000 },
  );
  // Both paths are exercised (about one text in seven is as the kernel prints it).
  assert.ok(matched > 100 && matched < 1900, `${matched} of 2000 texts matched the pattern`);
});
