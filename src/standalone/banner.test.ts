import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bannerFields, bannerText, shellQuote } from './banner.ts';
import { workloadSource } from './inventory.ts';

const info = {
  found: { cgroupVersion: 'v2' as const, hybrid: false, driver: 'systemd' as const, workloads: 3, bySource: { systemd: 2, docker: 1 }, cpuCores: 8, memTotalBytes: 16n * 2n ** 30n, remoteNodes: 0 },
  nodeName: 'vm', url: 'https://127.0.0.1:4443', kubeconfigPath: '/home/me/.kube/kubemeter.config', contextName: 'kubemeter', caFile: '/home/me/.kubemeter/ca.crt', resolutionMs: 5000, nodesFile: undefined,
};

test('the banner says what was found, where it serves and what to paste', () => {
  const text = bannerText(info);
  assert.match(text, /not a Kubernetes API server/);
  assert.match(text, /^ {2}cgroups {6}v2, systemd driver$/m);
  assert.match(text, /^ {2}workloads {4}3 \(docker 1, systemd 2\)$/m);
  assert.match(text, /^ {2}node {9}vm: 8 CPU, 16\.0 GiB$/m);
  assert.match(text, /^ {2}kubectl --kubeconfig \/home\/me\/\.kube\/kubemeter\.config top node$/m);
  assert.match(text, /^ {2}kubectl --kubeconfig \/home\/me\/\.kube\/kubemeter\.config top pod -A$/m);
  const f = bannerFields(info);
  assert.equal(f['kubectlTopNode'], 'kubectl --kubeconfig /home/me/.kube/kubemeter.config top node');
  assert.equal(f['workloads'], 3);
  assert.equal(f['memoryBytes'], 17179869184);
});

test('paths are quoted for the shell only when needed', () => {
  assert.equal(shellQuote('/a/b.config'), '/a/b.config');
  assert.equal(shellQuote('/my dir/it\'s'), `'/my dir/it'\\''s'`);
});

test('workload sources from cgroup paths', () => {
  assert.equal(workloadSource('/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice'), 'kubernetes');
  assert.equal(workloadSource('/kubepods/burstable/pod1234'), 'kubernetes');
  assert.equal(workloadSource(`/system.slice/docker-${'a'.repeat(64)}.scope`), 'docker');
  assert.equal(workloadSource(`/machine.slice/libpod-${'b'.repeat(64)}.scope`), 'podman');
  assert.equal(workloadSource('/system.slice/nginx.service'), 'systemd');
  assert.equal(workloadSource('/user.slice/user-1000.slice/session-3.scope'), 'systemd');
  assert.equal(workloadSource('/other'), 'cgroup');
});
