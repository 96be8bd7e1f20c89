import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isKubemeterError } from '../lib/errors.ts';
import { parseUpCommand } from './up.ts';

const env = { home: '/home/me', hostname: 'MyHost' };

test('defaults: state and kubeconfig under the home directory, loopback, port 4443 with fallback', () => {
  const c = parseUpCommand([], env);
  assert.equal(c.action, 'up');
  assert.equal(c.options.stateDir, '/home/me/.kubemeter');
  assert.equal(c.options.kubeconfigOut, '/home/me/.kube/kubemeter.config');
  assert.equal(c.options.bindAddress, '127.0.0.1');
  assert.equal(c.options.securePort, 4443);
  assert.equal(c.options.portFallback, true);
  assert.equal(c.options.nodeName, 'myhost');
  assert.equal(c.options.resolutionMs, 5000);
  assert.equal(c.options.housekeepingIntervalMs, 2000);
  assert.equal(c.options.nodesFile, undefined);
  assert.equal(c.loggingFormat, undefined);
});

test('flags', () => {
  const c = parseUpCommand(['--state-dir=~/s', '--kubeconfig-out', '/tmp/kc', '--secure-port', '0', '--nodes-file', '/etc/nodes.yaml', '--metric-resolution', '2s', '--logging-format', 'json', '--node-name', 'box'], env);
  assert.equal(c.options.stateDir, '/home/me/s');
  assert.equal(c.options.kubeconfigOut, '/tmp/kc');
  assert.equal(c.options.securePort, 0);
  assert.equal(c.options.portFallback, false, 'an explicit port is never replaced');
  assert.equal(c.options.nodesFile, '/etc/nodes.yaml');
  assert.equal(c.options.resolutionMs, 2000);
  assert.equal(c.loggingFormat, 'json');
  assert.equal(c.options.nodeName, 'box');
  assert.equal(parseUpCommand(['-h'], env).action, 'help');
});

test('agent-cert NAME [ADDRESS...]', () => {
  const c = parseUpCommand(['agent-cert', 'web-1', '10.0.0.11', 'web-1.lan'], env);
  assert.equal(c.action, 'agent-cert');
  assert.deepEqual(c.agentCert, { name: 'web-1', addresses: ['10.0.0.11', 'web-1.lan'], out: '/home/me/.kubemeter/agents/web-1' });
  assert.throws(() => parseUpCommand(['agent-cert'], env), /needs the node name/);
});

test('bad values are errors naming the flag', () => {
  const bad = (args: string[], re: RegExp): void => assert.throws(() => parseUpCommand(args, env), (e: unknown) => (isKubemeterError(e) || e instanceof Error) && re.test((e as Error).message));
  bad(['--metric-resolution', '100ms'], /--metric-resolution must be at least 1000 ms/);
  bad(['--metric-resolution', 'soon'], /invalid argument "soon" for "--metric-resolution"/);
  bad(['--secure-port', '70000'], /"--secure-port" flag: must be an integer from 0 to 65535/);
  bad(['--logging-format', 'xml'], /--logging-format must be text or json/);
  bad(['--nope'], /unknown flag: --nope/);
  bad(['extra'], /unexpected argument "extra"/);
  bad(['--node-name', ''], /--node-name must not be empty/);
});
