import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseExposition } from './parse.ts';
import { ExpositionBuilder, formatSampleValue, normalizeFamilies, writeExposition } from './write.ts';
import type { Family } from './types.ts';

const eks = readFileSync(new URL('./testdata/kubelet-resource-eks.txt', import.meta.url), 'utf8');

test('golden: parse then write reproduces the real kubelet payload byte for byte', () => {
  assert.equal(writeExposition(parseExposition(eks)), eks);
});

test('golden: families built in any order are normalized to the kubelet output', () => {
  const shuffled: Family[] = parseExposition(eks)
    .map((f) => ({
      ...f,
      samples: f.samples
        .map((s) => {
          // Reverse label pairs and samples: normalizeFamilies must restore Go's order.
          const pairs: string[] = [];
          for (let i = s.labels.length - 2; i >= 0; i -= 2) pairs.push(s.labels[i] ?? '', s.labels[i + 1] ?? '');
          return { ...s, labels: pairs };
        })
        .reverse(),
    }))
    .reverse();
  assert.notEqual(writeExposition(shuffled), eks);
  assert.equal(writeExposition(normalizeFamilies(shuffled)), eks);
});

test('values use the Go text encoder special cases and %g', () => {
  const cases: Array<[number, string]> = [
    [0, '0'],
    [-0, '0'],
    [1, '1'],
    [-1, '-1'],
    [NaN, 'NaN'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
    [212992, '212992'],
    [16752640, '1.675264e+07'],
    [1e6, '1e+06'],
    [1.2e-5, '1.2e-05'],
    [293.769327238, '293.769327238'],
  ];
  for (const [v, want] of cases) assert.equal(formatSampleValue(v), want);
});

test('escaping of label values and HELP text', () => {
  const text = new ExpositionBuilder()
    .family('m', 'gauge', 'a \\ b\nc "q"')
    .sample('m', ['l', 'x\\y"z\nw', 'k', ''], 2, 5)
    .sample('m', [], 0.5)
    .family('n', 'untyped').text;
  assert.equal(
    text,
    '# HELP m a \\\\ b\\nc "q"\n# TYPE m gauge\nm{l="x\\\\y\\"z\\nw",k=""} 2 5\nm 0.5\n# TYPE n untyped\n',
  );
  const back = parseExposition(text);
  assert.equal(back[0]?.help, 'a \\ b\nc "q"');
  assert.deepEqual(back[0]?.samples[0]?.labels, ['l', 'x\\y"z\nw', 'k', '']);
});

test('families without samples are skipped, like a Go registry', () => {
  assert.equal(writeExposition([{ name: 'e', help: 'h', type: 'gauge', samples: [] }]), '');
});

test('normalizeFamilies sorts like client_golang and leaves its input alone', () => {
  const input: Family[] = [
    {
      name: 'b',
      help: undefined,
      type: 'gauge',
      samples: [
        { name: 'b', labels: ['z', '1', 'a', 'y'], value: 1, timestampMs: undefined },
        { name: 'b', labels: ['a', 'x', 'z', '2'], value: 2, timestampMs: undefined },
        { name: 'b', labels: ['a', 'x', 'z', '2'], value: 3, timestampMs: 5 },
        { name: 'b', labels: [], value: 4, timestampMs: undefined },
      ],
    },
    { name: 'a', help: undefined, type: 'counter', samples: [{ name: 'a', labels: [], value: 1, timestampMs: 1 }] },
  ];
  const copy = structuredClone(input);
  const out = normalizeFamilies(input);
  assert.deepEqual(input, copy);
  assert.deepEqual(out.map((f) => f.name), ['a', 'b']);
  assert.deepEqual(
    out[1]?.samples.map((s) => [s.labels, s.value]),
    [
      [[], 4],
      [['a', 'x', 'z', '2'], 3],
      [['a', 'x', 'z', '2'], 2],
      [['a', 'y', 'z', '1'], 1],
    ],
  );
});

