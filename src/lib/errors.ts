/**
 * One error family for the whole project. Every error carries a stable `code` (safe to match on in
 * scripts and tests) and a message that names the input that was wrong and where it came from.
 */

/** Stable error codes. Add new codes at the end; never rename one. */
export const ErrorCode = {
  /** A command-line flag or configuration value is invalid. */
  InvalidFlag: 'KM_INVALID_FLAG',
  /** A resource.Quantity string does not parse. */
  InvalidQuantity: 'KM_INVALID_QUANTITY',
  /** A document (JSON, YAML) does not match the expected schema. */
  InvalidDocument: 'KM_INVALID_DOCUMENT',
  /** Prometheus text exposition could not be parsed. */
  InvalidExposition: 'KM_INVALID_EXPOSITION',
  /** A file (cgroup, /proc, config) could not be read or parsed. */
  InvalidFile: 'KM_INVALID_FILE',
  /** A response or input exceeded a size limit. */
  TooLarge: 'KM_TOO_LARGE',
  /** An operation did not finish within its deadline. */
  Timeout: 'KM_TIMEOUT',
  /** A remote server answered with an error status. */
  HttpStatus: 'KM_HTTP_STATUS',
  /** A network-level failure (connection refused, reset, TLS). */
  Network: 'KM_NETWORK',
  /** A caller is not authenticated. */
  Unauthorized: 'KM_UNAUTHORIZED',
  /** A caller is authenticated but not allowed. */
  Forbidden: 'KM_FORBIDDEN',
  /** A requested object does not exist. */
  NotFound: 'KM_NOT_FOUND',
  /** The operation was cancelled through an AbortSignal. */
  Aborted: 'KM_ABORTED',
  /** A label or field selector does not parse. */
  InvalidSelector: 'KM_INVALID_SELECTOR',
  /** A kubeconfig is missing or unusable. */
  InvalidKubeconfig: 'KM_INVALID_KUBECONFIG',
  /** A bug: an invariant that should hold did not. */
  Internal: 'KM_INTERNAL',
  /** A gRPC server answered with a status other than OK (the status name is in the message). */
  RpcStatus: 'KM_RPC_STATUS',
} as const;

/** One of the stable error codes. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Options for a KubemeterError. */
export interface KubemeterErrorOptions {
  /** The underlying error, if any. */
  cause?: unknown;
  /** Where the bad input came from: a file path, URL, flag name or field path. */
  source?: string;
}

/** Base class of every error kubemeter throws on purpose. */
export class KubemeterError extends Error {
  /** Stable machine-readable code. */
  readonly code: ErrorCode;
  /** Where the bad input came from, when known. */
  readonly source: string | undefined;

  constructor(code: ErrorCode, message: string, options: KubemeterErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KubemeterError';
    this.code = code;
    this.source = options.source;
  }
}

/** Is `e` a KubemeterError, optionally with the given code? */
export function isKubemeterError(e: unknown, code?: ErrorCode): e is KubemeterError {
  return e instanceof KubemeterError && (code === undefined || e.code === code);
}

/** A short, size-capped rendering of untrusted input for use inside error messages. */
export function quoteInput(input: string, maxChars = 80): string {
  const cut = input.length > maxChars ? `${input.slice(0, maxChars)}…` : input;
  return JSON.stringify(cut);
}

/** The message of any thrown value, for logs. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
