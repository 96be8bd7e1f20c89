import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { createTestPki } from '../../test/support/pki.ts';
import { parseCaPool, subjectOf, verifyClientCertificate } from './x509-verify.ts';

test('verification results are remembered per certificate pair, never across CA pools', (t) => {
  const pki = createTestPki();
  t.after(() => pki.cleanup());
  const caA = pki.ca('ca-a');
  const caB = pki.ca('ca-b');
  const leaf = new X509Certificate(pki.issue(caA, { commonName: 'alice', organizations: ['dev', 'ops'], usage: 'client' }).certPem);
  const poolA = parseCaPool(caA.certPem, 'a.crt');
  const poolB = parseCaPool(caB.certPem, 'b.crt');
  const now = Date.now();
  for (let i = 0; i < 3; i++) {
    assert.equal(verifyClientCertificate(leaf, [], poolA, now).ok, true, `round ${i}: pool A`);
    assert.deepEqual(verifyClientCertificate(leaf, [], poolB, now), { ok: false, error: 'x509: certificate signed by unknown authority' }, `round ${i}: pool B`);
  }
  // A reloaded pool holds new certificate objects: checked again, with the same answer.
  assert.equal(verifyClientCertificate(leaf, [], parseCaPool(caA.certPem, 'a.crt'), now).ok, true);
  // Expiry is judged at every call, not remembered.
  const after = verifyClientCertificate(leaf, [], poolA, leaf.validToDate.getTime() + 1000);
  assert.equal(after.ok, false);
});

test('a subject is parsed once per certificate and cannot be changed by its users', (t) => {
  const pki = createTestPki();
  t.after(() => pki.cleanup());
  const ca = pki.ca('ca');
  const leaf = new X509Certificate(pki.issue(ca, { commonName: 'bob', organizations: ['viewers', 'qa'], usage: 'client' }).certPem);
  const s = subjectOf(leaf);
  assert.deepEqual({ ...s, organizations: [...s.organizations] }, { commonName: 'bob', organizations: ['viewers', 'qa'] });
  assert.equal(subjectOf(leaf), s);
  assert.throws(() => (s.organizations as string[]).push('system:masters'));
  assert.deepEqual([...subjectOf(leaf).organizations], ['viewers', 'qa']);
});
