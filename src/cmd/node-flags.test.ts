import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { missingNodeFlags, reexecArgs } from './node-flags.ts';
import type { ProcessImage } from './node-flags.ts';
import { serverNodeFlags } from '../server/heap-tuning.ts';

const image = (o: Partial<ProcessImage> = {}): ProcessImage => ({
  execPath: '/usr/bin/node',
  execArgv: [],
  argv: ['/usr/bin/node', '/app/dist/cmd/main.js', 'server', '--secure-port=0'],
  nodeOptions: undefined,
  ...o,
});

test('a kubemeter server command line is re-run with the server flags before its own Node options', () => {
  assert.deepEqual(reexecArgs(image(), 'server', ['--secure-port=0'], serverNodeFlags), ['/usr/bin/node', ...serverNodeFlags, '/app/dist/cmd/main.js', 'server', '--secure-port=0']);
  assert.deepEqual(reexecArgs(image({ execArgv: ['--enable-source-maps'] }), 'server', ['--secure-port=0'], serverNodeFlags),
    ['/usr/bin/node', ...serverNodeFlags, '--enable-source-maps', '/app/dist/cmd/main.js', 'server', '--secure-port=0']);
});

test('a flag with a value counts as given whatever its value or spelling, on the command line or in NODE_OPTIONS', () => {
  const wanted = ['--max-semi-space-size=16'];
  assert.deepEqual(missingNodeFlags(image(), wanted), wanted);
  assert.deepEqual(missingNodeFlags(image({ execArgv: ['--max-semi-space-size=64'] }), wanted), []);
  assert.deepEqual(missingNodeFlags(image({ execArgv: ['--max_semi_space_size=8'] }), wanted), []);
  assert.deepEqual(missingNodeFlags(image({ execArgv: ['--max-semi-space-size', '8'] }), wanted), []);
  assert.deepEqual(missingNodeFlags(image({ nodeOptions: ' --max-semi-space-size=32 ' }), wanted), []);
  assert.deepEqual(missingNodeFlags(image({ execArgv: ['--max-old-space-size=512'] }), wanted), wanted);
});

test('only the named command of its own process is re-executed', () => {
  assert.equal(reexecArgs(image(), 'agent', ['--secure-port=0'], serverNodeFlags), undefined, 'another command');
  assert.equal(reexecArgs(image(), 'server', ['--secure-port=1'], serverNodeFlags), undefined, 'run() with other arguments than the process');
  assert.equal(reexecArgs(image({ argv: ['/usr/bin/node', '-e', 'server'] }), 'server', [], serverNodeFlags), undefined, 'an evaluated script');
  assert.equal(reexecArgs(image({ execArgv: ['--max-semi-space-size=16'] }), 'server', ['--secure-port=0'], serverNodeFlags), undefined, 'nothing missing');
});

test('the real server re-executes itself with its young-generation cap, keeping pid and arguments', () => {
  const main = fileURLToPath(new URL('./main.ts', import.meta.url));
  // --help answers after the re-execution: the process that prints it is the re-executed one.
  const probe = `process.on('exit', () => process.stderr.write('EXECARGV ' + JSON.stringify(process.execArgv) + '\\n'));`;
  const r = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(probe)}`, main, 'server', '--help'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /--metric-resolution/);
  const line = /EXECARGV (.*)/.exec(r.stderr);
  assert.ok(line !== null, r.stderr);
  const execArgv = JSON.parse(line[1]!) as string[];
  assert.ok(serverNodeFlags.every((f) => execArgv.includes(f)), `re-executed with ${serverNodeFlags.join(' ')}: ${line[1]}`);
});
