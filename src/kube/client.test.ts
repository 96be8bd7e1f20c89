import { test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, isKubemeterError } from '../lib/errors.ts';
import { startFakeApiserver, makeNode } from '../../test/support/fake-apiserver.ts';
import { createTestPki } from '../../test/support/pki.ts';
import { KubeClient, withQuery } from './client.ts';
import { KubeHttpError } from './http-error.ts';
import { loadKubeConfig } from './kubeconfig.ts';
import type { ClusterConnection } from './kubeconfig.ts';
import { staticCredentials } from './credentials.ts';

const asObject = (v: unknown): Record<string, unknown> => {
  if (typeof v !== 'object' || v === null) throw new Error('not an object');
  return v as Record<string, unknown>;
};

function tmp(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'kubemeter-client-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('getJSON reads a node through the kubeconfig written by the fake apiserver', async (t) => {
  const api = await startFakeApiserver();
  t.after(() => api.close());
  api.nodes.upsert(makeNode('n1'));
  const conn = await loadKubeConfig({ kubeconfig: api.writeKubeconfig(join(tmp(t), 'kc')) });
  const client = new KubeClient(conn);
  t.after(() => client.close());
  const node = await client.getJSON('/api/v1/nodes/n1', { decode: asObject });
  assert.equal((node['metadata'] as { name: string }).name, 'n1');
  assert.equal(api.requests.at(-1)?.headers.authorization, `Bearer ${api.adminToken}`);
  assert.equal(api.requests.at(-1)?.headers['user-agent'], 'kubemeter');
});

test('a 404 becomes a KubeHttpError with method, URL, status and the Status message', async (t) => {
  const api = await startFakeApiserver();
  t.after(() => api.close());
  const conn = await loadKubeConfig({ kubeconfig: api.writeKubeconfig(join(tmp(t), 'kc')) });
  const client = new KubeClient(conn);
  t.after(() => client.close());
  const err = await client.getJSON('/api/v1/nodes/missing', { decode: asObject }).catch((e: unknown) => e);
  assert.ok(err instanceof KubeHttpError);
  assert.equal(err.code, ErrorCode.HttpStatus);
  assert.equal(err.method, 'GET');
  assert.equal(err.url, `${api.url}/api/v1/nodes/missing`);
  assert.equal(err.statusCode, 404);
  assert.equal(err.reason, 'NotFound');
  assert.equal(err.status?.message, 'nodes "missing" not found');
  assert.match(err.message, /GET https:\/\/127\.0\.0\.1:\d+\/api\/v1\/nodes\/missing: 404 NotFound: nodes "missing" not found/);
});

test('client certificates authenticate; a wrong CA fails the TLS handshake with a Network error', async (t) => {
  const api = await startFakeApiserver();
  t.after(() => api.close());
  const dir = tmp(t);
  const cert = api.issueClientCertificate('system:kube-controller-manager');
  const conn = await loadKubeConfig({ kubeconfig: api.writeKubeconfig(join(dir, 'kc'), { clientCertificate: cert }) });
  const client = new KubeClient(conn);
  t.after(() => client.close());
  const list = await client.getJSON('/api/v1/nodes', { decode: asObject });
  assert.equal(list['kind'], 'NodeList');
  assert.equal(api.requests.at(-1)?.headers.authorization, undefined);

  const pki = createTestPki();
  t.after(() => pki.cleanup());
  const other = pki.ca('other');
  const bad = new KubeClient({ ...conn, ca: Buffer.from(other.certPem) });
  t.after(() => bad.close());
  const err = await bad.getJSON('/api/v1/nodes', { decode: asObject }).catch((e: unknown) => e);
  assert.ok(isKubemeterError(err, ErrorCode.Network), String(err));
});

test('a 401 invalidates the credentials so a rotated token is picked up', async (t) => {
  const api = await startFakeApiserver();
  t.after(() => api.close());
  let invalidated = 0;
  const conn: ClusterConnection = {
    server: api.url,
    ca: Buffer.from(api.ca.certPem),
    insecureSkipTlsVerify: false,
    disableCompression: false,
    namespace: 'default',
    context: 't',
    origin: 'test',
    credentials: { ...staticCredentials({ token: 'wrong' }, 'test'), invalidate: () => void invalidated++ },
  };
  const client = new KubeClient(conn);
  t.after(() => client.close());
  const err = await client.getJSON('/api/v1/nodes', { decode: asObject }).catch((e: unknown) => e);
  assert.ok(err instanceof KubeHttpError && err.statusCode === 401);
  assert.equal(invalidated, 1);
});

/** A raw HTTPS server for behaviours the fake apiserver does not have (slow, huge, gzip). */
async function rawServer(t: { after: (fn: () => Promise<void> | void) => void }, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<ClusterConnection> {
  const pki = createTestPki();
  t.after(() => pki.cleanup());
  const ca = pki.ca('raw-ca');
  const cert = pki.issue(ca, { commonName: 'raw', usage: 'server', ipAddresses: ['127.0.0.1'] });
  const server = https.createServer({ cert: cert.certPem, key: cert.keyPem }, handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => {
    server.closeAllConnections();
    server.close(() => r());
  }));
  return {
    server: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    ca: Buffer.from(ca.certPem),
    insecureSkipTlsVerify: false,
    disableCompression: false,
    namespace: 'default',
    context: 'raw',
    origin: 'test',
    credentials: staticCredentials({}, 'anonymous'),
  };
}

test('timeouts, size caps, abort and gzip', async (t) => {
  const conn = await rawServer(t, (req, res) => {
    if (req.url === '/slow') return; // never answers
    if (req.url === '/huge') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ pad: 'x'.repeat(10_000) }));
      return;
    }
    if (req.url === '/gzip') {
      assert.equal(req.headers['accept-encoding'], 'gzip');
      const body = gzipSync(JSON.stringify({ ok: true, pad: 'y'.repeat(5000) }));
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(body);
      return;
    }
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end('boom '.repeat(5000));
  });
  const client = new KubeClient(conn);
  t.after(() => client.close());

  const slow = await client.getJSON('/slow', { decode: asObject, timeoutMs: 200 }).catch((e: unknown) => e);
  assert.ok(isKubemeterError(slow, ErrorCode.Timeout), String(slow));

  const ctl = new AbortController();
  const pending = client.getJSON('/slow', { decode: asObject, signal: ctl.signal });
  ctl.abort();
  const aborted = await pending.catch((e: unknown) => e);
  assert.ok(isKubemeterError(aborted, ErrorCode.Aborted), String(aborted));

  const huge = await client.getJSON('/huge', { decode: asObject, maxBytes: 1000 }).catch((e: unknown) => e);
  assert.ok(isKubemeterError(huge, ErrorCode.TooLarge), String(huge));

  const gz = await client.getJSON('/gzip', { decode: asObject });
  assert.equal(gz['ok'], true);
  const bomb = await client.getJSON('/gzip', { decode: asObject, maxBytes: 1000 }).catch((e: unknown) => e);
  assert.ok(isKubemeterError(bomb, ErrorCode.TooLarge), 'the cap applies to decompressed bytes');

  const e500 = await client.getJSON('/other', { decode: asObject }).catch((e: unknown) => e);
  assert.ok(e500 instanceof KubeHttpError);
  assert.equal(e500.statusCode, 500);
  assert.ok(e500.body.length <= 4096, 'error bodies are capped');
  assert.equal(e500.status, undefined);
});

test('withQuery skips empty values and appends to an existing query', () => {
  assert.equal(withQuery('/api/v1/pods', { labelSelector: 'a=b', fieldSelector: undefined, limit: 500, watch: '' }), '/api/v1/pods?labelSelector=a%3Db&limit=500');
  assert.equal(withQuery('/x?a=1', { b: true }), '/x?a=1&b=true');
  assert.equal(withQuery('/x', {}), '/x');
});
