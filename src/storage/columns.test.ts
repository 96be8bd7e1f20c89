import test from 'node:test';
import assert from 'node:assert/strict';
import { PointColumns } from './columns.ts';
import { seriesRate } from './rate.ts';

const T = 1_700_000_000_000;

test('runs are fresh, reused by length after release, and keep their points when the columns grow', () => {
  const cols = new PointColumns();
  const a = cols.alloc(2);
  cols.setLast(a, { timestampMs: T, cpuUsageCoreNanoSeconds: 5n, workingSetBytes: 7 }, 3);
  cols.markSeen(a);
  cols.release(a, 2);
  const b = cols.alloc(3);
  assert.notEqual(b, a, 'a run of another length is not taken from the free run');
  const c = cols.alloc(2);
  assert.equal(c, a, 'a run of the same length is reused');
  assert.equal(cols.seen(c), false);
  assert.equal(cols.timestampMs(c), 0);
  assert.equal(cols.hasPrev(c), false);
  // Past the first capacity: earlier points survive the copy into larger arrays.
  cols.setLast(b + 2, { timestampMs: T + 1, cpuUsageCoreNanoSeconds: (1n << 63n) + 1n, workingSetBytes: 2 ** 40 }, 1.5e18);
  cols.shift(b + 2);
  const far = cols.alloc(5000);
  assert.ok(cols.slots >= far + 5000);
  assert.equal(cols.timestampMs(b + 2), T + 1);
  assert.equal(cols.workingSetBytes(b + 2), 2 ** 40);
  assert.equal(cols.startTimeNs(b + 2), 1.5e18);
  assert.equal(cols.prevTimestampMs(b + 2), T + 1);
  assert.equal(cols.hasPrev(b + 2), true);
});

test('counters beyond 64 bits and below zero are kept exactly, through shift, copy and release', () => {
  const cols = new PointColumns();
  const s = cols.alloc(1);
  const huge = (1n << 70n) + 12_345n;
  cols.setLast(s, { timestampMs: T, cpuUsageCoreNanoSeconds: huge, workingSetBytes: 1 }, 0);
  cols.shift(s);
  cols.setLast(s, { timestampMs: T + 10_000, cpuUsageCoreNanoSeconds: huge + 5_000_000_000n, workingSetBytes: 2 }, 0);
  const expected = seriesRate({ timestampMs: T + 10_000, cpuUsageCoreNanoSeconds: huge + 5_000_000_000n, workingSetBytes: 2, startTimeNs: 0, prevTimestampMs: T, prevCpuUsageCoreNanoSeconds: huge, prevStartTimeNs: 0 }, false);
  assert.deepEqual(cols.rate(s), expected);
  assert.deepEqual(cols.rate(s), { ok: true, windowNs: 10_000_000_000, cpuNanoCores: 500_000_000 });
  const t = cols.alloc(1);
  cols.copy(s, t);
  assert.deepEqual(cols.rate(t), expected);
  // Back within 64 bits: the ordinary column again, and a decrease is reported as upstream does.
  cols.setLast(t, { timestampMs: T + 20_000, cpuUsageCoreNanoSeconds: 1n, workingSetBytes: 2 }, 0);
  assert.deepEqual(cols.rate(t), { ok: false, error: 'unexpected decrease in cumulative CPU usage value' });
  cols.setLast(t, { timestampMs: T + 20_000, cpuUsageCoreNanoSeconds: -1n, workingSetBytes: 2 }, 0);
  assert.deepEqual(cols.rate(t), { ok: false, error: 'unexpected decrease in cumulative CPU usage value' });
  cols.release(s, 1);
  const u = cols.alloc(1);
  assert.equal(u, s);
  cols.setLast(u, { timestampMs: T, cpuUsageCoreNanoSeconds: 3n, workingSetBytes: 1 }, 0);
  cols.shift(u);
  cols.setLast(u, { timestampMs: T + 1_000, cpuUsageCoreNanoSeconds: 4n, workingSetBytes: 1 }, 0);
  assert.deepEqual(cols.rate(u), { ok: true, windowNs: 1_000_000_000, cpuNanoCores: 1 });
});

test('the fresh-container point sits at the start time with zero CPU; dropPrev forgets it', () => {
  const cols = new PointColumns();
  const s = cols.alloc(1);
  const startNs = T * 1e6 - 12_345_678_901;
  cols.setLast(s, { timestampMs: T, cpuUsageCoreNanoSeconds: 1_000_000_000n, workingSetBytes: 1 }, startNs);
  cols.prevAtStart(s, startNs);
  assert.equal(cols.prevAtStartTime(s), true);
  assert.equal(cols.prevStartTimeNs(s), startNs);
  assert.deepEqual(cols.rate(s), seriesRate({ timestampMs: T, cpuUsageCoreNanoSeconds: 1_000_000_000n, workingSetBytes: 1, startTimeNs: startNs, prevTimestampMs: Math.trunc(startNs / 1e6), prevCpuUsageCoreNanoSeconds: 0n, prevStartTimeNs: startNs }, true));
  cols.dropPrev(s);
  assert.equal(cols.hasPrev(s), false);
  assert.equal(cols.prevAtStartTime(s), false);
});
