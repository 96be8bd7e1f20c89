import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Quantity } from '../lib/quantity.ts';
import type { NodeMetricsSample, PodMetricsSample } from '../client/types.ts';
import { printNodeMetrics, printPodMetrics } from './kubectl-printer.ts';
import { goFloatToInt64, percentCell, usageCell } from './cells.ts';

const q = Quantity.parse;
const usage = (cpu: string, memory: string) => ({ cpu: q(cpu), memory: q(memory) });
const nodeM = (name: string, cpu: string, memory: string): NodeMetricsSample => ({ name, labels: {}, timestampMs: 0, window: '15s', windowMs: 15000, usage: usage(cpu, memory) });
const podM = (namespace: string, name: string, containers: [string, string, string][]): PodMetricsSample => ({
  namespace,
  name,
  labels: {},
  timestampMs: 0,
  window: '15s',
  windowMs: 15000,
  containers: containers.map(([n, cpu, mem]) => ({ name: n, usage: usage(cpu, mem) })),
});
const dots = (s: string) => s.replaceAll(' ', '·');

test('cell rules: CPU rounds up to millicores, memory rounds down to MiB', () => {
  const cases: [string, string, string][] = [
    ['cpu', '1n', '1m'],
    ['cpu', '999999n', '1m'],
    ['cpu', '1000001n', '2m'],
    ['cpu', '0', '0m'],
    ['cpu', '250264852n', '251m'],
    ['memory', '1048575', '0Mi'],
    ['memory', '8318172Ki', '8123Mi'],
    ['memory', '123456789', '117Mi'],
    ['pods', '110', '110'],
  ];
  for (const [res, input, want] of cases) assert.equal(usageCell(res, q(input)), want, `${res} ${input}`);
  assert.equal(usageCell('cpu', undefined), '0m');
});

test('percent cells: truncated float ratio of milli-values, Go int64 conversion for 0 available', () => {
  assert.equal(percentCell(q('250264852n'), q('3920m')), '6%');
  assert.equal(percentCell(q('8318172Ki'), q('15244336Ki')), '54%');
  assert.equal(percentCell(q('5'), q('4')), '125%');
  assert.equal(percentCell(q('5m'), q('0')), '-9223372036854775808%');
  assert.equal(percentCell(q('0'), q('0')), '-9223372036854775808%');
  assert.equal(goFloatToInt64(-0.5), 0n);
  assert.equal(goFloatToInt64(99.99), 99n);
});

test('top node: sorted rows, then <unknown> rows; a node without a Node object has no % cells', () => {
  const out = printNodeMetrics({
    metrics: [nodeM('node1', '1', '1Gi'), nodeM('orphan', '5m', '1Mi')],
    available: new Map([
      ['node1', usage('10', '10Gi')],
      ['node2', usage('10', '10Gi')],
    ]),
    noHeaders: false,
    sortBy: '',
  });
  assert.equal(
    dots(out),
    'NAME·····CPU(cores)···CPU(%)······MEMORY(bytes)···MEMORY(%)···\n' +
      'node1····1000m········10%·········1024Mi··········10%·········\n' +
      'orphan···5m···········1Mi·········\n' +
      'node2····<unknown>····<unknown>···<unknown>·······<unknown>···\n',
  );
});

test('top node --no-headers, single node', () => {
  const out = printNodeMetrics({ metrics: [nodeM('node1', '1', '1Gi')], available: new Map([['node1', usage('10', '10Gi')]]), noHeaders: true, sortBy: '' });
  assert.equal(dots(out), 'node1···1000m···10%···1024Mi···10%···\n');
});

test('top node sorts by name in byte order and by cpu/memory descending', () => {
  const mk = () => [nodeM('node2', '3', '1Gi'), nodeM('node10', '1', '3Gi'), nodeM('node1', '2', '2Gi')];
  const names = (sortBy: '' | 'cpu' | 'memory') =>
    printNodeMetrics({ metrics: mk(), available: new Map(), noHeaders: true, sortBy })
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' ')[0]);
  assert.deepEqual(names(''), ['node1', 'node10', 'node2']);
  assert.deepEqual(names('cpu'), ['node2', 'node1', 'node10']);
  assert.deepEqual(names('memory'), ['node10', 'node1', 'node2']);
});

test('top pod --sum', () => {
  const out = printPodMetrics({
    metrics: [podM('default', 'test-1', [['c', '400m', '5Gi']]), podM('default', 'test', [['c', '400m', '2Gi']])],
    containers: false,
    withNamespace: false,
    noHeaders: false,
    sortBy: '',
    sum: true,
  });
  assert.equal(
    dots(out),
    'NAME·····CPU(cores)···MEMORY(bytes)···\n' +
      'test·····400m·········2048Mi··········\n' +
      'test-1···400m·········5120Mi··········\n' +
      '·········________·····________········\n' +
      '·········800m·········7168Mi··········\n',
  );
});

test('top pod --containers', () => {
  const out = printPodMetrics({
    metrics: [podM('default', 'test', [['container2', '200m', '1Gi'], ['container1', '200m', '1Gi']])],
    containers: true,
    withNamespace: false,
    noHeaders: false,
    sortBy: '',
    sum: false,
  });
  assert.equal(
    dots(out),
    'POD····NAME·········CPU(cores)···MEMORY(bytes)···\n' + 'test···container1···200m·········1024Mi··········\n' + 'test···container2···200m·········1024Mi··········\n',
  );
});

test('top pod -A --containers --sum: totals are exact sums, not sums of printed cells', () => {
  const out = printPodMetrics({
    metrics: [podM('kube-system', 'coredns-abc', [['coredns', '2m', '20Mi']]), podM('default', 'web-1', [['sidecar', '3m', '12Mi'], ['nginx', '250264852n', '8318172Ki']])],
    containers: true,
    withNamespace: true,
    noHeaders: false,
    sortBy: '',
    sum: true,
  });
  assert.equal(
    dots(out),
    'NAMESPACE·····POD···········NAME······CPU(cores)···MEMORY(bytes)···\n' +
      'default·······web-1·········nginx·····251m·········8123Mi··········\n' +
      'default·······web-1·········sidecar···3m···········12Mi············\n' +
      'kube-system···coredns-abc···coredns···2m···········20Mi············\n' +
      '······································________·····________········\n' +
      '······································256m·········8155Mi··········\n',
  );
});

test('top pod --no-headers --sum -A keeps kubectl misaligned sum rows', () => {
  const out = printPodMetrics({
    metrics: [podM('default', 'web-1', [['nginx', '250264852n', '8318172Ki']]), podM('kube-system', 'coredns-abc', [['coredns', '2m', '20Mi']])],
    containers: false,
    withNamespace: true,
    noHeaders: true,
    sortBy: '',
    sum: true,
  });
  assert.equal(
    dots(out),
    'default·······web-1·········251m·······8123Mi···\n' +
      'kube-system···coredns-abc···2m·········20Mi·····\n' +
      '··············________······________···\n' +
      '··············253m··········8143Mi·····\n',
  );
});

test('no metrics prints nothing', () => {
  assert.equal(printPodMetrics({ metrics: [], containers: false, withNamespace: false, noHeaders: false, sortBy: '', sum: true }), '');
  assert.equal(printNodeMetrics({ metrics: [], available: new Map([['n', usage('1', '1')]]), noHeaders: false, sortBy: '' }), '');
});

test('pods sort by summed usage descending; containers sorted within each pod', () => {
  const out = printPodMetrics({
    metrics: [podM('a', 'small', [['x', '1m', '1Mi']]), podM('a', 'big', [['y', '5m', '1Mi'], ['z', '6m', '9Mi']])],
    containers: true,
    withNamespace: false,
    noHeaders: true,
    sortBy: 'cpu',
    sum: false,
  });
  assert.deepEqual(
    out.split('\n').filter(Boolean).map((l) => l.trim().split(/\s+/).slice(0, 2).join('/')),
    ['big/z', 'big/y', 'small/x'],
  );
});
