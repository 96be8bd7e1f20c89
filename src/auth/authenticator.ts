/**
 * Delegated authentication as k8s.io/apiserver's delegating authenticator builds it: request
 * header (front proxy) → x509 client certificate → bearer token via TokenReview (cached) → anonymous.
 * The first success wins; if any method failed with an error and none succeeded the request is
 * unauthenticated (anonymous is only a fallback for requests that carry no credentials at all).
 * Successful non-anonymous users get `system:authenticated`.
 */
import { createHash } from 'node:crypto';
import type { X509Certificate } from 'node:crypto';
import type { Clock } from '../lib/clock.ts';
import { systemClock } from '../lib/clock.ts';
import { errorMessage } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { silentLogger } from '../lib/log.ts';
import { TtlCache } from './ttl-cache.ts';
import type { UserInfo } from './user.ts';
import { anonymousUser, withAuthenticatedGroup } from './user.ts';
import type { CaPool } from './x509-verify.ts';
import { subjectOf, verifyClientCertificate } from './x509-verify.ts';

/** Front-proxy settings (`--requestheader-*` or the extension-apiserver-authentication ConfigMap). */
export interface RequestHeaderConfig {
  /** CA that signs the proxy's client certificate. */
  caPool: CaPool;
  /** Allowed proxy certificate CNs; empty = any CN signed by the CA. */
  allowedNames: string[];
  usernameHeaders: string[];
  uidHeaders: string[];
  groupHeaders: string[];
  extraHeaderPrefixes: string[];
}

/** The CA material the authenticator uses; may change at runtime (ConfigMap updates). */
export interface AuthenticationConfig {
  /** `--client-ca-file`: verifies x509 client certificates. */
  clientCA?: CaPool;
  requestHeader?: RequestHeaderConfig;
}

/** Result of one TokenReview. */
export interface TokenReviewResult {
  authenticated: boolean;
  user?: UserInfo;
  /** `status.error` of the review. */
  error?: string;
}

/** Something that can review bearer tokens (a TokenReview client). */
export interface TokenReviewer {
  review(token: string, signal?: AbortSignal): Promise<TokenReviewResult>;
}

/** What the authenticator reads from a request. */
export interface AuthenticationRequest {
  /** Header name/value pairs in arrival order, repeated headers kept (Node's rawHeaders). */
  rawHeaders: readonly string[];
  /** The client's certificate (leaf first, then the intermediates it sent); empty when none. */
  peerCertificates: readonly X509Certificate[];
}

/** Which method authenticated a request. */
export type AuthenticationMethod = 'requestheader' | 'x509' | 'token' | 'anonymous';

/** Authenticated, or not (with the reasons for the log; never sent to the client). */
export type AuthenticationResult = { ok: true; user: UserInfo; method: AuthenticationMethod } | { ok: false; errors: string[] };

/** Options of DelegatingAuthenticator. */
export interface AuthenticatorOptions {
  /** Current CA/header configuration. */
  config: () => AuthenticationConfig;
  /** Absent: bearer tokens are not checked (no authentication kubeconfig). */
  tokenReviewer?: TokenReviewer;
  /** `--authentication-token-webhook-cache-ttl` in ms, for successes and failures (default 10 s). */
  tokenCacheTtlMs?: number;
  /** Allow requests without credentials as system:anonymous (default true, as delegating servers do). */
  anonymous?: boolean;
  clock?: Clock;
  logger?: Logger;
}

type Step = { user: UserInfo } | { error: string } | undefined;

/** Values of header `name` (case-insensitive), in order. */
export function headerValues(rawHeaders: readonly string[], name: string): string[] {
  const out: string[] = [];
  const want = name.toLowerCase();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) if (rawHeaders[i]!.toLowerCase() === want) out.push(rawHeaders[i + 1]!);
  return out;
}

/** Go's url.PathUnescape, keeping the input when it is not valid escaping (as upstream does). */
function unescapeExtraKey(key: string): string {
  try {
    return decodeURIComponent(key);
  } catch {
    return key;
  }
}

/** k8s.io/apiserver's delegating authenticator. */
export class DelegatingAuthenticator {
  private readonly o: AuthenticatorOptions;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly tokenCache: TtlCache<TokenReviewResult>;

  constructor(options: AuthenticatorOptions) {
    this.o = options;
    this.clock = options.clock ?? systemClock;
    this.log = options.logger ?? silentLogger;
    this.tokenCache = new TtlCache({ clock: this.clock });
  }

  /** Authenticate one request. */
  async authenticate(req: AuthenticationRequest, signal?: AbortSignal): Promise<AuthenticationResult> {
    const config = this.o.config();
    const errors: string[] = [];
    const steps: [AuthenticationMethod, () => Step | Promise<Step>][] = [
      ['requestheader', () => this.requestHeader(req, config)],
      ['x509', () => this.x509(req, config)],
      ['token', () => this.token(req, signal)],
    ];
    for (const [method, step] of steps) {
      const r = await step();
      if (r === undefined) continue;
      if ('error' in r) {
        errors.push(r.error);
        continue;
      }
      return { ok: true, user: withAuthenticatedGroup(r.user), method };
    }
    if (errors.length > 0) return { ok: false, errors };
    if (this.o.anonymous ?? true) return { ok: true, user: anonymousUser(), method: 'anonymous' };
    return { ok: false, errors: [] };
  }

  private requestHeader(req: AuthenticationRequest, config: AuthenticationConfig): Step {
    const rh = config.requestHeader;
    const leaf = req.peerCertificates[0];
    if (rh === undefined || leaf === undefined) return undefined;
    const v = verifyClientCertificate(leaf, req.peerCertificates.slice(1), rh.caPool, this.clock.nowMs());
    if (!v.ok) return { error: v.error };
    const { commonName } = subjectOf(leaf);
    if (rh.allowedNames.length > 0 && !rh.allowedNames.includes(commonName)) {
      return { error: `x509: subject with cn=${commonName} is not in the allowed list` };
    }
    // Only now, with the proxy's certificate verified, are the identity headers trusted.
    const first = (names: string[]): string => {
      for (const n of names) {
        const v0 = headerValues(req.rawHeaders, n)[0];
        if (v0 !== undefined && v0 !== '') return v0;
      }
      return '';
    };
    const name = first(rh.usernameHeaders);
    if (name === '') return undefined;
    const groups: string[] = [];
    for (const h of rh.groupHeaders) for (const v0 of headerValues(req.rawHeaders, h)) if (v0 !== '') groups.push(v0);
    const extra: Record<string, string[]> = {};
    const prefixes = rh.extraHeaderPrefixes.map((p) => p.toLowerCase());
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
      const header = req.rawHeaders[i]!.toLowerCase();
      for (const p of prefixes) {
        if (!header.startsWith(p) || header.length === p.length) continue;
        const key = unescapeExtraKey(header.slice(p.length));
        (extra[key] ??= []).push(req.rawHeaders[i + 1]!);
      }
    }
    return { user: { name, uid: first(rh.uidHeaders), groups, extra } };
  }

  private x509(req: AuthenticationRequest, config: AuthenticationConfig): Step {
    const leaf = req.peerCertificates[0];
    if (config.clientCA === undefined || leaf === undefined) return undefined;
    const v = verifyClientCertificate(leaf, req.peerCertificates.slice(1), config.clientCA, this.clock.nowMs());
    if (!v.ok) return { error: `verifying certificate SN=${leaf.serialNumber} failed: ${v.error}` };
    const { commonName, organizations } = subjectOf(leaf);
    if (commonName === '') return undefined;
    return { user: { name: commonName, uid: '', groups: [...organizations], extra: {} } };
  }

  private async token(req: AuthenticationRequest, signal: AbortSignal | undefined): Promise<Step> {
    const auth = (headerValues(req.rawHeaders, 'authorization')[0] ?? '').trim();
    if (auth === '') return undefined;
    const parts = auth.split(/\s+/);
    if (parts.length < 2 || parts[0]!.toLowerCase() !== 'bearer' || parts[1] === '') return undefined;
    const token = parts[1]!;
    const reviewer = this.o.tokenReviewer;
    if (reviewer === undefined) return { error: 'invalid bearer token' };
    const key = createHash('sha256').update(token).digest('hex');
    const ttl = this.o.tokenCacheTtlMs ?? 10_000;
    let r: TokenReviewResult;
    try {
      r = await this.tokenCache.getOrLoad(key, () => reviewer.review(token, signal), () => ttl);
    } catch (e) {
      this.log.warn('TokenReview failed', { err: e });
      return { error: `token lookup failed: ${errorMessage(e)}` };
    }
    if (r.authenticated && r.user !== undefined) return { user: r.user };
    return { error: r.error !== undefined && r.error !== '' ? r.error : 'invalid bearer token' };
  }
}
