/**
 * The framework-free request/response model of the API handlers: a handler is a pure function
 * of the request (method, path, query, two headers) and a clock, which keeps it testable without
 * sockets and servable over HTTP/1.1 and HTTP/2 alike.
 */
import { encodeStatus, type Status } from '../api/meta.ts';
import { indentJson } from '../api/json.ts';

/** What the handlers read from a request. */
export interface ApiRequest {
  method: string;
  /** Path without the query, not decoded. */
  path: string;
  query: URLSearchParams;
  /** `Accept` header ('' when absent). */
  accept: string;
  /** `User-Agent` header ('' when absent). */
  userAgent: string;
}

/** A complete response. */
export interface ApiResponse {
  status: number;
  contentType: string;
  body: string;
  headers?: Record<string, string>;
  /**
   * The body in pieces, for large lists: a server writes them as they are produced, with the
   * event loop free in between; `body` is then their concatenation, made on demand.
   */
  pieces?: () => Iterable<string>;
  /**
   * Every piece is ASCII, so a server may write it one byte per character (latin1) instead of
   * measuring and encoding it as UTF-8.
   */
  piecesAscii?: boolean;
}

/** A JSON response written piece by piece (see ApiResponse.pieces). */
export function piecewiseJsonResponse(status: number, pieces: () => Iterable<string>): ApiResponse {
  let joined: string | undefined;
  return {
    status,
    contentType: 'application/json',
    pieces,
    get body(): string {
      if (joined === undefined) {
        joined = '';
        for (const p of pieces()) joined += p;
      }
      return joined;
    },
  };
}

/** Build an ApiRequest from a raw URL and headers. */
export function apiRequest(method: string, rawUrl: string, headers: { accept?: string | undefined; userAgent?: string | undefined } = {}): ApiRequest {
  const q = rawUrl.indexOf('?');
  return {
    method,
    path: q < 0 ? rawUrl : rawUrl.slice(0, q),
    query: new URLSearchParams(q < 0 ? '' : rawUrl.slice(q + 1)),
    accept: headers.accept ?? '',
    userAgent: headers.userAgent ?? '',
  };
}

/** The generic apiserver pretty-prints for `?pretty=true|1` and for curl, Wget and browsers. */
export function wantsPretty(req: ApiRequest): boolean {
  const p = req.query.get('pretty');
  if (p !== null) return p === 'true' || p === '1';
  return /^(curl|Wget|Mozilla\/5\.0)/.test(req.userAgent);
}

/** A JSON response (compact text ending in a newline), indented when the client asked for it. */
export function jsonResponse(req: ApiRequest, status: number, compact: string): ApiResponse {
  const body = wantsPretty(req) ? `${indentJson(compact.endsWith('\n') ? compact.slice(0, -1) : compact, '  ')}\n` : compact;
  return { status, contentType: 'application/json', body };
}

/** A Status error response. */
export function statusResponse(req: ApiRequest, st: Status): ApiResponse {
  return jsonResponse(req, st.code ?? 500, encodeStatus(st));
}

/** Go's default 404 for paths outside every API. */
export const notFoundText: ApiResponse = { status: 404, contentType: 'text/plain; charset=utf-8', body: '404 page not found\n', headers: { 'x-content-type-options': 'nosniff' } };
