import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { CgroupMounts } from '../cgroup/mounts.ts';
import { isKubemeterError } from '../lib/errors.ts';
import { parseCfsQuota, parseCpuMax, quotaToMilli, readCpuLimitMilli } from './cpu-limit.ts';

test('cpu.max and CFS quota invert the kubelet\'s milliCPU × period / 1000', () => {
  assert.equal(parseCpuMax('max 100000\n', 'cpu.max'), undefined);
  assert.equal(parseCpuMax('50000 100000\n', 'cpu.max'), 500);
  assert.equal(parseCpuMax('200000 100000', 'cpu.max'), 2000);
  assert.equal(parseCpuMax('1000 100000', 'cpu.max'), 10);
  assert.equal(parseCfsQuota('-1\n', '100000\n', 'q'), undefined);
  assert.equal(parseCfsQuota('150000', '100000', 'q'), 1500);
  // Rounded up: a quota of 1 µs per 3 µs is a bit over 333m.
  assert.equal(quotaToMilli(1n, 3n), 334);
  assert.equal(quotaToMilli(0n, 100000n), undefined);
  assert.throws(() => parseCpuMax('max', '/x/cpu.max'), /\/x\/cpu\.max: expected "<quota\|max> <period>"/);
  assert.throws(() => parseCfsQuota('abc', '100000', 'q'), /expected integer quota and period/);
});

test('the parsers throw only KubemeterErrors on arbitrary text', () => {
  fc.assert(fc.property(fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }), (a, b) => {
    for (const f of [() => parseCpuMax(a, 's'), () => parseCfsQuota(a, b, 's')]) {
      try {
        const v = f();
        assert.ok(v === undefined || (Number.isInteger(v) && v > 0));
      } catch (e) {
        if (!isKubemeterError(e)) throw e;
      }
    }
  }));
});

test('readCpuLimitMilli reads v2 and v1 layouts', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'kubemeter-cpulimit-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'v2/system.slice/a.service'), { recursive: true });
  writeFileSync(join(root, 'v2/system.slice/a.service/cpu.max'), '25000 100000\n');
  const v2: CgroupMounts = { version: 'v2', hybrid: false, controllers: {}, unified: { dir: join(root, 'v2'), root: '/' } };
  assert.equal(readCpuLimitMilli(v2, '/system.slice/a.service'), 250);
  assert.equal(readCpuLimitMilli(v2, '/gone'), undefined);
  mkdirSync(join(root, 'cpu/system.slice/b.service'), { recursive: true });
  writeFileSync(join(root, 'cpu/system.slice/b.service/cpu.cfs_quota_us'), '300000\n');
  writeFileSync(join(root, 'cpu/system.slice/b.service/cpu.cfs_period_us'), '100000\n');
  const v1: CgroupMounts = { version: 'v1', hybrid: false, controllers: { cpu: { dir: join(root, 'cpu'), root: '/' } }, unified: undefined };
  assert.equal(readCpuLimitMilli(v1, '/system.slice/b.service'), 3000);
});
