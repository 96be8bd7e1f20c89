/**
 * The exact error bodies of the two servers kubemeter stands in for. The generic apiserver
 * (metrics-server) answers 401/403/504 with a Kubernetes Status and 429/500 with Go's
 * http.Error text; the kubelet answers with go-restful's plain strings.
 */
import { encodeStatus } from '../api/status.ts';
import type { Status } from '../api/status.ts';
import { goQuote } from '../lib/go-strings.ts';
import type { AuthorizationAttributes } from './attributes.ts';

/** Which server's error format to speak. */
export type ErrorStyle = 'apiserver' | 'kubelet';

/** A complete error response. */
export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const JSON_HEADERS = { 'content-type': 'application/json' };
// Go's http.Error: text, nosniff, message plus newline.
const TEXT_HEADERS = { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' };
// go-restful WriteErrorString sets no type; Go's sniffing then says text/plain.
const RESTFUL_HEADERS = { 'content-type': 'text/plain; charset=utf-8' };

function statusResponse(st: Status): ErrorResponse {
  return { status: st.code ?? 500, headers: JSON_HEADERS, body: encodeStatus(st) };
}

/** 401 for a request that did not authenticate. */
export function unauthorizedResponse(style: ErrorStyle): ErrorResponse {
  if (style === 'kubelet') return { status: 401, headers: RESTFUL_HEADERS, body: 'Unauthorized' };
  return statusResponse({ status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
}

/** The generic apiserver's forbidden message (responsewriters.forbiddenMessage). */
export function forbiddenMessage(a: AuthorizationAttributes): string {
  const user = goQuote(a.user.name);
  if (!a.isResourceRequest) return `User ${user} cannot ${a.verb} path ${goQuote(a.path)}`;
  const resource = a.subresource === '' ? a.resource : `${a.resource}/${a.subresource}`;
  if (a.namespace !== '') return `User ${user} cannot ${a.verb} resource ${goQuote(resource)} in API group ${goQuote(a.apiGroup)} in the namespace ${goQuote(a.namespace)}`;
  return `User ${user} cannot ${a.verb} resource ${goQuote(resource)} in API group ${goQuote(a.apiGroup)} at the cluster scope`;
}

function kubeletAttrs(a: AuthorizationAttributes): string {
  return `user=${a.user.name}, verb=${a.verb}, resource=${a.resource}, subresource=${a.subresource}`;
}

/** 403 for a denied request; `reason` is the authorizer's reason ('' for none). */
export function forbiddenResponse(style: ErrorStyle, a: AuthorizationAttributes, reason: string): ErrorResponse {
  if (style === 'kubelet') return { status: 403, headers: RESTFUL_HEADERS, body: `Forbidden (${kubeletAttrs(a)})` };
  const msg = reason === '' ? forbiddenMessage(a) : `${forbiddenMessage(a)}: ${reason}`;
  // apierrors.NewForbidden: "<resource>.<group> "<name>" is forbidden: …", or "forbidden: …" without a resource.
  const qualified = a.apiGroup === '' ? a.resource : `${a.resource}.${a.apiGroup}`;
  const message = a.resource === '' && a.apiGroup === '' ? `forbidden: ${msg}`
    : a.name === '' ? `${qualified} is forbidden: ${msg}`
    : `${qualified} ${goQuote(a.name)} is forbidden: ${msg}`;
  const details: NonNullable<Status['details']> = {};
  if (a.name !== '') details.name = a.name;
  if (a.apiGroup !== '') details.group = a.apiGroup;
  if (a.resource !== '') details.kind = a.resource;
  return statusResponse({ status: 'Failure', message, reason: 'Forbidden', details, code: 403 });
}

/** 500 when authorization could not be decided. `requestUri` is the raw request target. */
export function authorizationErrorResponse(style: ErrorStyle, a: AuthorizationAttributes, requestUri: string, error: string): ErrorResponse {
  if (style === 'kubelet') return { status: 500, headers: RESTFUL_HEADERS, body: `Authorization error (${kubeletAttrs(a)})` };
  return { status: 500, headers: TEXT_HEADERS, body: `Internal Server Error: ${goQuote(requestUri)}: ${error}\n` };
}

/** 429 from the in-flight limit (the generic apiserver's max-in-flight filter, Retry-After 1). */
export function tooManyRequestsResponse(): ErrorResponse {
  return { status: 429, headers: { ...TEXT_HEADERS, 'retry-after': '1' }, body: 'Too many requests, please try again later.\n' };
}

/** 504 when a request outlives --request-timeout. */
export function timeoutResponse(): ErrorResponse {
  return statusResponse({
    status: 'Failure',
    message: 'Timeout: request did not complete within requested timeout - context deadline exceeded',
    reason: 'Timeout',
    details: {},
    code: 504,
  });
}
