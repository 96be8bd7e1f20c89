/**
 * meta/v1 `Status`, the body of every API error, with constructors for the exact messages of
 * k8s.io/apimachinery `api/errors` and its encoder. Kept apart from meta.ts and free of zod: the
 * agent's secure port and the shared auth responses write Status bodies but never decode one,
 * and zod costs a process ~4 MiB of heap and ~10 MiB of resident memory to load. decodeStatus,
 * for untrusted Status bodies, stays in meta.ts with the other schemas.
 */
import { goQuote } from './json.ts';

function s(key: string, v: string | undefined): string {
  return v === undefined || v === '' ? '' : `,"${key}":${goQuote(v)}`;
}

/** One cause inside StatusDetails. */
export interface StatusCause {
  /** Machine-readable cause. */
  reason?: string;
  /** Human-readable cause. */
  message?: string;
  /** Field path the cause applies to. */
  field?: string;
}

/** Details of a Status. */
export interface StatusDetails {
  /** Object name. */
  name?: string;
  /** API group. */
  group?: string;
  /** Kind, or the resource for errors built from a resource. */
  kind?: string;
  /** Object uid. */
  uid?: string;
  /** Causes. */
  causes?: StatusCause[];
  /** Seconds to wait before retrying. */
  retryAfterSeconds?: number;
}

/** A meta/v1 Status (API error or success body). */
export interface Status {
  /** `Success` or `Failure`. */
  status?: string;
  /** Human-readable description. */
  message?: string;
  /** Machine-readable reason (`NotFound`, `Forbidden`, …). */
  reason?: string;
  /** Extended data. */
  details?: StatusDetails;
  /** HTTP status code. */
  code?: number;
}

/** The complete JSON body of a Status response (compact, final newline), as the apiserver writes it. */
export function encodeStatus(st: Status): string {
  let details = '';
  const d = st.details;
  if (d !== undefined) {
    const causes = d.causes === undefined || d.causes.length === 0 ? '' : `,"causes":[${d.causes.map((c) => {
      const f = `${s('reason', c.reason)}${s('message', c.message)}${s('field', c.field)}`;
      return `{${f.slice(1)}}`;
    }).join(',')}]`;
    const f = `${s('name', d.name)}${s('group', d.group)}${s('kind', d.kind)}${s('uid', d.uid)}${causes}${
      d.retryAfterSeconds ? `,"retryAfterSeconds":${d.retryAfterSeconds}` : ''}`;
    details = `,"details":{${f.slice(1)}}`;
  }
  return `{"kind":"Status","apiVersion":"v1","metadata":{}${s('status', st.status)}${s('message', st.message)}${s(
    'reason', st.reason)}${details}${st.code ? `,"code":${st.code}` : ''}}\n`;
}

/** A resource within a group, as apimachinery's `schema.GroupResource` names it in errors. */
export interface GroupResource {
  /** API group (`''` for core). */
  group: string;
  /** Plural resource name or, for metrics, the lower-case kind (`podmetrics`). */
  resource: string;
}

function qualified(gr: GroupResource): string {
  return gr.group === '' ? gr.resource : `${gr.resource}.${gr.group}`;
}

function grDetails(gr: GroupResource, name: string): StatusDetails {
  const d: StatusDetails = {};
  if (name !== '') d.name = name;
  if (gr.group !== '') d.group = gr.group;
  if (gr.resource !== '') d.kind = gr.resource;
  return d;
}

/** 404: `podmetrics.metrics.k8s.io "ns/p" not found`, details {name, group, kind}. */
export function notFoundStatus(gr: GroupResource, name: string): Status {
  return { status: 'Failure', message: `${qualified(gr)} ${JSON.stringify(name)} not found`, reason: 'NotFound',
    details: grDetails(gr, name), code: 404 };
}

/**
 * 403: `nodes.metrics.k8s.io is forbidden: <reason>` (with `"name"` after the resource when a name
 * is given; `forbidden: <reason>` for non-resource requests, i.e. an empty resource).
 */
export function forbiddenStatus(gr: GroupResource, name: string, reason: string): Status {
  const what = gr.resource === '' && gr.group === '' ? 'forbidden'
    : `${qualified(gr)}${name === '' ? '' : ` ${JSON.stringify(name)}`} is forbidden`;
  return { status: 'Failure', message: `${what}: ${reason}`, reason: 'Forbidden', details: grDetails(gr, name), code: 403 };
}

/** 500: `Internal error occurred: <err>` with the error as the single cause. */
export function internalErrorStatus(err: string): Status {
  return { status: 'Failure', message: `Internal error occurred: ${err}`, reason: 'InternalError',
    details: { causes: [{ message: err }] }, code: 500 };
}

/** 401 `Unauthorized`. */
export function unauthorizedStatus(message = 'Unauthorized'): Status {
  return { status: 'Failure', message, reason: 'Unauthorized', code: 401 };
}

/** 400 with the given message (selector parse errors and the like). */
export function badRequestStatus(message: string): Status {
  return { status: 'Failure', message, reason: 'BadRequest', code: 400 };
}

/** 405: `watch is not supported on resources of kind "nodes.metrics.k8s.io"`. */
export function methodNotSupportedStatus(gr: GroupResource, action: string): Status {
  return { status: 'Failure', message: `${action} is not supported on resources of kind ${JSON.stringify(qualified(gr))}`,
    reason: 'MethodNotAllowed', details: grDetails(gr, ''), code: 405 };
}
