/**
 * One client for every kubelet (connections kept open between scrapes up to a bound, TLS sessions
 * resumed on new ones): HTTPS verified against the kubelet CA (or
 * not, with --kubelet-insecure-tls), bearer token or client certificate, a per-request deadline
 * and cancellation, a body size cap, the body streamed into a decoder as it arrives.
 *
 * Built on node:tls/node:net and HttpResponseReader rather than node:https: a GET whose answer is
 * streamed into a decoder needs none of ClientRequest, Agent or IncomingMessage, and they (with the
 * AbortSignal.any wiring of every request) were about a fifth of the CPU per kubelet request in
 * the 5,000-node profile. fetch was never an option: it cannot take a per-pool CA and client
 * certificate without undici's Agent, which is not a public dependency of Node.
 */
import { STATUS_CODES } from 'node:http';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import { ErrorCode, KubemeterError, errorMessage, isKubemeterError } from '../lib/errors.ts';
import type { NodeScrape } from '../storage/types.ts';
import type { ScrapeDecoder } from './decoder.ts';
import { HttpResponseReader } from './http-response.ts';
import { IdleConnections, KubeletConnection } from './idle-connections.ts';
import { connectTlsOverReads } from './tls-over-reads.ts';

/** TLS and credentials for talking to kubelets. */
export interface KubeletClientOptions {
  /** Skip verification of kubelet serving certificates (--kubelet-insecure-tls). */
  insecureSkipTlsVerify?: boolean;
  /** PEM CA bundle for kubelet serving certificates (--kubelet-certificate-authority or the cluster CA). */
  caPem?: string;
  /** PEM client certificate and key (--kubelet-client-certificate/--kubelet-client-key). */
  clientCertPem?: string;
  clientKeyPem?: string;
  /** Bearer token, read on every request (service-account tokens rotate). */
  bearerToken?: () => string | undefined;
  /** TLS sessions kept for resumption, one per kubelet (default 65,536). */
  maxCachedSessions?: number;
  /** Largest accepted response body in bytes (default 32 MiB). */
  maxBodyBytes?: number;
  /**
   * Most kubelet connections kept open between scrapes, idle or in use (default 10,000; 0 closes
   * every connection after its response). Each saves a TLS handshake per scrape (about 1 ms of CPU,
   * on both sides) and holds about 35 KiB of memory (OpenSSL's state of the connection, about
   * 23 KiB; a 4 KiB TLS read buffer, see tls-over-reads.ts; about 6 KiB of JS objects). The default keeps every kubelet of a 10,000-node cluster: bounding it to 2,000 there
   * kept the RSS lower but put the server (and the kubelets' handshakes) back at the edge of the
   * cycle, with nodes left unscraped.
   */
  maxIdleConnections?: number;
  /** Close a kept connection idle for longer than this, ms (default 60 s: below the kubelet's 90 s, above any --metric-resolution in use). */
  idleTimeoutMs?: number;
}

/** Why a scrape failed, for the log and the request counter. */
export type ScrapeFailure = 'timeout' | 'tls' | 'http-status' | 'decode' | 'too-large' | 'network' | 'cancelled';

/** Classify a scrape error. */
export function failureKind(e: unknown): ScrapeFailure {
  if (isKubemeterError(e)) {
    const byCode: Partial<Record<string, ScrapeFailure>> = {
      [ErrorCode.Timeout]: 'timeout',
      [ErrorCode.HttpStatus]: 'http-status',
      [ErrorCode.TooLarge]: 'too-large',
      [ErrorCode.Aborted]: 'cancelled',
    };
    const kind = byCode[e.code];
    if (kind !== undefined) return kind;
    if (e.code === ErrorCode.Network) {
      return /certificate|TLS|SSL|self.signed|altname|CERT|DEPTH_ZERO/i.test(e.message) ? 'tls' : 'network';
    }
  }
  return 'decode';
}

/**
 * Key exchange groups offered to kubelets, in order: the X25519MLKEM768 post-quantum hybrid (the
 * choice of kubelets built with Go 1.24+, and of metrics-server's own Go client), then X25519 (older
 * kubelets, after a HelloRetryRequest), then the NIST curves (a FIPS-mode kubelet asks for P-256).
 * Offering X25519 alone saved 60-140 µs of CPU per handshake (client side, loopback, Node 24), but
 * gives up forward secrecy against a future quantum computer: not a trade made by default.
 */
export const kubeletKeyExchangeGroups = 'X25519MLKEM768:X25519:P-256:P-384';

/**
 * Age after which a kubelet's TLS session is replaced by the one its next handshake offers: well
 * within the ticket lifetime of Go servers (7 days) and of Node's (300 s); a kubelet with a shorter
 * one only costs a full handshake, after which its new session is kept.
 */
const sessionRefreshMs = 60_000;

/** Default bound of the kept kubelet connections: the design target's 10,000 nodes (see KubeletClientOptions.maxIdleConnections). */
export const defaultMaxIdleConnections = 10_000;

/** Largest accepted status line and header section of a kubelet response, bytes. */
const maxHeadBytes = 64 * 1024;

/** A header value may hold visible ASCII, spaces and tabs (RFC 9110 field-vchar, without obs-text). */
const headerValueRe = /^[\t\x20-\x7e]*$/;

/** The shared kubelet HTTP client. */
export class KubeletClient {
  private readonly secureContext: SecureContext;
  private readonly rejectUnauthorized: boolean;
  private readonly bearerToken: () => string | undefined;
  private readonly maxBodyBytes: number;
  private readonly maxCachedSessions: number;
  private readonly keepAlive: boolean;
  private readonly idle: IdleConnections;
  /** The latest TLS session of each kubelet (`host:port`) and when it was taken, oldest first; about 1 KiB each. */
  private readonly sessions = new Map<string, { session: Buffer; atMs: number }>();
  /** Sockets of requests in flight, destroyed by close(). */
  private readonly open = new Set<Socket>();
  /**
   * The requests to cancel when a signal aborts: one listener per signal rather than one per
   * request, as EventTarget looks through every listener of a signal (for duplicates) on each
   * add, which with a tick's hundreds of requests in flight cost ~3% of the scrape CPU.
   */
  private readonly cancellers = new WeakMap<AbortSignal, Set<() => void>>();

  constructor(options: KubeletClientOptions = {}) {
    // Connections are kept open between scrapes, up to maxIdleConnections: a kept connection needs
    // no handshake at all, where a resumed TLS 1.3 one still pays the full hybrid key exchange
    // (kubelets accept only psk_dhe_ke). Measured with 2,000 simulated kubelets (30 pods × 2
    // containers): 0.57 ms of client CPU per scrape on a kept connection against 1.45 ms on a new
    // one with a resumed session; at 10,000 nodes with every connection kept, 472 µs of server CPU
    // per node per cycle instead of 1,524 µs. The price is memory, hence the bound: about 6 KiB of
    // JS heap and 30 KiB native per idle TLS connection (OpenSSL's state, ~23 KiB of it, and the
    // TLS layer's read buffer: tls-over-reads.ts keeps it at 4 KiB where a socket wrapped directly
    // holds 64 KiB). Beyond the bound connections are closed after their response and the
    // kubelet's TLS session is resumed, which skips the certificate chain (its verification
    // happened on the full handshake that issued the session).
    // One secure context for every connection: without it node:tls builds (and parses the CA
    // bundle into) a new OpenSSL context per connection.
    this.secureContext = createSecureContext({
      ecdhCurve: kubeletKeyExchangeGroups,
      ...(options.caPem === undefined ? {} : { ca: options.caPem }),
      ...(options.clientCertPem === undefined ? {} : { cert: options.clientCertPem }),
      ...(options.clientKeyPem === undefined ? {} : { key: options.clientKeyPem }),
    });
    this.rejectUnauthorized = options.insecureSkipTlsVerify !== true;
    this.bearerToken = options.bearerToken ?? (() => undefined);
    this.maxBodyBytes = options.maxBodyBytes ?? 32 << 20;
    this.maxCachedSessions = options.maxCachedSessions ?? 65_536;
    const maxIdle = options.maxIdleConnections ?? defaultMaxIdleConnections;
    this.keepAlive = maxIdle > 0;
    this.idle = new IdleConnections({ maxIdle, idleTimeoutMs: options.idleTimeoutMs ?? 60_000, nowMs: () => Date.now() });
  }

  /**
   * GET `url` and stream the body into `decoder`. `timeoutMs` bounds the whole exchange; `signal`
   * cancels it (the tick's deadline). Throws KubemeterError: Timeout, Aborted, HttpStatus
   * (`request failed, status: "403 Forbidden"`), Network (TLS and malformed responses included),
   * TooLarge, or the decoder's.
   */
  get(url: URL, options: { decoder: ScrapeDecoder; timeoutMs: number; signal?: AbortSignal }): Promise<NodeScrape> {
    const source = url.toString();
    const { signal, decoder, timeoutMs } = options;
    return new Promise<NodeScrape>((resolve, reject) => {
      let settled = false;
      let timedOut = false;
      let conn: KubeletConnection | undefined;
      /** A response byte has arrived on the current connection. */
      let received = false;
      let retried = false;
      const finish = (reusable: boolean): void => {
        settled = true;
        clearTimeout(timer);
        if (signal !== undefined) this.cancellers.get(signal)?.delete(onAbort);
        if (conn !== undefined) {
          this.open.delete(conn.socket);
          // Destroyed rather than ended when not kept: the response is complete (or abandoned),
          // and a graceful TLS close would cost a close_notify record and another round of callbacks.
          if (reusable && this.keepAlive) this.idle.park(conn);
          else this.idle.discard(conn);
        }
      };
      const fail = (e: unknown): void => {
        if (settled) return;
        if (conn !== undefined && conn.uses > 0 && !received && !retried && !timedOut && signal?.aborted !== true) {
          // A kept connection that fails before any byte of the answer was most likely closed by
          // the kubelet while idle (its idle timeout, a restart) as the request went out: the GET
          // is retried once on a new connection, as Go's transport does for idempotent requests.
          retried = true;
          this.open.delete(conn.socket);
          this.idle.discard(conn);
          conn = undefined;
          start();
          return;
        }
        finish(false);
        if (timedOut) reject(new KubemeterError(ErrorCode.Timeout, `request to ${source} timed out after ${timeoutMs} ms`, { source, cause: e }));
        else if (signal?.aborted === true) reject(new KubemeterError(ErrorCode.Aborted, `request to ${source} cancelled`, { source, cause: e }));
        else if (isKubemeterError(e)) reject(e);
        else reject(new KubemeterError(ErrorCode.Network, `request to ${source} failed: ${errorMessage(e)}`, { source, cause: e }));
      };
      const onAbort = (): void => fail(new Error('cancelled'));
      const timer = setTimeout(() => {
        timedOut = true;
        fail(new Error('timeout'));
      }, timeoutMs);
      if (signal?.aborted === true) return onAbort();
      if (signal !== undefined) this.onAbort(signal, onAbort);

      const isHttps = url.protocol === 'https:';
      if (!isHttps && url.protocol !== 'http:') return fail(new Error(`unsupported scheme ${url.protocol}`));
      const token = this.bearerToken();
      if (token !== undefined && !headerValueRe.test(token)) return fail(new Error('the bearer token holds characters not allowed in an HTTP header'));
      const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
      const port = url.port === '' ? (isHttps ? 443 : 80) : Number(url.port);
      const request = `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n${token === undefined ? '' : `Authorization: Bearer ${token}\r\n`}${this.keepAlive ? '' : 'Connection: close\r\n'}\r\n`;
      const key = `${url.protocol}//${host}:${port}`;

      const start = (): void => {
        let bytes = 0;
        // Bytes are counted raw, then decoded (a UTF-8 sequence split between chunks is carried
        // over by the StringDecoder).
        const text = new StringDecoder('utf8');
        const reader = new HttpResponseReader({
          maxHeadBytes,
          source,
          onHead: (status, _reason, contentLength) => {
            if (status !== 200) throw new KubemeterError(ErrorCode.HttpStatus, `request failed, status: "${status} ${STATUS_CODES[status] ?? ''}"`, { source });
            // Announced too large: refused before reading a byte of it.
            if (contentLength !== undefined && contentLength > this.maxBodyBytes) throw new KubemeterError(ErrorCode.TooLarge, `response from ${source} exceeds ${this.maxBodyBytes} bytes`, { source });
          },
          onBody: (chunk) => {
            bytes += chunk.length;
            if (bytes > this.maxBodyBytes) throw new KubemeterError(ErrorCode.TooLarge, `response from ${source} exceeds ${this.maxBodyBytes} bytes`, { source });
            decoder.push(text.write(chunk));
          },
        });
        const complete = (reusable: boolean): void => {
          const rest = text.end();
          if (rest !== '') decoder.push(rest);
          const scrape = decoder.end();
          finish(reusable);
          resolve(scrape);
        };
        try {
          conn = (this.keepAlive ? this.idle.take(key) : undefined) ?? this.connect(key, isHttps, host, port);
        } catch (e) {
          return fail(e);
        }
        received = false;
        this.open.add(conn.socket);
        conn.handler = {
          data: (chunk) => {
            if (settled) return;
            received = true;
            try {
              reader.push(chunk);
              if (reader.done) complete(reader.persistent);
            } catch (e) {
              fail(e);
            }
          },
          end: () => {
            if (settled) return;
            try {
              reader.end();
              complete(false);
            } catch (e) {
              fail(e);
            }
          },
          error: fail,
          close: () => fail(new Error('connection closed')),
        };
        conn.socket.write(request, 'latin1');
      };
      start();
    });
  }

  /** A new connection to a kubelet (TLS: its kept session offered, a new one kept when issued). */
  private connect(key: string, isHttps: boolean, host: string, port: number): KubeletConnection {
    const cached = isHttps ? this.sessions.get(key) : undefined;
    const session = cached?.session;
    // TLS over bounded reads in pieces: a kept connection then holds a 4 KiB TLS read buffer, not 64 KiB (see tls-over-reads.ts).
    const socket = isHttps
      ? connectTlsOverReads({
        host,
        port,
        // SNI carries host names only (RFC 6066); the certificate is checked against `host` either way.
        ...(isIP(host) === 0 ? { servername: host } : {}),
        secureContext: this.secureContext,
        rejectUnauthorized: this.rejectUnauthorized,
        ...(session === undefined ? {} : { session }),
      })
      : netConnect({ host, port });
    if (isHttps) {
      const tls = socket as TLSSocket;
      const keep = (s: Buffer): void => {
        // Most recently used last, so that the first key is the one to evict.
        this.sessions.delete(key);
        this.sessions.set(key, { session: s, atMs: Date.now() });
        if (this.sessions.size > this.maxCachedSessions) this.sessions.delete(this.sessions.keys().next().value!);
      };
      // A session is taken when there is none, when it is older than sessionRefreshMs, or when the
      // kubelet did not accept it; otherwise the tickets a kubelet sends after every handshake are
      // not serialised at all (measured: about a tenth of the client's CPU per request).
      if (cached === undefined || Date.now() - cached.atMs > sessionRefreshMs) tls.on('session', keep);
      else tls.once('secureConnect', () => {
        if (!tls.isSessionReused()) tls.on('session', keep);
      });
    }
    return new KubeletConnection(socket, key, (c) => this.idle.retire(c));
  }

  private onAbort(signal: AbortSignal, cancel: () => void): void {
    let set = this.cancellers.get(signal);
    if (set === undefined) {
      const pending = new Set<() => void>();
      set = pending;
      this.cancellers.set(signal, pending);
      signal.addEventListener('abort', () => {
        for (const c of [...pending]) c();
        pending.clear();
      }, { once: true });
    }
    set.add(cancel);
  }

  /** Idle kubelet connections held open for the next scrape. */
  get idleConnections(): number {
    return this.idle.size;
  }

  /** Abort every request in flight and close the idle connections. */
  close(): void {
    for (const s of this.open) s.destroy();
    this.open.clear();
    this.idle.close();
  }
}
