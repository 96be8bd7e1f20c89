/**
 * The error a KubeClient request throws when kube-apiserver answers with a non-2xx status: it says
 * what was asked (method, URL), what came back (status code, the Kubernetes Status reason and
 * message when the body is one) and keeps a size-capped copy of the body.
 */
import { ErrorCode, KubemeterError, quoteInput } from '../lib/errors.ts';

/** The fields of a metav1.Status body that callers branch on. */
export interface StatusSummary {
  /** `Failure` or `Success`. */
  status: string;
  /** Human-readable message. */
  message: string;
  /** Machine-readable reason (`NotFound`, `Expired`, `Forbidden`, …). */
  reason: string;
  /** HTTP code the Status carries (can differ from the response status inside watch streams). */
  code: number;
}

/** Read the interesting fields of a decoded JSON value if it is a metav1.Status; undefined otherwise. */
export function statusSummaryOf(value: unknown): StatusSummary | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (v['kind'] !== 'Status') return undefined;
  const str = (k: string): string => (typeof v[k] === 'string' ? (v[k] as string) : '');
  return { status: str('status'), message: str('message'), reason: str('reason'), code: typeof v['code'] === 'number' ? v['code'] : 0 };
}

/** Largest body prefix kept on an error. */
export const ERROR_BODY_MAX_BYTES = 4096;

/** kube-apiserver answered with an error status. `code` is always ErrorCode.HttpStatus. */
export class KubeHttpError extends KubemeterError {
  /** HTTP method of the request. */
  readonly method: string;
  /** Full request URL. */
  readonly url: string;
  /** HTTP status code of the response. */
  readonly statusCode: number;
  /** The decoded Status, when the body was one. */
  readonly status: StatusSummary | undefined;
  /** The body, cut to ERROR_BODY_MAX_BYTES. */
  readonly body: string;

  constructor(init: { method: string; url: string; statusCode: number; body: string }) {
    const body = init.body.slice(0, ERROR_BODY_MAX_BYTES);
    let status: StatusSummary | undefined;
    try {
      status = statusSummaryOf(JSON.parse(body));
    } catch {
      status = undefined;
    }
    const detail = status !== undefined && status.message !== '' ? `${status.reason === '' ? '' : `${status.reason}: `}${status.message}` : quoteInput(body, 200);
    super(ErrorCode.HttpStatus, `${init.method} ${init.url}: ${init.statusCode} ${detail}`, { source: init.url });
    this.name = 'KubeHttpError';
    this.method = init.method;
    this.url = init.url;
    this.statusCode = init.statusCode;
    this.status = status;
    this.body = body;
  }

  /** The Status reason, e.g. `Expired`, or '' when the body was not a Status. */
  get reason(): string {
    return this.status?.reason ?? '';
  }
}

/** Is `e` an HTTP error with one of the given status codes? */
export function isHttpStatus(e: unknown, ...codes: number[]): e is KubeHttpError {
  return e instanceof KubeHttpError && codes.includes(e.statusCode);
}

/** 410 Gone / reason Expired: the resourceVersion or continue token is too old; relist. */
export function isResourceExpired(e: unknown): boolean {
  return e instanceof KubeHttpError && (e.statusCode === 410 || e.reason === 'Expired' || e.reason === 'Gone');
}
