/**
 * Bad input never crashes a pass: a missing or unreadable file, a container that vanishes in the
 * middle of a pass, garbage in a stat file — that container is skipped and counted by kind, the
 * rest is collected and served.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeSummary } from '../api/stats-decode.ts';
import { readCgroupMounts } from '../cgroup/mounts.ts';
import type { CgroupReader } from '../cgroup/reader.ts';
import { createCgroupReader } from '../cgroup/reader.ts';
import { writeGeneratedHost } from '../../test/support/agent-fixtures.ts';
import { Collector } from './collector.ts';
import { createAgentHandler } from './http.ts';

function containerDirs(root: string, podIndex: number): string[] {
  const uid = `00000000-0000-4000-8000-${podIndex.toString(16).padStart(12, '0')}`;
  const pod = join(root, 'sys/fs/cgroup/kubepods/burstable', `pod${uid}`);
  return readdirSync(pod, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('ffff'))
    .map((e) => join(pod, e.name))
    .sort();
}

test('broken, vanished and garbage cgroups are skipped and counted; everything else is served', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'kubemeter-bad-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  writeGeneratedHost(root, 4, 3);
  const [garbage, missing, unreadable] = containerDirs(root, 0);
  const [vanishing] = containerDirs(root, 1);
  writeFileSync(join(garbage!, 'memory.stat'), 'anon 12\n\u0000\u0007 not a memory.stat at all');
  rmSync(join(missing!, 'cpu.stat'));
  rmSync(join(unreadable!, 'memory.current'));
  mkdirSync(join(unreadable!, 'memory.current'));
  rmSync(join(root, 'proc', 'meminfo'));

  const roots = { procRoot: join(root, 'proc'), sysRoot: join(root, 'sys') };
  const real = createCgroupReader(readCgroupMounts(roots));
  const vanishingName = vanishing!.slice(join(root, 'sys/fs/cgroup').length);
  // The container exits between discovery and its read: its directory disappears mid-pass.
  let vanished = false;
  const reader: CgroupReader = {
    version: real.version,
    readStats(name) {
      if (name === vanishingName && !vanished) {
        vanished = true;
        rmSync(vanishing!, { recursive: true, force: true });
      }
      return real.readStats(name);
    },
    readPids: (n) => real.readPids(n),
    listChildren: (n) => real.listChildren(n),
    exists: (n) => real.exists(n),
    creationTimeMs: (n) => real.creationTimeMs(n),
  };
  const collector = new Collector({
    reader, procRoot: roots.procRoot, nodeName: 'n', cgroupRoot: '/', driver: 'auto', identity: [], standalone: undefined,
    fs: { rootDir: join(root, 'does-not-exist'), imageFsDir: undefined },
  });
  const snap = await collector.collectOnce();
  const errors = Object.fromEntries(collector.stats().errors);
  assert.deepEqual(errors, { parse: 1, missing: 1, unreadable: 1, vanished: 1, node: 2 });
  assert.equal(snap.pods.length, 4);
  assert.deepEqual(snap.pods.map((p) => p.containers.length), [0, 2, 3, 3]);

  const server = createServer(createAgentHandler({ source: collector }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/stats/summary`);
  assert.equal(res.status, 200);
  const summary = decodeSummary(await res.text());
  assert.equal(summary.pods.reduce((n, p) => n + p.containers.length, 0), 8);
  assert.equal(summary.node.memory?.availableBytes, undefined, 'no MemTotal: no availableBytes');
  assert.equal(summary.node.fs, undefined);

  // The next pass over a repaired tree reports everything again.
  rmSync(root, { recursive: true, force: true });
  writeGeneratedHost(root, 4, 3);
  const again = await collector.collectOnce();
  assert.deepEqual(again.pods.map((p) => p.containers.length), [3, 3, 3, 3]);
});

test('a host with no kubepods tree and no identity still serves the node', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'kubemeter-empty-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  writeGeneratedHost(root, 0, 0);
  rmSync(join(root, 'sys/fs/cgroup/kubepods'), { recursive: true });
  const roots = { procRoot: join(root, 'proc'), sysRoot: join(root, 'sys') };
  const collector = new Collector({
    reader: createCgroupReader(readCgroupMounts(roots)), procRoot: roots.procRoot, nodeName: 'n', cgroupRoot: '/', driver: 'auto',
    identity: [], standalone: { engineEndpoints: [join(root, 'no-docker.sock')] }, fs: { rootDir: root, imageFsDir: undefined },
  });
  const snap = await collector.collectOnce();
  assert.deepEqual(snap.pods, []);
  assert.ok(snap.node.root !== undefined && snap.node.fs !== undefined);
  assert.equal(snap.node.pods, undefined);
  assert.equal(collector.stats().errors.size, 0);
});
