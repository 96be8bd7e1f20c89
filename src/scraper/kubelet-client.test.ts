import { test } from 'node:test';
import { randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { isKubemeterError } from '../lib/errors.ts';
import { createTestPki } from '../../test/support/pki.ts';
import { failureKind, KubeletClient } from './kubelet-client.ts';
import { pageDecoder, resourcePage } from '../../test/support/kubelet-page.ts';

const page = resourcePage;

const decoder = pageDecoder;

function listen(server: NetServer): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

test('without keep-alive: TLS sessions are resumed per kubelet; the request carries host, token and Connection: close; a chunked body is decoded', async (t) => {
  const pki = createTestPki();
  t.after(() => pki.cleanup());
  const ca = pki.ca('kubelet-ca');
  const serving = pki.issue(ca, { commonName: 'node', ipAddresses: ['127.0.0.1'], usage: 'server' });
  const reused: boolean[] = [];
  const heads: string[] = [];
  const server = createTlsServer({ cert: serving.certPem, key: serving.keyPem }, (s: TLSSocket) => {
    reused.push(s.isSessionReused());
    let head = '';
    s.on('data', (d: Buffer) => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      heads.push(head);
      // The page in two chunks, as a Go server writes a body larger than its buffer.
      const half = page.length >> 1;
      s.end(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n${half.toString(16)}\r\n${page.slice(0, half)}\r\n${(page.length - half).toString(16)}\r\n${page.slice(half)}\r\n0\r\n\r\n`);
    });
    s.on('error', () => undefined);
  });
  const port = await listen(server);
  t.after(() => server.close());
  const client = new KubeletClient({ caPem: ca.certPem, bearerToken: () => 'tok3n', maxIdleConnections: 0 });
  t.after(() => client.close());
  const get = async (): Promise<void> => {
    const scrape = await client.get(new URL(`https://127.0.0.1:${port}/metrics/resource?x=1`), { decoder: decoder(), timeoutMs: 5000 });
    assert.equal(scrape.containers[0]?.cpuUsageCoreNanoSeconds, 2_500_000_000n);
  };
  for (let i = 0; i < 3; i++) await get();
  assert.deepEqual(reused, [false, true, true]);
  // New ticket keys (a restarted kubelet): the kept session is refused once, the new one is kept.
  server.setTicketKeys(randomBytes(48));
  await get();
  await get();
  assert.deepEqual(reused, [false, true, true, false, true]);
  assert.equal(heads[0], `GET /metrics/resource?x=1 HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer tok3n\r\nConnection: close\r\n\r\n`);
});

test('a malformed response, a truncated body and a token that would break the header are failures with clear messages', async (t) => {
  let answer = '';
  const server = createNetServer((s) => {
    s.once('data', () => s.end(answer));
    s.on('error', () => undefined);
  });
  const port = await listen(server);
  t.after(() => server.close());
  const url = new URL(`http://127.0.0.1:${port}/metrics/resource`);
  const client = new KubeletClient();
  t.after(() => client.close());
  const failure = async (c: KubeletClient): Promise<[string, string]> => {
    try {
      await c.get(url, { decoder: decoder(), timeoutMs: 5000 });
    } catch (e) {
      assert.ok(isKubemeterError(e));
      return [failureKind(e), e.message];
    }
    return ['ok', ''];
  };
  answer = 'HTTP/1.1 OK 200\r\n\r\n';
  assert.deepEqual(await failure(client), ['network', `response from ${url.toString()}: malformed status line "HTTP/1.1 OK 200"`]);
  answer = `HTTP/1.1 200 OK\r\nContent-Length: ${page.length}\r\n\r\n${page.slice(0, 20)}`;
  assert.deepEqual(await failure(client), ['network', `response from ${url.toString()}: connection closed before the response body was complete`]);
  answer = `HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n`;
  const small = new KubeletClient({ maxBodyBytes: 1000 });
  t.after(() => small.close());
  assert.deepEqual(await failure(small), ['too-large', `response from ${url.toString()} exceeds 1000 bytes`]);
  answer = `HTTP/1.1 200 OK\r\n\r\n${page}`;
  assert.deepEqual(await failure(client), ['ok', '']);
  const injecting = new KubeletClient({ bearerToken: () => 'x\r\nX-Evil: 1' });
  t.after(() => injecting.close());
  const [kind, message] = await failure(injecting);
  assert.equal(kind, 'network');
  assert.match(message, /bearer token holds characters not allowed in an HTTP header/);
});
