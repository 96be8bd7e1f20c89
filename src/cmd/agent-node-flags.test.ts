import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeGeneratedHost } from '../../test/support/agent-fixtures.ts';
import { freePort } from '../../test/support/free-port.ts';
import { agentNodeEnv, agentNodeFlags } from './agent-node-flags.ts';
import { missingEnv, missingNodeFlags, reexecArgs } from './node-flags.ts';
import type { ProcessImage } from './node-flags.ts';

/** The agent's re-execution argv (`wanted`: the agent's flags unless given). */
const agentReexecArgs = (i: ProcessImage, args: readonly string[], wanted: readonly string[] = agentNodeFlags): string[] | undefined => reexecArgs(i, 'agent', args, wanted);

const image = (over: Partial<ProcessImage> = {}): ProcessImage => ({
  execPath: '/usr/bin/node', execArgv: [], argv: ['/usr/bin/node', '/app/dist/cmd/main.js', 'agent', '--port=0'], nodeOptions: undefined, ...over,
});

test('the agent is re-executed with its V8 flags before its own command line', () => {
  assert.deepEqual(agentReexecArgs(image(), ['--port=0']), ['/usr/bin/node', ...agentNodeFlags, '/app/dist/cmd/main.js', 'agent', '--port=0']);
  // The command line's own Node options come after, so that they override.
  assert.deepEqual(agentReexecArgs(image({ execArgv: ['--enable-source-maps', '--max-semi-space-size=1'] }), ['--port=0']),
    ['/usr/bin/node', ...agentNodeFlags, '--enable-source-maps', '--max-semi-space-size=1', '/app/dist/cmd/main.js', 'agent', '--port=0']);
  // A compiler switched on explicitly stays on.
  assert.deepEqual(agentReexecArgs(image({ execArgv: ['--maglev'] }), ['--port=0'], ['--no-opt', '--no-maglev']),
    ['/usr/bin/node', '--no-opt', '--maglev', '/app/dist/cmd/main.js', 'agent', '--port=0']);
});

test('only the missing flags are added, and nothing happens once every one is given', () => {
  assert.deepEqual(missingNodeFlags(image({ execArgv: ['--no-opt'] }), ['--no-opt', '--no-maglev']), ['--no-maglev']);
  assert.deepEqual(missingNodeFlags(image({ nodeOptions: ' --no-maglev  --no-opt ' }), ['--no-opt', '--no-maglev']), []);
  assert.deepEqual(agentReexecArgs(image({ execArgv: ['--no-opt'] }), ['--port=0'], ['--no-opt', '--no-maglev']),
    ['/usr/bin/node', '--no-maglev', '--no-opt', '/app/dist/cmd/main.js', 'agent', '--port=0']);
  // Given the other way round, by the command line or NODE_OPTIONS: the operator's choice.
  assert.deepEqual(missingNodeFlags(image({ nodeOptions: '--maglev' }), ['--no-opt', '--no-maglev']), ['--no-opt']);
  assert.deepEqual(missingNodeFlags(image({ execArgv: ['--opt', '--maglev'] }), ['--no-opt', '--no-maglev']), []);
  // The re-executed process: no second re-execution.
  assert.equal(agentReexecArgs(image({ execArgv: [...agentNodeFlags] }), ['--port=0']), undefined);
  assert.equal(agentReexecArgs(image({ nodeOptions: agentNodeFlags.join(' ') }), ['--port=0']), undefined);
});

test('the malloc tunables missing from the environment also re-execute, and a variable already set is left alone', () => {
  const withFlags = image({ execArgv: [...agentNodeFlags] });
  assert.deepEqual(missingEnv(withFlags, agentNodeEnv), agentNodeEnv);
  // Flags given but the environment lacks the tunables: the same command line again, nothing added to it.
  assert.deepEqual(reexecArgs(withFlags, 'agent', ['--port=0'], agentNodeFlags, agentNodeEnv), ['/usr/bin/node', ...agentNodeFlags, '/app/dist/cmd/main.js', 'agent', '--port=0']);
  const set = Object.fromEntries(Object.keys(agentNodeEnv).map((k) => [k, '']));
  assert.deepEqual(missingEnv(image({ env: { ...set, MALLOC_ARENA_MAX: '4' } }), agentNodeEnv), {});
  assert.deepEqual(missingEnv(image({ env: { MALLOC_ARENA_MAX: '4' } }), { MALLOC_ARENA_MAX: '1', MALLOC_TOP_PAD_: '0' }), { MALLOC_TOP_PAD_: '0' });
  // Both given: no re-execution.
  assert.equal(reexecArgs(image({ execArgv: [...agentNodeFlags], env: { ...agentNodeEnv } }), 'agent', ['--port=0'], agentNodeFlags, agentNodeEnv), undefined);
});

test('a process that is not this agent command line is never re-executed', () => {
  // run() called by a test runner or an embedding program, with its own argv.
  assert.equal(agentReexecArgs(image({ argv: ['/usr/bin/node', '/x/agent.test.ts'] }), ['--port=0']), undefined);
  assert.equal(agentReexecArgs(image({ argv: ['/usr/bin/node', '/x/y.js', 'agent', '--port=1'] }), ['--port=0']), undefined);
  assert.equal(agentReexecArgs(image({ argv: ['/usr/bin/node', '/x/y.js', 'agent', '--port=0', 'more'] }), ['--port=0']), undefined);
  assert.equal(agentReexecArgs(image({ argv: ['/usr/bin/node', '/x/y.js', 'top', '--port=0'] }), ['--port=0']), undefined);
  // `node -e SCRIPT -- args`: argv[1] is already an argument.
  assert.equal(agentReexecArgs(image({ argv: ['/usr/bin/node', '--port=0', 'agent'] }), []), undefined);
  assert.equal(agentReexecArgs(image({ argv: ['/usr/bin/node'] }), []), undefined);
});

/** Start a real agent on a one-pod fixture host with `extra` flags; its command line once it answers. */
async function agentCommandLine(t: TestContext, extra: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<{ cmdline: string[]; environ: Map<string, string>; main: string; stop: () => Promise<{ code: number | null; stderr: string }> }> {
  const dir = mkdtempSync(join(tmpdir(), 'kubemeter-agent-node-flags-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeGeneratedHost(dir, 1, 1);
  const port = await freePort();
  const main = new URL('./main.ts', import.meta.url).pathname;
  const child = spawn(process.execPath, ['--enable-source-maps', main, 'agent', '--proc-root', join(dir, 'proc'), '--sys-root', join(dir, 'sys'),
    '--read-only-port', String(port), '--address=127.0.0.1', '--port=0', '--standalone=false', '--root-dir', dir, '--log-level=error', ...extra], {
    stdio: ['ignore', 'ignore', 'pipe'], env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('KUBERNETES_') && k !== 'NODE_OPTIONS' && !(k in agentNodeEnv))), ...env },
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  t.after(() => child.kill('SIGKILL'));
  let up = false;
  for (let i = 0; i < 200 && !up; i++) {
    up = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
    if (!up) await sleep(50);
  }
  assert.ok(up, `the agent answered (stderr: ${stderr})`);
  const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0').filter((x) => x !== '');
  const environ = new Map(readFileSync(`/proc/${child.pid}/environ`, 'utf8').split('\0').filter((x) => x !== '').map((x) => [x.slice(0, x.indexOf('=')), x.slice(x.indexOf('=') + 1)]));
  return {
    cmdline, environ, main,
    stop: async () => {
      child.kill('SIGTERM');
      return { code: await exited, stderr };
    },
  };
}

test('kubemeter agent runs under its V8 flags in the same process it was started as', async (t) => {
  const { cmdline, main, stop } = await agentCommandLine(t, []);
  // The process the parent started (same pid) now runs with the flags first, then its own options.
  assert.deepEqual(cmdline.slice(1, 2 + agentNodeFlags.length + 1), [...agentNodeFlags, '--enable-source-maps', main]);
  assert.equal(cmdline.filter((a) => a === agentNodeFlags[0]).length, 1, 'executed again once, not in a loop');
  const { code, stderr } = await stop();
  assert.equal(code, 0, stderr);
});

test('kubemeter agent runs with the malloc tunables in its environment, keeping a value the operator set', async (t) => {
  const { environ, stop } = await agentCommandLine(t, [], { MALLOC_ARENA_MAX: '2' });
  for (const [name, value] of Object.entries(agentNodeEnv)) assert.equal(environ.get(name), name === 'MALLOC_ARENA_MAX' ? '2' : value, name);
  const { code, stderr } = await stop();
  assert.equal(code, 0, stderr);
});

test('kubemeter agent --low-memory=false keeps the command line it was started with', async (t) => {
  const { cmdline, environ, main, stop } = await agentCommandLine(t, ['--low-memory=false']);
  assert.deepEqual(cmdline.slice(1, 3), ['--enable-source-maps', main]);
  assert.ok(!cmdline.some((a) => agentNodeFlags.includes(a)), cmdline.join(' '));
  assert.ok(!Object.keys(agentNodeEnv).some((k) => environ.has(k)), 'environment unchanged');
  const { code, stderr } = await stop();
  assert.equal(code, 0, stderr);
});
