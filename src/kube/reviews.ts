/**
 * TokenReview (authentication.k8s.io/v1) and SubjectAccessReview (authorization.k8s.io/v1)
 * clients: how a delegating server asks kube-apiserver who a bearer token belongs to and whether
 * a user may do something. Transient failures (network, 5xx, 429) are retried a few times with
 * backoff, as the webhook clients of k8s.io/apiserver do.
 */
import { ErrorCode, KubemeterError } from '../lib/errors.ts';
import type { KubeClient } from './client.ts';
import { KubeHttpError } from './http-error.ts';
import type { Sleep } from './backoff.ts';
import { realSleep } from './backoff.ts';

/** The user a TokenReview returns. */
export interface ReviewedUser {
  username: string;
  uid: string;
  groups: string[];
  extra: Record<string, string[]>;
}

/** `status` of a TokenReview. */
export interface TokenReviewStatus {
  authenticated: boolean;
  user: ReviewedUser;
  audiences: string[];
  error: string;
}

/** `spec` of a SubjectAccessReview. */
export interface SubjectAccessReviewSpec {
  resourceAttributes?: { namespace?: string; verb?: string; group?: string; version?: string; resource?: string; subresource?: string; name?: string };
  nonResourceAttributes?: { path?: string; verb?: string };
  user?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
  uid?: string;
}

/** `status` of a SubjectAccessReview. */
export interface SubjectAccessReviewStatus {
  allowed: boolean;
  denied: boolean;
  reason: string;
  evaluationError: string;
}

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

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const strOf = (v: unknown): string => (typeof v === 'string' ? v : '');
const strList = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

function statusOf(v: unknown, kind: string, source: string): Obj {
  if (!isObj(v) || v['kind'] !== kind) throw new KubemeterError(ErrorCode.InvalidDocument, `${source}: answer is not a ${kind}`, { source });
  const st = v['status'];
  if (st === undefined || st === null) return {};
  if (!isObj(st)) throw new KubemeterError(ErrorCode.InvalidDocument, `${source}: ${kind}.status is not an object`, { source });
  return st;
}

/** Decode a TokenReview answer. */
export function decodeTokenReview(v: unknown, source: string): TokenReviewStatus {
  const st = statusOf(v, 'TokenReview', source);
  const u = isObj(st['user']) ? st['user'] : {};
  const extra: Record<string, string[]> = {};
  if (isObj(u['extra'])) for (const [k, vals] of Object.entries(u['extra'])) extra[k] = strList(vals);
  return {
    authenticated: st['authenticated'] === true,
    user: { username: strOf(u['username']), uid: strOf(u['uid']), groups: strList(u['groups']), extra },
    audiences: strList(st['audiences']),
    error: strOf(st['error']),
  };
}

/** Decode a SubjectAccessReview answer. */
export function decodeSubjectAccessReview(v: unknown, source: string): SubjectAccessReviewStatus {
  const st = statusOf(v, 'SubjectAccessReview', source);
  return { allowed: st['allowed'] === true, denied: st['denied'] === true, reason: strOf(st['reason']), evaluationError: strOf(st['evaluationError']) };
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
export function reviewToken(client: Pick<KubeClient, 'postJSON'>, token: string, options: ReviewOptions & { audiences?: string[] } = {}): Promise<TokenReviewStatus> {
  const spec: Obj = { token };
  if (options.audiences !== undefined && options.audiences.length > 0) spec['audiences'] = options.audiences;
  const body = { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec };
  return withRetries(options, () => client.postJSON(TOKEN_REVIEWS, body, { decode: decodeTokenReview, signal: options.signal, timeoutMs: options.timeoutMs ?? 10_000, maxBytes: 1 << 20 }));
}

/** POST a SubjectAccessReview for `spec`. */
export function reviewAccess(client: Pick<KubeClient, 'postJSON'>, spec: SubjectAccessReviewSpec, options: ReviewOptions = {}): Promise<SubjectAccessReviewStatus> {
  const body = { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec };
  return withRetries(options, () => client.postJSON(ACCESS_REVIEWS, body, { decode: decodeSubjectAccessReview, signal: options.signal, timeoutMs: options.timeoutMs ?? 10_000, maxBytes: 1 << 20 }));
}
