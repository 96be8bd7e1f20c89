import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import fc from 'fast-check';
import { isKubemeterError } from '../lib/errors.ts';
import { v1MemoryStat, v1MountInfo, writeV1Cgroups } from '../../test/support/cgroup-fixture.ts';
import { detectCgroupMounts, parseMountInfo } from './mounts.ts';
import { runReaderConformance } from './stats.case.ts';
import { kernelOrderPattern, parseUint64 } from './parse.ts';
import type { CgroupStats } from './stats.ts';
import { v1MemoryStatKeys, v1StatsFromFiles } from './v1.ts';

runReaderConformance('cgroup v1', {
  writeTree(dir, cgroups) {
    writeV1Cgroups(dir, cgroups);
    const mounts = detectCgroupMounts(parseMountInfo(v1MountInfo), join(dir, 'sys'));
    assert.equal(mounts.version, 'v1');
    assert.equal(mounts.hybrid, true);
    return mounts;
  },
  cpuFile: (dir, name) => join(dir, 'sys/fs/cgroup/cpuacct', name, 'cpuacct.usage'),
  memoryUsageFile: (dir, name) => join(dir, 'sys/fs/cgroup/memory', name, 'memory.usage_in_bytes'),
});

/** The memory of the cgroup the tests below write memory.stat for (usage 100, inactive file 10). */
const fixtureMemory = { usageBytes: 100n, inactiveFileBytes: 10n, rssBytes: 60n, pageFaults: 7n, majorPageFaults: 1n };

/** `s` holds fixtureMemory's local fault counters, its hierarchical rss and its working set (usage − inactive file). */
function assertFixtureMemory(s: CgroupStats): void {
  assert.equal(s.memory?.pageFaults, 7n);
  assert.equal(s.memory?.majorPageFaults, 1n);
  assert.equal(s.memory?.rssBytes, 60n);
  assert.equal(s.memory?.workingSetBytes, 90n);
}

test('v1: the hierarchical rss and the local fault counters are used, as cAdvisor does', () => {
  const memoryStat = v1MemoryStat(fixtureMemory, 0n);
  const s = v1StatsFromFiles(
    { cpuacctUsage: '5\n', memoryUsage: '100\n', memoryStat, memoryLimit: '9223372036854771712\n', memswLimit: undefined },
    '/x',
  );
  assertFixtureMemory(s);
  assert.equal(s.swap?.limitBytes, undefined);
});

test('v1: without memory accounting only CPU is reported', () => {
  const s = v1StatsFromFiles({ cpuacctUsage: '5', memoryUsage: undefined, memoryStat: undefined, memoryLimit: undefined, memswLimit: undefined }, '/x');
  assert.deepEqual(s, { cpuUsageCoreNanoSeconds: 5n, memory: undefined, swap: undefined });
});

test('v1: arbitrary file contents either parse or throw a KubemeterError, never anything else', () => {
  fc.assert(
    fc.property(fc.string(), fc.string(), fc.string(), (a, b, c) => {
      try {
        v1StatsFromFiles({ cpuacctUsage: a, memoryUsage: b, memoryStat: c, memoryLimit: '1', memswLimit: undefined }, '/x');
      } catch (e) {
        assert.ok(isKubemeterError(e), String(e));
      }
    }),
  );
});

test('v1: memory.stat as the kernel prints it, with and without swap accounting, gives the same values either way it is parsed', () => {
  const withSwap = v1MemoryStat(fixtureMemory, 5n);
  const withoutSwap = withSwap.split('\n').filter((l) => !/^(?:total_)?swap /.test(l)).join('\n');
  const pattern = kernelOrderPattern([...v1MemoryStatKeys])!;
  assert.ok(pattern.test(withSwap), 'the kernel\'s order is the pattern\'s');
  assert.ok(!pattern.test(withoutSwap), 'without total_swap the general path parses it');
  // The same text with its lines reversed is never the pattern's: the general path's values are the reference.
  const reversed = withSwap.trimEnd().split('\n').reverse().join('\n') + '\n';
  assert.ok(!pattern.test(reversed));
  const read = (memoryStat: string) => v1StatsFromFiles({ cpuacctUsage: '5\n', memoryUsage: '100\n', memoryStat, memoryLimit: '200\n', memswLimit: '300\n' }, '/x');
  for (const [text, swap] of [[withSwap, 5n], [reversed, 5n], [withoutSwap, 0n]] as const) {
    const s = read(text);
    assertFixtureMemory(s);
    assert.equal(s.swap?.usageBytes, swap);
  }
});

test('v1: limits read one after another give each file\'s own value, the same text again its value without a new parse, broken text its error', () => {
  const memoryStat = v1MemoryStat(fixtureMemory, 0n);
  const read = (memoryLimit: string, memswLimit: string | undefined) =>
    v1StatsFromFiles({ cpuacctUsage: '5\n', memoryUsage: '100\n', memoryStat, memoryLimit, memswLimit }, '/x');
  const unlimited = '9223372036854771712\n';
  // Sequences of reads as a pass makes them (the memory limit, then the swap limit, cgroup after cgroup).
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.constantFrom(unlimited, '9223372036854771713\n', '536870912\n', '536870913\n', '0\n', 'max\n', '-1\n', '18446744073709551616\n', 'garbage\n', ''), fc.option(fc.constantFrom(unlimited, '1073741824\n', 'x'), { nil: undefined })), { minLength: 1, maxLength: 12 }),
      (reads) => {
        for (const [memoryLimit, memswLimit] of reads) {
          const fresh = (text: string): bigint | Error => {
            try {
              return parseUint64(text, '/x');
            } catch (e) {
              return e as Error;
            }
          };
          const wantLimit = fresh(memoryLimit);
          const wantSwap = memswLimit === undefined ? undefined : fresh(memswLimit);
          let got;
          try {
            got = read(memoryLimit, memswLimit);
          } catch (e) {
            assert.ok(isKubemeterError(e));
            assert.ok(wantLimit instanceof Error || wantSwap instanceof Error, `${JSON.stringify([memoryLimit, memswLimit])} threw ${String(e)}`);
            continue;
          }
          assert.equal(got.memory?.limitBytes, wantLimit);
          assert.equal(got.swap?.limitBytes, wantSwap);
        }
      },
    ),
  );
  // The page counter's maximum, twice in a row, and a different limit between.
  assert.equal(read(unlimited, unlimited).memory?.limitBytes, 9223372036854771712n);
  assert.equal(read(unlimited, unlimited).swap?.limitBytes, 9223372036854771712n);
  assert.equal(read('4096\n', unlimited).memory?.limitBytes, 4096n);
  assert.throws(() => read('4096x\n', unlimited), (e) => isKubemeterError(e) && /memory\.limit_in_bytes/.test(e.message));
  assert.equal(read(unlimited, '8192\n').swap?.limitBytes, 8192n);
});
