import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InFlightLimit, startPacer } from './pacer.ts';

test('the limit doubles from the floor while the loop is calm, halves on a long turn, then grows by one', () => {
  const l = new InFlightLimit({ minInFlight: 4, maxInFlight: 100, targetDelayMs: 5 });
  assert.equal(l.limit, 4);
  assert.deepEqual([1, 1, 1, 1].map((d) => l.observe(d)), [8, 16, 32, 64]);
  assert.equal(l.observe(300), 32);
  assert.equal(l.observe(6), 16);
  assert.deepEqual([0, 5, 2].map((d) => l.observe(d)), [17, 18, 19]);
  assert.deepEqual([50, 50, 50, 50, 50].map((d) => l.observe(d)), [9, 4, 4, 4, 4]);
});

test('the limit always stays within its bounds', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 300 }), fc.array(fc.double({ min: 0, max: 1000, noNaN: true })), (min, max, delays) => {
    const l = new InFlightLimit({ minInFlight: min, maxInFlight: max, targetDelayMs: 5 });
    for (const d of delays) {
      const v = l.observe(d);
      assert.ok(v >= Math.min(min, max) && v <= max && Number.isInteger(v), `${v} outside [${min}, ${max}]`);
    }
  }));
});

test('the pacer admits up to the limit, follows the timer delay, and lets everyone go when the signal aborts', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let now = 0;
  const samples: Array<[number, number]> = [];
  const ac = new AbortController();
  const pacer = startPacer({ minInFlight: 2, maxInFlight: 8, targetDelayMs: 5, periodMs: 10, nowMs: () => now, signal: ac.signal, onSample: (d, l) => samples.push([d, l]) });
  t.after(() => pacer.dispose());
  const admitted: number[] = [];
  const releases: Array<() => void> = [];
  const waiting = Array.from({ length: 12 }, (_, i) => pacer.acquire().then((r) => {
    admitted.push(i);
    releases.push(r);
  }));
  const settle = (): Promise<void> => new Promise((r) => setImmediate(r));
  await settle();
  assert.deepEqual(admitted, [0, 1]);
  // A calm sample doubles the limit: two more.
  now = 10;
  t.mock.timers.tick(10);
  await settle();
  assert.deepEqual(samples, [[0, 4]]);
  assert.deepEqual(admitted, [0, 1, 2, 3]);
  // A turn of 40 ms: halved to 2; the four in flight stay, nobody new until two end.
  now = 60;
  t.mock.timers.tick(10);
  await settle();
  assert.deepEqual(samples.at(-1), [40, 2]);
  releases[0]!();
  releases[0]!(); // a second call of the same release counts once
  releases[1]!();
  await settle();
  assert.deepEqual(admitted, [0, 1, 2, 3]);
  releases[2]!();
  await settle();
  assert.deepEqual(admitted, [0, 1, 2, 3, 4]);
  ac.abort();
  await Promise.all(waiting);
  assert.equal(admitted.length, 12);
  // Disposed: acquire no longer waits.
  const r = await pacer.acquire();
  r();
});

test('while not active the pacer admits everyone and leaves the limit alone; once active it holds new requests to the limit', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let now = 0;
  let active = false;
  const samples: number[] = [];
  const pacer = startPacer({ minInFlight: 2, maxInFlight: 8, targetDelayMs: 5, periodMs: 10, nowMs: () => now, active: () => active, onSample: (_d, l) => samples.push(l) });
  t.after(() => pacer.dispose());
  const settle = (): Promise<void> => new Promise((r) => setImmediate(r));
  const releases: Array<() => void> = [];
  for (let i = 0; i < 5; i++) releases.push(await pacer.acquire());
  now = 100; // a long turn while inactive: not taken as a sample
  t.mock.timers.tick(10);
  assert.deepEqual(samples, []);
  active = true;
  let admitted = 0;
  void pacer.acquire().then((r) => {
    admitted++;
    releases.push(r);
  });
  await settle();
  assert.equal(admitted, 0); // five in flight, limit 2
  for (const r of releases.splice(0, 4)) r();
  await settle();
  assert.equal(admitted, 1);
});
