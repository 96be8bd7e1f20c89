/**
 * Discovery documents (meta/v1 APIResourceList, APIGroup, APIGroupList, APIVersions) and the exact
 * ones metrics-server serves for metrics.k8s.io.
 */
import { goQuote, goStringArray } from './json.ts';

/** One resource in an APIResourceList. */
export interface APIResource {
  /** Plural name (`pods`). */
  name: string;
  /** Singular name; metrics-server deliberately leaves it empty. */
  singularName: string;
  /** Namespaced or cluster-scoped. */
  namespaced: boolean;
  /** Kind (`PodMetrics`). */
  kind: string;
  /** Verbs (`get`, `list`). */
  verbs: string[];
  /** Short names (omitted when empty). */
  shortNames?: string[];
  /** Categories (omitted when empty). */
  categories?: string[];
}

/** A group/version pair for discovery. */
export interface GroupVersionForDiscovery {
  /** `metrics.k8s.io/v1beta1`. */
  groupVersion: string;
  /** `v1beta1`. */
  version: string;
}

/** An API group. */
export interface APIGroup {
  /** Group name. */
  name: string;
  /** Served versions, preferred first. */
  versions: GroupVersionForDiscovery[];
  /** The preferred version. */
  preferredVersion: GroupVersionForDiscovery;
}

/** A server address for clients in a CIDR (APIVersions). */
export interface ServerAddressByClientCIDR {
  /** Client CIDR (`0.0.0.0/0`). */
  clientCIDR: string;
  /** `host:port`. */
  serverAddress: string;
}

function gv(v: GroupVersionForDiscovery): string {
  return `{"groupVersion":${goQuote(v.groupVersion)},"version":${goQuote(v.version)}}`;
}

function groupBody(g: APIGroup): string {
  return `"name":${goQuote(g.name)},"versions":[${g.versions.map(gv).join(',')}],"preferredVersion":${gv(
    g.preferredVersion)}`;
}

function resource(r: APIResource): string {
  const opt = (key: string, a: string[] | undefined): string =>
    a === undefined || a.length === 0 ? '' : `,"${key}":${goStringArray(a)}`;
  return `{"name":${goQuote(r.name)},"singularName":${goQuote(r.singularName)},"namespaced":${r.namespaced},"kind":${
    goQuote(r.kind)},"verbs":${goStringArray(r.verbs)}${opt('shortNames', r.shortNames)}${opt('categories',
    r.categories)}}`;
}

/** An APIResourceList body (compact, final newline). */
export function encodeAPIResourceList(groupVersion: string, resources: readonly APIResource[]): string {
  return `{"kind":"APIResourceList","apiVersion":"v1","groupVersion":${goQuote(groupVersion)},"resources":[${
    resources.map(resource).join(',')}]}\n`;
}

/** An APIGroup body. */
export function encodeAPIGroup(g: APIGroup): string {
  return `{"kind":"APIGroup","apiVersion":"v1",${groupBody(g)}}\n`;
}

/** An APIGroupList body (groups carry no kind/apiVersion). */
export function encodeAPIGroupList(groups: readonly APIGroup[]): string {
  return `{"kind":"APIGroupList","apiVersion":"v1","groups":[${groups.map((g) => `{${groupBody(g)}}`).join(',')}]}\n`;
}

/** An APIVersions body (`GET /api`); the address list is written `null` when absent, as Go does. */
export function encodeAPIVersions(versions: readonly string[], addresses?: readonly ServerAddressByClientCIDR[]): string {
  const addr = addresses === undefined ? 'null' : `[${addresses.map((a) =>
    `{"clientCIDR":${goQuote(a.clientCIDR)},"serverAddress":${goQuote(a.serverAddress)}}`).join(',')}]`;
  return `{"kind":"APIVersions","versions":${goStringArray([...versions])},"serverAddressByClientCIDRs":${addr}}\n`;
}

/** metrics.k8s.io/v1beta1 as discovery sees it. */
export const METRICS_GROUP: APIGroup = {
  name: 'metrics.k8s.io',
  versions: [{ groupVersion: 'metrics.k8s.io/v1beta1', version: 'v1beta1' }],
  preferredVersion: { groupVersion: 'metrics.k8s.io/v1beta1', version: 'v1beta1' },
};

/** The two resources of metrics.k8s.io/v1beta1, with metrics-server's empty singular names. */
export const METRICS_RESOURCES: readonly APIResource[] = [
  { name: 'nodes', singularName: '', namespaced: false, kind: 'NodeMetrics', verbs: ['get', 'list'] },
  { name: 'pods', singularName: '', namespaced: true, kind: 'PodMetrics', verbs: ['get', 'list'] },
];

/** Body of `GET /apis/metrics.k8s.io/v1beta1`. */
export function metricsAPIResourceListBody(): string {
  return encodeAPIResourceList('metrics.k8s.io/v1beta1', METRICS_RESOURCES);
}

/** Body of `GET /apis/metrics.k8s.io`. */
export function metricsAPIGroupBody(): string {
  return encodeAPIGroup(METRICS_GROUP);
}

/** Body of `GET /apis` on the metrics server. */
export function metricsAPIGroupListBody(): string {
  return encodeAPIGroupList([METRICS_GROUP]);
}
