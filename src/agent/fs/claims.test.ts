import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DecodeOptions } from '../../kube/client.ts';
import { ErrorCode, KubemeterError } from '../../lib/errors.ts';
import { ManualClock } from '../../lib/clock.ts';
import { apiClaimResolver } from './claims.ts';

test('PV claims: one GET per bound PV (then cached), unbound and failed lookups asked again after the retry time', async () => {
  const pvs = new Map<string, unknown>([
    ['pvc-bound', { spec: { claimRef: { name: 'data-web-0', namespace: 'shop' } } }],
    ['pvc-unbound', { spec: {} }],
  ]);
  const asked: string[] = [];
  const client = {
    getJSON<T>(path: string, options: DecodeOptions<T>): Promise<T> {
      asked.push(path);
      const pv = pvs.get(decodeURIComponent(path.slice('/api/v1/persistentvolumes/'.length)));
      if (pv === undefined) return Promise.reject(new KubemeterError(ErrorCode.HttpStatus, `GET ${path}: 404`));
      return Promise.resolve(options.decode(pv, path));
    },
  };
  const clock = new ManualClock();
  const claims = apiClaimResolver({ client, clock, retryMs: 60_000 });
  const signal = new AbortController().signal;
  assert.deepEqual(await claims.claimOf('pvc-bound', signal), { name: 'data-web-0', namespace: 'shop' });
  assert.deepEqual(await claims.claimOf('pvc-bound', signal), { name: 'data-web-0', namespace: 'shop' });
  assert.equal(await claims.claimOf('pvc-unbound', signal), undefined);
  assert.equal(await claims.claimOf('pvc-missing', signal), undefined);
  assert.equal(await claims.claimOf('a/b', signal), undefined);
  assert.deepEqual(asked, ['/api/v1/persistentvolumes/pvc-bound', '/api/v1/persistentvolumes/pvc-unbound', '/api/v1/persistentvolumes/pvc-missing', '/api/v1/persistentvolumes/a%2Fb']);
  await claims.claimOf('pvc-unbound', signal);
  assert.equal(asked.length, 4, 'not asked again within the retry time');
  clock.advance(60_001);
  pvs.set('pvc-unbound', { spec: { claimRef: { name: 'later', namespace: 'shop' } } });
  assert.deepEqual(await claims.claimOf('pvc-unbound', signal), { name: 'later', namespace: 'shop' });
  await claims.claimOf('pvc-bound', signal);
  assert.equal(asked.filter((p) => p.endsWith('pvc-bound')).length, 1, 'a bound PV is asked once');
});
