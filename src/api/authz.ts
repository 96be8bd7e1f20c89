/**
 * authorization.k8s.io/v1 SubjectAccessReview: the request a server sends to kube-apiserver to ask
 * whether a user may do something, and the decoder of the answer.
 */
import type { z } from 'zod';
import { compareGoStrings } from '../lib/go-strings.ts';
import { goQuote, goStringArray, parseJson } from './json.ts';
import { decodeWith, obj, optBool, optLiteral, optObj, optStr } from './schema.ts';

/** The API version of SubjectAccessReview. */
export const AUTHORIZATION_API_VERSION = 'authorization.k8s.io/v1';

/** A request on a resource. Empty strings mean "all" / "none" as in Kubernetes. */
export interface ResourceAttributes {
  /** Namespace (empty: cluster-scoped or all namespaces). */
  namespace?: string;
  /** `get`, `list`, `watch`, … */
  verb?: string;
  /** API group (`metrics.k8s.io`; empty for core). */
  group?: string;
  /** API version. */
  version?: string;
  /** Plural resource (`pods`). */
  resource?: string;
  /** Subresource (`stats`, `metrics`, `proxy`). */
  subresource?: string;
  /** Object name (GET of one object). */
  name?: string;
}

/** A request on a non-resource path. */
export interface NonResourceAttributes {
  /** URL path (`/metrics`). */
  path?: string;
  /** Lower-case HTTP verb (`get`). */
  verb?: string;
}

/** What to authorize, and for whom. */
export interface SubjectAccessReviewSpec {
  /** Resource request (exclusive with nonResourceAttributes). */
  resourceAttributes?: ResourceAttributes;
  /** Non-resource request. */
  nonResourceAttributes?: NonResourceAttributes;
  /** User name. */
  user?: string;
  /** Groups. */
  groups?: string[];
  /** Extra attributes. */
  extra?: Record<string, string[]>;
  /** User uid. */
  uid?: string;
}

/** The verdict. */
export interface SubjectAccessReviewStatus {
  /** Whether the action is allowed. */
  allowed: boolean;
  /** Explicitly denied (no other authorizer is asked). */
  denied?: boolean;
  /** Why. */
  reason?: string;
  /** An error while evaluating (the verdict may still be usable). */
  evaluationError?: string;
}

function s(key: string, v: string | undefined): string {
  return v === undefined || v === '' ? '' : `,"${key}":${goQuote(v)}`;
}

function fields(f: string): string {
  return `{${f.slice(1)}}`;
}

/** The JSON body of `POST /apis/authorization.k8s.io/v1/subjectaccessreviews` (Go field order). */
export function buildSubjectAccessReviewRequest(spec: SubjectAccessReviewSpec): string {
  const r = spec.resourceAttributes;
  const n = spec.nonResourceAttributes;
  let f = '';
  if (r !== undefined) {
    f += `,"resourceAttributes":${fields(`${s('namespace', r.namespace)}${s('verb', r.verb)}${s('group', r.group)}${s(
      'version', r.version)}${s('resource', r.resource)}${s('subresource', r.subresource)}${s('name', r.name)}`)}`;
  }
  if (n !== undefined) f += `,"nonResourceAttributes":${fields(`${s('path', n.path)}${s('verb', n.verb)}`)}`;
  f += s('user', spec.user);
  if (spec.groups !== undefined && spec.groups.length > 0) f += `,"groups":${goStringArray(spec.groups)}`;
  if (spec.extra !== undefined && Object.keys(spec.extra).length > 0) {
    const keys = Object.keys(spec.extra).sort(compareGoStrings);
    f += `,"extra":{${keys.map((k) => `${goQuote(k)}:${goStringArray(spec.extra![k])}`).join(',')}}`;
  }
  f += s('uid', spec.uid);
  return `{"kind":"SubjectAccessReview","apiVersion":"${AUTHORIZATION_API_VERSION}","spec":${fields(f)}}`;
}

const sarSchema: z.ZodType<{ status: SubjectAccessReviewStatus }> = obj({
  kind: optLiteral('SubjectAccessReview'),
  status: optObj({ allowed: optBool, denied: optBool, reason: optStr, evaluationError: optStr })
    .transform((st) => ({ ...st, allowed: st?.allowed ?? false })),
});

/**
 * Decodes a SubjectAccessReview response into its status (a missing `allowed` is false, as in Go).
 * Throws KubemeterError(InvalidDocument) naming `source` and the field.
 */
export function decodeSubjectAccessReview(text: string, source?: string): SubjectAccessReviewStatus {
  return decodeSubjectAccessReviewValue(parseJson(text, 'SubjectAccessReview', source), source);
}

/** `decodeSubjectAccessReview` of an already parsed JSON value (for transports that parse the body). */
export function decodeSubjectAccessReviewValue(value: unknown, source?: string): SubjectAccessReviewStatus {
  return decodeWith(sarSchema, value, 'SubjectAccessReview', source).status;
}
