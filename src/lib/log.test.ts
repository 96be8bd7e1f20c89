import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from './log.ts';

test('json logger writes one object per line with fields and level filtering', () => {
  const lines: string[] = [];
  const log = createLogger({ format: 'json', level: 'info', write: (l) => lines.push(l), nowMs: () => 0 });
  log.debug('hidden');
  log.with({ node: 'n1' }).warn('scrape failed', { err: new Error('timeout'), bytes: 10n });
  assert.equal(lines.length, 1);
  assert.deepEqual(JSON.parse(lines[0]!), {
    time: '1970-01-01T00:00:00.000Z', level: 'warn', msg: 'scrape failed', node: 'n1', err: 'timeout', bytes: '10',
  });
});

test('text logger renders key=value pairs', () => {
  const lines: string[] = [];
  const log = createLogger({ format: 'text', write: (l) => lines.push(l), nowMs: () => 0 });
  log.info('serving', { address: '127.0.0.1:443', n: 3 });
  assert.equal(lines[0], '1970-01-01T00:00:00.000Z INFO  serving address=127.0.0.1:443 n=3');
});
