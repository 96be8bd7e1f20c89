import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cgroupDir, readCgroupMounts } from './mounts.ts';
import { ErrorCode, isKubemeterError } from '../lib/errors.ts';
import { defaultMaxOpen, isCgroupFs, maxFileBytes, OpenFileCache } from './read-file.ts';

test('kept-open files: fresh content, replaced and deleted files noticed, unread files closed at the end of a pass', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubemeter-files-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const a = join(dir, 'a');
  writeFileSync(a, 'one\n');
  const cache = new OpenFileCache({ checkLinks: true });
  t.after(() => cache.close());
  assert.equal(cache.read(a), 'one\n');
  writeFileSync(a, 'two, longer\n');
  assert.equal(cache.read(a), 'two, longer\n', 'rewritten in place: the held descriptor reads the new content');
  rmSync(a);
  assert.equal(cache.read(a), undefined, 'deleted');
  writeFileSync(a, 'three\n');
  assert.equal(cache.read(a), 'three\n', 'created again under the same name');
  assert.equal(cache.read(join(dir, 'missing')), undefined);
  cache.endPass();
  assert.equal(cache.size, 1);
  cache.endPass();
  assert.equal(cache.size, 0, 'not read during the last pass: closed');
  assert.equal(isCgroupFs(dir), false);
});

test('beyond the cap, files are read with open/read/close', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubemeter-files-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cache = new OpenFileCache({ maxOpen: 2 });
  t.after(() => cache.close());
  for (let i = 0; i < 5; i++) writeFileSync(join(dir, String(i)), `${i}\n`);
  for (let i = 0; i < 5; i++) assert.equal(cache.read(join(dir, String(i))), `${i}\n`);
  assert.equal(cache.size, 2);
});

test('real cgroupfs: a removed cgroup\'s held file reads as absent, a cgroup created again under the name reads fresh', { skip: process.getuid?.() !== 0 && 'needs root' }, (t) => {
  const mounts = readCgroupMounts({ procRoot: '/proc', sysRoot: '/sys' });
  const mount = mounts.version === 'v2' ? mounts.unified! : mounts.controllers.cpuacct!;
  const file = mounts.version === 'v2' ? 'cgroup.procs' : 'cpuacct.usage';
  const cg = cgroupDir(mount, `/kubemeter-files-${process.pid}`);
  mkdirSync(cg);
  t.after(() => {
    try {
      rmdirSync(cg);
    } catch {
      // Already removed.
    }
  });
  assert.equal(isCgroupFs(mount.dir), true);
  const cache = new OpenFileCache({ checkLinks: false });
  t.after(() => cache.close());
  assert.equal(typeof cache.read(`${cg}/${file}`), 'string');
  assert.equal(cache.size, 1);
  rmdirSync(cg);
  assert.equal(cache.read(`${cg}/${file}`), undefined, 'ENODEV on the held descriptor, then ENOENT');
  assert.equal(cache.size, 0);
  mkdirSync(cg);
  assert.equal(typeof cache.read(`${cg}/${file}`), 'string');
});

test('the number of files kept open leaves half the descriptor limit free', () => {
  assert.equal(defaultMaxOpen('Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 4096                 files\n'), 512);
  assert.equal(defaultMaxOpen('Max open files            1048576              1048576              files\n'), 16_384);
  assert.equal(defaultMaxOpen('Max open files            unlimited            unlimited            files\n'), 16_384);
  assert.equal(defaultMaxOpen('garbage'), 512);
  assert.ok(defaultMaxOpen() > 0);
});

test('kept-open files larger than the shared buffer are read whole, again and again; beyond the limit they are TooLarge', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubemeter-files-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cache = new OpenFileCache({ checkLinks: true });
  t.after(() => cache.close());
  for (const size of [2047, 2048, 2049, 65536, 200_000]) {
    const text = 'x'.repeat(size - 1) + '\n';
    writeFileSync(join(dir, `f${size}`), text);
    assert.equal(cache.read(join(dir, `f${size}`)), text, `${size} bytes`);
    assert.equal(cache.read(join(dir, `f${size}`)), text, `${size} bytes, kept open`);
  }
  writeFileSync(join(dir, 'huge'), Buffer.alloc(maxFileBytes + 1, 0x61));
  assert.throws(() => cache.read(join(dir, 'huge')), (e: unknown) => isKubemeterError(e) && e.code === ErrorCode.TooLarge);
});
