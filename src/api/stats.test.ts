import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { isKubemeterError, ErrorCode } from '../lib/errors.ts';
import { decodeSummary } from './stats-decode.ts';
import { encodeSummary, encodeSummaryCompact } from './stats-encode.ts';
import { onlyCpuAndMemory } from './stats.ts';

const fixture = (name: string): string => readFileSync(new URL(`testdata/${name}`, import.meta.url), 'utf8');
const full = fixture('summary-full.json');
const edge = fixture('summary-edge.json');

test('golden: the reference payload round-trips byte for byte in the kubelet layout', () => {
  assert.ok(full.startsWith('{\n "node": {\n  "nodeName": "cluster-1-25-3-control-plane",\n  "systemContainers": [\n   {\n'));
  assert.equal(encodeSummary(decodeSummary(full)), full);
});

test('golden: edge cases round-trip (uint64 max, wraps, PSI, io, accelerators, null containers, Go escapes)', () => {
  assert.equal(encodeSummary(decodeSummary(edge)), edge);
});

test('counters above 2^53 stay exact bigints; wrapped availableBytes decode to the negative difference', () => {
  const s = decodeSummary(edge);
  assert.equal(s.node.cpu?.usageCoreNanoSeconds, 18446744073709551615n);
  assert.equal(s.node.systemContainers?.[0]?.cpu?.usageCoreNanoSeconds, 9007199254740993n);
  assert.equal(s.node.memory?.pageFaults, 9007199254740993n);
  assert.equal(s.node.memory?.availableBytes, -4096);
  assert.equal(s.node.network?.interfaces?.[0]?.rxBytes, 12345678901234567890n);
  assert.equal(s.node.fs?.availableBytes, 9223372036854775808n);
  assert.equal(s.node.cpu?.psi?.full.total, 18446744073709551615n);
  assert.equal(s.pods[0]?.containers[0]?.swap?.swapAvailableBytes, -1);
  assert.equal(s.node.nodeName, 'node-<&>-ü');
  assert.deepEqual(s.pods[1]?.containers, []);
  const ref = decodeSummary(full);
  assert.equal(ref.node.cpu?.usageCoreNanoSeconds, 172395638218014n);
  assert.equal(ref.node.cpu?.time, Date.parse('2022-11-11T07:58:06Z'));
  assert.equal(ref.pods[0]?.memory?.availableBytes, undefined);
});

function decodeError(text: string, source?: string): string {
  try {
    decodeSummary(text, source);
  } catch (e) {
    assert.ok(isKubemeterError(e, ErrorCode.InvalidDocument), String(e));
    if (source !== undefined) assert.equal(e.source, source);
    return e.message;
  }
  assert.fail('expected an error');
}

test('schema violations name the field path, the source and the value', () => {
  const bad = full.replace('"usageCoreNanoSeconds": 16645906408682', '"usageCoreNanoSeconds": -1');
  assert.equal(decodeError(bad, 'https://10.0.0.5:10250/stats/summary'),
    'invalid Summary document from https://10.0.0.5:10250/stats/summary: ' +
    'pods[0].containers[0].cpu.usageCoreNanoSeconds: expected a non-negative integer (got -1)');
  assert.equal(decodeError(full.replace('"usageCoreNanoSeconds": 16645906408682', '"usageCoreNanoSeconds": 1.0')),
    'invalid Summary document: pods[0].containers[0].cpu.usageCoreNanoSeconds: expected a non-negative integer (got 1 written as a float)');
  assert.equal(decodeError(full.replace('"usageBytes": 56401920', '"usageBytes": 18446744073709551616')),
    'invalid Summary document: pods[0].containers[0].memory.usageBytes: expected a non-negative integer (got 18446744073709551616)');
  assert.equal(decodeError(full.replace('"startTime": "2022-10-18T02:50:29Z"', '"startTime": "yesterday"')),
    'invalid Summary document: node.startTime: expected an RFC 3339 time or null (got "yesterday")');
  assert.equal(decodeError('{"node":{"nodeName":"n"},"pods":[{"podRef":{"name":"a","namespace":"b","uid":"c"},"containers":{}}]}'),
    'invalid Summary document: pods[0].containers: expected an array (got an object)');
  assert.equal(decodeError('{"node":{"nodeName":"n","cpu":"x"},"pods":[]}'),
    'invalid Summary document: node.cpu: expected an object (got "x")');
  assert.equal(decodeError('{"pods":[]}'), 'invalid Summary document: node: expected an object (got nothing)');
  assert.equal(decodeError('[]'), 'invalid Summary document: (document): expected an object (got an array)');
  assert.match(decodeError('{"node":', 'file.json'), /^invalid Summary document from file\.json: not JSON: /);
});

test('Go decoding semantics: null pointers are absent, missing times are zero, unknown fields ignored', () => {
  const s = decodeSummary('{"node":{"nodeName":"n","cpu":null,"future":1,"memory":{"time":"0001-01-01T00:00:00Z","usageBytes":null}},"pods":null}');
  assert.equal(s.node.cpu, undefined);
  assert.equal(s.node.startTime, null);
  assert.equal(s.node.memory?.time, null);
  assert.deepEqual(s.pods, []);
  assert.equal(encodeSummaryCompact(s), '{"node":{"nodeName":"n","startTime":null,"memory":{"time":null}},"pods":[]}');
});

test('time offsets and fractions are converted to UTC whole seconds on output', () => {
  const s = decodeSummary('{"node":{"nodeName":"n","startTime":"2024-05-01T12:00:03.999+02:00"},"pods":[]}');
  assert.equal(s.node.startTime, Date.parse('2024-05-01T10:00:03.999Z'));
  assert.equal(encodeSummaryCompact(s), '{"node":{"nodeName":"n","startTime":"2024-05-01T10:00:03Z"},"pods":[]}');
});

test('onlyCpuAndMemory keeps names, start times, cpu, memory and swap', () => {
  const s = onlyCpuAndMemory(decodeSummary(full));
  assert.deepEqual(Object.keys(s.node), ['nodeName', 'startTime', 'systemContainers', 'cpu', 'memory', 'swap']);
  assert.equal(s.node.fs, undefined);
  assert.equal(s.node.network, undefined);
  const pod = s.pods[0]!;
  assert.equal(pod.network, undefined);
  assert.equal(pod.volume, undefined);
  assert.equal(pod['ephemeral-storage'], undefined);
  assert.equal(pod.process_stats, undefined);
  assert.equal(pod.containers[0]?.rootfs, undefined);
  assert.equal(pod.containers[0]?.logs, undefined);
  assert.equal(pod.containers[0]?.swap?.swapUsageBytes, 0);
  assert.equal(pod.cpu?.usageCoreNanoSeconds, 25552286513427n);
  const text = encodeSummary(s);
  assert.ok(!text.includes('"fs"') && !text.includes('"rlimit"') && !text.includes('"rootfs"'));
  assert.equal(encodeSummary(decodeSummary(text)), text);
});

test('encoding refuses NaN floats with a KubemeterError', () => {
  const s = decodeSummary(edge);
  s.node.cpu!.psi!.some.avg10 = Number.NaN;
  assert.throws(() => encodeSummary(s), (e) => isKubemeterError(e, ErrorCode.InvalidDocument));
});

test('fuzz: decodeSummary only ever throws KubemeterError', () => {
  const check = (text: string): void => {
    try {
      decodeSummary(text);
    } catch (e) {
      if (!isKubemeterError(e)) throw e;
    }
  };
  fc.assert(fc.property(fc.string(), check), { numRuns: 300 });
  fc.assert(fc.property(fc.json(), check), { numRuns: 300 });
  // Mutations of a real payload: replace one value with arbitrary JSON.
  const values = [...full.matchAll(/: ([^,\n{[]+)/g)].map((m) => m.index + 2);
  fc.assert(fc.property(fc.constantFrom(...values), fc.jsonValue(), (at, v) => {
    const end = full.slice(at).search(/[,\n]/);
    check(full.slice(0, at) + JSON.stringify(v) + full.slice(at + end));
  }), { numRuns: 300 });
});

test('fuzz: whatever decodes re-encodes to a fixed point', () => {
  fc.assert(fc.property(fc.constantFrom(full, edge), fc.nat(), (text, seed) => {
    const s = decodeSummary(text);
    s.pods = s.pods.slice(seed % (s.pods.length + 1));
    const once = encodeSummary(s);
    assert.equal(encodeSummary(decodeSummary(once)), once);
  }), { numRuns: 20 });
});
