import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseNodesFile, NodesFileView } from './nodes-file.ts';
import { isKubemeterError } from '../lib/errors.ts';
import { silentLogger } from '../lib/log.ts';
import { decodeNode } from './kube-view.ts';

test('nodes files in YAML and JSON; errors name the entry', () => {
  assert.deepEqual(parseNodesFile('[{"name":"a","address":"10.0.0.1","port":10250,"labels":{"z":"1"}}]', 'f'), [
    { name: 'a', addresses: [{ type: 'InternalIP', address: '10.0.0.1' }], kubeletPort: 10250, labels: { z: '1' }, ready: true },
  ]);
  assert.equal(parseNodesFile('- {name: b, address: host.example, capacity: {cpu: 4}}\n', 'f')[0]?.addresses[0]?.type, 'Hostname');
  assert.deepEqual(parseNodesFile('', 'f'), []);
  const err = (text: string): string => {
    try {
      parseNodesFile(text, 'nodes.yaml');
    } catch (e) {
      assert.ok(isKubemeterError(e, 'KM_INVALID_FILE'));
      return e.message;
    }
    assert.fail('expected failure');
  };
  assert.match(err('- {name: a}'), /^nodes\.yaml: \[0\]\.address: /);
  assert.match(err('- {name: a, address: x, port: 70000}'), /\[0\]\.port/);
  assert.match(err('- {name: a, address: x, bogus: 1}'), /\[0\]/);
  assert.match(err('- {name: a, address: x}\n- {name: a, address: y}'), /duplicate node "a"/);
  assert.match(err('{'), /not YAML or JSON/);
});

test('the view reloads on change and keeps the old list on a broken edit', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubemeter-nodes-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'nodes.yaml');
  writeFileSync(path, '- {name: a, address: 10.0.0.1}\n');
  const view = new NodesFileView({ path, logger: silentLogger, pollMs: 3_600_000 });
  assert.deepEqual(view.nodes().map((n) => n.name), ['a']);
  const reload = (view as unknown as { reload(initial: boolean): void }).reload.bind(view);
  writeFileSync(path, '- {name: a, address: 10.0.0.1}\n- {name: b, address: 10.0.0.2}\n');
  utimesSync(path, new Date(), new Date(Date.now() + 5000));
  reload(false);
  assert.deepEqual(view.nodes().map((n) => n.name), ['a', 'b']);
  writeFileSync(path, 'not: [valid');
  utimesSync(path, new Date(), new Date(Date.now() + 10_000));
  reload(false);
  assert.deepEqual(view.nodes().map((n) => n.name), ['a', 'b']);
  assert.match(view.syncError(), /not YAML or JSON/);
  assert.throws(() => new NodesFileView({ path: join(dir, 'missing'), logger: silentLogger }), /cannot read nodes file/);
});

test('Node objects keep only what scraping needs', () => {
  const n = decodeNode({
    metadata: { name: 'n1', resourceVersion: '7', labels: { a: 'b' }, annotations: { 'metrics.k8s.io/resource-metrics-path': '/x' } },
    status: { addresses: [{ type: 'InternalIP', address: '10.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: 10250 } }, conditions: [{ type: 'Ready', status: 'True' }] },
  }, 'test');
  assert.deepEqual(n, { metadata: { name: 'n1', resourceVersion: '7' }, name: 'n1', addresses: [{ type: 'InternalIP', address: '10.0.0.1' }], kubeletPort: 10250, labels: { a: 'b' }, annotations: { 'metrics.k8s.io/resource-metrics-path': '/x' }, ready: true });
  assert.throws(() => decodeNode({ metadata: {} }, 'test'), /without metadata\.name/);
});
