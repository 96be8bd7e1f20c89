/**
 * A unary gRPC client over HTTP/2 on a unix socket, written on node:http2 for the agent's CRI
 * calls instead of @grpc/grpc-js + @grpc/proto-loader (+ protobufjs). Why by hand: the agent's
 * target is 60 MiB of RSS, and with the library the secure agent answered by a runtime for 110
 * pods stood at ~81 MiB; loading the gRPC stack alone cost ~4.5 MiB of RSS, and the CRI path
 * (four calls per pass) ~12.8 MiB and ~29 ms of process CPU per pass, much of it protobufjs
 * building every field of every answer (annotations, the CPU/memory/IO stats nobody reads) as
 * objects with decimal-string longs. node:http2 is already loaded by the secure port; this file
 * and the decoders (cri-messages.ts) read only what the agent keeps. Measured for one round of
 * the four calls against a grpc-js server with 110 pods × 3 containers (client process only):
 * 1.96 instead of 5.7 ms of CPU, 0.7 instead of 2.4 MiB allocated, 10.5 instead of 15.5 MiB of
 * live heap. In the agent benchmark (secure port + CRI, 110 pods, either client on the same
 * tree): RSS 73.3 / 76.5 MiB after the first / 100th pass instead of 80.8 / 82.6, forced
 * compactions 41.9 instead of 46.4 ms per pass (docs/agent.md).
 *
 * Behaves as the kubelet's CRI client where it matters: a connection timeout; a deadline per
 * call, sent as `grpc-timeout` and enforced by a local timer; a receive limit (16 MiB, the
 * kubelet's) checked on the declared length; the status from the trailers, or from the headers
 * of a trailers-only answer, as a KubemeterError naming the status; a new connection after the
 * runtime restarts (the session is dropped when its socket closes or a GOAWAY arrives); one
 * transparent retry of a call that never got an answer because its connection went away —
 * harmless for the CRI's read-only List calls.
 */
import http2 from 'node:http2';
import type { ClientHttp2Session, ClientHttp2Stream, IncomingHttpHeaders } from 'node:http2';
import net from 'node:net';
import { ErrorCode, KubemeterError } from '../../lib/errors.ts';
import { frameGrpcMessage, GrpcMessageReader } from './grpc-frame.ts';

/** gRPC status codes by number. */
export const grpcStatusNames = [
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED',
] as const;

/** A gRPC failure: the status name (`UNIMPLEMENTED`, `UNAVAILABLE`, …) is in `status` and in the message. */
export class GrpcError extends KubemeterError {
  /** The gRPC status name. */
  readonly status: string;

  constructor(code: ErrorCode, status: string, message: string, options: { cause?: unknown; source: string }) {
    super(code, message, options);
    this.status = status;
  }
}

/** Options of GrpcUnixClient. */
export interface GrpcUnixClientOptions {
  /** Path of the unix socket. */
  socketPath: string;
  /** How the endpoint is named in errors (`unix:///run/containerd/containerd.sock`). */
  endpoint: string;
  /** Longest wait for a connection, ms (default 5000); a call's own deadline may cut it shorter. */
  connectTimeoutMs?: number;
  /** Largest response message accepted, bytes (default 16 MiB, as the kubelet's CRI client). */
  maxReceiveMessageBytes?: number;
}

/** Options of one call. */
export interface UnaryCallOptions {
  /** Deadline, ms from now. */
  timeoutMs: number;
  /** Cancels the call. */
  signal?: AbortSignal | undefined;
}

const defaultMaxReceiveBytes = 16 * 1024 * 1024;
/** The response's message bytes, with the grpc-status that came with them. */
type Outcome = { ok: true; message: Buffer } | { ok: false; error: KubemeterError; retry: boolean };

/** HTTP statuses of a non-gRPC answer → gRPC statuses, as gRPC's clients map them. */
function statusOfHttp(httpStatus: number): string {
  switch (httpStatus) {
    case 400: return 'INTERNAL';
    case 401: return 'UNAUTHENTICATED';
    case 403: return 'PERMISSION_DENIED';
    case 404: return 'UNIMPLEMENTED';
    case 429: case 502: case 503: case 504: return 'UNAVAILABLE';
    default: return 'UNKNOWN';
  }
}

/** `grpc-timeout`: at most 8 digits and a unit. */
export function grpcTimeoutHeader(timeoutMs: number): string {
  const ms = Math.max(0, Math.ceil(timeoutMs));
  return ms < 100_000_000 ? `${ms}m` : `${Math.min(99_999_999, Math.ceil(ms / 1000))}S`;
}

/** `grpc-message` is percent-encoded; malformed escapes are kept as sent. Capped for error messages. */
function grpcMessageText(raw: unknown): string {
  if (typeof raw !== 'string' || raw === '') return '';
  let text = raw;
  try {
    text = decodeURIComponent(raw);
  } catch {
    // kept as sent
  }
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}

/** Why a connection could not be made; each waiting call turns it into its own GrpcError. */
class ConnectFailure {
  readonly code: ErrorCode;
  readonly status: string;
  readonly detail: string;
  readonly cause: unknown;

  constructor(code: ErrorCode, status: string, detail: string, cause?: unknown) {
    this.code = code;
    this.status = status;
    this.detail = detail;
    this.cause = cause;
  }
}

/** A framing error of GrpcMessageReader (its message names the status) as a GrpcError. */
function asGrpcError(e: unknown, source: string): GrpcError {
  const k = e instanceof KubemeterError ? e : new KubemeterError(ErrorCode.Internal, String(e));
  return new GrpcError(k.code, k.code === ErrorCode.TooLarge ? 'RESOURCE_EXHAUSTED' : 'INTERNAL', k.message, { source, cause: e });
}

/** Unary gRPC calls to one server on a unix socket, over one HTTP/2 connection made on first use and remade after it closes. */
export class GrpcUnixClient {
  private readonly o: Required<GrpcUnixClientOptions>;
  private session: ClientHttp2Session | undefined;
  private connecting: Promise<ClientHttp2Session> | undefined;
  private closed = false;

  constructor(options: GrpcUnixClientOptions) {
    this.o = { connectTimeoutMs: 5000, maxReceiveMessageBytes: defaultMaxReceiveBytes, ...options };
  }

  /**
   * Call `path` (`/package.Service/Method`) with an encoded request; the encoded response.
   * Rejects with a GrpcError: Timeout (DEADLINE_EXCEEDED), TooLarge (RESOURCE_EXHAUSTED, over the
   * receive limit), Aborted (the signal; Timeout when its reason is a timeout), Network
   * (UNAVAILABLE: no connection), RpcStatus (any other status the server sent), InvalidDocument
   * (a malformed answer, INTERNAL). `what` names the call in messages.
   */
  async unary(path: string, request: Uint8Array, what: string, options: UnaryCallOptions): Promise<Buffer> {
    const deadline = Date.now() + options.timeoutMs;
    const label = `${what} on ${this.o.endpoint}`;
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.attempt(path, request, label, deadline, options.signal);
      if (outcome.ok) return outcome.message;
      if (!outcome.retry || attempt > 0 || Date.now() >= deadline) throw outcome.error;
    }
  }

  /** Close the connection; later calls fail. */
  close(): void {
    this.closed = true;
    this.session?.close();
    this.session = undefined;
  }

  private error(code: ErrorCode, status: string, label: string, detail: string, cause?: unknown): GrpcError {
    return new GrpcError(code, status, `${label}: ${status}: ${detail}`, { source: this.o.endpoint, cause });
  }

  /** One try of a call, settled once: by the timer, the signal, a bad answer, or the stream's end. */
  private attempt(path: string, request: Uint8Array, label: string, deadline: number, signal: AbortSignal | undefined): Promise<Outcome> {
    return new Promise<Outcome>((resolve) => {
      let stream: ClientHttp2Stream | undefined;
      let settled = false;
      const settle = (o: Outcome): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        // Cancelling a stream still open sends RST_STREAM(CANCEL) so the server stops working on it.
        if (stream !== undefined && !stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
        resolve(o);
      };
      const fail = (error: KubemeterError, retry = false): void => settle({ ok: false, error, retry });
      const timeoutMs = deadline - Date.now();
      const timer = setTimeout(() => fail(this.error(ErrorCode.Timeout, 'DEADLINE_EXCEEDED', label, `no answer within the ${Math.round(timeoutMs)} ms deadline`)), Math.max(0, timeoutMs));
      const onAbort = (): void => {
        const timedOut = (signal?.reason as { name?: unknown } | undefined)?.name === 'TimeoutError';
        fail(this.error(timedOut ? ErrorCode.Timeout : ErrorCode.Aborted, timedOut ? 'DEADLINE_EXCEEDED' : 'CANCELLED', label, 'cancelled by the caller'));
      };
      if (signal?.aborted === true) {
        onAbort();
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      if (this.closed) {
        fail(this.error(ErrorCode.Network, 'UNAVAILABLE', label, 'client closed'));
        return;
      }
      this.connected(deadline).then((session) => {
        if (settled) return;
        try {
          stream = session.request({
            ':method': 'POST', ':scheme': 'http', ':path': path, ':authority': 'localhost',
            'content-type': 'application/grpc', te: 'trailers', 'grpc-timeout': grpcTimeoutHeader(deadline - Date.now()), 'user-agent': 'kubemeter-grpc/1',
          }, { endStream: false });
        } catch (e) {
          // The session went away between the check and the request (GOAWAY, closed): a new one, once.
          this.drop(session);
          fail(this.error(ErrorCode.Network, 'UNAVAILABLE', label, e instanceof Error ? e.message : String(e), e), true);
          return;
        }
        this.exchange(stream, request, label, fail, settle);
      }, (e: unknown) => {
        const f = e instanceof ConnectFailure ? e : new ConnectFailure(ErrorCode.Network, 'UNAVAILABLE', String(e), e);
        fail(this.error(f.code, f.status, label, f.detail, f.cause), true);
      });
    });
  }

  /** Send the request on `stream` and read its answer. */
  private exchange(stream: ClientHttp2Stream, request: Uint8Array, label: string, fail: (e: KubemeterError, retry?: boolean) => void, settle: (o: Outcome) => void): void {
    const reader = new GrpcMessageReader({ maxMessageBytes: this.o.maxReceiveMessageBytes, maxMessages: 1, what: label });
    let headers: IncomingHttpHeaders | undefined;
    let status: IncomingHttpHeaders | undefined;
    let streamError: Error | undefined;
    stream.on('response', (h) => {
      headers = h;
      // A trailers-only answer: the status is in the headers.
      if (h['grpc-status'] !== undefined) status = h;
    });
    stream.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch (e) {
        fail(asGrpcError(e, this.o.endpoint));
      }
    });
    stream.on('trailers', (t) => {
      status = t;
    });
    stream.on('error', (e) => {
      streamError = e;
    });
    stream.on('close', () => settle(this.outcome(label, headers, status, reader, streamError, stream.rstCode)));
    stream.end(frameGrpcMessage(request));
  }

  /** What a finished stream amounts to. */
  private outcome(label: string, headers: IncomingHttpHeaders | undefined, status: IncomingHttpHeaders | undefined, reader: GrpcMessageReader, streamError: Error | undefined, rstCode: number): Outcome {
    if (headers === undefined) {
      // No answer at all: the connection closed, a GOAWAY refused the stream, or the server reset it.
      const why = streamError?.message ?? `stream closed before any answer (HTTP/2 error code ${rstCode})`;
      return { ok: false, error: this.error(ErrorCode.Network, 'UNAVAILABLE', label, why, streamError), retry: true };
    }
    const httpStatus = Number(headers[':status']);
    if (httpStatus !== 200) {
      const s = statusOfHttp(httpStatus);
      return { ok: false, error: this.error(ErrorCode.RpcStatus, s, label, `unexpected HTTP status ${httpStatus}`), retry: false };
    }
    const contentType = headers['content-type'];
    if (typeof contentType !== 'string' || !/^application\/grpc([+;]|$)/.test(contentType)) {
      return { ok: false, error: this.error(ErrorCode.InvalidDocument, 'INTERNAL', label, `unexpected content-type ${JSON.stringify(contentType ?? '')}`), retry: false };
    }
    if (status === undefined) {
      // Reset or cut off mid-answer (the runtime went away), or ended cleanly but without trailers.
      if (streamError !== undefined || rstCode !== http2.constants.NGHTTP2_NO_ERROR) {
        return { ok: false, error: this.error(ErrorCode.Network, 'UNAVAILABLE', label, streamError?.message ?? `stream reset (HTTP/2 error code ${rstCode})`, streamError), retry: false };
      }
      return { ok: false, error: this.error(ErrorCode.InvalidDocument, 'INTERNAL', label, 'server closed the stream without sending trailers'), retry: false };
    }
    const raw = status['grpc-status'];
    const code = typeof raw === 'string' && /^\d{1,2}$/.test(raw) ? Number(raw) : -1;
    const name = grpcStatusNames[code] ?? 'UNKNOWN';
    if (code !== 0) {
      const message = grpcMessageText(status['grpc-message']);
      const detail = code < 0 ? `invalid grpc-status ${JSON.stringify(String(raw))}` : message === '' ? `status ${code}` : message;
      const errorCode = name === 'DEADLINE_EXCEEDED' ? ErrorCode.Timeout : name === 'UNAVAILABLE' ? ErrorCode.Network : ErrorCode.RpcStatus;
      return { ok: false, error: this.error(errorCode, name, label, detail), retry: false };
    }
    try {
      reader.finish();
    } catch (e) {
      return { ok: false, error: asGrpcError(e, this.o.endpoint), retry: false };
    }
    const message = reader.messages[0];
    if (message === undefined) return { ok: false, error: this.error(ErrorCode.InvalidDocument, 'INTERNAL', label, 'status OK without a response message'), retry: false };
    return { ok: true, message };
  }

  /** The open session, or a new one (one connection attempt shared by concurrent calls). */
  private connected(deadline: number): Promise<ClientHttp2Session> {
    const s = this.session;
    if (s !== undefined && !s.closed && !s.destroyed) return Promise.resolve(s);
    this.connecting ??= this.connect(Math.min(this.o.connectTimeoutMs, deadline - Date.now())).finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private connect(timeoutMs: number): Promise<ClientHttp2Session> {
    return new Promise((resolve, reject) => {
      const session = http2.connect('http://localhost', {
        createConnection: () => net.connect(this.o.socketPath),
        settings: { enablePush: false },
        // Bounds what a misbehaving server can make this session buffer (MiB).
        maxSessionMemory: 4 + Math.ceil(this.o.maxReceiveMessageBytes / (1024 * 1024)),
      });
      // An idle connection does not keep the process alive; calls in flight hold their own timers.
      session.unref();
      const timer = setTimeout(() => {
        session.destroy();
        reject(new ConnectFailure(ErrorCode.Timeout, 'DEADLINE_EXCEEDED', `no connection within ${Math.round(timeoutMs)} ms`));
      }, Math.max(0, timeoutMs));
      session.once('connect', () => {
        clearTimeout(timer);
        if (this.closed) {
          session.close();
          reject(new ConnectFailure(ErrorCode.Network, 'UNAVAILABLE', 'client closed'));
          return;
        }
        this.session = session;
        resolve(session);
      });
      session.on('error', (e) => {
        clearTimeout(timer);
        this.drop(session);
        reject(new ConnectFailure(ErrorCode.Network, 'UNAVAILABLE', e.message, e));
      });
      // The runtime going away (restart, GOAWAY): the next call connects again.
      session.on('goaway', () => this.drop(session));
      session.on('close', () => {
        clearTimeout(timer);
        this.drop(session);
        reject(new ConnectFailure(ErrorCode.Network, 'UNAVAILABLE', 'connection closed'));
      });
    });
  }

  private drop(session: ClientHttp2Session): void {
    if (this.session === session) this.session = undefined;
  }
}
