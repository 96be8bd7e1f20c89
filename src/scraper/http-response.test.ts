import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ErrorCode, isKubemeterError } from '../lib/errors.ts';
import { HttpResponseReader } from './http-response.ts';

interface Read {
  status: number;
  reason: string;
  contentLength: number | undefined;
  body: string;
  done: boolean;
}

/** Feed `pieces` (then the close when `close`), collecting what the reader reports. */
function read(pieces: readonly (string | Buffer)[], close = true, maxHeadBytes = 4096): Read {
  const out: Read = { status: 0, reason: '', contentLength: undefined, body: '', done: false };
  const body: Buffer[] = [];
  const r = new HttpResponseReader({
    maxHeadBytes,
    source: 'https://10.0.0.1:10250/metrics/resource',
    onHead: (status, reason, contentLength) => Object.assign(out, { status, reason, contentLength }),
    onBody: (b) => body.push(Buffer.from(b)),
  });
  for (const p of pieces) if (!r.done) r.push(typeof p === 'string' ? Buffer.from(p, 'latin1') : p);
  if (close && !r.done) r.end();
  out.done = r.done;
  out.body = Buffer.concat(body).toString('latin1');
  return out;
}

/** Split `s` at the given cut points. */
function split(s: string, cuts: readonly number[]): string[] {
  const at = [...new Set(cuts.map((c) => c % (s.length + 1)))].sort((a, b) => a - b);
  const out: string[] = [];
  let from = 0;
  for (const c of at) {
    out.push(s.slice(from, c));
    from = c;
  }
  out.push(s.slice(from));
  return out;
}

function chunked(body: string, sizes: readonly number[], ext = ''): string {
  let out = '';
  let p = 0;
  for (const n of sizes) {
    if (p >= body.length) break;
    const piece = body.slice(p, p + Math.max(1, n));
    out += `${piece.length.toString(16)}${ext}\r\n${piece}\r\n`;
    p += piece.length;
  }
  if (p < body.length) out += `${(body.length - p).toString(16)}\r\n${body.slice(p)}\r\n`;
  return `${out}0\r\n`;
}

test('the three body framings, interim responses and bodiless statuses', () => {
  const cl = read(['HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello'], false);
  assert.deepEqual(cl, { status: 200, reason: 'OK', contentLength: 5, body: 'hello', done: true });
  const ch = read(['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 99\r\n\r\n3;name=v\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: 1\r\n\r\nignored']);
  assert.deepEqual(ch, { status: 200, reason: 'OK', contentLength: undefined, body: 'abcde', done: true });
  const closeDelimited = read(['HTTP/1.0 200 OK\r\n\r\nuntil ', 'the end']);
  assert.deepEqual(closeDelimited, { status: 200, reason: 'OK', contentLength: undefined, body: 'until the end', done: true });
  const interim = read(['HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\n\r\nno']);
  assert.equal(interim.status, 403);
  assert.equal(interim.body, 'no');
  assert.equal(read(['HTTP/1.1 204 No Content\r\n\r\n'], false).done, true);
  assert.equal(read(['HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'], false).done, true);
  // A status line without a reason phrase is valid.
  assert.equal(read(['HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n']).status, 200);
});

test('malformed or oversized responses fail with a message naming the source and what was wrong', () => {
  const cases: [string[], RegExp, string][] = [
    [['HTTP/2 200 OK\r\n\r\n'], /malformed status line "HTTP\/2 200 OK"/, ErrorCode.Network],
    [['HTTP/1.1 20 OK\r\n\r\n'], /malformed status line/, ErrorCode.Network],
    [['\r\n\r\n'], /malformed status line ""/, ErrorCode.Network],
    [['HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n'], /invalid header field name "Bad Name"/, ErrorCode.Network],
    [['HTTP/1.1 200 OK\r\nno colon\r\n\r\n'], /malformed header field line/, ErrorCode.Network],
    [['HTTP/1.1 200 OK\r\nX: a\x00b\r\n\r\n'], /control character in header field "X"/, ErrorCode.Network],
    [['HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n'], /conflicting Content-Length/, ErrorCode.Network],
    [['HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n'], /invalid Content-Length "-1"/, ErrorCode.Network],
    [['HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n'], /unsupported Transfer-Encoding/, ErrorCode.Network],
    [['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'], /malformed chunk-size line "zz\\r\\n"/, ErrorCode.Network],
    [['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX'], /chunk data is not followed by CRLF/, ErrorCode.Network],
    [['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n'], /chunk size too large/, ErrorCode.TooLarge],
    [['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab'], /connection closed before the response body was complete/, ErrorCode.Network],
    [['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'], /connection closed before the response body was complete/, ErrorCode.Network],
    [['HTTP/1.1 200 OK\r\nContent-'], /connection closed before the response head was complete/, ErrorCode.Network],
    [['HTTP/1.1 101 Switching Protocols\r\n\r\n'], /unexpected 101/, ErrorCode.Network],
    [[`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(5000)}\r\n\r\n`], /header section larger than 4096 bytes/, ErrorCode.TooLarge],
    [[`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;${'e'.repeat(5000)}\r\n`], /chunk-size line longer than 4096 bytes/, ErrorCode.TooLarge],
  ];
  for (const [pieces, message, code] of cases) {
    assert.throws(() => read(pieces), (e: unknown) => {
      assert.ok(isKubemeterError(e), String(e));
      assert.equal(e.code, code, e.message);
      assert.match(e.message, /^response from https:\/\/10\.0\.0\.1:10250\/metrics\/resource: /);
      assert.match(e.message, message);
      return true;
    }, JSON.stringify(pieces).slice(0, 80));
  }
});

test('property: any split of any framing gives the same body', () => {
  fc.assert(
    fc.property(
      fc.string({ unit: 'binary-ascii', maxLength: 300 }),
      fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 10 }),
      fc.array(fc.nat(), { maxLength: 12 }),
      fc.constantFrom('chunked', 'length', 'close'),
      fc.constantFrom('', ';a=b', ' ;x'),
      (body, sizes, cuts, framing, ext) => {
        const head = framing === 'chunked' ? 'Transfer-Encoding: chunked\r\n' : framing === 'length' ? `Content-Length: ${body.length}\r\n` : '';
        const payload = framing === 'chunked' ? `${chunked(body, sizes, ext)}\r\n` : body;
        const whole = `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n${head}\r\n${payload}`;
        const r = read(split(whole, cuts));
        assert.equal(r.status, 200);
        assert.equal(r.body, body);
        assert.equal(r.done, true);
      },
    ),
    { numRuns: 400 },
  );
});

test('property: arbitrary bytes end in a body, a KubemeterError or an incomplete response, never anything else', () => {
  const tail = fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.string({ unit: 'binary-ascii', maxLength: 200 }).map((s) => Buffer.from(s, 'latin1')));
  const prefix = fc.constantFrom('', 'HTTP/1.1 200 OK\r\n', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', 'HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n');
  fc.assert(
    fc.property(prefix, fc.array(tail, { maxLength: 4 }), fc.boolean(), (p, pieces, close) => {
      try {
        const r = read([p, ...pieces.map((b) => Buffer.from(b))], close, 256);
        if (close) assert.equal(r.done, true);
      } catch (e) {
        assert.ok(isKubemeterError(e), `not a KubemeterError: ${String(e)}`);
        assert.ok(e.code === ErrorCode.Network || e.code === ErrorCode.TooLarge);
      }
    }),
    { numRuns: 2000 },
  );
});

test('persistent: an HTTP/1.1 response framed by its length or chunks, without Connection: close and nothing after it', () => {
  const persistent = (text: string): boolean => {
    const r = new HttpResponseReader({ maxHeadBytes: 4096, source: 'test', onHead: () => undefined, onBody: () => undefined });
    r.push(Buffer.from(text, 'latin1'));
    assert.ok(r.done, text);
    return r.persistent;
  };
  assert.equal(persistent('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'), true);
  assert.equal(persistent('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n'), true);
  assert.equal(persistent('HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n'), true);
  assert.equal(persistent('HTTP/1.1 200 OK\r\nConnection: Keep-Alive, Close\r\nContent-Length: 2\r\n\r\nok'), false);
  assert.equal(persistent('HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok'), false);
  // Bytes after the response: the connection is not in a known state.
  assert.equal(persistent('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n'), false);
  // A body delimited by the close cannot be followed by anything.
  const r = new HttpResponseReader({ maxHeadBytes: 4096, source: 'test', onHead: () => undefined, onBody: () => undefined });
  r.push(Buffer.from('HTTP/1.1 200 OK\r\n\r\nok', 'latin1'));
  r.end();
  assert.equal(r.persistent, false);
});
