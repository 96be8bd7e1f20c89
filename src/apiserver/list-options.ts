/**
 * What every resource handler shares: list options decoded as the generic apiserver decodes them
 * (400 with the decoder's message), the plain-object-or-Table rendering after content
 * negotiation, and the request checks for read-only resources (405 for writes and watches).
 */
import { isKubemeterError } from '../lib/errors.ts';
import { everythingLabelSelector, parseLabelSelector, type LabelSelector } from '../lib/labels.ts';
import { parseFieldSelector, everythingFieldSelector, type FieldSelector } from '../lib/fields.ts';
import { goQuote } from '../lib/go-strings.ts';
import { badRequestStatus, methodNotSupportedStatus, type GroupResource, type Status } from '../api/meta.ts';
import { jsonResponse, piecewiseJsonResponse, statusResponse, wantsPretty, type ApiRequest, type ApiResponse } from './http.ts';
import { includeObjectValues, invalidIncludeObjectMessage } from './table.ts';
import { negotiate } from './negotiate.ts';

/** Decoded selectors of a list request. */
export interface ListOptions {
  labels: LabelSelector;
  fields: FieldSelector;
}

/** Field labels the default conversion accepts (both, for cluster-scoped resources too). */
const knownFields = ['metadata.name', 'metadata.namespace'];

/** Go's strconv.ParseInt(s, 10, 64) error text, or undefined when `s` parses. */
function parseIntError(s: string): string | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return `strconv.ParseInt: parsing ${goQuote(s)}: invalid syntax`;
  const n = BigInt(s);
  if (n > 9223372036854775807n || n < -9223372036854775808n) return `strconv.ParseInt: parsing ${goQuote(s)}: value out of range`;
  return undefined;
}

/**
 * Decode the list options as the generic apiserver does (400 with the decoder's message): the
 * integers first (`timeoutSeconds`, then `limit`, first value only), then the selectors. Paging
 * itself is not supported, as in metrics-server: a valid `limit` returns the whole list.
 */
export function listOptions(req: ApiRequest): ListOptions | { error: Status } {
  for (const name of ['timeoutSeconds', 'limit']) {
    const v = req.query.get(name);
    const err = v === null ? undefined : parseIntError(v);
    if (err !== undefined) return { error: badRequestStatus(err) };
  }
  try {
    const l = req.query.get('labelSelector');
    const f = req.query.get('fieldSelector');
    return {
      labels: l === null ? everythingLabelSelector : parseLabelSelector(l),
      fields: f === null ? everythingFieldSelector : parseFieldSelector(f, { knownFields }),
    };
  } catch (e) {
    if (isKubemeterError(e)) return { error: badRequestStatus(e.message) };
    throw e;
  }
}

/** 405 for anything but GET/HEAD on a read-only resource. */
export function readOnlyViolation(req: ApiRequest): ApiResponse | undefined {
  if (req.method === 'GET' || req.method === 'HEAD') return undefined;
  return statusResponse(req, { status: 'Failure', message: 'the server does not allow this method on the requested resource', reason: 'MethodNotAllowed', details: {}, code: 405 });
}

/** A list request's options, or the 400/405 answer (bad integers or selectors, a watch). */
export function listRequest(req: ApiRequest, gr: GroupResource): ListOptions | ApiResponse {
  const opts = listOptions(req);
  if ('error' in opts) return statusResponse(req, opts.error);
  // The query decoder's bool: anything but "0" or "false" (any case) asks for a watch.
  const watch = req.query.get('watch');
  if (watch !== null && watch !== '0' && watch.toLowerCase() !== 'false') return statusResponse(req, methodNotSupportedStatus(gr, 'watch'));
  return opts;
}

/**
 * The object or, when negotiated, a Table in the asked meta.k8s.io version (after the lookup, as
 * upstream transforms the response: a missing object is a 404 whatever `includeObject` says).
 */
export function render(
  req: ApiRequest,
  object: () => string,
  table: (includeObject: string, version: 'v1' | 'v1beta1') => string,
  objectPieces?: () => Iterable<string>,
): ApiResponse {
  const rep = negotiate(req.accept);
  if (rep.kind === 'object') {
    // Compact JSON can be written piece by piece; indenting needs the whole text.
    if (objectPieces !== undefined && !wantsPretty(req)) return piecewiseJsonResponse(200, objectPieces);
    return jsonResponse(req, 200, object());
  }
  const includeObject = req.query.get('includeObject') ?? '';
  if (!(includeObjectValues as readonly string[]).includes(includeObject)) return statusResponse(req, badRequestStatus(invalidIncludeObjectMessage(includeObject)));
  return jsonResponse(req, 200, table(includeObject, rep.version));
}
