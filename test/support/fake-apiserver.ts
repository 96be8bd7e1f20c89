/**
 * A test double of kube-apiserver: a real HTTPS server on 127.0.0.1 (port 0) with a CA generated
 * at start, speaking the real wire format for what kubemeter uses.
 *
 *   const api = await startFakeApiserver();          // t.after(() => api.close())
 *   api.nodes.upsert(makeNode('n1'));                // produces ADDED/MODIFIED watch events
 *   api.pods.upsert(makePod('default', 'p1', { nodeName: 'n1' }));
 *   api.pods.remove('p1', 'default');                // DELETED event
 *   const kc = api.writeKubeconfig(path);            // kubeconfig with the CA and api.adminToken
 *   api.tokens.set('t0k', { username: 'alice', groups: ['dev'] });     // TokenReview answers
 *   api.authorize = (spec) => ({ allowed: spec.user === 'alice' });    // SubjectAccessReview answers
 *   api.setExtensionAuthentication({ 'client-ca-file': pem, ... });    // kube-system ConfigMap
 *
 * Served: GET list/get/watch of `/api/v1/nodes`, `/api/v1/pods`, `/api/v1/namespaces/NS/pods`,
 * `/api/v1/configmaps`, `/api/v1/namespaces/NS/configmaps` (labelSelector, fieldSelector, limit,
 * continue, resourceVersion, watch, allowWatchBookmarks, timeoutSeconds; metadata-only lists and
 * watches through `Accept: …;as=PartialObjectMetadataList…`), and POST of TokenReview
 * (`/apis/authentication.k8s.io/v1/tokenreviews`) and SubjectAccessReview
 * (`/apis/authorization.k8s.io/v1/subjectaccessreviews`). Callers authenticate with
 * `Bearer <adminToken>` or a client certificate issued by `api.ca` (else 401 Status).
 *
 * Test controls: `compact()` (older resourceVersions → watch ERROR event 410 "too old resource
 * version", list continue → HTTP 410), `closeWatches()` (end streams as a timeout would),
 * `sendBookmarks()`, `failNext(n, code, match?)` (inject Status errors), `requests` (every
 * request seen: method, path, query, headers, parsed body), `openWatches()`.
 * Simplification: a paginated list continues over the current objects (no historical snapshot).
 */
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createCertificateAuthority, issueCertificate } from '../../src/auth/x509-gen.ts';
import type { CertificateAuthority, CertKeyPair } from '../../src/auth/x509-gen.ts';
import { FakeCollection, FakeDatabase, decodeContinue, encodeContinue, matcherFor } from './fake-collections.ts';
import type { ChangeEvent, JsonObject } from './fake-collections.ts';

export type { JsonObject } from './fake-collections.ts';

/** A user as TokenReview returns it. */
export interface FakeUser {
  username: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

/** The `spec` of a SubjectAccessReview as received. */
export interface SarSpec {
  user?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
  resourceAttributes?: { namespace?: string; verb?: string; group?: string; version?: string; resource?: string; subresource?: string; name?: string };
  nonResourceAttributes?: { path?: string; verb?: string };
}

/** A SubjectAccessReview `status` to answer with. */
export interface SarStatus {
  allowed: boolean;
  denied?: boolean;
  reason?: string;
  evaluationError?: string;
}

/** One request the fake received. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: unknown;
}

/** The running fake. */
export interface FakeApiserver {
  /** `https://127.0.0.1:PORT`. */
  url: string;
  /** The CA that signed the serving certificate; client certificates it issues are accepted. */
  ca: CertificateAuthority;
  /** Bearer token the fake accepts from kubemeter itself. */
  adminToken: string;
  nodes: FakeCollection;
  pods: FakeCollection;
  configMaps: FakeCollection;
  /** Current resourceVersion. */
  readonly resourceVersion: number;
  /** token → user for TokenReview; unknown tokens are unauthenticated. */
  tokens: Map<string, FakeUser>;
  /** Answers TokenReview; default looks up `tokens`. Return undefined for "not authenticated". */
  authenticate: (token: string, audiences: string[]) => FakeUser | undefined;
  /** Answers SubjectAccessReview; default denies everything with no opinion. */
  authorize: (spec: SarSpec) => SarStatus;
  requests: RecordedRequest[];
  /** Issue a client certificate from `ca` (for mTLS to the fake). */
  issueClientCertificate(commonName: string, groups?: string[]): CertKeyPair;
  setExtensionAuthentication(data: Record<string, string>): void;
  compact(): void;
  closeWatches(): void;
  sendBookmarks(): void;
  openWatches(): number;
  failNext(count: number, code: number, match?: (method: string, path: string) => boolean): void;
  /** Write a kubeconfig for this server; default credentials: the admin token. */
  writeKubeconfig(path: string, options?: { token?: string; clientCertificate?: CertKeyPair; context?: string; namespace?: string }): string;
  close(): Promise<void>;
}

/** A realistic Node object. */
export function makeNode(name: string, options: { labels?: Record<string, string>; addresses?: { type: string; address: string }[] } = {}): JsonObject {
  return {
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...options.labels } },
    spec: { podCIDR: '10.244.0.0/24' },
    status: {
      addresses: options.addresses ?? [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: name }],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      conditions: [{ type: 'Ready', status: 'True' }],
    },
  };
}

/** A realistic Pod object. */
export function makePod(namespace: string, name: string, options: { nodeName?: string; phase?: string; labels?: Record<string, string>; containers?: string[] } = {}): JsonObject {
  return {
    metadata: { name, namespace, labels: options.labels ?? {} },
    spec: { nodeName: options.nodeName ?? '', containers: (options.containers ?? ['app']).map((c) => ({ name: c, image: 'busybox' })) },
    status: { phase: options.phase ?? 'Running' },
  };
}

const statusBody = (code: number, reason: string, message: string, details?: Record<string, string>): string =>
  JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code }) + '\n';

const reasons: Record<number, string> = { 400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 405: 'MethodNotAllowed', 410: 'Expired', 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable' };

/** Start the fake on 127.0.0.1 with a fresh CA. */
export async function startFakeApiserver(): Promise<FakeApiserver> {
  const ca = createCertificateAuthority({ commonName: 'fake-apiserver-ca' });
  const serving = issueCertificate(ca, { commonName: 'kube-apiserver', usage: 'server', dnsNames: ['localhost', 'kubernetes.default.svc'], ipAddresses: ['127.0.0.1'] });
  const db = new FakeDatabase();
  const collections = {
    nodes: new FakeCollection(db, 'nodes', 'Node', false),
    pods: new FakeCollection(db, 'pods', 'Pod', true),
    configmaps: new FakeCollection(db, 'configmaps', 'ConfigMap', true),
  };
  const watches = new Set<{ res: ServerResponse; bookmarks: boolean; kind: string; partial: boolean; end: () => void }>();
  const failures: { left: number; code: number; match: (m: string, p: string) => boolean }[] = [];

  const api: FakeApiserver = {
    url: '',
    ca,
    adminToken: randomBytes(16).toString('hex'),
    nodes: collections.nodes,
    pods: collections.pods,
    configMaps: collections.configmaps,
    get resourceVersion() {
      return db.resourceVersion;
    },
    tokens: new Map(),
    authenticate: (token) => api.tokens.get(token),
    authorize: () => ({ allowed: false }),
    requests: [],
    issueClientCertificate: (cn, groups = []) => issueCertificate(ca, { commonName: cn, organizations: groups, usage: 'client' }),
    setExtensionAuthentication(data) {
      collections.configmaps.upsert({ metadata: { name: 'extension-apiserver-authentication', namespace: 'kube-system' }, data });
    },
    compact: () => db.compact(),
    closeWatches() {
      for (const w of [...watches]) w.end();
    },
    sendBookmarks() {
      for (const w of watches) {
        if (!w.bookmarks) continue;
        const object = { kind: w.partial ? 'PartialObjectMetadata' : w.kind, apiVersion: w.partial ? 'meta.k8s.io/v1' : 'v1', metadata: { resourceVersion: String(db.resourceVersion) } };
        w.res.write(JSON.stringify({ type: 'BOOKMARK', object }) + '\n');
      }
    },
    openWatches: () => watches.size,
    failNext(count, code, match = () => true) {
      failures.push({ left: count, code, match });
    },
    writeKubeconfig(path, options = {}) {
      const ctx = options.context ?? 'fake';
      const user: Record<string, string> = {};
      if (options.clientCertificate !== undefined) {
        user['client-certificate-data'] = Buffer.from(options.clientCertificate.certPem).toString('base64');
        user['client-key-data'] = Buffer.from(options.clientCertificate.keyPem).toString('base64');
      } else user['token'] = options.token ?? api.adminToken;
      const doc = {
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: ctx, cluster: { server: api.url, 'certificate-authority-data': Buffer.from(ca.certPem).toString('base64') } }],
        users: [{ name: ctx, user }],
        contexts: [{ name: ctx, context: { cluster: ctx, user: ctx, ...(options.namespace ? { namespace: options.namespace } : {}) } }],
        'current-context': ctx,
      };
      // JSON is valid YAML; kubeconfig loaders accept it.
      writeFileSync(path, JSON.stringify(doc, null, 2), { mode: 0o600 });
      return path;
    },
    close: () =>
      new Promise<void>((resolve) => {
        api.closeWatches();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };

  const send = (res: ServerResponse, code: number, body: string): void => {
    res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };

  const authenticated = (req: IncomingMessage): boolean => {
    if (req.headers.authorization === `Bearer ${api.adminToken}`) return true;
    const sock = req.socket as TLSSocket;
    return sock.authorized === true && sock.getPeerCertificate().subject !== undefined;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const u = new URL(req.url ?? '/', 'https://fake');
    const method = req.method ?? 'GET';
    const chunks: Buffer[] = [];
    for await (const c of req as AsyncIterable<Buffer>) chunks.push(c);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown = undefined;
    if (text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        return send(res, 400, statusBody(400, 'BadRequest', 'request body is not JSON'));
      }
    }
    api.requests.push({ method, path: u.pathname, query: u.searchParams, headers: req.headers, body });
    if (!authenticated(req)) return send(res, 401, statusBody(401, 'Unauthorized', 'Unauthorized'));
    const failure = failures.find((f) => f.left > 0 && f.match(method, u.pathname));
    if (failure !== undefined) {
      failure.left--;
      return send(res, failure.code, statusBody(failure.code, reasons[failure.code] ?? 'Unknown', `injected failure ${failure.code}`));
    }
    if (method === 'POST' && u.pathname === '/apis/authentication.k8s.io/v1/tokenreviews') return tokenReview(res, body);
    if (method === 'POST' && u.pathname === '/apis/authorization.k8s.io/v1/subjectaccessreviews') return subjectAccessReview(res, body);
    const route = /^\/api\/v1\/(?:namespaces\/([^/]+)\/)?(nodes|pods|configmaps)(?:\/([^/]+))?$/.exec(u.pathname);
    if (route === null) return send(res, 404, statusBody(404, 'NotFound', 'the server could not find the requested resource'));
    if (method !== 'GET') return send(res, 405, statusBody(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`));
    const [, ns, resource, name] = route;
    const col = collections[resource as keyof typeof collections];
    if (ns !== undefined && !col.namespaced) return send(res, 404, statusBody(404, 'NotFound', 'the server could not find the requested resource'));
    const accept = req.headers.accept ?? '';
    if (name !== undefined) {
      const obj = col.get(name, ns);
      if (obj === undefined) return send(res, 404, statusBody(404, 'NotFound', `${resource} "${name}" not found`, { name, kind: resource ?? '' }));
      return send(res, 200, JSON.stringify(obj));
    }
    let matches: (o: JsonObject) => boolean;
    try {
      const filter: Parameters<typeof matcherFor>[0] = {};
      if (ns !== undefined) filter.namespace = ns;
      const ls = u.searchParams.get('labelSelector');
      const fs = u.searchParams.get('fieldSelector');
      if (ls !== null) filter.labelSelector = ls;
      if (fs !== null) filter.fieldSelector = fs;
      matches = matcherFor(filter);
    } catch (e) {
      return send(res, 400, statusBody(400, 'BadRequest', e instanceof Error ? e.message : String(e)));
    }
    const w = u.searchParams.get('watch');
    if (w === '1' || w === 'true') return watch(req, res, u.searchParams, col, matches, accept.includes('as=PartialObjectMetadata'));
    return list(res, u.searchParams, col, matches, accept.includes('as=PartialObjectMetadataList'));
  };

  const partialOf = (o: JsonObject): JsonObject => ({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata });

  const list = (res: ServerResponse, q: URLSearchParams, col: FakeCollection, matches: (o: JsonObject) => boolean, partial: boolean): void => {
    const all = col.all().filter(matches);
    let start = 0;
    const cont = q.get('continue');
    if (cont !== null && cont !== '') {
      const c = decodeContinue(cont);
      if (c === undefined) return send(res, 400, statusBody(400, 'BadRequest', 'continue key is not valid'));
      if (c.rv < db.oldestResourceVersion) {
        return send(res, 410, statusBody(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.'));
      }
      start = c.start;
    }
    const limit = Number(q.get('limit') ?? '0');
    const end = limit > 0 ? Math.min(all.length, start + limit) : all.length;
    const items = all.slice(start, end).map((o) => (partial ? partialOf(o) : o));
    const metadata: Record<string, string> = { resourceVersion: String(db.resourceVersion) };
    if (end < all.length) metadata['continue'] = encodeContinue(db.resourceVersion, end);
    const doc = partial
      ? { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata, items }
      : { kind: `${col.kind}List`, apiVersion: 'v1', metadata, items };
    send(res, 200, JSON.stringify(doc));
  };

  const watch = (req: IncomingMessage, res: ServerResponse, q: URLSearchParams, col: FakeCollection, matches: (o: JsonObject) => boolean, partial: boolean): void => {
    const rvText = q.get('resourceVersion') ?? '';
    const fromRv = rvText === '' || rvText === '0' ? db.resourceVersion : Number(rvText);
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    const write = (ev: ChangeEvent): void => {
      if (!matches(ev.object)) return;
      res.write(JSON.stringify({ type: ev.type, object: partial ? partialOf(ev.object) : ev.object }) + '\n');
    };
    const backlog = Number.isFinite(fromRv) ? db.since(col, fromRv) : undefined;
    if (backlog === undefined) {
      const object = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `too old resource version: ${rvText} (${db.oldestResourceVersion})`, reason: 'Expired', code: 410 };
      res.end(JSON.stringify({ type: 'ERROR', object }) + '\n');
      return;
    }
    for (const ev of backlog) write(ev);
    const unsubscribe = db.subscribe((c, ev) => {
      if (c === col) write(ev);
    });
    const timeoutSeconds = Number(q.get('timeoutSeconds') ?? '0');
    let timer: NodeJS.Timeout | undefined;
    const entry = {
      res,
      bookmarks: q.get('allowWatchBookmarks') === 'true',
      kind: col.kind,
      partial,
      end: () => {
        if (!watches.delete(entry)) return;
        clearTimeout(timer);
        unsubscribe();
        res.end();
      },
    };
    watches.add(entry);
    if (timeoutSeconds > 0) timer = setTimeout(entry.end, timeoutSeconds * 1000);
    req.on('close', entry.end);
  };

  const tokenReview = (res: ServerResponse, body: unknown): void => {
    const spec = ((body as { spec?: { token?: string; audiences?: string[] } } | undefined)?.spec ?? {});
    const user = api.authenticate(spec.token ?? '', spec.audiences ?? []);
    const status: Record<string, unknown> = user === undefined
      ? { authenticated: false, user: {}, error: '[invalid bearer token, token lookup failed]' }
      : { authenticated: true, user: { username: user.username, ...(user.uid ? { uid: user.uid } : {}), groups: user.groups ?? [], ...(user.extra ? { extra: user.extra } : {}) }, audiences: spec.audiences ?? ['https://kubernetes.default.svc.cluster.local'] };
    send(res, 201, JSON.stringify({ kind: 'TokenReview', apiVersion: 'authentication.k8s.io/v1', metadata: { creationTimestamp: null }, spec, status }));
  };

  const subjectAccessReview = (res: ServerResponse, body: unknown): void => {
    const spec = ((body as { spec?: SarSpec } | undefined)?.spec ?? {});
    const st = api.authorize(spec);
    const status: Record<string, unknown> = { allowed: st.allowed };
    if (st.denied) status['denied'] = true;
    if (st.reason) status['reason'] = st.reason;
    if (st.evaluationError) status['evaluationError'] = st.evaluationError;
    send(res, 201, JSON.stringify({ kind: 'SubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', metadata: { creationTimestamp: null }, spec, status }));
  };

  const server = https.createServer({ cert: serving.certPem, key: serving.keyPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, statusBody(500, 'InternalError', String(e)));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  api.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return api;
}
