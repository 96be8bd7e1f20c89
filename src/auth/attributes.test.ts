import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kubeletAttributes, requestAttributes } from './attributes.ts';
import { pathMatcher } from './authorizer.ts';
import { forbiddenMessage, forbiddenResponse, unauthorizedResponse, tooManyRequestsResponse } from './responses.ts';
import type { AuthorizationAttributes } from './attributes.ts';
import { anonymousUser } from './user.ts';

const pick = (method: string, url: string): string => {
  const a = requestAttributes(method, url);
  return a.isResourceRequest ? `${a.verb} ${a.apiGroup}/${a.apiVersion} ns=${a.namespace} ${a.resource}/${a.subresource} name=${a.name}` : `nonresource ${a.verb} ${a.path}`;
};

test('requestAttributes follows the generic apiserver RequestInfoFactory', () => {
  const cases: [string, string, string][] = [
    ['GET', '/apis/metrics.k8s.io/v1beta1/nodes', 'list metrics.k8s.io/v1beta1 ns= nodes/ name='],
    ['GET', '/apis/metrics.k8s.io/v1beta1/nodes/n1', 'get metrics.k8s.io/v1beta1 ns= nodes/ name=n1'],
    ['GET', '/apis/metrics.k8s.io/v1beta1/pods', 'list metrics.k8s.io/v1beta1 ns= pods/ name='],
    ['GET', '/apis/metrics.k8s.io/v1beta1/namespaces/x/pods', 'list metrics.k8s.io/v1beta1 ns=x pods/ name='],
    ['GET', '/apis/metrics.k8s.io/v1beta1/namespaces/x/pods/p?labelSelector=a%3Db', 'get metrics.k8s.io/v1beta1 ns=x pods/ name=p'],
    ['GET', '/apis/metrics.k8s.io/v1beta1/pods?watch=true', 'watch metrics.k8s.io/v1beta1 ns= pods/ name='],
    ['GET', '/apis/metrics.k8s.io/v1beta1/pods?watch=1&fieldSelector=metadata.name%3Dp1', 'watch metrics.k8s.io/v1beta1 ns= pods/ name=p1'],
    ['GET', '/apis/metrics.k8s.io/v1beta1/pods?watch=false', 'list metrics.k8s.io/v1beta1 ns= pods/ name='],
    ['GET', '/apis/metrics.k8s.io/v1beta1/pods?watch=yes', 'watch metrics.k8s.io/v1beta1 ns= pods/ name='],
    ['GET', '/apis/metrics.k8s.io/v1beta1/watch/pods', 'watch metrics.k8s.io/v1beta1 ns= pods/ name='],
    ['GET', '/api/v1/namespaces/kube-system', 'get /v1 ns=kube-system namespaces/ name=kube-system'],
    ['GET', '/api/v1/namespaces/kube-system/status', 'get /v1 ns=kube-system namespaces/status name=kube-system'],
    ['GET', '/api/v1/nodes/n1/proxy/stats/summary', 'get /v1 ns= nodes/proxy name=n1'],
    ['GET', '/api/v1/proxy/nodes/n1/stats', 'proxy /v1 ns= nodes/ name=n1'],
    ['DELETE', '/api/v1/namespaces/x/pods', 'deletecollection /v1 ns=x pods/ name='],
    ['POST', '/api/v1/namespaces/x/pods', 'create /v1 ns=x pods/ name='],
    ['HEAD', '/api/v1/nodes', 'list /v1 ns= nodes/ name='],
    ['GET', '/apis/metrics.k8s.io/v1beta1', 'nonresource get /apis/metrics.k8s.io/v1beta1'],
    ['GET', '/apis', 'nonresource get /apis'],
    ['GET', '/api/v1', 'nonresource get /api/v1'],
    ['GET', '/healthz', 'nonresource get /healthz'],
    ['POST', '/metrics', 'nonresource post /metrics'],
    ['GET', '/openapi/v2', 'nonresource get /openapi/v2'],
  ];
  for (const [m, u, want] of cases) assert.equal(pick(m, u), want, `${m} ${u}`);
});

test('kubeletAttributes maps paths to nodes/<subresource> of this node', () => {
  const sub = (path: string, method = 'GET', fineGrained = false): string => {
    const a = kubeletAttributes(method, path, { nodeName: 'n1', fineGrained });
    return `${a.verb} ${a.resource}/${a.subresource} ${a.name} ${a.apiVersion}`;
  };
  assert.equal(sub('/stats/summary'), 'get nodes/stats n1 v1');
  assert.equal(sub('/stats'), 'get nodes/stats n1 v1');
  assert.equal(sub('/statsx'), 'get nodes/proxy n1 v1');
  assert.equal(sub('/metrics'), 'get nodes/metrics n1 v1');
  assert.equal(sub('/metrics/resource?x=1'), 'get nodes/metrics n1 v1');
  assert.equal(sub('/metrics/cadvisor'), 'get nodes/metrics n1 v1');
  assert.equal(sub('/logs/syslog'), 'get nodes/log n1 v1');
  assert.equal(sub('/pods'), 'get nodes/proxy n1 v1');
  assert.equal(sub('/pods', 'GET', true), 'get nodes/pods n1 v1');
  assert.equal(sub('/healthz', 'GET', true), 'get nodes/healthz n1 v1');
  assert.equal(sub('/stats/summary', 'POST'), 'create nodes/stats n1 v1');
});

test('always-allow paths: exact, trailing-* prefix, leading / optional, invalid * rejected', () => {
  const m = pathMatcher(['/healthz', 'readyz', '/debug/*']);
  assert.equal(m('/healthz'), true);
  assert.equal(m('/healthz/ping'), false);
  assert.equal(m('/readyz'), true);
  assert.equal(m('/debug/pprof/heap'), true);
  assert.equal(m('/metrics'), false);
  assert.throws(() => pathMatcher(['/a*b']), /only trailing \* allowed/);
});

const attrs = (method: string, url: string, user = 'bob'): AuthorizationAttributes => ({ ...requestAttributes(method, url), user: { name: user, uid: '', groups: [], extra: {} } });

test('403 bodies: generic apiserver Status with upstream wording; kubelet plain text', () => {
  assert.equal(forbiddenMessage(attrs('GET', '/apis/metrics.k8s.io/v1beta1/nodes')), 'User "bob" cannot list resource "nodes" in API group "metrics.k8s.io" at the cluster scope');
  const r = forbiddenResponse('apiserver', attrs('GET', '/apis/metrics.k8s.io/v1beta1/namespaces/x/pods/p'), '');
  assert.equal(r.status, 403);
  assert.equal(r.body, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods.metrics.k8s.io \\"p\\" is forbidden: User \\"bob\\" cannot get resource \\"pods\\" in API group \\"metrics.k8s.io\\" in the namespace \\"x\\"","reason":"Forbidden","details":{"name":"p","group":"metrics.k8s.io","kind":"pods"},"code":403}\n');
  const nodes = forbiddenResponse('apiserver', attrs('GET', '/apis/metrics.k8s.io/v1beta1/nodes'), 'no RBAC policy matched');
  assert.match(nodes.body, /"message":"nodes.metrics.k8s.io is forbidden: User \\"bob\\" cannot list resource \\"nodes\\" in API group \\"metrics.k8s.io\\" at the cluster scope: no RBAC policy matched"/);
  const path = forbiddenResponse('apiserver', attrs('GET', '/metrics'), '');
  assert.equal(path.body, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"forbidden: User \\"bob\\" cannot get path \\"/metrics\\"","reason":"Forbidden","details":{},"code":403}\n');
  const k = forbiddenResponse('kubelet', { ...kubeletAttributes('GET', '/metrics/resource', { nodeName: 'n1' }), user: { name: 'system:metrics-server', uid: '', groups: [], extra: {} } }, '');
  assert.equal(k.body, 'Forbidden (user=system:metrics-server, verb=get, resource=nodes, subresource=metrics)');
  assert.equal(unauthorizedResponse('apiserver').body, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}\n');
  assert.equal(unauthorizedResponse('kubelet').body, 'Unauthorized');
  assert.equal(tooManyRequestsResponse().headers['retry-after'], '1');
  assert.equal(anonymousUser().name, 'system:anonymous');
});
