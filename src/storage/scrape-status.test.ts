import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maxScrapeErrorMessageChars } from '../api/scrape-status.ts';
import { endpointText, ScrapeStatusStore } from './scrape-status.ts';

test('attempts, failures and recovery: counts reset on success, the last error stays with its time', () => {
  const s = new ScrapeStatusStore();
  const url = new URL('https://10.0.0.1:10250/metrics/resource');
  s.track('a', 1_000);
  const r = s.get('a')!;
  assert.deepEqual([r.firstSeenMs, r.lastAttemptMs, r.lastSuccessMs, r.consecutiveFailures, r.errorReason, r.pods], [1_000, 0, 0, 0, '', -1]);
  s.attempt('a', url, 1_000);
  s.failed('a', 'timeout', 'request timed out', 3_000);
  s.attempt('a', url, 16_000);
  s.failed('a', 'http-status', 'request failed, status: "403 Forbidden"', 16_050);
  assert.deepEqual([r.consecutiveFailures, r.errorReason, r.errorMessage, r.errorMs, r.lastAttemptMs], [2, 'http-status', 'request failed, status: "403 Forbidden"', 16_050, 16_000]);
  s.attempt('a', url, 31_000);
  s.succeeded('a', 31_040, 7, 9);
  assert.deepEqual([r.consecutiveFailures, r.lastSuccessMs, r.pods, r.containers, r.errorReason, r.errorMs], [0, 31_040, 7, 9, 'http-status', 16_050]);
  assert.equal(s.track('a', 99_000), r, 'one record per node, kept across ticks');
  assert.equal(r.firstSeenMs, 1_000);
});

test('retain forgets nodes that are gone; messages are capped and never carry the URL query', () => {
  const s = new ScrapeStatusStore();
  for (const n of ['a', 'b', 'c']) s.track(n, 0);
  s.retain(new Set(['a', 'c']));
  assert.equal(s.size, 2);
  assert.equal(s.get('b'), undefined);
  const url = new URL('https://node:10250/custom?token=s3cret');
  s.attempt('a', url, 0);
  s.failed('a', 'timeout', `request to ${url.href} timed out after 10000 ms`, 1);
  assert.equal(s.get('a')!.errorMessage, 'request to https://node:10250/custom timed out after 10000 ms');
  assert.equal(endpointText(url), 'https://node:10250/custom');
  s.failed('c', 'decode', 'y'.repeat(10_000), 2);
  assert.equal(s.get('c')!.errorMessage.length, maxScrapeErrorMessageChars);
  // A failure before any URL could be built (no address of a preferred type).
  s.attempt('c', undefined, 3);
  s.failed('c', 'address', 'no address matched types [InternalIP]', 3);
  assert.deepEqual([s.get('c')!.url, s.get('c')!.consecutiveFailures], [undefined, 2]);
});

test('10,000 nodes: one small record each, updated in place', () => {
  const s = new ScrapeStatusStore();
  const urls = Array.from({ length: 10_000 }, (_, i) => new URL(`https://10.0.${i >> 8}.${i & 255}:10250/metrics/resource`));
  for (let tick = 0; tick < 3; tick++) {
    for (let i = 0; i < urls.length; i++) {
      const n = `node-${i}`;
      s.track(n, tick * 15_000);
      s.attempt(n, urls[i], tick * 15_000);
      if (i % 100 === 0) s.failed(n, 'network', 'connect ECONNREFUSED', tick * 15_000 + 5);
      else s.succeeded(n, tick * 15_000 + 5, 10, 20);
    }
  }
  assert.equal(s.size, 10_000);
  assert.equal(s.get('node-100')!.consecutiveFailures, 3);
  assert.equal(s.get('node-101')!.lastSuccessMs, 30_005);
});
