/**
 * authentication.k8s.io/v1 TokenReview: the request a server sends to kube-apiserver to learn who
 * a bearer token belongs to, and the decoder of the answer.
 */
import type { z } from 'zod';
import { goQuote, goStringArray, parseJson } from './json.ts';
import { decodeWith, obj, optBool, optLiteral, optObj, optStr, optStringArray, optStringListMap } from './schema.ts';

/** The API version of TokenReview. */
export const AUTHENTICATION_API_VERSION = 'authentication.k8s.io/v1';

/** Who a request acts as. */
export interface UserInfo {
  /** User name. */
  username?: string;
  /** User uid. */
  uid?: string;
  /** Groups. */
  groups?: string[];
  /** Extra attributes (scopes and the like). */
  extra?: Record<string, string[]>;
}

/** What to review. */
export interface TokenReviewSpec {
  /** The bearer token. */
  token: string;
  /** Audiences the token must be valid for (empty: the apiserver's own). */
  audiences?: string[];
}

/** The verdict. */
export interface TokenReviewStatus {
  /** Whether the token is valid. */
  authenticated?: boolean;
  /** The user, when authenticated. */
  user?: UserInfo;
  /** Audiences the token is valid for. */
  audiences?: string[];
  /** Why the review failed. */
  error?: string;
}

/** A TokenReview response. */
export interface TokenReview {
  /** The request as echoed. */
  spec?: { audiences?: string[] };
  /** The verdict. */
  status: TokenReviewStatus;
}

/** The JSON body of `POST /apis/authentication.k8s.io/v1/tokenreviews`. */
export function buildTokenReviewRequest(spec: TokenReviewSpec): string {
  const audiences = spec.audiences === undefined || spec.audiences.length === 0
    ? '' : `,"audiences":${goStringArray(spec.audiences)}`;
  return `{"kind":"TokenReview","apiVersion":"${AUTHENTICATION_API_VERSION}","spec":{"token":${goQuote(spec.token)}${
    audiences}}}`;
}

const tokenReviewSchema: z.ZodType<TokenReview> = obj({
  kind: optLiteral('TokenReview'),
  spec: optObj({ audiences: optStringArray }),
  status: optObj({
    authenticated: optBool,
    user: optObj({ username: optStr, uid: optStr, groups: optStringArray, extra: optStringListMap }),
    audiences: optStringArray,
    error: optStr,
  }).transform((s) => s ?? {}),
}).transform(({ kind: _kind, ...review }) => review);

/**
 * Decodes a TokenReview response. A missing status means "not authenticated". Throws
 * KubemeterError(InvalidDocument) naming `source` and the field. The echoed token is dropped.
 */
export function decodeTokenReview(text: string, source?: string): TokenReview {
  return decodeTokenReviewValue(parseJson(text, 'TokenReview', source), source);
}

/** `decodeTokenReview` of an already parsed JSON value (for transports that parse the body). */
export function decodeTokenReviewValue(value: unknown, source?: string): TokenReview {
  return decodeWith(tokenReviewSchema, value, 'TokenReview', source);
}
