/**
 * Delegated authorization as k8s.io/apiserver's delegating authorizer: privileged groups
 * (`system:masters`) → always-allow paths (`--authorization-always-allow-paths`) →
 * SubjectAccessReview with separate caches for allowed and denied answers. No opinion from
 * every step means deny.
 */
import type { Clock } from '../lib/clock.ts';
import { systemClock } from '../lib/clock.ts';
import { ErrorCode, KubemeterError, errorMessage, quoteInput } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { silentLogger } from '../lib/log.ts';
import type { AuthorizationAttributes } from './attributes.ts';
import { TtlCache } from './ttl-cache.ts';
import { SYSTEM_MASTERS } from './user.ts';

/** The answer of one SubjectAccessReview. */
export interface AccessReviewResult {
  allowed: boolean;
  denied: boolean;
  reason: string;
}

/** Something that can ask kube-apiserver (a SubjectAccessReview client). */
export interface AccessReviewer {
  review(attributes: AuthorizationAttributes, signal?: AbortSignal): Promise<AccessReviewResult>;
}

/** An authorization decision; `error` when it could not be made (answered 500). */
export type AuthorizationDecision = { decision: 'allow' | 'deny'; reason: string } | { decision: 'error'; error: string };

/** Options of DelegatingAuthorizer. */
export interface AuthorizerOptions {
  /** Absent: only privileged groups and always-allow paths pass. */
  reviewer?: AccessReviewer;
  /** Default `/healthz`, `/readyz`, `/livez`; `*` suffix = prefix; leading `/` optional. */
  alwaysAllowPaths?: string[];
  /** Default [`system:masters`]; the kubelet uses none. */
  alwaysAllowGroups?: string[];
  /** Cache TTL of allowed answers in ms (default 10 s). */
  allowedTtlMs?: number;
  /** Cache TTL of denied answers in ms (default 10 s). */
  deniedTtlMs?: number;
  clock?: Clock;
  logger?: Logger;
}

/** Always-allow path matcher (k8s.io/apiserver authorizer/path). Throws on a `*` not at the end. */
export function pathMatcher(paths: readonly string[]): (path: string) => boolean {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const raw of paths) {
    const p = raw.replace(/^\//, '');
    if (p.length > 0 && p.slice(0, -1).includes('*')) {
      throw new KubemeterError(ErrorCode.InvalidFlag, `--authorization-always-allow-paths: only trailing * allowed in ${quoteInput(raw)}`);
    }
    if (p.endsWith('*')) prefixes.push(p.slice(0, -1));
    else exact.add(p);
  }
  return (path) => {
    const p = path.replace(/^\//, '');
    return exact.has(p) || prefixes.some((x) => p.startsWith(x));
  };
}

/** The SubjectAccessReview spec for attributes: also the cache key. */
export function accessReviewSpec(a: AuthorizationAttributes): Record<string, unknown> {
  const spec: Record<string, unknown> = {};
  if (a.isResourceRequest) {
    const ra: Record<string, string> = {};
    if (a.namespace !== '') ra['namespace'] = a.namespace;
    if (a.verb !== '') ra['verb'] = a.verb;
    if (a.apiGroup !== '') ra['group'] = a.apiGroup;
    if (a.apiVersion !== '') ra['version'] = a.apiVersion;
    if (a.resource !== '') ra['resource'] = a.resource;
    if (a.subresource !== '') ra['subresource'] = a.subresource;
    if (a.name !== '') ra['name'] = a.name;
    spec['resourceAttributes'] = ra;
  } else {
    spec['nonResourceAttributes'] = { path: a.path, verb: a.verb };
  }
  spec['user'] = a.user.name;
  if (a.user.groups.length > 0) spec['groups'] = a.user.groups;
  if (Object.keys(a.user.extra).length > 0) spec['extra'] = a.user.extra;
  if (a.user.uid !== '') spec['uid'] = a.user.uid;
  return spec;
}

/** k8s.io/apiserver's delegating authorizer. */
export class DelegatingAuthorizer {
  private readonly o: AuthorizerOptions;
  private readonly log: Logger;
  private readonly allowPath: (path: string) => boolean;
  private readonly groups: Set<string>;
  private readonly cache: TtlCache<AccessReviewResult>;

  constructor(options: AuthorizerOptions) {
    this.o = options;
    this.log = options.logger ?? silentLogger;
    this.allowPath = pathMatcher(options.alwaysAllowPaths ?? ['/healthz', '/readyz', '/livez']);
    this.groups = new Set(options.alwaysAllowGroups ?? [SYSTEM_MASTERS]);
    this.cache = new TtlCache({ clock: options.clock ?? systemClock });
  }

  /** Decide on one request. */
  async authorize(a: AuthorizationAttributes, signal?: AbortSignal): Promise<AuthorizationDecision> {
    if (a.user.groups.some((g) => this.groups.has(g))) return { decision: 'allow', reason: '' };
    if (!a.isResourceRequest && this.allowPath(a.path)) return { decision: 'allow', reason: '' };
    const reviewer = this.o.reviewer;
    if (reviewer === undefined) return { decision: 'deny', reason: '' };
    const key = JSON.stringify(accessReviewSpec(a));
    let r: AccessReviewResult;
    try {
      r = await this.cache.getOrLoad(key, () => reviewer.review(a, signal), (v) => (v.allowed ? (this.o.allowedTtlMs ?? 10_000) : (this.o.deniedTtlMs ?? 10_000)));
    } catch (e) {
      this.log.warn('SubjectAccessReview failed', { err: e });
      return { decision: 'error', error: errorMessage(e) };
    }
    return { decision: r.allowed ? 'allow' : 'deny', reason: r.reason };
  }
}
