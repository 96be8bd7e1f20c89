import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:https';
import { connect } from 'node:http2';
import type { IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { defaultSecureFlags } from '../auth/flags.ts';
import { silentLogger } from '../lib/log.ts';
import { piecewiseJsonResponse } from '../apiserver/http.ts';
import { createTestPki } from '../../test/support/pki.ts';
import { serveApi, type Serving } from './serve.ts';

const pieceChars = 65536;
const pieceCount = 1024; // 64 MiB: more than a loopback socket's buffers hold

/** A piece numbered `i`: its number, then filler, so that order and completeness show. */
function piece(i: number): string {
  const head = `${i};`;
  return head + 'x'.repeat(pieceChars - head.length);
}

async function start(t: TestContext): Promise<{ serving: Serving; pulled: () => number; ca: string; admin: { certPem: string; keyPem: string } }> {
  const dir = mkdtempSync(join(tmpdir(), 'kubemeter-serve-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pki = createTestPki();
  t.after(() => pki.cleanup());
  const clientCa = pki.ca('client-ca');
  const admin = pki.issue(clientCa, { commonName: 'admin', organizations: ['system:masters'], usage: 'client' });
  let pulled = 0;
  const serving = await serveApi({
    flags: { ...defaultSecureFlags('apiserver'), bindAddress: '127.0.0.1', securePort: 0, certDir: join(dir, 'certs'), clientCaFile: clientCa.certPath, authenticationSkipLookup: true },
    handler: () => {
      const r = piecewiseJsonResponse(200, function* () {
        for (let i = 0; i < pieceCount; i++) {
          pulled++;
          yield piece(i);
        }
      });
      r.piecesAscii = true;
      return r;
    },
    authenticationConnection: null,
    authorizationConnection: null,
    logger: silentLogger,
  });
  t.after(() => serving.close());
  const generated = readFileSync(join(dir, 'certs', 'apiserver.crt'), 'utf8');
  return { serving, pulled: () => pulled, ca: generated.slice(generated.indexOf('-----END CERTIFICATE-----') + 26), admin };
}

function check(body: Buffer): void {
  assert.equal(body.length, pieceChars * pieceCount);
  for (let i = 0; i < pieceCount; i += 97) assert.equal(body.subarray(i * pieceChars, i * pieceChars + 8).toString('latin1').split(';')[0], String(i));
}

test('a large body over HTTP/1.1: a reader that stops holds a bounded part of it in the server, and reading on gets all of it in order', async (t) => {
  const { serving, pulled, ca, admin } = await start(t);
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    request(`${serving.url}/apis/metrics.k8s.io/v1beta1/pods`, { ca, agent: false, cert: admin.certPem, key: admin.keyPem }, resolve).on('error', reject).end();
  });
  assert.equal(res.statusCode, 200);
  res.pause();
  // Whatever the machine's speed, a server that ignored the full socket would have made every
  // piece by now; one that waits for it holds the socket buffers' worth plus 512 KiB.
  await sleep(500);
  assert.ok(pulled() < pieceCount / 2, `${pulled()} of ${pieceCount} pieces made for a reader that reads nothing`);
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.resume();
  await new Promise((resolve) => res.on('end', resolve));
  check(Buffer.concat(chunks));
});

test('a large body over HTTP/2 arrives whole and in order', async (t) => {
  const { serving, ca, admin } = await start(t);
  const session = connect(serving.url, { ca, cert: admin.certPem, key: admin.keyPem });
  t.after(() => session.close());
  const stream = session.request({ ':path': '/apis/metrics.k8s.io/v1beta1/pods' });
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  await new Promise((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  check(Buffer.concat(chunks));
});
