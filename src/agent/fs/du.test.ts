import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, linkSync, lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCode, isKubemeterError } from '../../lib/errors.ts';
import { diskUsage, entryUsage } from './du.ts';

function tree(t: { after(fn: () => void): void }): string {
  const root = mkdtempSync(join(tmpdir(), 'kubemeter-du-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  return root;
}

/** GNU du's answer for the same rules: allocated bytes (-B1), one filesystem (-x), hard links once. */
function gnuDu(path: string): { usedBytes: number; inodesUsed: number } {
  const bytes = execFileSync('du', ['-s', '-x', '-B1', path], { encoding: 'utf8' });
  const inodes = execFileSync('du', ['-s', '-x', '--inodes', path], { encoding: 'utf8' });
  return { usedBytes: Number(bytes.split('\t')[0]), inodesUsed: Number(inodes.split('\t')[0]) };
}

test('du counts allocated blocks × 512 and inodes like the kubelet (and GNU du): top dir included, hard links once, sparse space not counted', async (t) => {
  const root = tree(t);
  writeFileSync(join(root, 'a'), Buffer.alloc(8192, 1));
  mkdirSync(join(root, 'sub/deeper'), { recursive: true });
  writeFileSync(join(root, 'sub/b'), Buffer.alloc(100, 2));
  writeFileSync(join(root, 'sub/deeper/c'), '');
  linkSync(join(root, 'a'), join(root, 'sub/a-link'));
  // 1 GiB apparent, nothing allocated: du-style usage must not see it.
  writeFileSync(join(root, 'sparse'), '');
  truncateSync(join(root, 'sparse'), 1 << 30);
  symlinkSync('a', join(root, 'to-a'));

  const got = await diskUsage(root);
  // The kubelet's rule, computed here from lstat: every entry once per inode.
  const entries = ['', 'a', 'sub', 'sub/deeper', 'sub/b', 'sub/deeper/c', 'sparse', 'to-a'];
  const expected = entries.reduce((n, p) => n + lstatSync(join(root, p)).blocks * 512, 0);
  assert.deepEqual(got, { usedBytes: expected, inodesUsed: 8 });
  assert.deepEqual(got, gnuDu(root), 'the same numbers as GNU du -x -B1 / --inodes');
  assert.ok(got.usedBytes < 1 << 20, 'the sparse gigabyte is not counted');
  assert.ok(got.usedBytes >= 8192, 'the 8 KiB file is');

  assert.deepEqual(await entryUsage(join(root, 'a')), { usedBytes: lstatSync(join(root, 'a')).blocks * 512, inodesUsed: 1 });
});

test('du never follows symlinks: a symlink loop and a link to / are single entries', async (t) => {
  const root = tree(t);
  symlinkSync('loop-b', join(root, 'loop-a'));
  symlinkSync('loop-a', join(root, 'loop-b'));
  symlinkSync('.', join(root, 'self'));
  symlinkSync('/', join(root, 'host-root'));
  const got = await diskUsage(root);
  assert.equal(got.inodesUsed, 5);
  assert.deepEqual(got, gnuDu(root));
});

test('du does not count or enter another filesystem mounted inside (as the kubelet: other devices are skipped)', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'kubemeter-du-'));
  writeFileSync(join(root, 'f'), Buffer.alloc(4096, 1));
  mkdirSync(join(root, 'mnt'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', join(root, 'mnt')]);
  // Unmount first, then remove (after-hooks run in registration order).
  t.after(() => {
    if (mounted.status === 0) spawnSync('umount', [join(root, 'mnt')]);
    rmSync(root, { recursive: true, force: true });
  });
  if (mounted.status !== 0) {
    t.skip('mount(8) is not permitted here');
    return;
  }
  writeFileSync(join(root, 'mnt', 'inside'), Buffer.alloc(65536, 1));
  const got = await diskUsage(root);
  const expected = ['', 'f'].reduce((n, p) => n + lstatSync(join(root, p)).blocks * 512, 0);
  assert.deepEqual(got, { usedBytes: expected, inodesUsed: 2 });
  assert.deepEqual(got, gnuDu(root));
});

test('du: entries vanishing mid-walk are skipped and reported; the rest is counted', async (t) => {
  const root = tree(t);
  mkdirSync(join(root, 'd1'));
  mkdirSync(join(root, 'd2'));
  writeFileSync(join(root, 'd1', 'gone'), 'x');
  writeFileSync(join(root, 'd1', 'kept'), 'y');
  writeFileSync(join(root, 'd2', 'x'), 'z');
  const vanished: string[] = [];
  let gates = 0;
  const got = await diskUsage(root, {
    onVanished: (p) => vanished.push(p),
    // Gates: #1 before readdir(root), #2 before lstat of [d1, d2], #3 before readdir(d1), #4
    // before lstat of [gone, kept]: remove entries after they were listed, before their lstat.
    gate: () => {
      gates++;
      if (gates === 2) rmSync(join(root, 'd2'), { recursive: true });
      if (gates === 4) rmSync(join(root, 'd1', 'gone'));
      return Promise.resolve();
    },
  });
  assert.deepEqual(vanished, [join(root, 'd2'), join(root, 'd1', 'gone')]);
  const expected = ['', 'd1', 'd1/kept'].reduce((n, p) => n + lstatSync(join(root, p)).blocks * 512, 0);
  assert.deepEqual(got, { usedBytes: expected, inodesUsed: 3 });
});

test('du: bounded by an entry cap and a time budget, cancellable, and the top must exist', async (t) => {
  const root = tree(t);
  for (let i = 0; i < 120; i++) writeFileSync(join(root, `f${i}`), '');
  await assert.rejects(diskUsage(root, { maxEntries: 50 }), (e) => isKubemeterError(e, ErrorCode.TooLarge) && e.message.includes('more than 50 entries'));
  let now = 0;
  const clock = { nowMs: () => (now += 1000) };
  await assert.rejects(diskUsage(root, { clock, budgetMs: 1500 }), (e) => isKubemeterError(e, ErrorCode.Timeout));
  const ctl = new AbortController();
  ctl.abort();
  await assert.rejects(diskUsage(root, { signal: ctl.signal }), (e) => isKubemeterError(e, ErrorCode.Aborted));
  await assert.rejects(diskUsage(join(root, 'nope')), (e) => isKubemeterError(e, ErrorCode.NotFound) && e.message.includes('nope'));
  assert.deepEqual(await diskUsage(root, { maxEntries: 121 }), gnuDu(root));
});

test('du: an unreadable directory fails the walk with InvalidFile naming it (run as an unprivileged user)', async (t) => {
  if (process.getuid?.() !== 0) {
    t.skip('needs root to start the walker as another user');
    return;
  }
  const root = tree(t);
  chmodSync(root, 0o755);
  mkdirSync(join(root, 'locked'));
  writeFileSync(join(root, 'locked', 'secret'), 'x');
  chmodSync(join(root, 'locked'), 0o700);
  const script = `
    import { diskUsage } from ${JSON.stringify(fileURLToPath(new URL('./du.ts', import.meta.url)))};
    try { await diskUsage(${JSON.stringify(root)}); console.log('no error'); }
    catch (e) { console.log(e.code + ' ' + e.message); }`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { uid: 65534, gid: 65534, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^KM_INVALID_FILE readdir .*locked: EACCES/);
});
