import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { isKubemeterError } from '../lib/errors.ts';
import { startTlsTestServer } from '../../test/support/tls-test-server.ts';
import { KubeletClient } from './kubelet-client.ts';
import { pageDecoder, resourcePage } from '../../test/support/kubelet-page.ts';

const page = resourcePage;
const answer = `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${page.length}\r\n\r\n${page}`;

const decoder = pageDecoder;

function listen(server: NetServer): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

/**
 * A kubelet that keeps connections open and answers each request by `respond(socket, n)`, n
 * counting the requests on that connection from 1; records every connection and request head.
 */
async function kubelet(t: { after: (fn: () => void) => void }, respond: (s: Socket, n: number) => void): Promise<{ port: number; connections: Socket[]; heads: string[] }> {
  const connections: Socket[] = [];
  const heads: string[] = [];
  const server = createNetServer((s) => {
    connections.push(s);
    let head = '';
    let n = 0;
    s.on('data', (d: Buffer) => {
      head += d.toString('latin1');
      while (head.includes('\r\n\r\n')) {
        const end = head.indexOf('\r\n\r\n') + 4;
        heads.push(head.slice(0, end));
        head = head.slice(end);
        respond(s, ++n);
      }
    });
    s.on('error', () => undefined);
  });
  const port = await listen(server);
  t.after(() => {
    for (const c of connections) c.destroy();
    server.close();
  });
  return { port, connections, heads };
}

async function scrape(client: KubeletClient, port: number): Promise<void> {
  const s = await client.get(new URL(`http://127.0.0.1:${port}/metrics/resource`), { decoder: decoder(), timeoutMs: 5000 });
  assert.equal(s.containers[0]?.cpuUsageCoreNanoSeconds, 2_500_000_000n);
}

test('keep-alive: one connection carries every scrape of a kubelet; the request asks for no close', async (t) => {
  const k = await kubelet(t, (s) => s.write(answer));
  const client = new KubeletClient();
  t.after(() => client.close());
  for (let i = 0; i < 3; i++) await scrape(client, k.port);
  assert.equal(k.connections.length, 1);
  assert.equal(client.idleConnections, 1);
  assert.deepEqual(k.heads, Array(3).fill(`GET /metrics/resource HTTP/1.1\r\nHost: 127.0.0.1:${k.port}\r\n\r\n`));
});

test('keep-alive: a response with Connection: close, or a kubelet closing an idle connection, leads to a new connection', async (t) => {
  const k = await kubelet(t, (s, n) => {
    if (n === 1) s.write(answer.replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n'));
    else s.end(answer); // answers, then closes while idle
  });
  const client = new KubeletClient();
  t.after(() => client.close());
  await scrape(client, k.port);
  assert.equal(client.idleConnections, 0);
  await scrape(client, k.port);
  // The close is seen while idle: the connection leaves the pool before the next scrape.
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(client.idleConnections, 0);
  await scrape(client, k.port);
  assert.equal(k.connections.length, 3);
});

test('keep-alive: a kept connection that fails before any byte of the answer is retried once on a new one', async (t) => {
  // The kubelet drops every second request on a connection unanswered (its idle close racing ours).
  const k = await kubelet(t, (s, n) => (n === 1 ? s.write(answer) : s.destroy()));
  const client = new KubeletClient();
  t.after(() => client.close());
  await scrape(client, k.port);
  await scrape(client, k.port);
  assert.equal(k.connections.length, 2);
  assert.equal(k.heads.length, 3);
  // A new connection that fails is not retried: the failure is the scrape's.
  const dropAll = await kubelet(t, (s) => s.destroy());
  await assert.rejects(scrape(client, dropAll.port), (e) => isKubemeterError(e) && /connection closed|ECONNRESET|socket hang up/.test(e.message));
  assert.equal(dropAll.connections.length, 1);
});

test('keep-alive: a full pool closes new connections instead of evicting kept ones; 0 disables keep-alive', async (t) => {
  const a = await kubelet(t, (s) => s.write(answer));
  const b = await kubelet(t, (s) => s.write(answer));
  const client = new KubeletClient({ maxIdleConnections: 1 });
  t.after(() => client.close());
  for (let i = 0; i < 2; i++) {
    await scrape(client, a.port);
    await scrape(client, b.port);
  }
  assert.equal(a.connections.length, 1);
  assert.equal(b.connections.length, 2);
  // A kept connection in use keeps its place: a new connection finishing meanwhile is closed.
  let release: () => void = () => undefined;
  const slow = await kubelet(t, (s, n) => {
    if (n === 2) release = () => s.write(answer);
    else s.write(answer);
  });
  const one = new KubeletClient({ maxIdleConnections: 1 });
  t.after(() => one.close());
  await scrape(one, slow.port);
  const pending = scrape(one, slow.port);
  await scrape(one, b.port);
  while (slow.heads.length < 2) await new Promise((r) => setTimeout(r, 5));
  release();
  await pending;
  await scrape(one, slow.port);
  assert.equal(slow.connections.length, 1);
  const none = new KubeletClient({ maxIdleConnections: 0 });
  t.after(() => none.close());
  await scrape(none, a.port);
  assert.equal(none.idleConnections, 0);
  assert.match(a.heads.at(-1) ?? '', /Connection: close\r\n/);
});

test('keep-alive over TLS: the second scrape needs no handshake at all', async (t) => {
  const { port, caPem, sockets } = await startTlsTestServer(t, (s) => s.on('data', () => s.write(answer)));
  const client = new KubeletClient({ caPem });
  t.after(() => client.close());
  for (let i = 0; i < 3; i++) {
    const s = await client.get(new URL(`https://127.0.0.1:${port}/metrics/resource`), { decoder: decoder(), timeoutMs: 5000 });
    assert.equal(s.containers.length, 1);
  }
  assert.equal(sockets.length, 1, 'one connection, one handshake');
});

test('keep-alive: a connection idle past the idle timeout is not reused', async (t) => {
  const k = await kubelet(t, (s) => s.write(answer));
  const client = new KubeletClient({ idleTimeoutMs: 0 });
  t.after(() => client.close());
  await scrape(client, k.port);
  assert.equal(client.idleConnections, 1);
  await new Promise((r) => setTimeout(r, 5));
  await scrape(client, k.port);
  // Idle past the timeout: not reused.
  assert.equal(k.connections.length, 2);
});

test('keep-alive over TLS: a kubelet closing an idle connection takes it out of the pool; the next scrape opens a new one', async (t) => {
  // Answers, then closes the connection while it is idle (a kubelet's idle timeout).
  const { port, caPem, sockets } = await startTlsTestServer(t, (s) => s.on('data', () => s.end(answer)));
  const client = new KubeletClient({ caPem });
  t.after(() => client.close());
  const url = new URL(`https://127.0.0.1:${port}/metrics/resource`);
  for (let i = 1; i <= 2; i++) {
    const s = await client.get(url, { decoder: decoder(), timeoutMs: 5000 });
    assert.equal(s.containers.length, 1);
    // The close reaches the pool within a few event-loop turns (bounded, so a missed close fails).
    for (let turn = 0; turn < 400 && client.idleConnections > 0; turn++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(client.idleConnections, 0);
    assert.equal(sockets.length, i);
  }
});
