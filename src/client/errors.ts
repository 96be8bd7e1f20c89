/**
 * The error every MetricsClient call throws: it names the request (verb, resource, object), the
 * server, and what came back (HTTP status and the Kubernetes Status reason and message), and keeps
 * the underlying error as `cause`. The `code` is the KubemeterError code of what happened
 * (HttpStatus, Network, Timeout, Aborted, InvalidDocument, …).
 */
import { KubemeterError, isKubemeterError, errorMessage, ErrorCode } from '../lib/errors.ts';
import { KubeHttpError } from '../kube/http-error.ts';

/** What a failed call asked for. */
export interface MetricsRequest {
  /** `get` or `list`. */
  verb: 'get' | 'list';
  /** Resource and group, e.g. `nodes.metrics.k8s.io`, `pods` (core). */
  resource: string;
  /** Object name for `get`. */
  name?: string;
  /** Namespace, when namespaced. */
  namespace?: string;
  /** Request path with query. */
  path: string;
}

/** A MetricsClient call failed. */
export class MetricsClientError extends KubemeterError {
  /** The request that failed. */
  readonly request: MetricsRequest;
  /** Base URL of the server. */
  readonly server: string;
  /** HTTP status, when the server answered. */
  readonly statusCode: number | undefined;
  /** Status reason (`NotFound`, `Forbidden`, `ServiceUnavailable`, …), '' when none. */
  readonly reason: string;
  /** Status message, '' when the body was not a Status. */
  readonly statusMessage: string;
  /** First bytes of the body when it was not a Status. */
  readonly body: string;

  constructor(request: MetricsRequest, server: string, cause: unknown) {
    const http = cause instanceof KubeHttpError ? cause : undefined;
    const what = `${request.verb} ${request.resource}${request.name !== undefined ? ` ${JSON.stringify(request.name)}` : ''}${request.namespace !== undefined && request.namespace !== '' ? ` in namespace ${JSON.stringify(request.namespace)}` : ''}`;
    let detail: string;
    if (http !== undefined) {
      const st = http.status;
      detail = st !== undefined && st.message !== '' ? `${http.statusCode}${st.reason !== '' ? ` ${st.reason}` : ''}: ${st.message}` : `${http.statusCode}: ${JSON.stringify(http.body.slice(0, 200))}`;
    } else detail = errorMessage(cause);
    const code = isKubemeterError(cause) ? cause.code : ErrorCode.Network;
    super(code, `${what} from ${server}${request.path} failed: ${detail}`, { cause, source: `${server}${request.path}` });
    this.name = 'MetricsClientError';
    this.request = request;
    this.server = server;
    this.statusCode = http?.statusCode;
    this.reason = http?.status?.reason ?? '';
    this.statusMessage = http?.status?.message ?? '';
    this.body = http?.body ?? '';
  }

  /** True for 404 answers. */
  get notFound(): boolean {
    return this.statusCode === 404;
  }
}
