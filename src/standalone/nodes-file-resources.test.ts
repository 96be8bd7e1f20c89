import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeResourcesReader, parseNodeResources } from './nodes-file-resources.ts';

test('capacity and allocatable per node, canonical quantities', () => {
  const m = parseNodeResources('- {name: a, address: 10.0.0.1, capacity: {cpu: 4, memory: 16384Mi}, allocatable: {cpu: 3900m}}\n- {name: b, address: b.local}\n', 'nodes.yaml');
  assert.deepEqual(m.get('a'), { capacity: { cpu: '4', memory: '16Gi' }, allocatable: { cpu: '3900m' } });
  assert.deepEqual(m.get('b'), { capacity: {}, allocatable: {} });
  assert.equal(parseNodeResources('', 'f').size, 0);
  assert.throws(() => parseNodeResources('- {name: a, capacity: {cpu: lots}}', 'nodes.yaml'), /nodes\.yaml: \[0\]\.capacity\.cpu: "lots" is not a quantity/);
  assert.throws(() => parseNodeResources('- {name: a, capacity: [1]}', 'nodes.yaml'), /expected a map of quantities/);
  assert.throws(() => parseNodeResources('{a: 1}', 'nodes.yaml'), /expected a list of nodes/);
});

test('the reader re-reads on a new node list and keeps the last good resources on error', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubemeter-nfr-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'nodes.yaml');
  writeFileSync(path, '- {name: a, address: x, capacity: {cpu: 2}}\n');
  let version = {};
  const errors: unknown[] = [];
  const read = nodeResourcesReader(path, () => version, (e) => errors.push(e));
  assert.equal(read().get('a')?.capacity['cpu'], '2');
  writeFileSync(path, '- {name: a, address: x, capacity: {cpu: bad}}\n');
  assert.equal(read().get('a')?.capacity['cpu'], '2', 'same version: not re-read');
  version = {};
  assert.equal(read().get('a')?.capacity['cpu'], '2', 'broken file: previous kept');
  assert.equal(errors.length, 1);
  writeFileSync(path, '- {name: a, address: x, capacity: {cpu: 8}}\n');
  version = {};
  assert.equal(read().get('a')?.capacity['cpu'], '8');
});
