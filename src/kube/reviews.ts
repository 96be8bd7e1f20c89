/**
 * TokenReview (authentication.k8s.io/v1) and SubjectAccessReview (authorization.k8s.io/v1)
 * clients: how a delegating server asks kube-apiserver who a bearer token belongs to and whether
 * a user may do something. Transient failures (network, 5xx, 429) are retried a few times with
 * backoff, as the webhook clients of k8s.io/apiserver do.
 */
import { AUTHENTICATION_API_VERSION, decodeTokenReviewValue, type TokenReviewSpec, type TokenReviewStatus, type UserInfo } from '../api/authn.ts';
import { AUTHORIZATION_API_VERSION, decodeSubjectAccessReviewValue, type SubjectAccessReviewSpec, type SubjectAccessReviewStatus } from '../api/authz.ts';
import { ErrorCode, KubemeterError } from '../lib/errors.ts';
import type { KubeClient } from './client.ts';
import { KubeHttpError } from './http-error.ts';
import type { Sleep } from './backoff.ts';
import { realSleep } from './backoff.ts';

/** A TokenReview's `status` with Go's zero values for absent fields (what the auth layer reads). */
export type TokenVerdict = Required<Omit<TokenReviewStatus, 'user'>> & { user: Required<UserInfo> };

/** A SubjectAccessReview's `status` with Go's zero values for absent fields. */
export type AccessVerdict = Required<SubjectAccessReviewStatus>;

/** Options shared by both review calls. */
export interface ReviewOptions {
  signal?: AbortSignal;
  /** Per attempt, in ms (default 10 s, the webhook client timeout). */
  timeoutMs?: number;
  /** Attempts on transient failures (default 3). */
  attempts?: number;
  sleep?: Sleep;
}

const TOKEN_REVIEWS = '/apis/authentication.k8s.io/v1/tokenreviews';
const ACCESS_REVIEWS = '/apis/authorization.k8s.io/v1/subjectaccessreviews';

/**
 * Requires `kind` to name the review (the decoders of src/api, like Go's, also accept an answer
 * without one); an answer of another kind is a misrouted request.
 */
function requireKind(v: unknown, kind: string, source: string): void {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || (v as Record<string, unknown>)['kind'] !== kind) {
    throw new KubemeterError(ErrorCode.InvalidDocument, `${source}: answer is not a ${kind}`, { source });
  }
}

/** Decode a TokenReview answer (a JSON value); missing fields are Go's zero values. */
export function decodeTokenVerdict(v: unknown, source: string): TokenVerdict {
  requireKind(v, 'TokenReview', source);
  const st = decodeTokenReviewValue(v, source).status;
  const u = st.user ?? {};
  return {
    authenticated: st.authenticated ?? false,
    user: { username: u.username ?? '', uid: u.uid ?? '', groups: u.groups ?? [], extra: u.extra ?? {} },
    audiences: st.audiences ?? [],
    error: st.error ?? '',
  };
}

/** Decode a SubjectAccessReview answer (a JSON value); a missing `allowed` or `denied` is false. */
export function decodeAccessVerdict(v: unknown, source: string): AccessVerdict {
  requireKind(v, 'SubjectAccessReview', source);
  const st = decodeSubjectAccessReviewValue(v, source);
  return { allowed: st.allowed, denied: st.denied ?? false, reason: st.reason ?? '', evaluationError: st.evaluationError ?? '' };
}

function transient(e: unknown): boolean {
  if (e instanceof KubeHttpError) return e.statusCode === 429 || e.statusCode >= 500;
  return e instanceof KubemeterError && (e.code === ErrorCode.Network || e.code === ErrorCode.Timeout);
}

async function withRetries<T>(o: ReviewOptions, call: () => Promise<T>): Promise<T> {
  const attempts = Math.max(1, o.attempts ?? 3);
  const sleep = o.sleep ?? realSleep;
  let delayMs = 500;
  for (let i = 1; ; i++) {
    try {
      return await call();
    } catch (e) {
      if (i >= attempts || !transient(e) || o.signal?.aborted) throw e;
      await sleep(delayMs, o.signal ?? new AbortController().signal);
      delayMs *= 1.5;
    }
  }
}

/** POST a TokenReview for `token`. */
export function reviewToken(client: Pick<KubeClient, 'postJSON'>, token: string, options: ReviewOptions & { audiences?: string[] } = {}): Promise<TokenVerdict> {
  const spec: TokenReviewSpec = { token };
  if (options.audiences !== undefined && options.audiences.length > 0) spec.audiences = options.audiences;
  const body = { apiVersion: AUTHENTICATION_API_VERSION, kind: 'TokenReview', spec };
  return withRetries(options, () => client.postJSON(TOKEN_REVIEWS, body, { decode: decodeTokenVerdict, signal: options.signal, timeoutMs: options.timeoutMs ?? 10_000, maxBytes: 1 << 20 }));
}

/** POST a SubjectAccessReview for `spec`. */
export function reviewAccess(client: Pick<KubeClient, 'postJSON'>, spec: SubjectAccessReviewSpec, options: ReviewOptions = {}): Promise<AccessVerdict> {
  const body = { apiVersion: AUTHORIZATION_API_VERSION, kind: 'SubjectAccessReview', spec };
  return withRetries(options, () => client.postJSON(ACCESS_REVIEWS, body, { decode: decodeAccessVerdict, signal: options.signal, timeoutMs: options.timeoutMs ?? 10_000, maxBytes: 1 << 20 }));
}
