import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { runTop } from './top-command.ts';
import { deltaCell } from './top-watch.ts';
import { startTopApiServer, type TopApiServer } from '../../test/support/top-apiserver.ts';
import { container, node, nodeMetrics, pod, podMetrics, type TopFixture } from '../../test/support/top-fixture.ts';

const now = Date.UTC(2026, 7, 4, 10, 0, 0);

function fixture(): TopFixture {
  return {
    nodes: [
      node('n1', { cpu: '4', memory: '16Gi', allocCpu: '4', allocMemory: '16Gi', createdMs: now - 1e7 }),
      node('n2', { cpu: '4', memory: '16Gi', allocCpu: '4', allocMemory: '16Gi', createdMs: now - 1e7 }),
    ],
    nodeMetrics: [nodeMetrics('n1', '3', '1Gi', now)],
    pods: [
      pod('default', 'hot', { nodeName: 'n1', containers: [container('app', { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m' } })], createdMs: now - 1e6 }),
      pod('default', 'cool', { nodeName: 'n2', containers: [container('app', { requests: { cpu: '1', memory: '1Gi' } })], createdMs: now - 1e6 }),
      pod('default', 'free', { nodeName: 'n2', containers: [container('app')], createdMs: now - 1e6 }),
      pod('default', 'young', { nodeName: 'n2', containers: [container('app')], createdMs: now - 10_000 }),
    ],
    podMetrics: [
      podMetrics('default', 'hot', [{ name: 'app', cpu: '190m', memory: '32Mi' }], now),
      podMetrics('default', 'cool', [{ name: 'app', cpu: '100m', memory: '100Mi' }], now),
      podMetrics('default', 'free', [{ name: 'app', cpu: '5m', memory: '10Mi' }], now),
    ],
  };
}

async function setup(t: { after: (fn: () => unknown) => void }): Promise<{ server: TopApiServer; kc: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'kubemeter-extras-'));
  const server = await startTopApiServer({ fixture: fixture() });
  t.after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { server, kc: server.writeKubeconfig(join(dir, 'kc')) };
}

async function top(kc: string, args: string[], extra: { isTTY?: boolean; env?: NodeJS.ProcessEnv; signal?: AbortSignal; onWrite?: (s: string) => void } = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runTop(args, {
    stdout: { write: (s: string) => ((stdout += s), extra.onWrite?.(s)), isTTY: extra.isTTY ?? false },
    stderr: { write: (s: string) => (stderr += s) },
    env: { KUBECONFIG: kc, ...extra.env },
    program: 'kubemeter',
    nowMs: () => now,
    ...(extra.signal !== undefined ? { signal: extra.signal } : {}),
  });
  return { stdout, stderr, code };
}

const lines = (s: string) => s.trimEnd().split('\n').map((l) => l.trimEnd().split(/\s+/));

test('--utilization adds %CPU/R %CPU/L %MEM/R %MEM/L with n/a when unset', async (t) => {
  const { kc } = await setup(t);
  const r = await top(kc, ['pod', '--utilization']);
  assert.equal(r.code, 0);
  assert.deepEqual(lines(r.stdout), [
    ['NAME', 'CPU(cores)', 'MEMORY(bytes)', '%CPU/R', '%CPU/L', '%MEM/R', '%MEM/L'],
    ['cool', '100m', '100Mi', '10%', 'n/a', '9%', 'n/a'],
    ['free', '5m', '10Mi', 'n/a', 'n/a', 'n/a', 'n/a'],
    ['hot', '190m', '32Mi', '190%', '95%', '50%', 'n/a'],
  ]);
});

test('--sort-by cpu-util and --reverse', async (t) => {
  const { kc } = await setup(t);
  const names = (s: string) => lines(s).slice(1).map((l) => l[0]);
  assert.deepEqual(names((await top(kc, ['pod', '--sort-by', 'cpu-util'])).stdout), ['hot', 'cool', 'free']);
  assert.deepEqual(names((await top(kc, ['pod', '--sort-by', 'name', '--reverse'])).stdout), ['hot', 'free', 'cool']);
  assert.deepEqual(names((await top(kc, ['pod', '--sort-by', 'cpu', '--reverse'])).stdout), ['free', 'cool', 'hot']);
});

test('-o wide shows requests, limits, node and why metrics are missing', async (t) => {
  const { kc } = await setup(t);
  const r = await top(kc, ['pod', '-o', 'wide']);
  const rows = r.stdout.trimEnd().split('\n');
  assert.match(rows[0]!, /^NAME\s+CPU\(cores\)\s+CPU\/R\s+CPU\/L\s+%CPU\/R\s+%CPU\/L\s+MEMORY\(bytes\)\s+MEM\/R\s+MEM\/L\s+%MEM\/R\s+%MEM\/L\s+NODE\s+REASON\s*$/);
  assert.match(rows.find((l) => l.startsWith('young'))!, /<unknown>.*n2\s+pod too young \(age 10s\)/);
  const nodes = await top(kc, ['node', '-o', 'wide']);
  assert.match(nodes.stdout, /n2\s+<unknown>.*no metrics from the metrics server/);
  assert.match(nodes.stdout, /n1\s+3000m\s+75%\s+1024Mi\s+6%\s+4000m\s+16384Mi\s+100m\s+2%\s+200m\s+5%\s+64Mi\s+0%\s+n\/a\s+n\/a\s*$/m);
});

test('-o json and -o yaml carry exact quantities, numbers and percentages', async (t) => {
  const { kc } = await setup(t);
  const doc = JSON.parse((await top(kc, ['pod', '-o', 'json'])).stdout) as { kind: string; items: { name: string; cpu: { usage: { quantity: string; millicores: number } | null; requestPercent: number | null }; reason: string | null }[] };
  assert.equal(doc.kind, 'PodTopList');
  const hot = doc.items.find((i) => i.name === 'hot')!;
  assert.deepEqual(hot.cpu.usage, { quantity: '190m', cores: 0.19, millicores: 190 });
  assert.equal(hot.cpu.requestPercent, 190);
  assert.equal(doc.items.find((i) => i.name === 'young')!.reason, 'pod too young (age 10s)');
  const y = parseYaml((await top(kc, ['node', '-o', 'yaml'])).stdout) as { items: { name: string; cpu: { allocatablePercent: number | null } }[] };
  assert.deepEqual(y.items.map((i) => [i.name, i.cpu.allocatablePercent]), [['n1', 75], ['n2', null]]);
});

test('--node keeps the pods of one node', async (t) => {
  const { kc, server } = await setup(t);
  const r = await top(kc, ['pod', '--node', 'n2']);
  assert.deepEqual(lines(r.stdout).map((l) => l[0]), ['NAME', 'cool', 'free']);
  assert.ok(server.requests.some((q) => q.url === '/api/v1/namespaces/default/pods?fieldSelector=spec.nodeName%3Dn2'));
});

test('colour thresholds on a terminal, none with NO_COLOR or when piped', async (t) => {
  const { kc } = await setup(t);
  const tty = await top(kc, ['node'], { isTTY: true });
  assert.ok(tty.stdout.includes('\x1b[33m75%\x1b[0m'), JSON.stringify(tty.stdout));
  const plain = await top(kc, ['node'], { isTTY: true, env: { NO_COLOR: '1' } });
  assert.ok(!plain.stdout.includes('\x1b['));
  assert.ok(!(await top(kc, ['node'])).stdout.includes('\x1b['));
});

test('--watch redraws with deltas and ends cleanly when aborted', async (t) => {
  const { kc } = await setup(t);
  const ctl = new AbortController();
  let frames = 0;
  const r = await top(kc, ['pod', '--watch', '--interval', '100ms'], {
    signal: ctl.signal,
    onWrite: () => {
      if (++frames === 2) ctl.abort();
    },
  });
  assert.equal(r.code, 0);
  const [first, second] = r.stdout.split('\n\n');
  assert.match(first!, /^NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)\s+CPU\(Δ\)\s+MEMORY\(Δ\)/);
  assert.match(first!, /hot\s+190m\s+32Mi\s+-\s+-/);
  assert.match(second!, /hot\s+190m\s+32Mi\s+0m\s+0Mi/);
  const ttyCtl = new AbortController();
  const tty = await top(kc, ['node', '-w'], { isTTY: true, signal: ttyCtl.signal, onWrite: (s) => s.includes('\x1b[H') && ttyCtl.abort() });
  assert.ok(tty.stdout.startsWith('\x1b[?25l\x1b[2J\x1b[H'));
  assert.ok(tty.stdout.endsWith('\x1b[J\x1b[?25h'));
  assert.equal(deltaCell(5n, 7n, 'm'), '-2m');
  assert.equal(deltaCell(3n * 1048576n, 1048576n, 'Mi'), '+2Mi');
});
