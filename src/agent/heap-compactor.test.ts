import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { HeapCompactor } from './heap-compactor.ts';

test('compacts only when the heap grew past the slack since the last compaction, and counts it', () => {
  let heap = 10_000;
  let cpu = 0;
  const calls: number[] = [];
  const c = new HeapCompactor({
    heapBytes: () => heap,
    compact: () => {
      calls.push(heap);
      cpu += 2500;
      heap = 6_000;
    },
    slackBytes: 1_000,
    cpuMicros: () => cpu,
  });
  assert.equal(c.afterPass(), true, 'the first pass compacts (nothing compacted yet)');
  heap = 6_900;
  assert.equal(c.afterPass(), false, 'within the slack of the compacted 6,000');
  heap = 7_001;
  assert.equal(c.afterPass(), true);
  assert.deepEqual(calls, [10_000, 7_001]);
  assert.deepEqual(c.stats(), { compactions: 2, cpuSecondsTotal: 0.005 });
});

test('the agent compactor gives garbage pages back to the system (real V8)', () => {
  // In a child: the agent's heap settings change V8 flags for the whole process.
  const agent = fileURLToPath(new URL('../cmd/agent.ts', import.meta.url));
  const script = `
    const { getHeapStatistics } = process.getBuiltinModule('node:v8');
    const { tuneHeapForAgent } = await import(${JSON.stringify(agent)});
    const heap = tuneHeapForAgent();
    heap.afterPass();
    // ~24 MiB that survives long enough to reach the old generation, then becomes garbage.
    let keep = [];
    for (let i = 0; i < 300; i++) { keep.push(Array.from({ length: 10_000 }, (_, j) => ({ i, j }))); await new Promise((r) => setImmediate(r)); }
    keep = [];
    const before = getHeapStatistics().total_heap_size;
    const compacted = heap.afterPass();
    const after = getHeapStatistics().total_heap_size;
    process.stdout.write(JSON.stringify({ before, after, compacted, stats: heap.stats() }));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { before: number; after: number; compacted: boolean; stats: { compactions: number; cpuSecondsTotal: number } };
  assert.equal(out.compacted, true);
  assert.equal(out.stats.compactions, 2);
  assert.ok(out.stats.cpuSecondsTotal > 0);
  assert.ok(out.after < out.before - 16 * 2 ** 20, `heap ${out.before} → ${out.after} bytes`);
});
