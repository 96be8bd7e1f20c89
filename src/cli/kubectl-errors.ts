/**
 * Error texts as kubectl prints them (cmdutil.CheckErr → StandardErrorMessage, and client-go's
 * NewGenericServerResponse for answers that are not a Status): `Error from server (<Reason>): …`,
 * `error: You must be logged in to the server (…)`, `The connection to the server <host> was
 * refused - did you specify the right host or port?`, `Unable to connect to the server: …`, and
 * `error: <message>` for everything else.
 */
import { isKubemeterError, ErrorCode, errorMessage } from '../lib/errors.ts';
import { MetricsClientError } from '../client/errors.ts';

/** client-go's reason and message for a non-Status error answer. */
export function genericServerResponse(code: number, body: string, isText: boolean): { reason: string; message: string } {
  const serverMessage = isText ? body.slice(0, 2048).trim() : 'unknown';
  switch (code) {
    case 409:
      return { reason: 'Conflict', message: 'the server reported a conflict' };
    case 404:
      return { reason: 'NotFound', message: 'the server could not find the requested resource' };
    case 400:
      return { reason: 'BadRequest', message: 'the server rejected our request for an unknown reason' };
    case 401:
      return { reason: 'Unauthorized', message: 'the server has asked for the client to provide credentials' };
    case 403:
      return { reason: 'Forbidden', message: serverMessage };
    case 406:
      return { reason: 'NotAcceptable', message: serverMessage === '' || serverMessage === 'unknown' ? 'the server was unable to respond with a content type that the client supports' : serverMessage };
    case 415:
      return { reason: 'UnsupportedMediaType', message: serverMessage };
    case 405:
      return { reason: 'MethodNotAllowed', message: 'the server does not allow this method on the requested resource' };
    case 422:
      return { reason: 'Invalid', message: 'the server rejected our request due to an error in our request' };
    case 503:
      return { reason: 'ServiceUnavailable', message: 'the server is currently unable to handle the request' };
    case 504:
      return { reason: 'Timeout', message: 'the server was unable to return a response in the time allotted, but may still be processing the request' };
    case 429:
      return { reason: 'TooManyRequests', message: 'the server has received too many requests and has asked us to try again later' };
    default:
      if (code >= 500) return { reason: 'InternalError', message: `an error on the server (${JSON.stringify(serverMessage)}) has prevented the request from succeeding` };
      return { reason: '', message: `the server responded with the status code ${code} but did not return more information` };
  }
}

/** The line(s) kubectl writes to stderr for `e` (without the trailing newline). */
export function kubectlErrorMessage(e: unknown): string {
  if (e instanceof MetricsClientError && e.statusCode !== undefined) {
    let reason: string;
    let message: string;
    let parsedStatus = false;
    try {
      const v = JSON.parse(e.body) as { kind?: unknown; status?: unknown; reason?: unknown; message?: unknown };
      parsedStatus = typeof v === 'object' && v !== null && typeof v.status === 'string' && v.status !== '';
      reason = parsedStatus && typeof v.reason === 'string' ? v.reason : '';
      message = parsedStatus && typeof v.message === 'string' ? v.message : '';
    } catch {
      reason = '';
      message = '';
    }
    // kubectl's discovery client reports errors from /api and /apis with client-go's generic text
    // even when the body is a Status (observed with kubectl 1.32 on a 401).
    const discovery = e.request.resource === 'apigroups';
    if (!parsedStatus || discovery) {
      const isText = !parsedStatus && !e.body.trimStart().startsWith('{');
      ({ reason, message } = genericServerResponse(e.statusCode, e.body, isText));
      // client-go names the resource (and object) it asked for; discovery requests have none.
      const r = e.request;
      if (r.resource !== 'apigroups') message = `${message} (get ${r.resource}${r.name !== undefined && r.verb === 'get' ? ` ${r.name}` : ''})`;
    }
    if (reason === 'Unauthorized') return `error: You must be logged in to the server (${message})`;
    if (reason !== '') return `Error from server (${reason}): ${message}`;
    return `Error from server: ${message}`;
  }
  if (e instanceof MetricsClientError && e.code === ErrorCode.Network) {
    const cause = e.cause as { cause?: { code?: unknown } } | undefined;
    const code = cause?.cause?.code;
    const host = new URL(e.server).host;
    if (code === 'ECONNREFUSED') return `The connection to the server ${host} was refused - did you specify the right host or port?`;
    return `Unable to connect to the server: ${errorMessage(cause?.cause ?? e.cause)}`;
  }
  if (e instanceof MetricsClientError && e.code === ErrorCode.Timeout) {
    return `Unable to connect to the server: ${errorMessage(e.cause)}`;
  }
  const msg = isKubemeterError(e) || e instanceof Error ? e.message : String(e);
  return msg.startsWith('error: ') ? msg : `error: ${msg}`;
}
