import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ErrorCode, isKubemeterError } from '../lib/errors.ts';
import {
  capScrapeErrorMessage, decodeNodeScrapeStatus, decodeNodeScrapeStatusList, encodeNodeScrapeStatus,
  encodeNodeScrapeStatusList, maxScrapeErrorMessageChars, type NodeScrapeStatus,
} from './scrape-status.ts';

const T = Date.UTC(2026, 7, 4, 10, 15, 0);

const failing: NodeScrapeStatus = {
  metadata: { name: 'node-b', creationTimestamp: T - 60_000, labels: { zone: 'b', role: 'infra' } },
  status: {
    endpoint: 'https://10.0.0.12:10250/metrics/resource',
    lastAttemptTime: T,
    lastSuccessTime: T - 30_000,
    consecutiveFailures: 2,
    lastError: { reason: 'timeout', message: 'request to https://10.0.0.12:10250/metrics/resource timed out after 10000 ms <&>', time: T + 10_000 },
    podsServed: 3,
    containersServed: 4,
  },
};

const failingJson = '{"kind":"NodeScrapeStatus","apiVersion":"scrape.kubemeter.io/v1alpha1","metadata":{"name":"node-b","creationTimestamp":"2026-08-04T10:14:00Z","labels":{"role":"infra","zone":"b"}},' +
  '"status":{"endpoint":"https://10.0.0.12:10250/metrics/resource","lastAttemptTime":"2026-08-04T10:15:00Z","lastSuccessTime":"2026-08-04T10:14:30Z","consecutiveFailures":2,' +
  '"lastError":{"reason":"timeout","message":"request to https://10.0.0.12:10250/metrics/resource timed out after 10000 ms \\u003c\\u0026\\u003e","time":"2026-08-04T10:15:10Z"},"podsServed":3,"containersServed":4}}\n';

test('encoding: Go field order, omitempty, escapes, whole-second times; decoding reverses it', () => {
  assert.equal(encodeNodeScrapeStatus(failing), failingJson);
  assert.deepEqual(decodeNodeScrapeStatus(failingJson), failing);
  const fresh: NodeScrapeStatus = { metadata: { name: 'node-new', creationTimestamp: T }, status: { consecutiveFailures: 0 } };
  const list = encodeNodeScrapeStatusList([failing, fresh]);
  assert.equal(list, '{"kind":"NodeScrapeStatusList","apiVersion":"scrape.kubemeter.io/v1alpha1","metadata":{},"items":[' +
    `{${failingJson.slice(failingJson.indexOf('"metadata"'), -1)},` +
    '{"metadata":{"name":"node-new","creationTimestamp":"2026-08-04T10:15:00Z"},"status":{"consecutiveFailures":0}}]}\n');
  assert.deepEqual(decodeNodeScrapeStatusList(list), { metadata: {}, items: [failing, fresh] });
  assert.equal(encodeNodeScrapeStatusList([]), '{"kind":"NodeScrapeStatusList","apiVersion":"scrape.kubemeter.io/v1alpha1","metadata":{},"items":[]}\n');
  // Forward compatible: unknown fields and reasons pass, nulls are absent values.
  const newer = decodeNodeScrapeStatus('{"kind":"NodeScrapeStatus","metadata":{"name":"n"},"status":{"consecutiveFailures":1,"lastError":{"reason":"quota","message":null},"lastSuccessTime":null,"future":true}}');
  assert.deepEqual(newer.status, { consecutiveFailures: 1, lastError: { reason: 'quota', message: '', time: null } });
  assert.deepEqual(decodeNodeScrapeStatusList('{"items":null}'), { metadata: {}, items: [] });
});

function err(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert.ok(isKubemeterError(e, ErrorCode.InvalidDocument), String(e));
    return e.message;
  }
  assert.fail('expected an error');
}

test('bad documents name the field and the source', () => {
  assert.equal(err(() => decodeNodeScrapeStatus(failingJson.replace('"consecutiveFailures":2', '"consecutiveFailures":-1'), 'https://s/x')),
    'invalid NodeScrapeStatus document from https://s/x: status.consecutiveFailures: expected a non-negative integer (got -1)');
  assert.equal(err(() => decodeNodeScrapeStatus(failingJson.replace('"NodeScrapeStatus"', '"NodeMetrics"'))),
    'invalid NodeScrapeStatus document: kind: expected "NodeScrapeStatus" (got "NodeMetrics")');
  assert.equal(err(() => decodeNodeScrapeStatusList('{"items":[{"metadata":{"name":"a"},"status":{"lastAttemptTime":"yesterday"}}]}')),
    'invalid NodeScrapeStatusList document: items[0].status.lastAttemptTime: expected an RFC 3339 time or null (got "yesterday")');
  assert.match(err(() => decodeNodeScrapeStatusList('not json')), /^invalid NodeScrapeStatusList document: not JSON/);
});

test('fuzz: any JSON value decodes or fails with InvalidDocument; encoded objects decode to themselves', () => {
  fc.assert(fc.property(fc.jsonValue(), (v) => {
    for (const decode of [decodeNodeScrapeStatus, decodeNodeScrapeStatusList]) {
      try {
        decode(JSON.stringify(v));
      } catch (e) {
        assert.ok(isKubemeterError(e, ErrorCode.InvalidDocument), String(e));
      }
    }
  }), { numRuns: 500 });
  const time = fc.integer({ min: 0, max: 4e12 }).map((ms) => Math.floor(ms / 1000) * 1000);
  const status = fc.record({
    endpoint: fc.option(fc.string({ minLength: 1 }), { nil: undefined }),
    lastAttemptTime: fc.option(time, { nil: undefined }),
    lastSuccessTime: fc.option(time, { nil: undefined }),
    consecutiveFailures: fc.nat({ max: 2 ** 31 - 1 }),
    lastError: fc.option(fc.record({ reason: fc.string(), message: fc.string(), time }).map((e) => ({ ...e })), { nil: undefined }),
    podsServed: fc.option(fc.nat({ max: 100_000 }), { nil: undefined }),
    containersServed: fc.option(fc.nat({ max: 100_000 }), { nil: undefined }),
  }, { requiredKeys: ['consecutiveFailures'] });
  fc.assert(fc.property(fc.string({ minLength: 1 }), time, status, (name, created, s) => {
    const clean = Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined)) as unknown as NodeScrapeStatus['status'];
    const o: NodeScrapeStatus = { metadata: { name, creationTimestamp: created }, status: clean };
    const text = encodeNodeScrapeStatus(o);
    JSON.parse(text);
    // A lone surrogate cannot survive Go's encoder (it becomes U+FFFD); compare only well-formed text.
    if (/[\ud800-\udfff]/.test(text.replace(/\\ufffd/g, '')) || text.includes('\\ufffd')) return;
    assert.deepEqual(decodeNodeScrapeStatus(text), o);
  }), { numRuns: 300 });
});

test('error messages are capped without splitting a character', () => {
  assert.equal(capScrapeErrorMessage('short'), 'short');
  const long = capScrapeErrorMessage('x'.repeat(5000));
  assert.equal(long.length, maxScrapeErrorMessageChars);
  assert.ok(long.endsWith('… (truncated)'));
  const emoji = capScrapeErrorMessage('😀'.repeat(3000));
  assert.ok(emoji.length <= maxScrapeErrorMessageChars);
  assert.doesNotMatch(emoji.replace('… (truncated)', ''), /[\ud800-\udbff]$/);
});
