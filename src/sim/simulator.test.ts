/**
 * The simulator over real loopback sockets: one address per node, every fault as specified, the
 * nodes file accepted by the server's parser, TLS verifiable with the generated CA, node
 * replacement, and the stop after the duration.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isKubemeterError } from '../lib/errors.ts';
import { parseExposition } from '../lib/promtext/parse.ts';
import { decodeSummary } from '../api/stats-decode.ts';
import { parseNodesFile } from '../server/nodes-file.ts';
import { faultKinds, type FaultKind } from './faults.ts';
import { faultLabel } from './nodes-file.ts';
import { startSimulator, type SimNode } from './simulator.ts';

/** A fresh /24 somewhere in 127.200–249.x.0 so parallel test files do not collide. */
function addressBase(): string {
  return `127.${200 + Math.floor(Math.random() * 50)}.${Math.floor(Math.random() * 250)}.1`;
}

interface Reply {
  status?: number;
  body: Buffer;
  error?: string;
  /** The body ended normally (not cut). */
  complete: boolean;
}

/** GET with a deadline; never rejects (faults are the point). */
function get(n: SimNode, path: string, options: { timeoutMs?: number; maxBytes?: number; ca?: string } = {}): Promise<Reply> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    const done = (r: Omit<Reply, 'body'>): void => resolve({ ...r, body: Buffer.concat(chunks) });
    const req = (options.ca === undefined ? httpRequest : httpsRequest)({ host: n.address, port: n.port, path, timeout: options.timeoutMs ?? 5000, ...(options.ca === undefined ? {} : { ca: options.ca }) }, (res) => {
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        if (bytes > (options.maxBytes ?? 8 << 20)) {
          req.destroy();
          done({ status: res.statusCode, error: 'too large', complete: false });
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => done({ status: res.statusCode, complete: true }));
      res.on('error', (e) => done({ status: res.statusCode, error: e.message, complete: false }));
      res.on('aborted', () => done({ status: res.statusCode, error: 'aborted', complete: false }));
    });
    req.on('timeout', () => {
      req.destroy();
      done({ error: 'timeout', complete: false });
    });
    req.on('error', (e) => done({ error: e.message, complete: false }));
    req.end();
  });
}

test('every fault behaves as specified; healthy nodes serve both endpoints', async (t) => {
  const faults = faultKinds.map((k) => `${k}=1`).join(',');
  const sim = await startSimulator({
    nodes: faultKinds.length + 2, podsPerNode: 4, containersPerPod: 2, port: 0, addressBase: addressBase(), faults,
    faultTimings: { latencyMs: 1500, hugeBytes: 3 << 20 }, durationMs: 60_000,
  });
  t.after(() => sim.close());
  const byFault = new Map<FaultKind | undefined, SimNode>();
  for (const n of sim.nodes) byFault.set(n.fault, n);
  assert.equal(new Set(sim.nodes.map((n) => n.address)).size, sim.nodes.length, 'one address per node');
  for (const n of sim.nodes) assert.match(n.address, /^127\./);

  const healthy = byFault.get(undefined)!;
  const ok = await get(healthy, '/metrics/resource');
  assert.equal(ok.status, 200);
  assert.equal(parseExposition(ok.body.toString()).length, 11);
  const summary = await get(healthy, '/stats/summary?only_cpu_and_memory=true');
  assert.equal(decodeSummary(summary.body.toString()).pods.length, 4);
  assert.equal((await get(healthy, '/nope')).status, 404);

  const latency = await get(byFault.get('latency')!, '/metrics/resource', { timeoutMs: 500 });
  assert.equal(latency.error, 'timeout', 'no answer within the client timeout');
  const late = await get(byFault.get('latency')!, '/metrics/resource', { timeoutMs: 5000 });
  assert.equal(late.status, 200, 'but an answer after the latency');
  assert.equal((await get(byFault.get('hang')!, '/metrics/resource', { timeoutMs: 700 })).error, 'timeout');
  assert.equal((await get(byFault.get('http-500')!, '/metrics/resource')).status, 500);
  const forbidden = await get(byFault.get('http-403')!, '/stats/summary');
  assert.equal(forbidden.status, 403);
  assert.match(forbidden.body.toString(), /^Forbidden \(user=.*, verb=get, resource=nodes, subresource=stats\)$/);
  const cut = await get(byFault.get('truncate')!, '/metrics/resource');
  assert.equal(cut.complete, false, `truncated body ends abnormally (${cut.error ?? ''})`);
  assert.ok(cut.body.length > 100);
  const garbage = await get(byFault.get('garbage')!, '/metrics/resource');
  assert.equal(garbage.status, 200);
  assert.throws(() => parseExposition(garbage.body.toString()), (e) => isKubemeterError(e));
  const huge = await get(byFault.get('huge')!, '/metrics/resource', { maxBytes: 64 << 20 });
  assert.equal(huge.body.length, 3 << 20, 'the configured body size, streamed');
  const capped = await get(byFault.get('huge')!, '/metrics/resource', { maxBytes: 1 << 20 });
  assert.equal(capped.error, 'too large');

  const text = async (f: FaultKind): Promise<string> => (await get(byFault.get(f)!, '/metrics/resource')).body.toString();
  const dup = parseExposition(await text('duplicate'));
  assert.equal(dup[0]!.samples.length, 2 * 8);
  assert.ok(parseExposition(await text('nan')).some((f) => f.samples.some((s) => Number.isNaN(s.value))));
  const skewed = parseExposition(await text('skew')).find((f) => f.name === 'node_cpu_usage_seconds_total')!.samples[0]!;
  assert.ok(skewed.timestampMs! > Date.now() + 200_000, 'skewed node reports times minutes ahead');
  parseExposition(await text('counter-reset'));

  // The nodes file: accepted by the server's parser; faulty nodes labelled with their fault.
  const nodes = parseNodesFile(sim.nodesFile(), 'nodes file');
  assert.equal(nodes.length, sim.nodes.length);
  for (const [i, n] of nodes.entries()) {
    const s = sim.nodes[i]!;
    assert.equal(n.name, s.name);
    assert.deepEqual(n.addresses, [{ type: 'InternalIP', address: s.address }]);
    assert.equal(n.kubeletPort, s.port);
    assert.equal(n.labels[faultLabel], s.fault);
  }
});

test('stops by itself after the duration, hanging and slow requests included', async () => {
  const sim = await startSimulator({ nodes: 3, podsPerNode: 1, containersPerPod: 1, port: 0, addressBase: addressBase(), faults: 'hang=1,latency=1', faultTimings: { latencyMs: 60_000 }, durationMs: 600 });
  const hanging = sim.nodes.filter((n) => n.fault !== undefined).map((n) => get(n, '/metrics/resource', { timeoutMs: 30_000 }));
  await sim.done;
  const replies = await Promise.all(hanging);
  for (const r of replies) assert.notEqual(r.status, 200, 'cut off by the stop, not answered');
  const after = await get(sim.nodes[0]!, '/metrics/resource', { timeoutMs: 2000 });
  assert.match(after.error ?? '', /ECONNREFUSED/, 'nothing listens any more');
  await sim.close(); // idempotent
});

test('TLS: each node presents a certificate for its address from the simulator CA', async (t) => {
  const sim = await startSimulator({ nodes: 2, podsPerNode: 2, containersPerPod: 1, port: 0, addressBase: addressBase(), tls: true, durationMs: 30_000 });
  t.after(() => sim.close());
  assert.match(sim.caPem ?? '', /BEGIN CERTIFICATE/);
  for (const n of sim.nodes) {
    const r = await get(n, '/metrics/resource', { ca: sim.caPem! });
    assert.equal(r.status, 200, r.error);
  }
  const untrusted = await get(sim.nodes[0]!, '/metrics/resource', { ca: '-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n' });
  assert.notEqual(untrusted.status, 200);
});

test('replaceNode: a new node (name, boot, pods) at the same address; sharding splits the nodes', async (t) => {
  const base = addressBase();
  const a = await startSimulator({ nodes: 5, podsPerNode: 3, containersPerPod: 1, port: 0, addressBase: base, shard: { index: 0, count: 2 }, durationMs: 30_000 });
  t.after(() => a.close());
  assert.deepEqual(a.nodes.map((n) => n.index), [0, 1]);
  const old = a.nodes[1]!;
  const before = parseExposition((await get(old, '/metrics/resource')).body.toString());
  const fresh = a.replaceNode(1);
  assert.equal(fresh.name, 'sim-node-1-1');
  assert.equal(fresh.address, old.address);
  assert.equal(a.nodes[1], fresh);
  assert.match(a.nodesFile(), /"name":"sim-node-1-1"/);
  const after = parseExposition((await get(fresh, '/metrics/resource')).body.toString());
  const pods = (fams: typeof before): string[] => fams.find((f) => f.name === 'pod_cpu_usage_seconds_total')?.samples.map((s) => s.labels[3]!) ?? [];
  assert.notDeepEqual(pods(after), pods(before));
  assert.throws(() => a.replaceNode(4), (e) => isKubemeterError(e, 'KM_NOT_FOUND'));
});

test('bad options are refused with the flag named', async () => {
  await assert.rejects(startSimulator({ nodes: 0, podsPerNode: 1, containersPerPod: 1 }), /--nodes must be an integer/);
  await assert.rejects(startSimulator({ nodes: 2, podsPerNode: 1, containersPerPod: 1, addressBase: '10.0.0.1' }), /127\.0\.0\.0\/8/);
  await assert.rejects(startSimulator({ nodes: 2, podsPerNode: 1, containersPerPod: 1, faults: 'hang=3' }), /3 faulty nodes but there are only 2/);
  await assert.rejects(startSimulator({ nodes: 2, podsPerNode: 1, containersPerPod: 1, faults: 'melt=1' }), /unknown fault kind "melt"/);
});
