import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/kubemeter.js', import.meta.url));

function kubemeter(...args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
}

test('no arguments prints the overview and exits 0', () => {
  const r = kubemeter();
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^Usage: kubemeter <command> \[flags\]$/m);
  assert.match(r.stdout, /^ {2}version /m);
});

test('an unknown subcommand prints usage on stderr and exits 2', () => {
  const r = kubemeter('frobnicate');
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /unknown command "frobnicate"/);
  assert.match(r.stderr, /Usage: kubemeter/);
});

test('version prints the package version', () => {
  const r = kubemeter('version');
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^kubemeter \d+\.\d+\.\d+\n$/);
});
