import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { createCertificateAuthority, issueCertificate } from '../auth/x509-gen.ts';
import { isKubemeterError } from '../lib/errors.ts';
import { subjectNameDer } from './der-read.ts';
import { ADMIN_GROUP, ADMIN_USER, ensureStatePki, issueAgentCertificate, leafUsable, loadCertificateAuthority } from './pki.ts';

const names = { apiNames: ['localhost', '127.0.0.1', '::1', 'myhost'], agentNames: ['localhost', '127.0.0.1'] };

function tmp(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'kubemeter-pki-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'state');
}

test('the first start creates a CA and leaves with private modes; the next start reuses everything', (t) => {
  const stateDir = tmp(t);
  const a = ensureStatePki({ stateDir, ...names });
  assert.equal(a.ca.created, true);
  assert.equal(statSync(stateDir).mode & 0o777, 0o700);
  for (const f of ['ca.key', 'apiserver.key', 'agent.key', 'scraper.key', 'admin.key']) assert.equal(statSync(join(stateDir, f)).mode & 0o777, 0o600, f);
  const admin = new X509Certificate(a.admin.certPem);
  assert.match(admin.subject, new RegExp(`O=${ADMIN_GROUP}`));
  assert.match(admin.subject, new RegExp(`CN=${ADMIN_USER}`));
  const serving = new X509Certificate(a.apiServing.certPem);
  assert.ok(serving.checkIP('127.0.0.1') !== undefined && serving.checkIP('::1') !== undefined && serving.checkHost('myhost') !== undefined);
  const ca = new X509Certificate(a.ca.certPem);
  for (const leaf of [a.apiServing, a.agentServing, a.scraperClient, a.admin]) assert.ok(new X509Certificate(leaf.certPem).verify(ca.publicKey));

  const b = ensureStatePki({ stateDir, ...names });
  assert.equal(b.ca.created, false);
  assert.equal(b.ca.certPem, a.ca.certPem);
  assert.deepEqual([b.apiServing.issued, b.agentServing.issued, b.scraperClient.issued, b.admin.issued], [false, false, false, false]);
  assert.equal(b.admin.certPem, a.admin.certPem);
});

test('a missing, foreign or name-mismatched leaf is issued again by the same CA', (t) => {
  const stateDir = tmp(t);
  const a = ensureStatePki({ stateDir, ...names });
  unlinkSync(join(stateDir, 'admin.crt'));
  const other = createCertificateAuthority({ commonName: 'other' });
  const foreign = issueCertificate(other, { commonName: 'kubemeter-up', usage: 'client' });
  writeFileSync(join(stateDir, 'scraper.crt'), foreign.certPem);
  writeFileSync(join(stateDir, 'scraper.key'), foreign.keyPem);
  const b = ensureStatePki({ stateDir, apiNames: [...names.apiNames, '10.1.2.3'], agentNames: names.agentNames });
  assert.equal(b.ca.certPem, a.ca.certPem);
  assert.equal(b.admin.issued, true);
  assert.equal(b.scraperClient.issued, true);
  assert.equal(b.apiServing.issued, true, 'a new bind address needs a new SAN');
  assert.equal(b.agentServing.issued, false);
  assert.ok(new X509Certificate(b.apiServing.certPem).checkIP('10.1.2.3') !== undefined);
});

test('leaves are renewed 30 days before they expire', (t) => {
  const stateDir = tmp(t);
  const a = ensureStatePki({ stateDir, ...names });
  const ca = loadCertificateAuthority(a.ca.certPem, a.ca.keyPem, 'ca');
  assert.equal(leafUsable(a.apiServing.certPem, ca, names.apiNames, Date.now()), true);
  assert.equal(leafUsable(a.apiServing.certPem, ca, names.apiNames, Date.now() + 340 * 86_400_000), false);
  assert.equal(leafUsable('not a certificate', ca, [], Date.now()), false);
});

test('a reloaded CA issues certificates that chain to the original', () => {
  const ca = createCertificateAuthority({ commonName: 'kubemeter-ca@1' });
  const again = loadCertificateAuthority(ca.certPem, ca.keyPem, 'ca.crt');
  assert.deepEqual(again.subjectDer, ca.subjectDer);
  assert.deepEqual(again.keyId, ca.keyId);
  assert.equal(again.commonName, 'kubemeter-ca@1');
  const leaf = new X509Certificate(issueCertificate(again, { commonName: 'x', usage: 'client' }).certPem);
  const root = new X509Certificate(ca.certPem);
  assert.ok(leaf.checkIssued(root) && leaf.verify(root.publicKey));
});

test('a broken CA is an error naming the file, never silently replaced', (t) => {
  const stateDir = tmp(t);
  ensureStatePki({ stateDir, ...names });
  writeFileSync(join(stateDir, 'ca.key'), 'garbage');
  assert.throws(() => ensureStatePki({ stateDir, ...names }), (e: unknown) => isKubemeterError(e) && /ca\.crt: CA key does not parse/.test(e.message));
  const other = createCertificateAuthority({ commonName: 'other' });
  writeFileSync(join(stateDir, 'ca.key'), other.keyPem);
  assert.throws(() => ensureStatePki({ stateDir, ...names }), /CA key does not match/);
  const leaf = issueCertificate(other, { commonName: 'leaf', usage: 'server' });
  assert.throws(() => loadCertificateAuthority(leaf.certPem, leaf.keyPem, 'x'), /not a CA certificate/);
});

test('agent certificates for other hosts carry their names and the CA', (t) => {
  const stateDir = tmp(t);
  const pki = ensureStatePki({ stateDir, ...names });
  const files = issueAgentCertificate(pki.ca, join(stateDir, 'agents', 'web-1'), 'web-1', ['10.0.0.11']);
  const cert = new X509Certificate(readFileSync(files.certFile));
  assert.ok(cert.checkHost('web-1') !== undefined && cert.checkIP('10.0.0.11') !== undefined);
  assert.equal(readFileSync(files.caFile, 'utf8'), pki.ca.certPem);
  assert.equal(statSync(files.keyFile).mode & 0o777, 0o600);
});

test('subjectNameDer: never anything but a KubemeterError on arbitrary bytes', () => {
  const ca = createCertificateAuthority({ commonName: 'fuzz' });
  const raw = new X509Certificate(ca.certPem).raw;
  fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat(raw.length - 1), fc.nat(255), (noise, at, byte) => {
    const mutated = Buffer.from(raw);
    mutated[at] = byte;
    for (const input of [noise, mutated]) {
      try {
        subjectNameDer(input, 'fuzz');
      } catch (e) {
        if (!isKubemeterError(e)) throw e;
      }
    }
  }), { numRuns: 500 });
});
