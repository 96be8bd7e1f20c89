/**
 * The conformance suite every CgroupReader implementation runs (v1 and v2): the same semantic
 * cgroups, written in each version's real file format by the implementation's fixture writer,
 * must read back as the same CgroupStats, and broken trees must fail the same way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ErrorCode, isKubemeterError } from '../lib/errors.ts';
import type { CgroupMounts } from './mounts.ts';
import { maxUint64 } from './parse.ts';
import { createCgroupReader } from './reader.ts';
import type { CgroupStats } from './stats.ts';

/** A cgroup described by meaning; fixture writers render it in their version's files. */
export interface FixtureCgroup {
  /** Absolute cgroup path, e.g. `/kubepods/burstable/pod1/abc`. */
  name: string;
  cpuUsageCoreNanoSeconds: bigint;
  memory?: {
    usageBytes: bigint;
    inactiveFileBytes: bigint;
    rssBytes: bigint;
    pageFaults: bigint;
    majorPageFaults: bigint;
    /** Undefined = unlimited. */
    limitBytes?: bigint;
  };
  swap?: { usageBytes: bigint; limitBytes?: bigint };
  pids?: number[];
}

/** What an implementation under test provides. */
export interface ReaderUnderTest {
  /** Write `cgroups` under `dir` in the version's real layout; return the mounts to read them with. */
  writeTree(dir: string, cgroups: readonly FixtureCgroup[]): CgroupMounts;
  /** Path of the file holding cumulative CPU for cgroup `name` (to corrupt it). */
  cpuFile(dir: string, name: string): string;
  /** Path of a memory file parsed as a single value (to corrupt it). */
  memoryUsageFile(dir: string, name: string): string;
}

const busy: FixtureCgroup = {
  name: '/kubepods/burstable/pod0b2d3f4e-1111-2222-3333-444455556666/ctr',
  cpuUsageCoreNanoSeconds: 205_646_103_000n,
  memory: {
    usageBytes: 2_808_741_888n,
    inactiveFileBytes: 1_318_555_648n,
    rssBytes: 749_928_448n,
    pageFaults: 76_977n,
    majorPageFaults: 3n,
    limitBytes: 4_294_967_296n,
  },
  swap: { usageBytes: 4096n, limitBytes: 8_589_934_592n },
  pids: [4242, 4243],
};

const cacheHeavy: FixtureCgroup = {
  name: '/kubepods/besteffort/podcafe0000-0000-0000-0000-000000000001',
  // Beyond 2^53: must survive as bigint.
  cpuUsageCoreNanoSeconds: 9_007_199_254_740_993_000n,
  memory: { usageBytes: 1000n, inactiveFileBytes: 5000n, rssBytes: 0n, pageFaults: 0n, majorPageFaults: 0n },
  pids: [],
};

/** Run the shared suite against one implementation. */
export function runReaderConformance(label: string, impl: ReaderUnderTest): void {
  const withTree = (cgroups: readonly FixtureCgroup[], body: (dir: string, mounts: CgroupMounts) => void): void => {
    const dir = mkdtempSync(join(tmpdir(), 'kubemeter-cgroup-'));
    try {
      body(dir, impl.writeTree(dir, cgroups));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  void test(`${label}: reads CPU, memory and swap of a limited container`, () => {
    withTree([busy], (_dir, mounts) => {
      const expected: CgroupStats = {
        cpuUsageCoreNanoSeconds: 205_646_103_000n,
        memory: {
          usageBytes: 2_808_741_888n,
          workingSetBytes: 2_808_741_888n - 1_318_555_648n,
          rssBytes: 749_928_448n,
          pageFaults: 76_977n,
          majorPageFaults: 3n,
          limitBytes: 4_294_967_296n,
        },
        swap: { usageBytes: 4096n, limitBytes: 8_589_934_592n },
      };
      const reader = createCgroupReader(mounts);
      assert.deepEqual(reader.readStats(busy.name), expected);
      assert.deepEqual(reader.readPids(busy.name), [4242, 4243]);
      assert.ok(reader.exists(busy.name));
      assert.deepEqual(reader.listChildren('/kubepods/burstable'), ['pod0b2d3f4e-1111-2222-3333-444455556666']);
      assert.equal(typeof reader.creationTimeMs(busy.name), 'number');
    });
  });

  void test(`${label}: unlimited memory, working set floored at 0, CPU beyond 2^53`, () => {
    withTree([cacheHeavy], (_dir, mounts) => {
      const s = createCgroupReader(mounts).readStats(cacheHeavy.name);
      assert.equal(s.cpuUsageCoreNanoSeconds, 9_007_199_254_740_993_000n);
      assert.equal(s.memory?.workingSetBytes, 0n);
      assert.equal(s.memory?.limitBytes !== undefined && s.memory.limitBytes > 1n << 62n, true);
      assert.equal(s.swap?.usageBytes, 0n);
      assert.equal(s.swap?.limitBytes === undefined || s.swap.limitBytes > 1n << 62n, true);
    });
  });

  void test(`${label}: a missing cgroup is NotFound, its children and pids are empty`, () => {
    withTree([busy], (_dir, mounts) => {
      const reader = createCgroupReader(mounts);
      assert.throws(() => reader.readStats('/kubepods/gone'), (e: unknown) => isKubemeterError(e, ErrorCode.NotFound));
      assert.deepEqual(reader.listChildren('/kubepods/gone'), []);
      assert.deepEqual(reader.readPids('/kubepods/gone'), []);
      assert.equal(reader.exists('/kubepods/gone'), false);
      assert.equal(reader.creationTimeMs('/kubepods/gone'), undefined);
    });
  });

  void test(`${label}: garbage in a stat file is InvalidFile naming the file`, () => {
    withTree([busy], (dir, mounts) => {
      writeFileSync(impl.cpuFile(dir, busy.name), 'usage_usec twelve\n\u0000\u0001garbage');
      writeFileSync(impl.memoryUsageFile(dir, busy.name), 'lots\n');
      const reader = createCgroupReader(mounts);
      assert.throws(
        () => reader.readStats(busy.name),
        (e: unknown) => isKubemeterError(e, ErrorCode.InvalidFile) && e.message.includes(impl.cpuFile(dir, busy.name).replace(/\/[^/]+$/, '')),
      );
    });
  });

  void test(`${label}: listNames gives back the same sorted array while the directory lists the same names`, () => {
    withTree([busy, cacheHeavy], (dir, mounts) => {
      const reader = createCgroupReader(mounts);
      const pods = '/kubepods/burstable';
      const first = reader.listNames!(pods);
      assert.deepEqual(first, ['pod0b2d3f4e-1111-2222-3333-444455556666']);
      assert.equal(reader.listNames!(pods), first);
      reader.endPass?.();
      assert.equal(reader.listNames!(pods), first, 'kept from one pass to the next');
      // A new child is seen at once, in sorted order, in a new array; so is its removal.
      const added = join(dirname(impl.cpuFile(dir, pods)), 'pod00000000-0000-0000-0000-000000000000');
      mkdirSync(added);
      const grown = reader.listNames!(pods);
      assert.notEqual(grown, first);
      assert.deepEqual(grown, ['pod00000000-0000-0000-0000-000000000000', 'pod0b2d3f4e-1111-2222-3333-444455556666']);
      assert.equal(reader.listNames!(pods), grown);
      rmdirSync(added);
      assert.deepEqual(reader.listNames!(pods), ['pod0b2d3f4e-1111-2222-3333-444455556666']);
      reader.endPass?.();
      reader.endPass?.();
      assert.deepEqual(reader.listNames!(pods), ['pod0b2d3f4e-1111-2222-3333-444455556666'], 'listed afresh after a pass without it');
      assert.deepEqual(reader.listNames!('/kubepods/gone'), []);
    });
  });

  void test(`${label}: "max" reads as 2^64-1`, () => {
    withTree([{ ...busy, memory: { ...busy.memory!, limitBytes: maxUint64 } }], (_dir, mounts) => {
      assert.equal(createCgroupReader(mounts).readStats(busy.name).memory?.limitBytes, maxUint64);
    });
  });
}
