/**
 * `kubemeter up --nodes-file` with a second, real `kubemeter agent` process standing in for
 * another host (on loopback, with a certificate from `kubemeter up agent-cert`): both nodes are
 * scraped over authenticated HTTPS, the remote node gets a Node object from the capacity the
 * file declares, and the real `kubectl top node` prints both, percentages included.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { runCommand, spawnLogged, type UpProcess } from '../../test/support/up-process.ts';
import { freePort } from '../../test/support/free-port.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const main = join(repo, 'src/cmd/main.ts');
const hasKubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;


test('kubemeter up --nodes-file scrapes a remote agent and kubectl top node shows both nodes', { skip: (!hasKubectl && 'kubectl not installed') || (process.getuid?.() !== 0 && 'reads every cgroup; run as root') }, async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'kubemeter-fleet-'));
  const procs: UpProcess[] = [];
  t.after(async () => {
    for (const p of procs) await p.kill();
    rmSync(home, { recursive: true, force: true });
  });
  const env = { ...process.env, HOME: home, KUBECONFIG: '' };
  const stateDir = join(home, 'state');
  const kubeconfig = join(home, 'kc');
  const certs = join(home, 'remote-1');
  const issued = await runCommand(process.execPath, [main, 'up', 'agent-cert', 'remote-1', '127.0.0.1', '--state-dir', stateDir, '--out', certs], env);
  assert.equal(issued.code, 0, issued.stderr);
  assert.match(issued.stdout, /kubemeter agent --node-name remote-1 --client-ca-file ca\.crt/);

  const port = await freePort();
  const agent = spawnLogged(process.execPath, [main, 'agent', '--node-name', 'remote-1', '--address', '127.0.0.1', '--port', String(port), '--read-only-port', '0',
    '--client-ca-file', join(certs, 'ca.crt'), '--tls-cert-file', join(certs, 'agent.crt'), '--tls-private-key-file', join(certs, 'agent.key'),
    '--authorization-mode', 'AlwaysAllow', '--standalone', 'false', '--cgroup-root', '/kubemeter-no-such-root', '--housekeeping-interval', '1s', '--log-level', 'info'], { env: { ...env }, cwd: repo });
  procs.push(agent);
  await agent.waitFor((r) => r['msg'] === 'agent serving', 30_000);

  const nodesFile = join(home, 'nodes.yaml');
  writeFileSync(nodesFile, `- name: remote-1\n  address: 127.0.0.1\n  port: ${port}\n  labels: {role: remote}\n  capacity: {cpu: "3", memory: 8Gi}\n`);
  const up = spawnLogged(process.execPath, [main, 'up', '--state-dir', stateDir, '--kubeconfig-out', kubeconfig, '--secure-port', '0', '--nodes-file', nodesFile,
    '--metric-resolution', '2s', '--housekeeping-interval', '1s', '--logging-format', 'json'], { env, cwd: repo });
  procs.push(up);
  const serving = await up.waitFor((r) => r['msg'] === 'kubemeter up serving', 30_000);
  assert.equal(serving['remoteNodes'], 1);
  const local = String(serving['node']);

  let out = '';
  for (let i = 0; i < 60; i++) {
    const r = await runCommand('kubectl', ['--kubeconfig', kubeconfig, 'top', 'node'], env);
    out = r.stdout;
    if (r.code === 0 && /^remote-1\s+\d+m\s+\d+%/m.test(out) && new RegExp(`^${local}\\s+\\d+m\\s+\\d+%`, 'm').test(out)) break;
    await sleep(500);
  }
  t.diagnostic(`kubectl top node:\n${out}`);
  const row = out.split('\n').find((l) => l.startsWith('remote-1'))?.trim().split(/\s+/);
  assert.ok(row !== undefined, out);
  // The percentage is of the capacity the nodes file declares (3 CPUs, 8Gi).
  assert.equal(row[2], `${Math.trunc((Number(row[1]!.replace('m', '')) / 3000) * 100)}%`);
  // Memory: the printed Mi is floored from bytes, so the percentage from it may be one lower.
  const memPct = Math.trunc((Number(row[3]!.replace('Mi', '')) / 8192) * 100);
  assert.ok(Math.abs(Number(row[4]!.replace('%', '')) - memPct) <= 1, `memory ${row[3]} is ${row[4]} of 8Gi`);
  const selected = await runCommand('kubectl', ['--kubeconfig', kubeconfig, 'top', 'node', '-l', 'role=remote'], env);
  assert.equal(selected.code, 0, selected.stderr);
  assert.deepEqual(selected.stdout.trim().split('\n').slice(1).map((l) => l.split(/\s+/)[0]), ['remote-1']);
  assert.equal(await up.interrupt(), 0);
  assert.equal(await agent.interrupt(), 0);
});
