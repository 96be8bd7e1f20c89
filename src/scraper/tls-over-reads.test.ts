import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { startTlsTestServer } from '../../test/support/tls-test-server.ts';
import { connectTlsOverReads } from './tls-over-reads.ts';

function listen(server: ReturnType<typeof createNetServer>): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

/** Everything a client socket receives until 'end', and whether it closed. */
function collect(s: TLSSocket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  s.on('data', (c: Buffer) => chunks.push(c));
  return new Promise((resolve, reject) => {
    s.on('end', () => resolve(Buffer.concat(chunks)));
    s.on('error', reject);
  });
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

test('tls over bounded reads: concurrent connections sharing the read buffer each receive their own bytes intact', async (t) => {
  // Each connection gets its own 300 KB of random bytes, in records of every size, while others read.
  const payloads = new Map<number, Buffer>();
  let n = 0;
  const srv = await startTlsTestServer(t, (s) => {
    const payload = randomBytes(300_000);
    payloads.set(n++, payload);
    s.once('data', () => {
      for (let off = 0, step = 1; off < payload.length; off += step, step = (step * 7 + 13) % 40_000 + 1) s.write(payload.subarray(off, off + step));
      s.end();
    });
  });
  // Reads of 1 KiB and of 16 KiB, handed to TLS whole or in pieces (the default pieces, and
  // pieces of 1,000 bytes that split every read at an odd place).
  const shapes = [{ maxReadBytes: 1024 }, { maxReadBytes: 16 * 1024 }, { maxReadBytes: 16 * 1024, maxPieceBytes: 1000 }, { maxReadBytes: 16 * 1024, maxPieceBytes: 16 * 1024 }];
  const clients = shapes.map((shape) => {
    const c = connectTlsOverReads({ host: '127.0.0.1', port: srv.port, ca: srv.caPem, ...shape });
    t.after(() => c.destroy());
    c.write('go');
    return c;
  });
  // Connections are accepted in order of their handshakes, not necessarily of their creation: the
  // received bytes are matched against the set of payloads sent.
  const received = await Promise.all(clients.map(collect));
  assert.deepEqual(received.map(sha).sort(), [...payloads.values()].map(sha).sort());
});

test('tls over bounded reads: the certificate is still verified (CA and host name)', async (t) => {
  const srv = await startTlsTestServer(t, (s) => s.end('hello'));
  const wrongCa = connectTlsOverReads({ host: '127.0.0.1', port: srv.port, ca: srv.otherCaPem });
  t.after(() => wrongCa.destroy());
  const [e1] = (await once(wrongCa, 'error')) as [NodeJS.ErrnoException];
  assert.match(e1.code ?? '', /UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT/);
  // The right CA, but a name the certificate does not hold.
  const wrongName = connectTlsOverReads({ host: '127.0.0.1', port: srv.port, ca: srv.caPem, servername: 'other.example', checkServerIdentity: (host, cert) => (cert.subjectaltname?.includes(`DNS:${host}`) === true ? undefined : new Error(`${host} is not in the certificate`)) });
  t.after(() => wrongName.destroy());
  // checkServerIdentity is called with the servername; its refusal fails the connection.
  const [e2] = (await once(wrongName, 'error')) as [Error];
  assert.match(e2.message, /other\.example is not in the certificate/);
  const ok = connectTlsOverReads({ host: '127.0.0.1', port: srv.port, ca: srv.caPem });
  t.after(() => ok.destroy());
  assert.equal((await collect(ok)).toString(), 'hello');
  assert.equal(ok.authorized, true);
});

test('tls over bounded reads: a refused connection fails with the TCP error; destroy() closes the TCP connection', async (t) => {
  // A port that was just free: nothing listens there.
  const probe = createNetServer();
  const freePort = await listen(probe);
  await new Promise((r) => probe.close(r));
  const refused = connectTlsOverReads({ host: '127.0.0.1', port: freePort, rejectUnauthorized: false });
  const [e] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
  assert.equal(e.code, 'ECONNREFUSED');

  const srv = await startTlsTestServer(t, (s) => s.on('data', () => s.write('pong')));
  const c = connectTlsOverReads({ host: '127.0.0.1', port: srv.port, ca: srv.caPem });
  await once(c, 'secureConnect');
  c.write('ping');
  await once(c, 'data');
  const serverSide = srv.sockets[0]!;
  const closed = Promise.all([once(serverSide, 'close'), once(c, 'close')]);
  c.destroy();
  await closed;
});

test('tls over bounded reads: sessions are issued and resumed as with tls.connect', async (t) => {
  const srv = await startTlsTestServer(t, (s) => s.end('x'));
  const first = connectTlsOverReads({ host: '127.0.0.1', port: srv.port, ca: srv.caPem });
  const session = new Promise<Buffer>((resolve) => first.once('session', resolve));
  await collect(first);
  const second = connectTlsOverReads({ host: '127.0.0.1', port: srv.port, ca: srv.caPem, session: await session });
  await collect(second);
  assert.equal(second.isSessionReused(), true);
});
