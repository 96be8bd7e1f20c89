import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSimulateArgs } from './simulate.ts';

test('flags: defaults, validation with the flag named', () => {
  const a = parseSimulateArgs(['--nodes', '3']);
  assert.ok(a !== 'help');
  assert.equal(a.options.podsPerNode, 30);
  assert.equal(a.options.containersPerPod, 2);
  assert.equal(a.options.durationMs, 3_600_000);
  assert.equal(a.options.port, 10250);
  assert.equal(parseSimulateArgs(['-h']), 'help');
  assert.throws(() => parseSimulateArgs([]), /required flag\(s\) "nodes" not set/);
  assert.throws(() => parseSimulateArgs(['--nodes', '2', '--duration', '0s']), /"--duration".*must be positive/);
  assert.throws(() => parseSimulateArgs(['--nodes', '2', '--churn', 'lots']), /"--churn"/);
  assert.throws(() => parseSimulateArgs(['--nodes', '2', '--shard', '2/2']), /"--shard"/);
  assert.throws(() => parseSimulateArgs(['--nodes', '2', '--ca-file-out', 'x']), /needs --tls/);
  assert.throws(() => parseSimulateArgs(['--nodes', '2', '--faults', 'boom=1']), /unknown fault kind/);
});

test('kubemeter simulate writes the nodes file and the CA, and exits by itself after --duration', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubemeter-sim-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const base = `127.${200 + Math.floor(Math.random() * 50)}.${Math.floor(Math.random() * 250)}.1`;
  const main = new URL('./main.ts', import.meta.url).pathname;
  const code = await new Promise<number>((resolve) => {
    execFile(process.execPath, [main, 'simulate', '--nodes', '2', '--pods-per-node', '1', '--port', '0', '--address-base', base, '--tls',
      '--nodes-file-out', join(dir, 'nodes.json'), '--ca-file-out', join(dir, 'ca.crt'), '--duration', '1s'], { timeout: 30_000 }, (err) => {
      resolve(err === null ? 0 : typeof err.code === 'number' ? err.code : 1);
    });
  });
  assert.equal(code, 0);
  const nodes = JSON.parse(readFileSync(join(dir, 'nodes.json'), 'utf8')) as Array<{ name: string; address: string }>;
  assert.deepEqual(nodes.map((n) => n.name), ['sim-node-0', 'sim-node-1']);
  assert.match(readFileSync(join(dir, 'ca.crt'), 'utf8'), /BEGIN CERTIFICATE/);
});
