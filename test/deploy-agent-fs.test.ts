/**
 * The agent's filesystem-stats deployment: read-only mounts of the kubelet's root directory
 * (HostToContainer propagation) and the pod logs, flags that point at them, and the opt-in
 * group 0 for volume stats — in deploy/agent-daemonset.yaml (a commented block) and in the Helm
 * chart (agent.volumeStats) — which adds exactly `supplementalGroups: [0]` and nothing else.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { schemaProblems } from './support/k8s-schema.ts';
import { findHelm, helmTemplate } from './support/helm.ts';
import { at, containersOf, find, loadManifests, podSecurityProblems, type K8sObject } from './support/manifests.ts';
import { agentHostPaths } from './support/expected.ts';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const text = readFileSync(join(repo, 'deploy', 'agent-daemonset.yaml'), 'utf8');
let helm = '';

before(async () => {
  helm = await findHelm(repo);
});

function daemonSet(manifest: string, name = 'kubemeter-agent'): K8sObject {
  const objects = loadManifests(manifest, 'agent manifest');
  assert.deepEqual(objects.flatMap((o) => schemaProblems(o, `${o.kind}/${o.metadata.name}`)), []);
  return find(objects, 'DaemonSet', name);
}

function checkMounts(ds: K8sObject): void {
  const c = containersOf(ds)[0]!;
  assert.ok(c.args?.includes('--root-dir=/var/lib/kubelet') && c.args.includes('--pod-logs-dir=/var/log/pods'));
  const mounts = c.volumeMounts as ({ name: string; mountPath: string; readOnly?: boolean; mountPropagation?: string })[];
  assert.deepEqual(mounts.find((m) => m.name === 'kubelet'), { mountPath: '/var/lib/kubelet', mountPropagation: 'HostToContainer', name: 'kubelet', readOnly: true });
  assert.deepEqual(mounts.find((m) => m.name === 'pod-logs'), { mountPath: '/var/log/pods', name: 'pod-logs', readOnly: true });
  const volumes = at(ds, 'spec', 'template', 'spec', 'volumes') as { name: string; hostPath?: unknown }[];
  assert.deepEqual(volumes.find((v) => v.name === 'kubelet')?.hostPath, { path: '/var/lib/kubelet', type: 'Directory' });
  assert.deepEqual(volumes.find((v) => v.name === 'pod-logs')?.hostPath, { path: '/var/log/pods', type: 'Directory' });
  assert.deepEqual(podSecurityProblems(ds, { hostPathVolumes: agentHostPaths }), []);
}

test('agent-daemonset.yaml: the kubelet directory and pod logs mounted read-only; the volume-stats block adds group 0 only', () => {
  const plain = daemonSet(text);
  checkMounts(plain);
  assert.equal(at(plain, 'spec', 'template', 'spec', 'securityContext', 'supplementalGroups'), undefined, 'off by default');
  const block = '        # supplementalGroups:\n        #   - 0\n';
  assert.equal(text.split(block).length, 2, 'one commented block');
  const withGroup = daemonSet(text.replace(block, '        supplementalGroups:\n          - 0\n'));
  checkMounts(withGroup);
  assert.deepEqual(at(withGroup, 'spec', 'template', 'spec', 'securityContext', 'supplementalGroups'), [0]);
  const spec = structuredClone(at(withGroup, 'spec', 'template', 'spec')) as { securityContext: Record<string, unknown> };
  delete spec.securityContext['supplementalGroups'];
  assert.deepEqual(spec, at(plain, 'spec', 'template', 'spec'));
});

test('Helm: the same mounts, and agent.volumeStats adds group 0 only', async () => {
  const render = async (values: Record<string, unknown>): Promise<K8sObject> => daemonSet(await helmTemplate({
    helm, chartDir: join(repo, 'deploy', 'helm', 'kubemeter'), releaseName: 'metrics-server', namespace: 'kube-system',
    values: { fullnameOverride: 'metrics-server', agent: { enabled: true, ...values } },
  }), 'metrics-server-agent');
  const plain = await render({});
  checkMounts(plain);
  assert.equal(at(plain, 'spec', 'template', 'spec', 'securityContext', 'supplementalGroups'), undefined);
  const withGroup = await render({ volumeStats: true });
  checkMounts(withGroup);
  assert.deepEqual(at(withGroup, 'spec', 'template', 'spec', 'securityContext', 'supplementalGroups'), [0]);
});
