/**
 * An incremental reader of one HTTP/1.1 response (RFC 9112) as a kubelet sends it: status line, header fields, then a body framed by
 * `Transfer-Encoding: chunked`, `Content-Length` or the end of the connection. Bytes in, body
 * bytes out, and whether the connection may carry the next request; no I/O, so it is fuzzed on its own.
 *
 * Written by hand instead of using node:http's client because the client's per-request machinery
 * (ClientRequest, Agent, IncomingMessage and its stream, the abort-signal wiring) cost about a
 * fifth of the scraper's CPU per kubelet request in the 5,000-node profile; a kubelet answer
 * needs none of it. The reader is strict where laxness would hide a broken or hostile peer
 * (bounded head, bounded chunk-size lines, exact CRLFs, conflicting lengths refused) and ignores
 * what a one-shot GET does not need (header values other than the framing ones, trailers).
 */
import { ErrorCode, KubemeterError } from '../lib/errors.ts';

/** What the reader needs. */
export interface HttpResponseReaderOptions {
  /** Largest status line plus header section (and trailer section), bytes. */
  maxHeadBytes: number;
  /** Where the response comes from (the URL), for error messages. */
  source: string;
  /** Receives the status once the head is complete; may throw to stop reading. */
  onHead: (status: number, reason: string, contentLength: number | undefined) => void;
  /** Receives body bytes as they arrive (views into the pushed chunks: copy to keep). */
  onBody: (bytes: Buffer) => void;
}

type State = 'head' | 'chunk-size' | 'chunk-data' | 'chunk-crlf' | 'trailers' | 'length' | 'until-close' | 'done';

const CR = 0x0d;
const LF = 0x0a;
/** Longest chunk-size line (size, extensions, CRLF) accepted. */
const maxChunkLineBytes = 4096;
/** RFC 9110 token characters, for header field names. */
const TOKEN = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TOKEN[c.charCodeAt(0)] = 1;

/** Does a field value hold a control character other than HTAB (CR and LF included)? */
function hasControl(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return true;
  }
  return false;
}

/** One HTTP/1.1 response, read incrementally. */
export class HttpResponseReader {
  private readonly o: HttpResponseReaderOptions;
  private state: State = 'head';
  /** Bytes of an unfinished head, chunk-size line or trailer section. */
  private held: Buffer[] = [];
  private heldBytes = 0;
  /** Body bytes left in the current chunk or Content-Length body. */
  private left = 0;
  /** Response status (0 until the head is read). */
  status = 0;
  /**
   * The connection may carry another request once this response is done: HTTP/1.1, no
   * `Connection: close`, a body framed by its length or chunks (not by the close), and no byte
   * after the response (a server has no reason to send one before the next request).
   */
  persistent = false;

  constructor(options: HttpResponseReaderOptions) {
    this.o = options;
  }

  /** The whole response has been read (later bytes are ignored). */
  get done(): boolean {
    return this.state === 'done';
  }

  /** Feed the next bytes from the connection. Throws KubemeterError (Network for a malformed response, as node:http reported them, or TooLarge) on a bad response. */
  push(chunk: Buffer): void {
    let p = 0;
    while (p < chunk.length && this.state !== 'done') {
      switch (this.state) {
        case 'head':
        case 'trailers':
        case 'chunk-size':
          p = this.takeLine(chunk, p);
          break;
        case 'chunk-data':
        case 'length': {
          const n = Math.min(this.left, chunk.length - p);
          this.o.onBody(chunk.subarray(p, p + n));
          p += n;
          this.left -= n;
          if (this.left === 0) this.state = this.state === 'length' ? 'done' : 'chunk-crlf';
          break;
        }
        case 'chunk-crlf':
          // The CRLF after a chunk's data, possibly split between pushes.
          if (this.heldBytes === 0) {
            if (chunk[p] !== CR) throw this.error('chunk data is not followed by CRLF');
            this.heldBytes = 1;
            p++;
          } else {
            if (chunk[p] !== LF) throw this.error('chunk data is not followed by CRLF');
            this.heldBytes = 0;
            p++;
            this.state = 'chunk-size';
          }
          break;
        case 'until-close':
          this.o.onBody(p === 0 ? chunk : chunk.subarray(p));
          p = chunk.length;
          break;
      }
    }
    if (p < chunk.length) this.persistent = false;
  }

  /** The connection ended: completes a body delimited by the close, or throws when the response is incomplete. */
  end(): void {
    if (this.state === 'until-close') this.state = 'done';
    if (this.state !== 'done') throw this.error(this.state === 'head' ? 'connection closed before the response head was complete' : 'connection closed before the response body was complete');
  }

  private error(message: string, code: typeof ErrorCode.Network | typeof ErrorCode.TooLarge = ErrorCode.Network): KubemeterError {
    return new KubemeterError(code, `response from ${this.o.source}: ${message}`, { source: this.o.source });
  }

  /**
   * Accumulate up to the next LF of a line-based section; hands complete sections (the head up to
   * its empty line, one chunk-size line, the trailers up to their empty line) to their parser.
   */
  private takeLine(chunk: Buffer, p: number): number {
    const limit = this.state === 'chunk-size' ? maxChunkLineBytes : this.o.maxHeadBytes;
    for (;;) {
      const nl = chunk.indexOf(LF, p);
      const end = nl < 0 ? chunk.length : nl + 1;
      if (this.heldBytes + end - p > limit) {
        throw this.error(this.state === 'chunk-size' ? `chunk-size line longer than ${limit} bytes` : `header section larger than ${limit} bytes`, ErrorCode.TooLarge);
      }
      this.held.push(chunk.subarray(p, end));
      this.heldBytes += end - p;
      if (nl < 0) return chunk.length;
      p = end;
      const section = this.held.length === 1 ? this.held[0]! : Buffer.concat(this.held, this.heldBytes);
      if (this.state === 'chunk-size') {
        this.clearHeld();
        this.chunkSize(section);
        return p;
      }
      // Head and trailers end with an empty line: the section ends in CRLF CRLF (or is only CRLF for trailers).
      const n = section.length;
      const emptyLast = n >= 2 && section[n - 2] === CR && (n === 2 || (n >= 4 && section[n - 3] === LF && section[n - 4] === CR));
      if (!emptyLast) {
        if (this.held.length > 1) this.held = [section];
        continue;
      }
      this.clearHeld();
      if (this.state === 'head') this.head(section);
      else this.state = 'done'; // trailer fields are not used
      return p;
    }
  }

  private clearHeld(): void {
    this.held = [];
    this.heldBytes = 0;
  }

  /** Parse the head (status line and fields, ending in CRLF CRLF) and choose the body framing. */
  private head(section: Buffer): void {
    // latin1: every byte maps to one code unit, so nothing can fail to decode; field values beyond
    // ASCII are obs-text, compared only where the framing depends on them.
    const text = section.toString('latin1', 0, section.length - 2);
    const lines = text.split('\r\n');
    const statusLine = lines[0] ?? '';
    const m = /^HTTP\/1\.([01]) ([1-9]\d\d) ?([\t !-~\x80-\xff]*)$/.exec(statusLine);
    if (m === null) throw this.error(`malformed status line ${JSON.stringify(statusLine.slice(0, 80))}`);
    const status = Number(m[2]);
    let contentLength: number | undefined;
    let chunked = false;
    let close = m[1] === '0';
    for (let i = 1; i < lines.length - 1; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      if (colon <= 0) throw this.error(`malformed header field line ${JSON.stringify(line.slice(0, 80))}`);
      for (let j = 0; j < colon; j++) {
        const c = line.charCodeAt(j);
        if (c >= 128 || TOKEN[c] !== 1) throw this.error(`invalid header field name ${JSON.stringify(line.slice(0, colon).slice(0, 80))}`);
      }
      const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
      if (hasControl(value)) throw this.error(`control character in header field ${JSON.stringify(line.slice(0, colon))}`);
      const name = line.slice(0, colon).toLowerCase();
      if (name === 'content-length') {
        if (!/^\d{1,15}$/.test(value)) throw this.error(`invalid Content-Length ${JSON.stringify(value.slice(0, 40))}`);
        const n = Number(value);
        if (contentLength !== undefined && contentLength !== n) throw this.error('conflicting Content-Length fields');
        contentLength = n;
      } else if (name === 'transfer-encoding') {
        // Only chunked is understood (no Accept-Encoding or TE is sent); it must be the last coding.
        const codings = value.toLowerCase().split(',').map((s) => s.trim()).filter((s) => s !== '');
        if (chunked || codings.length !== 1 || codings[0] !== 'chunked') throw this.error(`unsupported Transfer-Encoding ${JSON.stringify(value.slice(0, 40))}`);
        chunked = true;
      } else if (name === 'connection') {
        if (value.toLowerCase().split(',').some((s) => s.trim() === 'close')) close = true;
      }
    }
    if (lines.at(-1) !== '') throw this.error('malformed header section');
    if (status >= 100 && status < 200) {
      // An interim response (100 Continue, 103 Early Hints): the final one follows.
      if (status === 101) throw this.error('unexpected 101 Switching Protocols');
      return;
    }
    this.status = status;
    // RFC 9112 §6.3: a chunked body ignores Content-Length (which is then not reported).
    this.o.onHead(status, m[3] ?? '', chunked ? undefined : contentLength);
    if (status === 204 || status === 304) this.state = 'done';
    else if (chunked) this.state = 'chunk-size';
    else if (contentLength !== undefined) this.state = contentLength === 0 ? 'done' : 'length';
    else this.state = 'until-close';
    this.left = chunked ? 0 : (contentLength ?? 0);
    this.persistent = !close && this.state !== 'until-close';
  }

  /** One chunk-size line: hex size, optional extensions (ignored), CRLF. */
  private chunkSize(line: Buffer): void {
    let i = 0;
    let size = 0;
    for (; i < line.length; i++) {
      const c = line[i]!;
      const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
      if (d < 0) break;
      if (i >= 13) throw this.error('chunk size too large', ErrorCode.TooLarge); // ≥ 16^13 = 4 PiB
      size = size * 16 + d;
    }
    const rest = line[i];
    if (i === 0 || (rest !== CR && rest !== 0x3b /* ; */ && rest !== 0x20 && rest !== 0x09) || line[line.length - 2] !== CR) {
      throw this.error(`malformed chunk-size line ${JSON.stringify(line.toString('latin1', 0, Math.min(line.length, 40)))}`);
    }
    if (size === 0) {
      this.state = 'trailers';
      // The last chunk's line may be followed directly by the final CRLF: takeLine sees it as an empty section.
      return;
    }
    this.left = size;
    this.state = 'chunk-data';
  }
}
