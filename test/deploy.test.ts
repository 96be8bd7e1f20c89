/**
 * deploy/ rendered and checked offline: the static manifests (drop-in names, least privilege,
 * exact RBAC, schema), the kustomize secure install (real `kubectl kustomize` and a real
 * certificate from generate-certs.sh), and the arguments against the commands' flag tables.
 * The Helm chart is covered by deploy-helm.test.ts, the Dockerfile by deploy-image.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { schemaProblems } from './support/k8s-schema.ts';
import { at, bindingsOf, containersOf, find, identities, loadManifests, permissionsOf, podSecurityProblems, type K8sObject } from './support/manifests.ts';
import { argsProblems, loadFlagSource } from './support/flags.ts';
import { agentBindings, agentHostPaths, agentPermissions, apiServices, readerPermissions, scrapeStatusReaderPermissions, serverBindings, serverIdentities, serverPermissions } from './support/expected.ts';

const run = promisify(execFile);
const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const deploy = join(repo, 'deploy');
const version = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }).version;

function load(file: string): K8sObject[] {
  return loadManifests(readFileSync(join(deploy, file), 'utf8'), file);
}

/** Checks shared by every variant of the server install (plain, HA, kustomize). */
function checkServerInstall(objects: K8sObject[], label: string): void {
  assert.deepEqual(objects.flatMap((o) => schemaProblems(o, `${label} ${o.kind}/${o.metadata.name}`)), []);
  for (const o of objects) assert.equal(o.metadata.labels?.['k8s-app'], 'metrics-server', `${o.kind}/${o.metadata.name} label`);

  assert.deepEqual(permissionsOf(find(objects, 'ClusterRole', 'system:metrics-server')), serverPermissions);
  assert.deepEqual(permissionsOf(find(objects, 'ClusterRole', 'system:aggregated-metrics-reader')), readerPermissions);
  const scrapeReader = find(objects, 'ClusterRole', 'system:kubemeter-aggregated-scrape-status-reader');
  assert.deepEqual(permissionsOf(scrapeReader), scrapeStatusReaderPermissions);
  for (const role of ['admin', 'edit', 'view']) assert.equal(scrapeReader.metadata.labels?.[`rbac.authorization.k8s.io/aggregate-to-${role}`], 'true');
  assert.deepEqual(bindingsOf(objects, 'kube-system', 'metrics-server'), serverBindings('system:metrics-server'));

  const svc = find(objects, 'Service', 'metrics-server');
  assert.deepEqual(at(svc, 'spec', 'ports'), [{ appProtocol: 'https', name: 'https', port: 443, protocol: 'TCP', targetPort: 'https' }]);
  assert.deepEqual(at(svc, 'spec', 'selector'), { 'k8s-app': 'metrics-server' });

  const dep = find(objects, 'Deployment', 'metrics-server');
  assert.deepEqual(podSecurityProblems(dep), []);
  assert.deepEqual(at(dep, 'spec', 'selector'), { matchLabels: { 'k8s-app': 'metrics-server' } });
  assert.equal(at(dep, 'spec', 'template', 'spec', 'serviceAccountName'), 'metrics-server');
  assert.equal(at(dep, 'spec', 'template', 'spec', 'priorityClassName'), 'system-cluster-critical');
  const [c, ...more] = containersOf(dep);
  assert.ok(c !== undefined && more.length === 0);
  assert.equal(c.name, 'metrics-server', 'kept so that kubectl apply replaces the container in place');
  assert.equal(c.image, `ghcr.io/kubemeter/kubemeter:${version}`, 'image tag follows package.json');
  assert.deepEqual(c.command, ['node', '/app/dist/cmd/main.js', 'server']);
  assert.deepEqual(c.ports, [{ containerPort: 10250, name: 'https', protocol: 'TCP' }]);
  assert.ok(c.args?.includes('--secure-port=10250'));
  assert.ok(c.args?.includes('--cert-dir=/tmp'));
  assert.ok(c.volumeMounts?.some((m) => m.mountPath === '/tmp' && m.name === 'tmp-dir'), '--cert-dir needs a writable /tmp');
  assert.equal(at(c, 'readinessProbe', 'httpGet', 'path'), '/readyz');
  assert.equal(at(c, 'livenessProbe', 'httpGet', 'path'), '/livez');
  assert.equal(at(c, 'readinessProbe', 'httpGet', 'scheme'), 'HTTPS');

  // Both groups on the same Service with the same TLS choice (insecureSkipTLSVerify or caBundle).
  const metricsApi = find(objects, 'APIService', 'v1beta1.metrics.k8s.io');
  for (const { name, group, version } of apiServices) {
    const api = find(objects, 'APIService', name);
    assert.equal(at(api, 'spec', 'group'), group);
    assert.equal(at(api, 'spec', 'version'), version);
    assert.equal(at(api, 'spec', 'groupPriorityMinimum'), 100);
    assert.equal(at(api, 'spec', 'versionPriority'), 100);
    assert.deepEqual(at(api, 'spec', 'service'), { name: 'metrics-server', namespace: 'kube-system', port: 443 });
    assert.equal(at(api, 'spec', 'insecureSkipTLSVerify'), at(metricsApi, 'spec', 'insecureSkipTLSVerify'), name);
    assert.equal(at(api, 'spec', 'caBundle'), at(metricsApi, 'spec', 'caBundle'), name);
  }
}

test('components.yaml has exactly the objects of metrics-server, by name, plus the scrape.kubemeter.io APIService and reader role', () => {
  const objects = load('components.yaml');
  assert.deepEqual(identities(objects), serverIdentities);
  checkServerInstall(objects, 'components.yaml');
  const dep = find(objects, 'Deployment', 'metrics-server');
  assert.equal(at(dep, 'spec', 'replicas'), undefined);
  assert.equal(at(dep, 'spec', 'strategy', 'rollingUpdate', 'maxUnavailable'), 0);
  // A static file cannot carry the cluster's CA: documented, and the same as metrics-server.
  assert.equal(at(find(objects, 'APIService', 'v1beta1.metrics.k8s.io'), 'spec', 'insecureSkipTLSVerify'), true);
  assert.equal(at(find(objects, 'APIService', 'v1alpha1.scrape.kubemeter.io'), 'spec', 'insecureSkipTLSVerify'), true);
});

test('high-availability.yaml is components.yaml plus replicas, anti-affinity and a PodDisruptionBudget', () => {
  const base = load('components.yaml');
  const ha = load('high-availability.yaml');
  assert.deepEqual(identities(ha), [...serverIdentities, 'PodDisruptionBudget/kube-system/metrics-server'].sort());
  checkServerInstall(ha, 'high-availability.yaml');
  const dep = find(ha, 'Deployment', 'metrics-server');
  assert.equal(at(dep, 'spec', 'replicas'), 2);
  assert.equal(at(dep, 'spec', 'strategy', 'rollingUpdate', 'maxUnavailable'), 1);
  assert.deepEqual(at(dep, 'spec', 'template', 'spec', 'affinity', 'podAntiAffinity', 'requiredDuringSchedulingIgnoredDuringExecution'), [
    { labelSelector: { matchLabels: { 'k8s-app': 'metrics-server' } }, namespaces: ['kube-system'], topologyKey: 'kubernetes.io/hostname' },
  ]);
  const pdb = find(ha, 'PodDisruptionBudget', 'metrics-server');
  assert.deepEqual(at(pdb, 'spec'), { minAvailable: 1, selector: { matchLabels: { 'k8s-app': 'metrics-server' } } });

  // Everything else is identical, so the two files cannot drift apart.
  const strip = (d: K8sObject): unknown => {
    const copy = structuredClone(d) as unknown as { spec: Record<string, unknown> & { template: { spec: Record<string, unknown> } } };
    delete copy.spec['replicas'];
    delete copy.spec['strategy'];
    delete copy.spec.template.spec['affinity'];
    return copy;
  };
  for (const o of base) {
    const other = find(ha, o.kind, o.metadata.name);
    if (o.kind === 'Deployment') assert.deepEqual(strip(other), strip(o));
    else assert.deepEqual(other, o, `${o.kind}/${o.metadata.name}`);
  }
});

test('the server arguments of every manifest are flags kubemeter server accepts', async (t) => {
  const source = await loadFlagSource(repo, 'server');
  if (source.kind === 'missing') {
    t.skip(source.why);
    return;
  }
  for (const file of ['components.yaml', 'high-availability.yaml']) {
    const args = containersOf(find(load(file), 'Deployment', 'metrics-server'))[0]?.args ?? [];
    assert.deepEqual(argsProblems(args, source), [], file);
  }
  const secureArgs = ['--tls-cert-file=/etc/kubemeter/tls/tls.crt', '--tls-private-key-file=/etc/kubemeter/tls/tls.key'];
  assert.deepEqual(argsProblems(secureArgs, source), [], 'deploy/secure');
  // The check can fail: an unknown flag, and (with the command's own parser) a bad combination.
  assert.equal(argsProblems(['--no-such-flag'], source).length, 1);
  if (source.kind === 'parser') assert.equal(argsProblems(['--metric-resolution=10s', '--kubelet-request-timeout=10s'], source).length, 1);
});

/** Copies deploy/ to a temporary directory, runs generate-certs.sh there and `kubectl kustomize`. */
async function kustomizeSecure(t: { after: (fn: () => void) => void }, edit?: (kustomization: string) => string): Promise<{ objects: K8sObject[]; dir: string }> {
  const work = mkdtempSync(join(tmpdir(), 'kubemeter-deploy-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const dir = join(work, 'deploy');
  cpSync(deploy, dir, { recursive: true, filter: (src) => !/\.(crt|key)$/.test(src) });
  if (edit !== undefined) {
    const k = join(dir, 'kustomization.yaml');
    writeFileSync(k, edit(readFileSync(k, 'utf8')));
  }
  await run('sh', [join(dir, 'secure', 'generate-certs.sh'), join(dir, 'secure'), '30'], { timeout: 60_000 });
  const { stdout } = await run('kubectl', ['kustomize', dir], { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
  return { objects: loadManifests(stdout, 'kubectl kustomize deploy/'), dir };
}

test('kubectl apply -k deploy/ pins the serving CA in the APIService caBundle', async (t) => {
  const { objects, dir } = await kustomizeSecure(t);
  checkServerInstall(objects.filter((o) => o.kind !== 'Secret'), 'kustomize');
  const ca = readFileSync(join(dir, 'secure', 'ca.crt'));
  for (const { name } of apiServices) {
    const api = find(objects, 'APIService', name);
    assert.equal(at(api, 'spec', 'insecureSkipTLSVerify'), undefined, name);
    assert.equal(Buffer.from(String(at(api, 'spec', 'caBundle')), 'base64').toString(), ca.toString(), name);
  }

  const secret = objects.find((o) => o.kind === 'Secret');
  assert.ok(secret !== undefined);
  assert.match(secret.metadata.name, /^metrics-server-tls-[a-z0-9]+$/, 'content hash in the name rolls the pods on renewal');
  assert.equal(secret['type'], 'kubernetes.io/tls');
  assert.equal(secret.metadata.namespace, 'kube-system');
  assert.deepEqual(schemaProblems(secret), []);

  const dep = find(objects, 'Deployment', 'metrics-server');
  const c = containersOf(dep)[0]!;
  assert.ok(c.args?.includes('--tls-cert-file=/etc/kubemeter/tls/tls.crt'));
  assert.ok(c.args?.includes('--tls-private-key-file=/etc/kubemeter/tls/tls.key'));
  assert.ok(c.volumeMounts?.some((m) => m.name === 'tls' && m.mountPath === '/etc/kubemeter/tls' && m.readOnly === true));
  const volumes = at(dep, 'spec', 'template', 'spec', 'volumes') as { name: string; secret?: { secretName: string; defaultMode: number } }[];
  // 0440 with fsGroup 65534: readable by the server's group, by no one else.
  assert.deepEqual(volumes.find((v) => v.name === 'tls')?.secret, { secretName: secret.metadata.name, defaultMode: 0o440 });
  assert.equal(at(dep, 'spec', 'template', 'spec', 'securityContext', 'fsGroup'), 65534);

  // The certificate is what kube-apiserver will accept: signed by the pinned CA, for the name it dials.
  const caCert = new X509Certificate(ca);
  const leaf = new X509Certificate(readFileSync(join(dir, 'secure', 'tls.crt')));
  assert.ok(caCert.ca);
  assert.ok(leaf.verify(caCert.publicKey));
  assert.equal(leaf.checkHost('metrics-server.kube-system.svc'), 'metrics-server.kube-system.svc');
  assert.equal(leaf.checkHost('metrics-server.kube-system.svc.cluster.local'), 'metrics-server.kube-system.svc.cluster.local');
  assert.ok(!leaf.ca);
  assert.ok(!existsSync(join(dir, 'secure', 'ca.key')), 'the CA key is discarded');
  assert.equal(Buffer.from(String(at(secret, 'data', 'tls.crt')), 'base64').toString(), readFileSync(join(dir, 'secure', 'tls.crt'), 'utf8'));
});

test('the secure kustomization also builds the high-availability variant', async (t) => {
  const { objects } = await kustomizeSecure(t, (k) => k.replace('  - components.yaml', '  - high-availability.yaml'));
  checkServerInstall(objects.filter((o) => o.kind !== 'Secret'), 'kustomize HA');
  assert.equal(at(find(objects, 'Deployment', 'metrics-server'), 'spec', 'replicas'), 2);
  assert.ok(at(find(objects, 'APIService', 'v1beta1.metrics.k8s.io'), 'spec', 'caBundle'));
  assert.ok(at(find(objects, 'APIService', 'v1alpha1.scrape.kubemeter.io'), 'spec', 'caBundle'));
  find(objects, 'PodDisruptionBudget', 'metrics-server');
});

test('the checks catch what they are meant to catch', () => {
  const dep = structuredClone(find(load('components.yaml'), 'Deployment', 'metrics-server'));
  const c = containersOf(dep)[0]!;
  c.securityContext = { ...c.securityContext, readOnlyRootFilesystem: false, capabilities: { drop: ['NET_RAW'] } };
  assert.deepEqual(podSecurityProblems(dep), [
    'Deployment/metrics-server container metrics-server: readOnlyRootFilesystem is not true',
    'Deployment/metrics-server container metrics-server: capabilities.drop lacks ALL',
  ]);
  const role = structuredClone(find(load('components.yaml'), 'ClusterRole', 'system:metrics-server'));
  (role['rules'] as { resources: string[] }[])[1]!.resources.push('secrets');
  assert.notDeepEqual(permissionsOf(role), serverPermissions);
  assert.throws(() => loadManifests('kind: X\n', 'bad'), /missing apiVersion, kind or metadata.name/);
  // YAML 1.1 as the API server reads it: an unquoted `yes` label value is a boolean, not a string.
  const yes = loadManifests('apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: a\n  labels:\n    x: yes\n', 'yes');
  assert.deepEqual(schemaProblems(yes[0]), ['v1/ServiceAccount.metadata.labels.x: expected a string, got boolean true']);
});

test('agent-daemonset.yaml: read-only host mounts, non-root, pods on its node only', async (t) => {
  const objects = load('agent-daemonset.yaml');
  assert.deepEqual(objects.flatMap((o) => schemaProblems(o, `${o.kind}/${o.metadata.name}`)), []);
  assert.deepEqual(identities(objects), [
    'ClusterRole//system:kubemeter-agent',
    'ClusterRoleBinding//kubemeter-agent:system:auth-delegator',
    'ClusterRoleBinding//system:kubemeter-agent',
    'DaemonSet/kube-system/kubemeter-agent',
    'ServiceAccount/kube-system/kubemeter-agent',
  ]);
  const ds = find(objects, 'DaemonSet', 'kubemeter-agent');
  assert.deepEqual(podSecurityProblems(ds, { hostPathVolumes: agentHostPaths }), []);
  assert.deepEqual(permissionsOf(find(objects, 'ClusterRole', 'system:kubemeter-agent')), agentPermissions);
  assert.deepEqual(bindingsOf(objects, 'kube-system', 'kubemeter-agent'), agentBindings('system:kubemeter-agent'));
  const c = containersOf(ds)[0]!;
  assert.deepEqual(c.command, ['node', '/app/dist/cmd/main.js', 'agent']);
  assert.equal(c.image, `ghcr.io/kubemeter/kubemeter:${version}`);
  assert.deepEqual(c.ports, [{ containerPort: 10260, hostPort: 10260, name: 'https', protocol: 'TCP' }], 'not the kubelet\'s 10250');
  assert.ok(c.args?.includes('--read-only-port=0'), 'no unauthenticated plain-HTTP port');
  assert.ok(c.args?.includes('--node-name=$(NODE_NAME)'));
  assert.equal(at(c, 'env', 0, 'valueFrom', 'fieldRef', 'fieldPath'), 'spec.nodeName');
  assert.equal(at(ds, 'spec', 'template', 'spec', 'tolerations', 0, 'operator'), 'Exists', 'every node');
  // Nothing to create first: a self-signed certificate naming the node IP, written to an emptyDir.
  assert.ok(c.args?.includes('--cert-dir=/var/lib/kubemeter/pki'));
  assert.ok(c.args?.includes('--node-ip=$(HOST_IP)'));
  assert.ok(!c.args?.some((a) => a.startsWith('--tls-cert-file')));
  assert.equal(at(c, 'env', 1, 'name'), 'HOST_IP');
  assert.equal(at(c, 'env', 1, 'valueFrom', 'fieldRef', 'fieldPath'), 'status.hostIP');
  assert.ok(c.volumeMounts?.some((m) => m.name === 'pki' && m.mountPath === '/var/lib/kubemeter/pki' && m.readOnly !== true));
  const volumes = at(ds, 'spec', 'template', 'spec', 'volumes') as { name: string; emptyDir?: unknown; secret?: unknown }[];
  assert.deepEqual(volumes.find((v) => v.name === 'pki')?.emptyDir, { sizeLimit: '1Mi' });
  assert.ok(!volumes.some((v) => v.secret !== undefined), 'no Secret to create first');
  // Least privilege by default: the host PID namespace is an option (test/deploy-agent.test.ts).
  assert.equal(at(ds, 'spec', 'template', 'spec', 'hostPID'), undefined);

  const source = await loadFlagSource(repo, 'agent');
  if (source.kind === 'missing') {
    t.skip(source.why);
    return;
  }
  // The kubelet expands $(HOST_IP) (status.hostIP) before the agent starts.
  assert.deepEqual(argsProblems((c.args ?? []).map((a) => a.replaceAll('$(HOST_IP)', '10.0.0.5')), source), []);
});

test('generate-certs.sh makes agent certificates for node addresses', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubemeter-agent-certs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await run('sh', [join(deploy, 'secure', 'generate-certs.sh'), dir, '30'], {
    timeout: 60_000,
    env: { ...process.env, COMMON_NAME: 'kubemeter-agent', SUBJECT_ALT_NAMES: 'IP:10.0.0.5,IP:10.0.0.6,DNS:node-1' },
  });
  const leaf = new X509Certificate(readFileSync(join(dir, 'tls.crt')));
  assert.ok(leaf.verify(new X509Certificate(readFileSync(join(dir, 'ca.crt'))).publicKey));
  assert.equal(leaf.checkIP('10.0.0.6'), '10.0.0.6');
  assert.equal(leaf.checkHost('node-1'), 'node-1');
  assert.equal(leaf.checkHost('metrics-server.kube-system.svc'), undefined);
  assert.match(leaf.subject, /CN=kubemeter-agent/);
});
