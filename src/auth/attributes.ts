/**
 * Authorization attributes of a request. `requestAttributes` maps a URL the way k8s.io/apiserver's
 * RequestInfoFactory does (API prefixes `api` and `apis`, `api` groupless); `kubeletAttributes`
 * is the kubelet's own mapping of its port-10250 paths onto `nodes/<subresource>`.
 */
import { parseFieldSelector } from '../lib/fields.ts';
import type { UserInfo } from './user.ts';

/** What is being asked, independent of who asks. */
export interface RequestAttributes {
  /** Resource request (`/api/v1/…`, `/apis/g/v/…`) versus a plain path. */
  isResourceRequest: boolean;
  /** URL path, not decoded. */
  path: string;
  /** get, list, watch, create, update, patch, delete, deletecollection, proxy; lower-case method for non-resource. */
  verb: string;
  apiGroup: string;
  apiVersion: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
}

/** A request's attributes together with its user: what an authorizer decides on. */
export interface AuthorizationAttributes extends RequestAttributes {
  user: UserInfo;
}

const specialVerbs = new Set(['proxy', 'watch']);
const namespaceSubresources = new Set(['status', 'finalize']);

/** Go's strconv.ParseBool. */
function parseBool(s: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  return undefined;
}

/** apimachinery's path.IsValidPathSegmentName. */
function validPathSegment(name: string): boolean {
  return name !== '.' && name !== '..' && !name.includes('/') && !name.includes('%');
}

/** Attributes of an HTTP request, as the generic apiserver computes them. `url` may carry a query. */
export function requestAttributes(method: string, url: string): RequestAttributes {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
  const info: RequestAttributes = {
    isResourceRequest: false,
    path,
    verb: method.toLowerCase(),
    apiGroup: '',
    apiVersion: '',
    namespace: '',
    resource: '',
    subresource: '',
    name: '',
  };
  const trimmed = path.replace(/^\/+|\/+$/g, '');
  let parts = trimmed === '' ? [] : trimmed.split('/');
  if (parts.length < 3) return info;
  const prefix = parts[0];
  if (prefix !== 'api' && prefix !== 'apis') return info;
  parts = parts.slice(1);
  let group = '';
  if (prefix === 'apis') {
    if (parts.length < 3) return info;
    group = parts[0]!;
    parts = parts.slice(1);
  }
  const version = parts[0]!;
  parts = parts.slice(1);
  let verb: string;
  if (specialVerbs.has(parts[0]!)) {
    // `/watch/…` and `/proxy/…` need at least a resource after them; upstream answers an error.
    if (parts.length < 2) return info;
    verb = parts[0]!;
    parts = parts.slice(1);
  } else {
    verb = { POST: 'create', GET: 'get', HEAD: 'get', PUT: 'update', PATCH: 'patch', DELETE: 'delete' }[method.toUpperCase()] ?? '';
  }
  let namespace = '';
  if (parts[0] === 'namespaces') {
    if (parts.length > 1) {
      namespace = parts[1]!;
      if (parts.length > 2 && !namespaceSubresources.has(parts[2]!)) parts = parts.slice(2);
    }
  }
  let resource = '';
  let name = '';
  let subresource = '';
  if (parts.length >= 3 && verb !== 'proxy') subresource = parts[2]!;
  if (parts.length >= 2) name = parts[1]!;
  if (parts.length >= 1) resource = parts[0]!;

  if (name === '' && verb === 'get') {
    const watchValues = query.getAll('watch');
    let watch = false;
    if (watchValues.length > 0) {
      const b = parseBool(watchValues[0]!);
      // Unparseable: upstream falls back to "anything but false/0 means watch".
      watch = b ?? !['false', '0'].includes(watchValues[0]!.toLowerCase());
    }
    verb = watch ? 'watch' : 'list';
    const fs = query.get('fieldSelector');
    if (fs !== null && watchValues.every((v) => parseBool(v) !== undefined)) {
      try {
        const sel = parseFieldSelector(fs);
        const exact = sel.requirements.find((r) => r.field === 'metadata.name' && r.operator === '=');
        if (exact !== undefined && validPathSegment(exact.value)) name = exact.value;
      } catch {
        // an invalid selector leaves the name unset, as upstream
      }
    }
  }
  if (name === '' && verb === 'delete') verb = 'deletecollection';
  return { isResourceRequest: true, path, verb, apiGroup: group, apiVersion: version, namespace, resource, subresource, name };
}

/** Is `sub` equal to `path` or below it (`/stats` matches `/stats` and `/stats/summary`, not `/statsx`)? */
function isSubpath(sub: string, path: string): boolean {
  const p = path.replace(/\/$/, '');
  return sub === p || (sub.startsWith(p) && sub[p.length] === '/');
}

/** Options of kubeletAttributes. */
export interface KubeletAttributesOptions {
  /** The node this agent serves (the `name` of the nodes/… resource). */
  nodeName: string;
  /** KubeletFineGrainedAuthz: `/pods` → pods, `/healthz` → healthz, `/configz` → configz. */
  fineGrained?: boolean;
}

/**
 * The kubelet's mapping (pkg/kubelet/server/auth.go): every path is `nodes/<subresource>` of this
 * node in the core group, version v1; subresource stats, metrics, log, checkpoint, … else proxy.
 */
export function kubeletAttributes(method: string, url: string, options: KubeletAttributesOptions): RequestAttributes {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const verb = { POST: 'create', GET: 'get', PUT: 'update', PATCH: 'patch', DELETE: 'delete' }[method.toUpperCase()] ?? '';
  let subresource = 'proxy';
  if (isSubpath(path, '/stats/')) subresource = 'stats';
  else if (isSubpath(path, '/metrics')) subresource = 'metrics';
  else if (isSubpath(path, '/logs/')) subresource = 'log';
  else if (isSubpath(path, '/checkpoint/')) subresource = 'checkpoint';
  else if (isSubpath(path, '/statusz')) subresource = 'statusz';
  else if (isSubpath(path, '/flagz')) subresource = 'flagz';
  else if (options.fineGrained && (isSubpath(path, '/pods') || isSubpath(path, '/runningpods'))) subresource = 'pods';
  else if (options.fineGrained && isSubpath(path, '/healthz')) subresource = 'healthz';
  else if (isSubpath(path, '/configz')) subresource = options.fineGrained ? 'configz' : 'proxy';
  return {
    isResourceRequest: true,
    path,
    verb,
    apiGroup: '',
    apiVersion: 'v1',
    namespace: '',
    resource: 'nodes',
    subresource,
    name: options.nodeName,
  };
}
