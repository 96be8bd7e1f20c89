import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCgroupMounts } from '../cgroup/mounts.ts';
import { createCgroupReader } from '../cgroup/reader.ts';
import { writeGeneratedHost } from '../../test/support/agent-fixtures.ts';
import { Collector } from './collector.ts';

/** Runs the loop with a sleep that records each wait and stops the loop at the second one. */
async function waitsBeforePasses(afterFirstPass: boolean, t: { after: (fn: () => void) => void }): Promise<string[]> {
  const root = mkdtempSync(join(tmpdir(), 'km-run-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  writeGeneratedHost(root, 1, 1);
  const roots = { procRoot: join(root, 'proc'), sysRoot: join(root, 'sys') };
  const collector = new Collector({
    reader: createCgroupReader(readCgroupMounts(roots)), procRoot: roots.procRoot, nodeName: 'n1', cgroupRoot: '/', driver: 'auto',
    identity: [], standalone: undefined, fs: { rootDir: root, imageFsDir: root },
  });
  const events: string[] = [];
  const stop = new AbortController();
  await collector.run({
    intervalMs: 1000,
    signal: stop.signal,
    random: () => 0,
    afterFirstPass,
    afterPass: () => events.push('pass'),
    sleep: (ms) => {
      events.push(`sleep ${ms}`);
      if (events.filter((e) => e.startsWith('sleep')).length === 2) stop.abort();
      return Promise.resolve();
    },
  });
  return events;
}

test('the loop passes at once, then every interval', async (t) => {
  assert.deepEqual(await waitsBeforePasses(false, t), ['pass', 'sleep 1000', 'pass', 'sleep 1000']);
});

test('after a pass of its own caller, the loop waits one interval first (no rate over milliseconds)', async (t) => {
  assert.deepEqual(await waitsBeforePasses(true, t), ['sleep 1000', 'pass', 'sleep 1000']);
});
