/**
 * deploy/agent-daemonset.yaml's documented options, as commented blocks: uncommenting them must
 * give a valid manifest that does what the comments say (a mounted certificate instead of the
 * self-signed one; the host PID namespace) and nothing else.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { schemaProblems } from './support/k8s-schema.ts';
import { at, containersOf, find, loadManifests, podSecurityProblems, type K8sObject } from './support/manifests.ts';
import { argsProblems, loadFlagSource } from './support/flags.ts';
import { agentHostPaths } from './support/expected.ts';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const text = readFileSync(join(repo, 'deploy', 'agent-daemonset.yaml'), 'utf8');

/**
 * The manifest with the commented YAML after each `# <marker>:` line uncommented: the following
 * lines at the same indentation that hold a list item (`# - …`) or its continuation (`#   …`).
 * Lines equal to one of `drop` (trimmed) are removed.
 */
function uncomment(marker: string, drop: readonly string[] = []): string {
  const lines = text.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (drop.includes(line.trim())) continue;
    out.push(line);
    const indent = new RegExp(`^(\\s*)# ${marker}:`).exec(line)?.[1];
    if (indent === undefined) continue;
    while (i + 1 < lines.length && (lines[i + 1]!.startsWith(`${indent}# - `) || lines[i + 1]!.startsWith(`${indent}#   `))) {
      out.push(lines[++i]!.replace(`${indent}# `, indent));
    }
  }
  return out.join('\n');
}

function daemonSet(manifest: string): K8sObject {
  const objects = loadManifests(manifest, 'agent-daemonset.yaml (edited)');
  assert.deepEqual(objects.flatMap((o) => schemaProblems(o, `${o.kind}/${o.metadata.name}`)), []);
  return find(objects, 'DaemonSet', 'kubemeter-agent');
}

test('the tls blocks switch the agent to a certificate from a Secret, verifiable with one CA', async () => {
  const ds = daemonSet(uncomment('tls', ['- --cert-dir=/var/lib/kubemeter/pki', '- --node-ip=$(HOST_IP)']));
  const c = containersOf(ds)[0]!;
  assert.deepEqual(c.args?.filter((a) => a.startsWith('--tls') || a.startsWith('--cert-dir') || a.startsWith('--node-ip')), [
    '--tls-cert-file=/etc/kubemeter/tls/tls.crt',
    '--tls-private-key-file=/etc/kubemeter/tls/tls.key',
  ]);
  assert.deepEqual(c.volumeMounts?.find((m) => m.name === 'tls'), { mountPath: '/etc/kubemeter/tls', name: 'tls', readOnly: true });
  const volumes = at(ds, 'spec', 'template', 'spec', 'volumes') as { name: string; secret?: unknown }[];
  assert.deepEqual(volumes.find((v) => v.name === 'tls')?.secret, { defaultMode: 0o440, secretName: 'kubemeter-agent-tls' });
  assert.deepEqual(podSecurityProblems(ds, { hostPathVolumes: agentHostPaths }), []);
  assert.deepEqual(argsProblems(c.args ?? [], await loadFlagSource(repo, 'agent')), []);
  assert.equal(at(ds, 'spec', 'template', 'spec', 'hostPID'), undefined, 'only what the block says');
});

test('the hostPID block is the only way the manifest leaves least privilege, and does nothing else', () => {
  const plain = daemonSet(text);
  assert.deepEqual(podSecurityProblems(plain, { hostPathVolumes: agentHostPaths }), []);
  assert.equal(text.split('\n').filter((l) => l === '      # hostPID: true').length, 1);
  const withPid = daemonSet(text.replace('\n      # hostPID: true\n', '\n      hostPID: true\n'));
  assert.equal(at(withPid, 'spec', 'template', 'spec', 'hostPID'), true);
  assert.deepEqual(podSecurityProblems(withPid, { hostPathVolumes: agentHostPaths }), ['DaemonSet/kubemeter-agent: hostPID']);
  assert.deepEqual(podSecurityProblems(withPid, { hostPathVolumes: agentHostPaths, hostPID: true }), []);
  const spec = { ...(at(withPid, 'spec', 'template', 'spec') as Record<string, unknown>) };
  delete spec['hostPID'];
  assert.deepEqual(spec, at(plain, 'spec', 'template', 'spec'));
});
