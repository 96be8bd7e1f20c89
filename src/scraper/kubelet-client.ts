/**
 * One keep-alive connection pool for every kubelet: HTTPS verified against the kubelet CA (or
 * not, with --kubelet-insecure-tls), bearer token or client certificate, a per-request deadline
 * through AbortSignal and a body size cap, the body streamed into a decoder as it arrives.
 * node:https rather than fetch: fetch cannot take a per-pool CA and client certificate without
 * undici's Agent, which is not a public dependency of Node.
 */
import { Agent as HttpAgent, request as httpRequest, STATUS_CODES, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { ErrorCode, KubemeterError, errorMessage, isKubemeterError } from '../lib/errors.ts';
import type { NodeScrape } from '../storage/types.ts';
import type { ScrapeDecoder } from './decoder.ts';

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
  /** Sockets kept per kubelet (default 2) and in total (default 1024). */
  maxSocketsPerHost?: number;
  maxTotalSockets?: number;
  /** Largest accepted response body in bytes (default 32 MiB). */
  maxBodyBytes?: number;
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

/** The shared kubelet HTTP client. */
export class KubeletClient {
  private readonly https: HttpsAgent;
  private readonly http: HttpAgent;
  private readonly bearerToken: () => string | undefined;
  private readonly maxBodyBytes: number;

  constructor(options: KubeletClientOptions = {}) {
    const pool = { keepAlive: true, maxSockets: options.maxSocketsPerHost ?? 2, maxTotalSockets: options.maxTotalSockets ?? 1024, maxFreeSockets: 1, scheduling: 'lifo' as const };
    this.https = new HttpsAgent({
      ...pool,
      rejectUnauthorized: options.insecureSkipTlsVerify !== true,
      ...(options.caPem === undefined ? {} : { ca: options.caPem }),
      ...(options.clientCertPem === undefined ? {} : { cert: options.clientCertPem }),
      ...(options.clientKeyPem === undefined ? {} : { key: options.clientKeyPem }),
    });
    this.http = new HttpAgent(pool);
    this.bearerToken = options.bearerToken ?? (() => undefined);
    this.maxBodyBytes = options.maxBodyBytes ?? 32 << 20;
  }

  /**
   * GET `url` and stream the body into `decoder`. `timeoutMs` bounds the whole exchange; `signal`
   * cancels it (the tick's deadline). Throws KubemeterError: Timeout, Aborted, HttpStatus
   * (`request failed, status: "403 Forbidden"`), Network (TLS included), TooLarge, or the decoder's.
   */
  async get(url: URL, options: { decoder: ScrapeDecoder; timeoutMs: number; signal?: AbortSignal }): Promise<NodeScrape> {
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const signal = options.signal === undefined ? timeout : AbortSignal.any([timeout, options.signal]);
    const token = this.bearerToken();
    const isHttps = url.protocol === 'https:';
    const source = url.toString();
    return new Promise<NodeScrape>((resolve, reject) => {
      let settled = false;
      const fail = (e: unknown): void => {
        if (settled) return;
        settled = true;
        if (timeout.aborted) reject(new KubemeterError(ErrorCode.Timeout, `request to ${source} timed out after ${options.timeoutMs} ms`, { source, cause: e }));
        else if (signal.aborted) reject(new KubemeterError(ErrorCode.Aborted, `request to ${source} cancelled`, { source, cause: e }));
        else if (isKubemeterError(e)) reject(e);
        else reject(new KubemeterError(ErrorCode.Network, `request to ${source} failed: ${errorMessage(e)}`, { source, cause: e }));
      };
      const req = (isHttps ? httpsRequest : httpRequest)(url, {
        method: 'GET',
        agent: isHttps ? this.https : this.http,
        signal,
        headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      }, (res: IncomingMessage) => {
        if (res.statusCode !== 200) {
          res.resume();
          const code = res.statusCode ?? 0;
          fail(new KubemeterError(ErrorCode.HttpStatus, `request failed, status: "${code} ${STATUS_CODES[code] ?? ''}"`, { source }));
          return;
        }
        let bytes = 0;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (settled) return;
          bytes += Buffer.byteLength(chunk);
          try {
            if (bytes > this.maxBodyBytes) throw new KubemeterError(ErrorCode.TooLarge, `response from ${source} exceeds ${this.maxBodyBytes} bytes`, { source });
            options.decoder.push(chunk);
          } catch (e) {
            fail(e);
            req.destroy();
          }
        });
        res.on('end', () => {
          if (settled) return;
          try {
            const scrape = options.decoder.end();
            settled = true;
            resolve(scrape);
          } catch (e) {
            fail(e);
          }
        });
        res.on('error', fail);
        res.on('aborted', () => fail(new Error('response aborted')));
      });
      req.on('error', fail);
      req.end();
    });
  }

  /** Close every pooled connection. */
  close(): void {
    this.https.destroy();
    this.http.destroy();
  }
}
