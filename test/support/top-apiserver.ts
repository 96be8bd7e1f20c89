/**
 * A loopback kube-apiserver with the metrics.k8s.io API, answering exactly the requests `kubectl
 * top` makes (kubectl-top.md §3): `/version`, discovery (`/api`, `/apis`, legacy or aggregated v2),
 * `/api/v1/nodes[/<name>]`, `/api/v1/[namespaces/<ns>/]pods[/<name>]` and the metrics endpoints with
 * label and field selectors, and Status errors shaped like kube-apiserver's and metrics-server's;
 * with `fixture.scrapeStatuses`, also kubemeter's scrape.kubemeter.io nodescrapestatuses.
 * The real kubectl and kubemeter are pointed at it to compare their output byte for byte.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { parseLabelSelector, parseFieldSelector } from '../../src/lib/labels.ts';
import type { Json, TopFixture } from './top-fixture.ts';

/** How the server behaves. */
export interface TopApiServerOptions {
  fixture: TopFixture;
  /** `legacy`: APIGroupList; `aggregated`: APIGroupDiscoveryList v2 when asked; `no-metrics`: metrics group absent. */
  discovery?: 'legacy' | 'aggregated' | 'no-metrics';
  /** Answer every metrics.k8s.io request with this status, like kube-apiserver when the APIService is down (503) or RBAC denies (403). */
  metricsFailure?: 503 | 403 | 500;
  /** Require this bearer token (401 otherwise). */
  token?: string;
}

/** One request the server saw. */
export interface SeenRequest {
  method: string;
  url: string;
  accept: string;
}

/** A running loopback server. */
export interface TopApiServer {
  url: string;
  /** Requests seen so far (kubectl's dispatcher `/version` probes included). */
  requests: SeenRequest[];
  options: TopApiServerOptions;
  /** Writes a kubeconfig pointing at this server (with the token unless `withToken` is false) and returns its path. */
  writeKubeconfig(path: string, namespace?: string, withToken?: boolean): string;
  close(): Promise<void>;
}

const byNsName = (a: Json, b: Json): number => {
  const ma = a['metadata'] as Json;
  const mb = b['metadata'] as Json;
  const ka = `${String(ma['namespace'] ?? '')}/${String(ma['name'])}`;
  const kb = `${String(mb['namespace'] ?? '')}/${String(mb['name'])}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
};

function status(code: number, reason: string, message: string, details?: Json): Json {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details !== undefined ? { details } : {}), code };
}

const metricsGroup = { name: 'metrics.k8s.io', versions: [{ groupVersion: 'metrics.k8s.io/v1beta1', version: 'v1beta1' }], preferredVersion: { groupVersion: 'metrics.k8s.io/v1beta1', version: 'v1beta1' } };
const scrapeGroup = { name: 'scrape.kubemeter.io', versions: [{ groupVersion: 'scrape.kubemeter.io/v1alpha1', version: 'v1alpha1' }], preferredVersion: { groupVersion: 'scrape.kubemeter.io/v1alpha1', version: 'v1alpha1' } };
const appsGroup = { name: 'apps', versions: [{ groupVersion: 'apps/v1', version: 'v1' }], preferredVersion: { groupVersion: 'apps/v1', version: 'v1' } };

function aggregatedGroup(name: string, version: string, resources: { resource: string; kind: string; scope: string }[]): Json {
  return {
    metadata: { name, creationTimestamp: null },
    versions: [{ version, resources: resources.map((r) => ({ ...r, responseKind: { group: name === '' ? '' : name, version, kind: r.kind }, verbs: ['get', 'list'] })), freshness: 'Current' }],
  };
}

class HttpAnswer {
  readonly code: number;
  readonly body: Json;
  constructor(code: number, body: Json) {
    this.code = code;
    this.body = body;
  }
}

/** Starts the server on 127.0.0.1, port 0. */
export async function startTopApiServer(options: TopApiServerOptions): Promise<TopApiServer> {
  const requests: SeenRequest[] = [];
  const handle = (req: http.IncomingMessage): { code: number; body: Json; contentType?: string } => {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname;
    const accept = String(req.headers.accept ?? '');
    const wantsAggregated = accept.includes('as=APIGroupDiscoveryList');
    const discovery = options.discovery ?? 'legacy';
    const fx = options.fixture;
    if (options.token !== undefined && req.headers.authorization !== `Bearer ${options.token}`) {
      return { code: 401, body: status(401, 'Unauthorized', 'Unauthorized') };
    }
    if (path === '/version') return { code: 200, body: { major: '1', minor: '32', gitVersion: 'v1.32.4', platform: 'linux/amd64' } };
    if (path === '/api') {
      if (discovery === 'aggregated' && wantsAggregated) {
        const core = aggregatedGroup('', 'v1', [{ resource: 'nodes', kind: 'Node', scope: 'Cluster' }, { resource: 'pods', kind: 'Pod', scope: 'Namespaced' }]);
        return { code: 200, body: { kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {}, items: [core] }, contentType: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' };
      }
      return { code: 200, body: { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:6443' }] } };
    }
    if (path === '/apis') {
      const groups = [appsGroup, ...(discovery === 'no-metrics' ? [] : [metricsGroup]), ...(fx.scrapeStatuses !== undefined ? [scrapeGroup] : [])];
      if (discovery === 'aggregated' && wantsAggregated) {
        const items = [aggregatedGroup('apps', 'v1', [{ resource: 'deployments', kind: 'Deployment', scope: 'Namespaced' }]), aggregatedGroup('metrics.k8s.io', 'v1beta1', [{ resource: 'nodes', kind: 'NodeMetrics', scope: 'Cluster' }, { resource: 'pods', kind: 'PodMetrics', scope: 'Namespaced' }])];
        if (fx.scrapeStatuses !== undefined) items.push(aggregatedGroup('scrape.kubemeter.io', 'v1alpha1', [{ resource: 'nodescrapestatuses', kind: 'NodeScrapeStatus', scope: 'Cluster' }]));
        return { code: 200, body: { kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {}, items }, contentType: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' };
      }
      return { code: 200, body: { kind: 'APIGroupList', apiVersion: 'v1', groups } };
    }
    const labelSel = url.searchParams.get('labelSelector') ?? '';
    const fieldSel = url.searchParams.get('fieldSelector') ?? '';
    let m: RegExpExecArray | null;
    if ((m = /^\/apis\/metrics\.k8s\.io\/v1beta1\/(?:namespaces\/([^/]+)\/)?(nodes|pods)(?:\/([^/]+))?$/.exec(path)) !== null) {
      if (discovery === 'no-metrics') return { code: 404, body: status(404, 'NotFound', 'the server could not find the requested resource') };
      const [, ns, resource, name] = m;
      if (options.metricsFailure === 503) return { code: 503, body: { raw: 'service unavailable\n' } };
      if (options.metricsFailure === 403) {
        const verb = name === undefined ? 'list' : 'get';
        const scope = ns === undefined ? 'at the cluster scope' : `in the namespace "${ns}"`;
        return { code: 403, body: status(403, 'Forbidden', `${resource}.metrics.k8s.io${name !== undefined ? ` "${name}"` : ''} is forbidden: User "alice" cannot ${verb} resource "${resource}" in API group "metrics.k8s.io" ${scope}`, { ...(name !== undefined ? { name } : {}), group: 'metrics.k8s.io', kind: resource }) };
      }
      if (options.metricsFailure === 500) return { code: 500, body: status(500, 'InternalError', 'Internal error occurred: failed listing pods: boom') };
      const items = resource === 'nodes' ? fx.nodeMetrics : fx.podMetrics.filter((p) => ns === undefined || (p['metadata'] as Json)['namespace'] === ns);
      if (name !== undefined) {
        const hit = items.find((o) => (o['metadata'] as Json)['name'] === name);
        if (hit !== undefined) return { code: 200, body: { kind: resource === 'nodes' ? 'NodeMetrics' : 'PodMetrics', apiVersion: 'metrics.k8s.io/v1beta1', ...hit } };
        if (resource === 'nodes') return { code: 404, body: status(404, 'NotFound', `nodemetrics.metrics.k8s.io "${name}" not found`, { name, group: 'metrics.k8s.io', kind: 'nodemetrics' }) };
        const podExists = fx.pods.some((p) => (p['metadata'] as Json)['name'] === name && (p['metadata'] as Json)['namespace'] === ns && (p['status'] as Json)['phase'] === 'Running');
        if (!podExists) return { code: 404, body: status(404, 'NotFound', `pods "${name}" not found`, { name, kind: 'pods' }) };
        return { code: 404, body: status(404, 'NotFound', `podmetrics.metrics.k8s.io "${ns}/${name}" not found`, { name: `${ns}/${name}`, group: 'metrics.k8s.io', kind: 'podmetrics' }) };
      }
      const selected = select(items, labelSel, fieldSel, false);
      if (selected instanceof HttpAnswer) return selected;
      return { code: 200, body: { kind: resource === 'nodes' ? 'NodeMetricsList' : 'PodMetricsList', apiVersion: 'metrics.k8s.io/v1beta1', metadata: {}, items: selected.sort(byNsName) } };
    }
    if (fx.scrapeStatuses !== undefined && (m = /^\/apis\/scrape\.kubemeter\.io\/v1alpha1\/nodescrapestatuses(?:\/([^/]+))?$/.exec(path)) !== null) {
      const name = m[1];
      if (name !== undefined) {
        const hit = fx.scrapeStatuses.find((o) => (o['metadata'] as Json)['name'] === name);
        return hit !== undefined ? { code: 200, body: { kind: 'NodeScrapeStatus', apiVersion: 'scrape.kubemeter.io/v1alpha1', ...hit } } : { code: 404, body: status(404, 'NotFound', `nodescrapestatuses.scrape.kubemeter.io "${name}" not found`, { name, group: 'scrape.kubemeter.io', kind: 'nodescrapestatuses' }) };
      }
      const selected = select(fx.scrapeStatuses, labelSel, fieldSel, false);
      if (selected instanceof HttpAnswer) return selected;
      return { code: 200, body: { kind: 'NodeScrapeStatusList', apiVersion: 'scrape.kubemeter.io/v1alpha1', metadata: {}, items: selected.sort(byNsName) } };
    }
    if ((m = /^\/api\/v1\/nodes(?:\/([^/]+))?$/.exec(path)) !== null) {
      const name = m[1];
      if (name !== undefined) {
        const hit = fx.nodes.find((o) => (o['metadata'] as Json)['name'] === name);
        return hit !== undefined ? { code: 200, body: { kind: 'Node', apiVersion: 'v1', ...hit } } : { code: 404, body: status(404, 'NotFound', `nodes "${name}" not found`, { name, kind: 'nodes' }) };
      }
      const selected = select(fx.nodes, labelSel, fieldSel, true);
      if (selected instanceof HttpAnswer) return selected;
      return { code: 200, body: { kind: 'NodeList', apiVersion: 'v1', metadata: { resourceVersion: '987654' }, items: selected.sort(byNsName) } };
    }
    if ((m = /^\/api\/v1\/(?:namespaces\/([^/]+)\/)?pods(?:\/([^/]+))?$/.exec(path)) !== null) {
      const [, ns, name] = m;
      const items = fx.pods.filter((p) => ns === undefined || (p['metadata'] as Json)['namespace'] === ns);
      if (name !== undefined) {
        const hit = items.find((o) => (o['metadata'] as Json)['name'] === name);
        return hit !== undefined ? { code: 200, body: { kind: 'Pod', apiVersion: 'v1', ...hit } } : { code: 404, body: status(404, 'NotFound', `pods "${name}" not found`, { name, kind: 'pods' }) };
      }
      const selected = select(items, labelSel, fieldSel, true);
      if (selected instanceof HttpAnswer) return selected;
      return { code: 200, body: { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '987654' }, items: selected.sort(byNsName) } };
    }
    return { code: 404, body: status(404, 'NotFound', 'the server could not find the requested resource', { causes: [{ reason: 'UnexpectedServerResponse', message: '404 page not found' }] }) };
  };

  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', accept: String(req.headers.accept ?? '') });
    req.resume();
    const answer = handle(req);
    if ('raw' in answer.body) {
      res.writeHead(answer.code, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(String(answer.body['raw']));
      return;
    }
    res.writeHead(answer.code, { 'content-type': answer.contentType ?? 'application/json', 'cache-control': 'no-cache, private' });
    res.end(`${JSON.stringify(answer.body)}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    options,
    writeKubeconfig(path: string, namespace = 'default', withToken = true): string {
      const user = options.token !== undefined && withToken ? `{token: ${options.token}}` : '{}';
      writeFileSync(
        path,
        `apiVersion: v1\nkind: Config\nclusters:\n- name: loop\n  cluster: {server: "${url}"}\nusers:\n- name: loop\n  user: ${user}\ncontexts:\n- name: loop\n  context: {cluster: loop, user: loop, namespace: ${namespace}}\ncurrent-context: loop\n`,
      );
      return path;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Filters by label and field selector; core objects know a few field labels, metrics only metadata ones. */
function select(items: Json[], labelSel: string, fieldSel: string, core: boolean): Json[] | HttpAnswer {
  let labels;
  let fields;
  try {
    labels = parseLabelSelector(labelSel);
    fields = parseFieldSelector(fieldSel, core ? {} : {});
  } catch (e) {
    return new HttpAnswer(400, status(400, 'BadRequest', (e as Error).message));
  }
  return items.filter((o) => {
    const meta = o['metadata'] as Json;
    const spec = (o['spec'] as Json | undefined) ?? {};
    const st = (o['status'] as Json | undefined) ?? {};
    const f: Record<string, string> = { 'metadata.name': String(meta['name']), 'metadata.namespace': String(meta['namespace'] ?? '') };
    if (core) {
      f['spec.nodeName'] = String(spec['nodeName'] ?? '');
      f['status.phase'] = String(st['phase'] ?? '');
    }
    return labels.matches(meta['labels'] as Record<string, string> | undefined) && fields.matches(f);
  });
}
