/**
 * Live comparison: the real `kubectl top` and `kubemeter top` against the same loopback
 * kube-apiserver print identical bytes on stdout and stderr and exit with the same code, for nodes,
 * pods, -A, --containers, --sort-by (with many ties, so Go's unstable sort order matters), --sum,
 * --no-headers, selectors and the error cases.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTop } from '../src/cli/top-command.ts';
import { startTopApiServer, type TopApiServer, type TopApiServerOptions } from './support/top-apiserver.ts';
import { makeCluster, node, nodeMetrics, pod, container, type TopFixture } from './support/top-fixture.ts';

const hasKubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;

interface Outcome {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs a command asynchronously (the loopback server lives in this process and must keep serving). */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, stderr, code: code ?? -1 }));
  });
}

function runKubectl(kubeconfig: string, args: string[]): Promise<Outcome> {
  return run('kubectl', ['top', ...args], { ...process.env, KUBECONFIG: kubeconfig, HOME: '/nonexistent' });
}

async function runKubemeter(kubeconfig: string, args: string[]): Promise<Outcome> {
  let stdout = '';
  let stderr = '';
  const code = await runTop(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { KUBECONFIG: kubeconfig, HOME: '/nonexistent' },
    program: 'kubectl',
  });
  return { stdout, stderr, code };
}

/** Pod ages in kubectl's error change between runs; compare everything else. */
const normalizeAge = (s: string): string => s.replace(/, age: [0-9hmsµn.]+/g, ', age: <age>');

function fixture(nowMs: number): TopFixture {
  const fx = makeCluster({ nodes: 6, pods: 120, seed: 7, nowMs, namespaces: ['default', 'kube-system', 'shop'] });
  // A node without metrics (<unknown> row) and metrics without a Node object (no % cells).
  fx.nodes.push(node('node-dark', { cpu: '4', memory: '16Gi', allocCpu: '3920m', allocMemory: '15Gi', createdMs: nowMs - 3600000 }));
  fx.nodeMetrics.push(nodeMetrics('node-orphan', '12m', '100Mi', nowMs));
  // Pods without metrics: old ones in "batch", fresh ones in "fresh", one in default.
  const spec = { nodeName: 'node-1', containers: [container('job', { requests: { cpu: '10m' } })] };
  fx.pods.push(pod('batch', 'nightly-1', { ...spec, createdMs: nowMs - 3600_000 }));
  fx.pods.push(pod('fresh', 'new-1', { ...spec, createdMs: nowMs - 5_000 }));
  fx.pods.push(pod('default', 'starting-1', { ...spec, createdMs: nowMs - 3600_000 }));
  return fx;
}

interface Case {
  args: string[];
  server?: Partial<TopApiServerOptions>;
  namespace?: string;
  /** Leave the server's token out of the kubeconfig. */
  noToken?: boolean;
}

const firstPod = (fx: TopFixture, ns: string): string => String((fx.pods.find((p) => (p['metadata'] as Record<string, unknown>)['namespace'] === ns)!['metadata'] as Record<string, unknown>)['name']);

function cases(fx: TopFixture): Case[] {
  const defaultPod = firstPod(fx, 'default');
  return [
    // nodes
    { args: ['node'] },
    { args: ['nodes', '--no-headers'] },
    { args: ['no', '--sort-by=cpu'] },
    { args: ['node', '--sort-by', 'memory', '--no-headers'] },
    { args: ['node', '--show-capacity'] },
    { args: ['node', '-l', 'zone=zone-1'] },
    { args: ['node', '-l', 'zone in (zone-0,zone-2),node-role.kubernetes.io/worker'] },
    { args: ['node', 'node-2'] },
    { args: ['node', 'node-3', '--no-headers', '--show-capacity'] },
    { args: ['node', 'node-missing'] },
    { args: ['node', 'node-orphan'] },
    { args: ['node', '-l', 'nothing=here'] },
    { args: ['node', '--use-protocol-buffers=false'] },
    // pods
    { args: ['pod'] },
    { args: ['pods', '-n', 'kube-system'] },
    { args: ['po', '-A'] },
    { args: ['pod', '--containers'] },
    { args: ['pod', '-A', '--containers'] },
    { args: ['pod', '-A', '--sort-by=cpu'] },
    { args: ['pod', '-A', '--sort-by=memory'] },
    { args: ['pod', '-A', '--containers', '--sort-by=cpu'] },
    { args: ['pod', '--sort-by=cpu', '--no-headers'] },
    { args: ['pod', '--sum'] },
    { args: ['pod', '-A', '--sum'] },
    { args: ['pod', '-A', '--sum', '--no-headers'] },
    { args: ['pod', '-A', '--containers', '--sum', '--no-headers'] },
    { args: ['pod', '-A', '--containers', '--sum', '--sort-by=memory'] },
    { args: ['pod', '-l', 'app=web'] },
    { args: ['pod', '-A', '-l', 'tier!=frontend,app in (api,db)'] },
    { args: ['pod', '-A', '--field-selector', 'metadata.namespace=shop'] },
    { args: ['pod', '-A', '--field-selector', 'spec.nodeName=node-1'] },
    { args: ['pod', defaultPod] },
    { args: ['pod', defaultPod, '--containers', '--no-headers'] },
    { args: ['pod', 'starting-1'] },
    { args: ['pod', 'no-such-pod'] },
    { args: ['pod', '-n', 'empty'] },
    { args: ['pod', '-A', '-l', 'app=none'] },
    { args: ['pod', '-n', 'batch'] },
    { args: ['pod', '-n', 'fresh'] },
    { args: ['pod', '-l', 'app=none'], namespace: 'fresh' },
    // validation and flag errors
    { args: ['node', 'a', 'b'] },
    { args: ['pod', 'a', 'b'] },
    { args: ['pod', '--sort-by=name2'] },
    { args: ['node', 'x', '-l', 'a=b'] },
    { args: ['pod', 'x', '--field-selector', 'a=b'] },
    { args: ['pod', '-l', 'a in (b'] },
    { args: ['pod', '--field-selector', 'a'] },
    { args: ['node', '--foo'] },
    { args: ['pod', '-l'] },
    { args: ['pod', '-x'] },
    { args: ['node', '--no-headers=maybe'] },
    // server-side failures
    { args: ['node'], server: { discovery: 'no-metrics' } },
    { args: ['pod', '-A'], server: { discovery: 'no-metrics' } },
    { args: ['node'], server: { discovery: 'aggregated' } },
    { args: ['pod', '-A', '--sort-by=cpu'], server: { discovery: 'aggregated' } },
    { args: ['node'], server: { metricsFailure: 503 } },
    { args: ['node', 'node-1'], server: { metricsFailure: 503 } },
    { args: ['pod', '-A'], server: { metricsFailure: 503 } },
    { args: ['node'], server: { metricsFailure: 403 } },
    { args: ['pod', 'x'], server: { metricsFailure: 403 } },
    { args: ['pod'], server: { metricsFailure: 500 } },
    { args: ['node'], server: { token: 'secret' }, noToken: true },
  ];
}

test('kubectl top and kubemeter top print identical bytes', { skip: hasKubectl ? false : 'kubectl is not on PATH' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubemeter-top-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const fx = fixture(Date.now());
  const servers = new Map<string, TopApiServer>();
  t.after(async () => {
    for (const s of servers.values()) await s.close();
  });
  const all = cases(fx);
  let i = 0;
  for (const c of all) {
    const key = JSON.stringify(c.server ?? {});
    let server = servers.get(key);
    if (server === undefined) {
      server = await startTopApiServer({ fixture: fx, ...c.server });
      servers.set(key, server);
    }
    const kc = server.writeKubeconfig(join(dir, `kc-${i++}`), c.namespace ?? 'default', c.noToken !== true);
    const kubectl = await runKubectl(kc, c.args);
    const ours = await runKubemeter(kc, c.args);
    const label = `top ${c.args.join(' ')} ${key}`;
    assert.equal(normalizeAge(ours.stderr), normalizeAge(kubectl.stderr), `stderr of ${label}`);
    assert.equal(ours.stdout, kubectl.stdout, `stdout of ${label}`);
    assert.equal(ours.code, kubectl.code, `exit code of ${label}`);
  }
  assert.ok(all.length >= 60);
});

test('connection refused: same message and exit code', { skip: hasKubectl ? false : 'kubectl is not on PATH' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubemeter-top-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const s = await startTopApiServer({ fixture: { nodes: [], pods: [], nodeMetrics: [], podMetrics: [] } });
  const kc = s.writeKubeconfig(join(dir, 'kc'));
  await s.close(); // nothing listens on the port any more
  for (const args of [['node'], ['pod', '-A']]) {
    const kubectl = await runKubectl(kc, args);
    const ours = await runKubemeter(kc, args);
    assert.deepEqual(ours, kubectl);
  }
});

// The bin shims run dist/ when it exists (CI builds before testing); a dist/ from an older build
// would not know `top`, so this test only runs against sources or a build that has the CLI.
const repoRoot = new URL('..', import.meta.url).pathname;
const distUsable = !existsSync(join(repoRoot, 'dist')) || existsSync(join(repoRoot, 'dist/cli/top-command.js'));

test('the installed command and the kubectl plugin shim behave like kubectl (real processes)', { skip: !hasKubectl ? 'kubectl is not on PATH' : distUsable ? false : 'dist/ is an older build without the top CLI' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubemeter-top-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const s = await startTopApiServer({ fixture: fixture(Date.now()) });
  t.after(() => s.close());
  const kc = s.writeKubeconfig(join(dir, 'kc'));
  const root = repoRoot;
  const env = { ...process.env, KUBECONFIG: kc, HOME: '/nonexistent' };
  const want = await runKubectl(kc, ['pod', '-A', '--sum']);
  const viaBin = await run(process.execPath, [join(root, 'bin/kubemeter.js'), 'top', 'pod', '-A', '--sum'], env);
  assert.equal(viaBin.stdout, want.stdout);
  assert.equal(viaBin.code, 0);
  // kubectl finds plugins named kubectl-<name> on PATH; expose the shim under that name.
  const binDir = join(dir, 'bin');
  execFileSync('mkdir', ['-p', binDir]);
  execFileSync('ln', ['-s', join(root, 'bin/kubectl-kubemeter.js'), join(binDir, 'kubectl-kubemeter')]);
  const nodeDir = join(process.execPath, '..');
  const pathEnv = { ...env, PATH: `${binDir}:${nodeDir}:${process.env['PATH'] ?? ''}` };
  const plugin = await run('kubectl', ['kubemeter', 'top', 'pod', '-A', '--sum'], pathEnv);
  assert.equal(plugin.stderr, '');
  assert.equal(plugin.stdout, want.stdout);
  assert.equal(plugin.code, 0);
  const bad = await run('kubectl', ['kubemeter', 'top', 'pod', 'a', 'b'], pathEnv);
  assert.equal(bad.stderr, "error: pod [NAME | -l label]\nSee 'kubectl kubemeter top pod -h' for help and examples\n");
  assert.equal(bad.code, 1);
});
