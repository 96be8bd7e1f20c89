import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCgroupMounts } from '../cgroup/mounts.ts';
import { createCgroupReader } from '../cgroup/reader.ts';
import { writeGeneratedHost } from '../../test/support/agent-fixtures.ts';
import { discoverKubepods, KubepodsCache } from './discover.ts';

test('the kubepods walk with a cache finds what a walk without one finds, and sees every change at once', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'kubemeter-discover-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  writeGeneratedHost(root, 3, 2);
  const reader = createCgroupReader(readCgroupMounts({ procRoot: join(root, 'proc'), sysRoot: join(root, 'sys') }));
  t.after(() => reader.close?.());
  const cache = new KubepodsCache();
  const options = { cgroupRoot: '/', driver: 'cgroupfs' as const };
  const walk = (): ReturnType<typeof discoverKubepods> => {
    const tree = discoverKubepods(reader, { ...options, cache });
    // What a walk without the cache (and a reader without kept listings) makes of the same tree.
    const fresh = createCgroupReader(readCgroupMounts({ procRoot: join(root, 'proc'), sysRoot: join(root, 'sys') }));
    assert.deepEqual(tree, discoverKubepods(fresh, options));
    fresh.close?.();
    reader.endPass?.();
    return tree;
  };

  const first = walk();
  assert.equal(first.pods.length, 3);
  assert.deepEqual(first.pods.map((p) => p.containers.length), [3, 3, 3], 'two containers and the sandbox each');
  const second = walk();
  second.pods.forEach((p, i) => assert.equal(p, first.pods[i], 'an unchanged pod is the same object'));

  // A new container in the second pod: seen in the next walk; the other pods stay as they were.
  const podDir = join(root, 'sys/fs/cgroup', first.pods[1]!.path);
  const id = 'd'.repeat(64);
  mkdirSync(join(podDir, id));
  const third = walk();
  assert.notEqual(third.pods[1], first.pods[1]);
  assert.ok(third.pods[1]!.containers.some((c) => c.id === id && c.path === `${first.pods[1]!.path}/${id}`));
  assert.equal(third.pods[0], first.pods[0]);
  assert.equal(third.pods[2], first.pods[2]);

  // A removed container and a removed pod are gone in the next walk, and the cache forgets the pod.
  rmSync(join(podDir, id), { recursive: true });
  rmSync(join(root, 'sys/fs/cgroup', first.pods[2]!.path), { recursive: true });
  const fourth = walk();
  assert.equal(fourth.pods.length, 2);
  assert.deepEqual(fourth.pods[1]!.containers, first.pods[1]!.containers);
  assert.equal(cache.pods.size, 2);
  assert.deepEqual([...cache.parents.keys()], ['/kubepods', '/kubepods/burstable']);

  // Without a kubepods tree the cache is emptied.
  rmSync(join(root, 'sys/fs/cgroup/kubepods'), { recursive: true });
  assert.deepEqual(walk().pods, []);
  assert.equal(cache.pods.size + cache.parents.size, 0);
});
