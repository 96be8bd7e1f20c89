/**
 * Runs `kubemeter agent` (src/cmd/agent.ts) in a child process that records every module it
 * loads: a module hook collects the URLs, the agent runs until the port named by `ready` answers,
 * then it is stopped as SIGTERM would and the child prints what was loaded (ES module URLs and
 * Node's own `process.moduleLoadList`).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const agentEntry = join(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..'), 'src', 'cmd', 'agent.ts');

/** What the agent loaded before it was stopped. */
export interface AgentLoadReport {
  /** The agent's exit code. */
  code: number;
  /** HTTP status of the readiness request on the secure port; 0 for the read-only port. */
  status: number;
  /** URLs of every ES module loaded. */
  loaded: string[];
  /** Node's process.moduleLoadList (built-ins and internal modules). */
  builtins: string[];
}

// Readiness, inside the child: a TCP connection to the read-only port, or an unauthenticated
// HTTPS request to the secure one (so that its error path, the kubelet's 401 body, runs too).
const waitReadOnly = `
    const net = process.getBuiltinModule('node:net');
    const port = Number(process.argv[process.argv.indexOf('--read-only-port') + 1]);
    let status = 0;
    for (let i = 0; i < 400; i++) {
      const up = await new Promise((r) => net.connect(port, '127.0.0.1').once('connect', function () { this.destroy(); r(true); }).once('error', () => r(false)));
      if (up) break;
      await new Promise((r) => setTimeout(r, 25));
    }`;
const waitSecure = `
    const https = process.getBuiltinModule('node:https');
    const port = Number(process.argv[process.argv.indexOf('--port') + 1]);
    let status = 0;
    for (let i = 0; i < 400 && status === 0; i++) {
      status = await new Promise((r) => https.get({ host: '127.0.0.1', port, path: '/stats/summary', rejectUnauthorized: false, agent: false }, (res) => { res.resume(); res.on('end', () => r(res.statusCode)); }).once('error', () => r(0)));
      if (status === 0) await new Promise((r) => setTimeout(r, 25));
    }`;

/**
 * Run the agent with `args` (which must give `--read-only-port N` or `--port N` for `ready`) until
 * that port answers; asserts a clean exit and returns what it loaded.
 */
export async function agentModuleLoads(args: readonly string[], ready: 'read-only-port' | 'secure-port', env: NodeJS.ProcessEnv = process.env): Promise<AgentLoadReport> {
  const script = `
    const { registerHooks } = process.getBuiltinModule('node:module');
    const loaded = [];
    registerHooks({ load(url, context, next) { loaded.push(url); return next(url, context); } });
    const { run } = await import(${JSON.stringify(agentEntry)});
    const done = run(process.argv.slice(1));
    ${ready === 'secure-port' ? waitSecure : waitReadOnly}
    process.emit('SIGTERM');
    const code = await done;
    process.stdout.write(JSON.stringify({ code, status, loaded, builtins: process.moduleLoadList }));
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, '--', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exit = await new Promise<number | null>((r) => child.once('exit', r));
  assert.equal(exit, 0, err);
  const report = JSON.parse(out) as AgentLoadReport;
  assert.equal(report.code, 0, err);
  return report;
}
