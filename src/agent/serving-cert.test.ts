import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../lib/clock.ts';
import { ErrorCode, isKubemeterError } from '../lib/errors.ts';
import { certificateNames, ensureKubeletServingCertificate } from './serving-cert.ts';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'kubemeter-agent-pki-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function chain(certFile: string): { leaf: X509Certificate; ca: X509Certificate } {
  const pems = readFileSync(certFile, 'utf8').split(/(?<=-----END CERTIFICATE-----\n)/).filter((p) => p.trim() !== '');
  assert.equal(pems.length, 2, 'serving certificate, then its CA');
  return { leaf: new X509Certificate(pems[0]!), ca: new X509Certificate(pems[1]!) };
}

test('names: DNS names lower-cased, IPs apart, wildcard addresses and duplicates dropped', () => {
  assert.deepEqual(certificateNames(['Node-1', 'node-1', 'host.example', '10.0.0.5', '::', '0.0.0.0', '', 'fd00::5', '10.0.0.5']), {
    dnsNames: ['node-1', 'host.example'],
    ipAddresses: ['10.0.0.5', 'fd00::5'],
  });
});

test('no files in --cert-dir: a self-signed kubelet.crt/kubelet.key naming the node, like the kubelet', async (t) => {
  const dir = join(tempDir(t), 'pki');
  const clock = new ManualClock(Date.UTC(2030, 0, 1));
  const files = await ensureKubeletServingCertificate({ certDir: dir, names: ['node-1', 'host-a', '10.0.0.5'], clock });
  assert.deepEqual(files, { certFile: join(dir, 'kubelet.crt'), keyFile: join(dir, 'kubelet.key'), generated: true });
  const { leaf, ca } = chain(files.certFile);
  assert.ok(leaf.verify(ca.publicKey), 'signed by the CA that follows it');
  assert.ok(ca.verify(ca.publicKey), 'the CA is self-signed');
  assert.equal(leaf.subject, `CN=node-1@${clock.nowMs() / 1000}`);
  assert.equal(ca.subject, `CN=node-1-ca@${clock.nowMs() / 1000}`);
  assert.equal(leaf.checkHost('node-1'), 'node-1');
  assert.equal(leaf.checkHost('host-a'), 'host-a');
  assert.equal(leaf.checkIP('10.0.0.5'), '10.0.0.5');
  assert.equal(leaf.checkIP('10.0.0.6'), undefined);
  assert.ok(leaf.checkPrivateKey(await import('node:crypto').then((c) => c.createPrivateKey(readFileSync(files.keyFile)))));
  // One year from an hour ago, as client-go's GenerateSelfSignedCertKey.
  assert.equal(leaf.validToDate.getTime() - leaf.validFromDate.getTime(), 365 * 86_400_000);
  assert.equal(statSync(files.keyFile).mode & 0o777, 0o600);
});

test('existing files are reused; replaced when they expire within a day or miss a current name; broken ones are refused', async (t) => {
  const dir = tempDir(t);
  const clock = new ManualClock(Date.UTC(2030, 0, 1));
  await ensureKubeletServingCertificate({ certDir: dir, names: ['node-1', '10.0.0.5'], clock });
  const first = readFileSync(join(dir, 'kubelet.crt'), 'utf8');

  clock.advance(100 * 86_400_000);
  assert.equal((await ensureKubeletServingCertificate({ certDir: dir, names: ['node-1', '10.0.0.5'], clock })).generated, false);
  assert.equal(readFileSync(join(dir, 'kubelet.crt'), 'utf8'), first);

  const moved = await ensureKubeletServingCertificate({ certDir: dir, names: ['node-1', '10.0.0.9'], clock });
  assert.equal(moved.generated, true, 'a new node IP');
  const second = readFileSync(join(dir, 'kubelet.crt'), 'utf8');
  assert.equal(chain(moved.certFile).leaf.checkIP('10.0.0.9'), '10.0.0.9');

  clock.advance(364 * 86_400_000);
  assert.equal((await ensureKubeletServingCertificate({ certDir: dir, names: ['node-1', '10.0.0.9'], clock })).generated, true, 'expiring');
  assert.notEqual(readFileSync(join(dir, 'kubelet.crt'), 'utf8'), second);

  writeFileSync(join(dir, 'kubelet.key'), 'not a key');
  await assert.rejects(ensureKubeletServingCertificate({ certDir: dir, names: ['node-1'], clock }), (e: unknown) => isKubemeterError(e, ErrorCode.InvalidFile) && /kubelet\.key/.test(e.message));
  assert.equal(readFileSync(join(dir, 'kubelet.key'), 'utf8'), 'not a key', 'not overwritten');
});

test('an unwritable --cert-dir is an error naming it', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'file'), '');
  await assert.rejects(
    ensureKubeletServingCertificate({ certDir: join(dir, 'file', 'pki'), names: ['node-1'] }),
    (e: unknown) => isKubemeterError(e, ErrorCode.InvalidFile) && e.message.includes(`--cert-dir ${join(dir, 'file', 'pki')}`),
  );
});
