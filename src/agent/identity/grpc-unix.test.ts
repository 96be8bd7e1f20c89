/**
 * The gRPC client against a plain HTTP/2 server on a unix socket that answers what a real gRPC
 * server would not: GOAWAYs at chosen moments, trailers-only and malformed answers, garbage.
 * (cri.test.ts runs the client against a real gRPC server.)
 */
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import type { IncomingHttpHeaders, ServerHttp2Session, ServerHttp2Stream } from 'node:http2';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { ErrorCode, isKubemeterError } from '../../lib/errors.ts';
import { frameGrpcMessage } from './grpc-frame.ts';
import { GrpcError, GrpcUnixClient, grpcTimeoutHeader } from './grpc-unix.ts';

type Handler = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, session: number) => void;

/** A plain h2c server on a fresh unix socket; `sessions` counts the connections it accepted. */
async function rawServer(t: TestContext, handler: Handler, onSession?: (s: ServerHttp2Session, n: number) => void): Promise<{ socket: string; sessions: () => number; last: () => ServerHttp2Session | undefined }> {
  const dir = mkdtempSync(join(tmpdir(), 'kubemeter-grpc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const socket = join(dir, 'grpc.sock');
  const server = http2.createServer();
  let count = 0;
  let last: ServerHttp2Session | undefined;
  const open = new Set<ServerHttp2Session>();
  server.on('session', (s) => {
    count++;
    last = s;
    open.add(s);
    s.on('close', () => open.delete(s));
    s.on('error', () => undefined);
    onSession?.(s, count);
  });
  server.on('stream', (stream, headers) => {
    stream.on('error', () => undefined);
    handler(stream, headers, count);
  });
  await new Promise<void>((r) => server.listen(socket, r));
  t.after(() => {
    for (const s of open) s.destroy();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return { socket, sessions: () => count, last: () => last };
}

const ok = { ':status': 200, 'content-type': 'application/grpc' };

/** Answer `message` with grpc-status 0 in trailers, as a gRPC server does. */
function reply(stream: ServerHttp2Stream, message: Uint8Array): void {
  stream.respond(ok, { waitForTrailers: true });
  stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
  stream.end(frameGrpcMessage(message));
}

function client(t: TestContext, socket: string, o: { maxReceiveMessageBytes?: number } = {}): GrpcUnixClient {
  const c = new GrpcUnixClient({ socketPath: socket, endpoint: `unix://${socket}`, ...o });
  t.after(() => c.close());
  return c;
}

const call = (c: GrpcUnixClient, timeoutMs = 5000): Promise<Buffer> => c.unary('/runtime.v1.RuntimeService/ListContainers', Uint8Array.of(0x0a, 0x00), 'CRI ListContainers', { timeoutMs });

test('the request is a gRPC POST: path, content-type, te, grpc-timeout, framed body', async (t) => {
  let seen: { headers: IncomingHttpHeaders; body: Buffer } | undefined;
  const { socket } = await rawServer(t, (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      seen = { headers, body: Buffer.concat(chunks) };
      reply(stream, Uint8Array.of(8, 1));
    });
  });
  assert.deepEqual([...(await call(client(t, socket), 4000))], [8, 1]);
  assert.equal(seen?.headers[':method'], 'POST');
  assert.equal(seen?.headers[':path'], '/runtime.v1.RuntimeService/ListContainers');
  assert.equal(seen?.headers['content-type'], 'application/grpc');
  assert.equal(seen?.headers.te, 'trailers');
  assert.match(String(seen?.headers['grpc-timeout']), /^\d{1,8}m$/);
  assert.deepEqual([...seen!.body], [0, 0, 0, 0, 2, 0x0a, 0x00]);
  assert.equal(grpcTimeoutHeader(5000), '5000m');
  assert.equal(grpcTimeoutHeader(200_000_000), '200000S');
});

test('GOAWAY: a stream refused by it is retried once on a new connection; later calls reuse that one', async (t) => {
  const { socket, sessions } = await rawServer(t, (stream, _headers, session) => reply(stream, Uint8Array.of(session)), (session, n) => {
    // The first connection goes away at once, refusing every stream (last stream id 0).
    if (n === 1) session.goaway(http2.constants.NGHTTP2_NO_ERROR, 0);
  });
  const c = client(t, socket);
  assert.deepEqual([...(await call(c))], [2]);
  assert.equal(sessions(), 2);
  assert.deepEqual([...(await call(c))], [2], 'the second connection is reused');
  assert.equal(sessions(), 2);
});

test('GOAWAY after an answer (graceful shutdown): the next call uses a new connection', async (t) => {
  const { socket, sessions } = await rawServer(t, (stream, _headers, n) => {
    const session = stream.session;
    reply(stream, Uint8Array.of(n));
    if (n === 1) stream.on('close', () => session?.goaway(http2.constants.NGHTTP2_NO_ERROR, 1));
  });
  const c = client(t, socket);
  assert.deepEqual([...(await call(c))], [1]);
  // Until the GOAWAY arrives the first connection may still be chosen (and answer); then a new one is made.
  for (let i = 0; i < 50 && sessions() < 2; i++) await call(c);
  assert.equal(sessions(), 2);
  assert.deepEqual([...(await call(c))], [2]);
});

test('answers a gRPC server should not give: each a GrpcError with the status gRPC clients use', async (t) => {
  const answers: Record<string, (s: ServerHttp2Stream) => void> = {
    trailersOnly: (s) => s.respond({ ...ok, 'grpc-status': '5', 'grpc-message': 'no%20such%20pod%20%E2%9C%93' }, { endStream: true }),
    http404: (s) => s.respond({ ':status': 404, 'content-type': 'text/plain' }, { endStream: true }),
    http503: (s) => s.respond({ ':status': 503 }, { endStream: true }),
    html: (s) => s.respond({ ':status': 200, 'content-type': 'text/html' }, { endStream: true }),
    noTrailers: (s) => {
      s.respond(ok);
      s.end(frameGrpcMessage(Uint8Array.of(1)));
    },
    noMessage: (s) => s.respond({ ...ok, 'grpc-status': '0' }, { endStream: true }),
    badStatus: (s) => s.respond({ ...ok, 'grpc-status': 'x', 'grpc-message': '%zz' }, { endStream: true }),
    unknownStatus: (s) => s.respond({ ...ok, 'grpc-status': '42' }, { endStream: true }),
    compressed: (s) => {
      s.respond(ok, { waitForTrailers: true });
      s.on('wantTrailers', () => s.sendTrailers({ 'grpc-status': '0' }));
      s.end(Buffer.from([1, 0, 0, 0, 1, 7]));
    },
    cut: (s) => {
      s.respond(ok, { waitForTrailers: true });
      s.on('wantTrailers', () => s.sendTrailers({ 'grpc-status': '0' }));
      s.end(Buffer.from([0, 0, 0, 0, 9, 7]));
    },
    // The runtime dying in the middle of an answer.
    dropped: (s) => {
      s.respond(ok);
      s.write(Buffer.from([0, 0, 0]), () => s.session?.socket.destroy());
    },
  };
  let which = '';
  const { socket } = await rawServer(t, (stream) => answers[which]!(stream));
  const c = client(t, socket);
  const expect: [string, ErrorCode, string, RegExp][] = [
    ['trailersOnly', ErrorCode.RpcStatus, 'NOT_FOUND', /: NOT_FOUND: no such pod ✓$/],
    ['http404', ErrorCode.RpcStatus, 'UNIMPLEMENTED', /unexpected HTTP status 404/],
    ['http503', ErrorCode.RpcStatus, 'UNAVAILABLE', /unexpected HTTP status 503/],
    ['html', ErrorCode.InvalidDocument, 'INTERNAL', /unexpected content-type "text\/html"/],
    ['noTrailers', ErrorCode.InvalidDocument, 'INTERNAL', /without sending trailers/],
    ['noMessage', ErrorCode.InvalidDocument, 'INTERNAL', /status OK without a response message/],
    ['badStatus', ErrorCode.RpcStatus, 'UNKNOWN', /invalid grpc-status "x"/],
    ['unknownStatus', ErrorCode.RpcStatus, 'UNKNOWN', /status 42/],
    ['compressed', ErrorCode.InvalidDocument, 'INTERNAL', /compression, none was negotiated/],
    ['cut', ErrorCode.InvalidDocument, 'INTERNAL', /response ended inside a message \(1 of 9 bytes\)/],
    ['dropped', ErrorCode.Network, 'UNAVAILABLE', /stream reset \(HTTP\/2 error code 8\)|closed/],
  ];
  for (const [name, code, status, message] of expect) {
    which = name;
    await assert.rejects(call(c), (e: unknown) => e instanceof GrpcError && e.code === code && e.status === status && message.test(e.message) && e.message.startsWith(`CRI ListContainers on unix://${socket}: ${status}: `), name);
  }
  // The client goes on after all of them.
  which = 'trailersOnly';
  await assert.rejects(call(c), /NOT_FOUND/);
});

test('a server that accepts the connection but never answers: the call deadline still holds', async (t) => {
  const { socket } = await rawServer(t, () => undefined);
  await assert.rejects(call(client(t, socket), 200), (e: unknown) => isKubemeterError(e, ErrorCode.Timeout) && /DEADLINE_EXCEEDED: no answer within the 200 ms deadline/.test(e.message));
});

test('fuzz: arbitrary bytes as the response body over a real stream: an answer or a KubemeterError', async (t) => {
  let body = Buffer.alloc(0);
  const { socket } = await rawServer(t, (stream) => {
    stream.respond(ok, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    stream.end(body);
  });
  const c = client(t, socket, { maxReceiveMessageBytes: 64 });
  await fc.assert(fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 80 }), fc.uint8Array({ maxLength: 70 }).map((m) => Uint8Array.from(frameGrpcMessage(m)))), async (bytes) => {
    body = Buffer.from(bytes);
    try {
      const r = await call(c);
      assert.ok(r.length <= 64);
    } catch (e) {
      if (!(e instanceof GrpcError) || ![ErrorCode.InvalidDocument, ErrorCode.TooLarge].includes(e.code as 'KM_INVALID_DOCUMENT')) throw e;
    }
  }), { numRuns: 60 });
});
