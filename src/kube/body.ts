/**
 * Reading an HTTP response body with a size cap, transparently gunzipping when the server
 * compressed it (kube-apiserver gzips large responses when asked). The cap applies to the
 * decompressed bytes, so a small compressed bomb cannot exhaust memory.
 */
import type { IncomingMessage } from 'node:http';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { ErrorCode, KubemeterError } from '../lib/errors.ts';

/** The response body as a stream of decompressed bytes. */
export function decodedStream(res: IncomingMessage): Readable {
  const enc = (res.headers['content-encoding'] ?? '').toLowerCase();
  if (enc === 'gzip') {
    const gunzip = createGunzip();
    res.on('error', (e) => gunzip.destroy(e));
    return res.pipe(gunzip);
  }
  return res;
}

/** Read the whole (decompressed) body; throws TooLarge past `maxBytes`. */
export async function readBody(res: IncomingMessage, maxBytes: number, source: string): Promise<Buffer> {
  const stream = decodedStream(res);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) {
      stream.destroy();
      res.destroy();
      throw new KubemeterError(ErrorCode.TooLarge, `response from ${source} exceeds ${maxBytes} bytes`, { source });
    }
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
}

/** Read at most `maxBytes` of the body for an error message, dropping the rest. Never throws. */
export async function readBodyPrefix(res: IncomingMessage, maxBytes: number): Promise<string> {
  try {
    const stream = decodedStream(res);
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (total < maxBytes) chunks.push(chunk);
      total += chunk.length;
      if (total > 16 * maxBytes) {
        stream.destroy();
        res.destroy();
        break;
      }
    }
    return Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8');
  } catch {
    return '';
  }
}
