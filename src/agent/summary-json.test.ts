import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeSummary } from '../api/stats-encode.ts';
import type { Summary } from '../api/stats.ts';
import { agentSummary } from '../../test/support/summary-arbitrary.ts';
import { encodeAgentSummary, isAgentShaped } from './summary-json.ts';

test('encodeAgentSummary writes the bytes encodeSummary writes, for any agent-shaped Summary', () => {
  fc.assert(fc.property(agentSummary, (s) => {
    assert.ok(isAgentShaped(s));
    assert.equal(encodeAgentSummary(s), encodeSummary(s));
  }), { numRuns: 400 });
});

test('encodeAgentSummary: edges written as Go writes them', () => {
  const s: Summary = {
    node: { nodeName: 'n<1>&', startTime: null, memory: { time: 0, availableBytes: -5, usageBytes: 2 ** 60, workingSetBytes: 0 } },
    pods: [{ podRef: { name: 'p\u2028', namespace: 'lone\udc00', uid: 'u' }, startTime: 1_700_000_000_999, containers: [], process_stats: {} }],
  };
  const text = encodeAgentSummary(s);
  assert.equal(text, encodeSummary(s));
  assert.match(text, /"availableBytes": 18446744073709551611,/);
  assert.match(text, /"usageBytes": 1152921504606846976,/);
  assert.match(text, /"nodeName": "n\\u003c1\\u003e\\u0026"/);
  assert.match(text, /"containers": null,/);
  assert.match(text, /"process_stats": \{\}/);
});

test('encodeAgentSummary writes PSI and io itself, -0, tiny and huge averages and totals beyond 2^53 as Go does', () => {
  const psi = { full: { total: (1n << 64n) - 1n, avg10: 0.5, avg60: -0, avg300: 1e-7 }, some: { total: 2n, avg10: 1e21, avg60: 11.5, avg300: 0 } };
  const s: Summary = { node: { nodeName: 'n', startTime: 0, cpu: { time: 0, psi }, memory: { time: 0, psi }, io: { time: 0, psi } }, pods: [] };
  assert.ok(isAgentShaped(s));
  const text = encodeAgentSummary(s);
  assert.equal(text, encodeSummary(s));
  assert.match(text, /"avg60": -0,/);
  assert.match(text, /"avg300": 1e-7/);
  assert.match(text, /"total": 18446744073709551615,/);
  assert.throws(() => encodeAgentSummary({ node: { nodeName: 'n', startTime: 0, io: { time: 0, psi: { ...psi, some: { ...psi.some, avg10: Number.NaN } } } }, pods: [] }), /psi\.some\.avg10/);
});

test('encodeAgentSummary hands Summaries with fields the agent never writes to encodeSummary', () => {
  const shapes: Summary[] = [
    { node: { nodeName: 'n', startTime: 0 }, pods: [{ podRef: { name: 'p', namespace: 'ns', uid: 'u' }, startTime: 0, containers: [], volume: [{ time: 0, name: 'v', volumeHealthStats: { abnormal: true } }] }] },
    { node: { nodeName: 'n', startTime: 0 }, pods: [{ podRef: { name: 'p', namespace: 'ns', uid: 'u' }, startTime: 0, containers: [{ name: 'c', startTime: 0, rootfs: { time: 0 }, userDefinedMetrics: [{ name: 'm', type: 'gauge', units: 'u', time: 0, value: 1.5 }] }] }] },
  ];
  for (const s of shapes) {
    assert.equal(isAgentShaped(s), false);
    assert.equal(encodeAgentSummary(s), encodeSummary(s));
  }
});
