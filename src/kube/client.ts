/**
 * A small HTTP client for kube-apiserver on node:https: keep-alive agents with the kubeconfig's TLS
 * settings, credentials consulted per request (token rotation, exec plugins), per-request timeout,
 * response size cap, AbortSignal, gzip, and typed errors (KubeHttpError) carrying the decoded
 * Status. Built here rather than on @kubernetes/client-node's request layer, which loads its whole
 * generated API surface (see kubeconfig.ts for the measurement) and offers no size caps.
 */
import type * as http from 'node:http';
import type * as https from 'node:https';
import { createHash } from 'node:crypto';
import { ErrorCode, KubemeterError, errorMessage } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { silentLogger } from '../lib/log.ts';
import type { ClusterConnection } from './kubeconfig.ts';
import type { Credentials } from './credentials.ts';
import { decodedStream, readBody, readBodyPrefix } from './body.ts';
import { ERROR_BODY_MAX_BYTES, KubeHttpError } from './http-error.ts';
import { JsonObjectFramer } from './json-framer.ts';

// Not `import http from 'node:http'`: an ES import of node:http builds the module namespace, whose
// lazy WebSocket getters load Node's bundled undici (+12 MiB RSS in every process that talks to
// the API: the agent, the server). getBuiltinModule returns the CommonJS exports untouched.
const httpModule = (): typeof http => process.getBuiltinModule('node:http');
const httpsModule = (): typeof https => process.getBuiltinModule('node:https');

/** Options common to every request. */
export interface KubeRequestOptions {
  /** Cancels the request. */
  signal?: AbortSignal;
  /** Deadline for the whole request including the body, in milliseconds (default 30 s). */
  timeoutMs?: number;
  /** Largest accepted (decompressed) response body in bytes (default 64 MiB). */
  maxBytes?: number;
  /** Accept header (default `application/json`). */
  accept?: string;
  /** Extra request headers. */
  headers?: Record<string, string>;
}

/** A request whose JSON answer is checked and converted by `decode`. */
export interface DecodeOptions<T> extends KubeRequestOptions {
  /** Validates and converts the parsed JSON; throw a KubemeterError when it does not fit. */
  decode: (value: unknown, source: string) => T;
}

/** Options of a watch request. */
export interface WatchRequestOptions {
  signal?: AbortSignal;
  /** Abort when no byte arrived for this long (default 5 min; bookmarks arrive about every minute). */
  idleTimeoutMs?: number;
  /** Largest accepted single event in bytes (default 16 MiB). */
  maxEventBytes?: number;
  accept?: string;
}

/** One raw watch event; `object` is still undecoded JSON. */
export interface RawWatchEvent {
  /** ADDED, MODIFIED, DELETED, BOOKMARK or ERROR. */
  type: string;
  object: unknown;
}

/** A raw HTTP answer. */
export interface KubeResponse {
  statusCode: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** Options of the KubeClient. */
export interface KubeClientOptions {
  logger?: Logger;
  /** User-Agent header; default `kubemeter`. */
  userAgent?: string;
  /** Sockets per agent (default 32). */
  maxSockets?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_BYTES = 64 << 20;

/** Client for one kube-apiserver. Call `close()` to release pooled connections. */
export class KubeClient {
  /** The connection this client talks to. */
  readonly connection: ClusterConnection;
  private readonly log: Logger;
  private readonly userAgent: string;
  private readonly maxSockets: number;
  private readonly agents = new Map<string, http.Agent>();
  private readonly isHttps: boolean;

  constructor(connection: ClusterConnection, options: KubeClientOptions = {}) {
    this.connection = connection;
    this.log = options.logger ?? silentLogger;
    this.userAgent = options.userAgent ?? 'kubemeter';
    this.maxSockets = options.maxSockets ?? 32;
    this.isHttps = connection.server.startsWith('https:');
  }

  /** GET `path` (with query) and decode the JSON answer. */
  async getJSON<T>(path: string, options: DecodeOptions<T>): Promise<T> {
    const res = await this.request('GET', path, options);
    return this.decodeJson(res, 'GET', path, options.decode);
  }

  /** POST a JSON body to `path` and decode the JSON answer. */
  async postJSON<T>(path: string, body: unknown, options: DecodeOptions<T>): Promise<T> {
    const res = await this.request('POST', path, { ...options, body: JSON.stringify(body), contentType: 'application/json' });
    return this.decodeJson(res, 'POST', path, options.decode);
  }

  /** Send one request; non-2xx answers throw KubeHttpError, 401 also invalidates the credentials. */
  async request(method: string, path: string, options: KubeRequestOptions & { body?: string | Buffer; contentType?: string } = {}): Promise<KubeResponse> {
    const url = this.url(path);
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout]);
    try {
      const res = await this.send(method, url, options, signal);
      if (res.statusCode === undefined || res.statusCode < 200 || res.statusCode > 299) {
        throw await this.httpError(method, url, res);
      }
      const body = await readBody(res, options.maxBytes ?? DEFAULT_MAX_BYTES, `${method} ${url}`);
      return { statusCode: res.statusCode, headers: res.headers, body };
    } catch (e) {
      throw this.mapError(e, method, url, options.signal, timeout, timeoutMs);
    }
  }

  /**
   * Open a watch (`path` must carry `watch=1` and friends) and yield its events until the server
   * ends the stream. A non-2xx answer throws KubeHttpError; a broken stream throws Network.
   */
  async *watch(path: string, options: WatchRequestOptions = {}): AsyncGenerator<RawWatchEvent, void, undefined> {
    const url = this.url(path);
    const ctl = new AbortController();
    const signal = options.signal === undefined ? ctl.signal : AbortSignal.any([options.signal, ctl.signal]);
    const idleMs = options.idleTimeoutMs ?? 300_000;
    let idleTimer: NodeJS.Timeout | undefined;
    let idleFired = false;
    const touch = (): void => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => {
        idleFired = true;
        ctl.abort();
      }, idleMs);
      idleTimer.unref();
    };
    touch();
    try {
      const res = await this.send('GET', url, { accept: options.accept }, signal);
      if (res.statusCode === undefined || res.statusCode < 200 || res.statusCode > 299) throw await this.httpError('GET', url, res);
      const framer = new JsonObjectFramer({ maxObjectBytes: options.maxEventBytes ?? 16 << 20, source: url });
      for await (const chunk of decodedStream(res) as AsyncIterable<Buffer>) {
        touch();
        for (const text of framer.push(chunk)) {
          let ev: unknown;
          try {
            ev = JSON.parse(text);
          } catch (e) {
            throw new KubemeterError(ErrorCode.InvalidDocument, `watch ${url}: event is not JSON: ${errorMessage(e)}`, { source: url });
          }
          if (typeof ev !== 'object' || ev === null || typeof (ev as RawWatchEvent).type !== 'string') {
            throw new KubemeterError(ErrorCode.InvalidDocument, `watch ${url}: event has no type`, { source: url });
          }
          yield { type: (ev as RawWatchEvent).type, object: (ev as RawWatchEvent).object };
        }
      }
      if (!framer.isIdle()) throw new KubemeterError(ErrorCode.Network, `watch ${url}: stream ended inside an event`, { source: url });
    } catch (e) {
      if (idleFired && !(options.signal?.aborted ?? false)) {
        throw new KubemeterError(ErrorCode.Timeout, `watch ${url}: no data for ${idleMs} ms`, { source: url, cause: e });
      }
      throw this.mapError(e, 'GET', url, options.signal, undefined, 0);
    } finally {
      clearTimeout(idleTimer);
      ctl.abort(); // releases the socket when the consumer stops early
    }
  }

  /** Release pooled connections. */
  close(): void {
    for (const a of this.agents.values()) a.destroy();
    this.agents.clear();
  }

  private url(path: string): string {
    if (!path.startsWith('/')) throw new KubemeterError(ErrorCode.Internal, `request path must start with '/': ${path}`);
    return this.connection.server + path;
  }

  private async send(method: string, url: string, options: KubeRequestOptions & { body?: string | Buffer; contentType?: string }, signal: AbortSignal): Promise<http.IncomingMessage> {
    const creds = await this.connection.credentials.get(signal);
    const headers: http.OutgoingHttpHeaders = {
      accept: options.accept ?? 'application/json',
      'user-agent': this.userAgent,
      ...options.headers,
    };
    if (!this.connection.disableCompression) headers['accept-encoding'] = 'gzip';
    if (creds.token !== undefined) headers['authorization'] = `Bearer ${creds.token}`;
    else if (creds.basic !== undefined) headers['authorization'] = `Basic ${Buffer.from(`${creds.basic.username}:${creds.basic.password}`).toString('base64')}`;
    const imp = this.connection.impersonate;
    if (imp !== undefined) {
      headers['impersonate-user'] = imp.user;
      if (imp.uid !== undefined) headers['impersonate-uid'] = imp.uid;
      if (imp.groups.length > 0) headers['impersonate-group'] = imp.groups;
      for (const [k, vs] of Object.entries(imp.extra)) headers[`impersonate-extra-${encodeURIComponent(k)}`] = vs;
    }
    let body: Buffer | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === 'string' ? Buffer.from(options.body) : options.body;
      headers['content-type'] = options.contentType ?? 'application/json';
      headers['content-length'] = body.length;
    }
    const agent = this.agentFor(creds);
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const mod = this.isHttps ? httpsModule() : httpModule();
      const req = mod.request(url, { method, headers, agent, signal }, resolve);
      req.on('error', reject);
      req.end(body);
    });
    if (res.statusCode === 401) this.connection.credentials.invalidate();
    return res;
  }

  private agentFor(creds: Credentials): http.Agent {
    const cc = creds.clientCertificate;
    const key = cc === undefined ? '' : createHash('sha256').update(cc.certPem).update('\0').update(cc.keyPem).digest('hex');
    let agent = this.agents.get(key);
    if (agent !== undefined) return agent;
    if (this.isHttps) {
      const opts: https.AgentOptions = { keepAlive: true, maxSockets: this.maxSockets, rejectUnauthorized: !this.connection.insecureSkipTlsVerify };
      if (this.connection.ca !== undefined) opts.ca = this.connection.ca;
      if (this.connection.tlsServerName !== undefined) opts.servername = this.connection.tlsServerName;
      if (cc !== undefined) {
        opts.cert = cc.certPem;
        opts.key = cc.keyPem;
      }
      agent = new (httpsModule().Agent)(opts);
    } else agent = new (httpModule().Agent)({ keepAlive: true, maxSockets: this.maxSockets });
    // A rotated client certificate (exec plugin) replaces the old agent; close idle sockets of the old one.
    if (key !== '') {
      for (const [k, a] of this.agents) {
        if (k === '') continue;
        a.destroy();
        this.agents.delete(k);
      }
    }
    this.agents.set(key, agent);
    return agent;
  }

  private async httpError(method: string, url: string, res: http.IncomingMessage): Promise<KubeHttpError> {
    const body = await readBodyPrefix(res, ERROR_BODY_MAX_BYTES);
    return new KubeHttpError({ method, url, statusCode: res.statusCode ?? 0, body });
  }

  private decodeJson<T>(res: KubeResponse, method: string, path: string, decode: (v: unknown, source: string) => T): T {
    const url = this.url(path);
    let value: unknown;
    try {
      value = JSON.parse(res.body.toString('utf8'));
    } catch (e) {
      throw new KubemeterError(ErrorCode.InvalidDocument, `${method} ${url}: response is not JSON: ${errorMessage(e)}`, { source: url, cause: e });
    }
    return decode(value, url);
  }

  private mapError(e: unknown, method: string, url: string, user: AbortSignal | undefined, timeout: AbortSignal | undefined, timeoutMs: number): unknown {
    if (e instanceof KubemeterError) return e;
    if (user?.aborted) return new KubemeterError(ErrorCode.Aborted, `${method} ${url}: aborted`, { source: url, cause: e });
    if (timeout?.aborted) return new KubemeterError(ErrorCode.Timeout, `${method} ${url}: no answer within ${timeoutMs} ms`, { source: url, cause: e });
    this.log.debug('kube request failed', { method, url, err: e });
    return new KubemeterError(ErrorCode.Network, `${method} ${url}: ${errorMessage(e)}`, { source: url, cause: e });
  }
}

/** Append query parameters to a path; undefined and empty values are skipped. */
export function withQuery(path: string, query: Record<string, string | number | boolean | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, String(v));
  const qs = params.toString();
  if (qs === '') return path;
  return `${path}${path.includes('?') ? '&' : '?'}${qs}`;
}
