/**
 * Where a request's identity comes from: a static bearer token, a token file re-read as it rotates
 * (projected service-account tokens are replaced about hourly), basic auth, a client certificate, or
 * an exec credential plugin (see exec-plugin.ts). The HTTP layer asks for credentials before every
 * request and calls `invalidate()` after a 401, like client-go.
 */
import { readFile } from 'node:fs/promises';
import { ErrorCode, KubemeterError, errorMessage } from '../lib/errors.ts';
import type { Clock } from '../lib/clock.ts';
import { systemClock } from '../lib/clock.ts';

/** What goes on one request: at most one of token/basic, plus an optional client certificate. */
export interface Credentials {
  /** Bearer token for the Authorization header. */
  token?: string;
  /** HTTP basic auth (deprecated in Kubernetes, still accepted by some clusters). */
  basic?: { username: string; password: string };
  /** PEM client certificate chain and key for mutual TLS. */
  clientCertificate?: { certPem: string; keyPem: string };
}

/** A source of credentials consulted before every request. */
export interface CredentialProvider {
  /** Short description for logs and errors, e.g. `token file /var/run/…/token`. */
  readonly description: string;
  /** Current credentials; may read files or run a plugin. */
  get(signal?: AbortSignal): Promise<Credentials>;
  /** Forget cached credentials (called after the server answered 401). */
  invalidate(): void;
}

/** Credentials that never change. */
export function staticCredentials(credentials: Credentials, description: string): CredentialProvider {
  return { description, get: () => Promise.resolve(credentials), invalidate: () => {} };
}

/** Options of tokenFileCredentials. */
export interface TokenFileOptions {
  /** Path of the token file. */
  path: string;
  /** Re-read period in milliseconds; client-go re-reads every minute. */
  refreshMs?: number;
  /** Client certificate to send alongside the token, if any. */
  clientCertificate?: Credentials['clientCertificate'];
  /** Time source, for tests. */
  clock?: Clock;
}

/** Largest token file accepted; real tokens are a few KiB. */
const MAX_TOKEN_FILE_BYTES = 1 << 20;

/** A bearer token read from a file and re-read periodically and after a 401 (token rotation). */
export function tokenFileCredentials(options: TokenFileOptions): CredentialProvider {
  const refreshMs = options.refreshMs ?? 60_000;
  const clock = options.clock ?? systemClock;
  let cached: { token: string; readAtMs: number } | undefined;
  const description = `token file ${options.path}`;
  return {
    description,
    async get() {
      const now = clock.nowMs();
      if (cached === undefined || now - cached.readAtMs >= refreshMs) {
        try {
          cached = { token: await readTokenFile(options.path), readAtMs: now };
        } catch (e) {
          // A transient read failure during rotation: keep using the last good token.
          if (cached === undefined) throw e;
        }
      }
      const out: Credentials = { token: cached.token };
      if (options.clientCertificate !== undefined) out.clientCertificate = options.clientCertificate;
      return out;
    },
    invalidate() {
      cached = undefined;
    },
  };
}

/** Read a token file: trimmed, non-empty, size-capped. */
export async function readTokenFile(path: string): Promise<string> {
  let raw: Buffer;
  try {
    raw = await readFile(path);
  } catch (e) {
    throw new KubemeterError(ErrorCode.InvalidKubeconfig, `cannot read token file ${path}: ${errorMessage(e)}`, {
      source: path,
      cause: e,
    });
  }
  if (raw.length > MAX_TOKEN_FILE_BYTES) {
    throw new KubemeterError(ErrorCode.TooLarge, `token file ${path} is larger than ${MAX_TOKEN_FILE_BYTES} bytes`, {
      source: path,
    });
  }
  const token = raw.toString('utf8').trim();
  if (token === '') {
    throw new KubemeterError(ErrorCode.InvalidKubeconfig, `token file ${path} is empty`, { source: path });
  }
  return token;
}
