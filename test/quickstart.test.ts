/**
 * The README's quick start, followed as literally as a test can: the documented commands are
 * read from README.md; `npm start` runs unchanged in this checkout with a fresh temporary HOME
 * (so the real ~/.kube and ~/.kubemeter are never touched); the ready-to-paste `kubectl top`
 * command it prints is run as printed; Ctrl-C (SIGINT to the process group) stops it cleanly and
 * leaves the kubeconfig and the state. `npm ci` itself is not run (it would replace the
 * node_modules the rest of the suite uses, and needs the network): instead the lockfile is
 * checked to be in sync with package.json, which is what makes `npm ci` succeed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { runCommand, spawnLogged, type UpProcess } from './support/up-process.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));
const hasKubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
const hasNpm = spawnSync('npm', ['--version'], { encoding: 'utf8' }).status === 0;

/** The shell lines of the README's "Quick start" code block, comments removed. */
function quickStartCommands(readme: string): string[] {
  const section = /^## Quick start\n([\s\S]*?)(?=^## )/m.exec(readme)?.[1] ?? '';
  const block = /```(?:sh|bash|shell)?\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  return block.split('\n').map((l) => l.replace(/\s+#.*$/, '').trim()).filter((l) => l !== '');
}

test('the README quick start documents `npm ci && npm start`, and `npm start` runs kubemeter up', () => {
  const commands = quickStartCommands(readFileSync(join(repo, 'README.md'), 'utf8'));
  assert.ok(commands.includes('npm ci && npm start'), `quick start commands: ${JSON.stringify(commands)}`);
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { scripts: Record<string, string>; dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
  assert.equal(pkg.scripts['start'], 'node src/cmd/main.ts up');
  const doc = readFileSync(join(repo, 'docs/standalone.md'), 'utf8');
  assert.ok(doc.includes('npm ci && npm start'), 'docs/standalone.md shows the quick start');
});

test('npm ci would install exactly package.json: the lockfile is in sync', () => {
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
  const lock = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8')) as { lockfileVersion: number; packages: Record<string, { dependencies?: Record<string, string>; devDependencies?: Record<string, string> }> };
  assert.ok(lock.lockfileVersion >= 2);
  const root = lock.packages[''];
  assert.ok(root !== undefined);
  assert.deepEqual(root.dependencies ?? {}, pkg.dependencies ?? {}, 'dependencies in package-lock.json match package.json');
  assert.deepEqual(root.devDependencies ?? {}, pkg.devDependencies ?? {}, 'devDependencies in package-lock.json match package.json');
  for (const name of Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })) {
    assert.ok(lock.packages[`node_modules/${name}`] !== undefined, `${name} is locked`);
  }
});

test('`npm start` with a fresh HOME serves the pasted kubectl top command, and Ctrl-C stops it cleanly', { skip: (!hasNpm && 'npm not installed') || (!hasKubectl && 'kubectl not installed') || (process.getuid?.() !== 0 && 'reads every cgroup; run as root') }, async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'kubemeter-quickstart-'));
  const procs: UpProcess[] = [];
  t.after(async () => {
    for (const p of procs) await p.kill();
    rmSync(home, { recursive: true, force: true });
  });
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, KUBECONFIG: '', npm_config_cache: join(home, '.npm') };
  const start = spawnLogged('npm', ['start'], { env, cwd: repo });
  procs.push(start);
  const serving = await start.waitFor((r) => r['msg'] === 'kubemeter up serving', 60_000);
  const kubeconfig = join(home, '.kube', 'kubemeter.config');
  assert.equal(serving['kubeconfig'], kubeconfig, 'the kubeconfig goes under the (temporary) home');
  const pasted = String(serving['kubectlTopNode']);
  assert.equal(pasted, `kubectl --kubeconfig ${kubeconfig} top node`);

  let out = { stdout: '', stderr: '', code: -1 };
  for (let i = 0; i < 60 && out.code !== 0; i++) {
    out = await runCommand('/bin/sh', ['-c', pasted], env);
    if (out.code !== 0) await sleep(500);
  }
  assert.equal(out.code, 0, `${pasted}: ${out.stderr}`);
  t.diagnostic(`${pasted}\n${out.stdout}`);
  const lines = out.stdout.trim().split('\n');
  assert.match(lines[0]!, /^NAME\s+CPU\(cores\)\s+CPU\(%\)\s+MEMORY\(bytes\)\s+MEMORY\(%\)\s*$/);
  assert.match(lines[1]!, new RegExp(`^${String(serving['node']).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s+\\d+m\\s+\\d+%\\s+\\d+Mi\\s+\\d+%\\s*$`));

  // npm itself dies of the SIGINT a terminal sends to the whole group; kubemeter stops cleanly.
  const exit = await start.interrupt();
  assert.ok(exit === 0 || exit === 'SIGINT', `npm exited with ${String(exit)}`);
  assert.ok(start.records.some((r) => r['msg'] === 'stopping; the state directory and the kubeconfig are kept'), start.output().slice(-2000));
  assert.ok(!start.records.some((r) => r['level'] === 'error'), 'no error logged');
  for (let i = 0; i < 100 && start.groupAlive(); i++) await sleep(100);
  assert.ok(!start.groupAlive(), 'kubemeter exited after Ctrl-C');
  assert.ok(existsSync(kubeconfig), 'the kubeconfig is kept');
  assert.ok(existsSync(join(home, '.kubemeter', 'ca.crt')) && existsSync(join(home, '.kubemeter', 'ca.key')), 'the CA is kept');
  assert.ok(!existsSync(join(home, '.kube', 'config')), '~/.kube/config is never written');
});
