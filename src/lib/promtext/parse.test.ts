import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ExpositionParser, parseExposition } from './parse.ts';
import { ExpositionError, labelValue, type Family } from './types.ts';
import { ErrorCode } from '../errors.ts';

const eks = readFileSync(new URL('./testdata/kubelet-resource-eks.txt', import.meta.url), 'utf8');
const payload2021 = readFileSync(new URL('./testdata/kubelet-resource-2021.txt', import.meta.url), 'utf8');

function family(fams: Family[], name: string): Family {
  const f = fams.find((x) => x.name === name);
  assert.ok(f, `family ${name} missing`);
  return f;
}

test('parses a real kubelet /metrics/resource payload', () => {
  const fams = parseExposition(eks);
  assert.deepEqual(
    fams.map((f) => `${f.name}:${f.type}:${f.samples.length}`),
    [
      'container_cpu_usage_seconds_total:counter:2',
      'container_memory_working_set_bytes:gauge:2',
      'container_start_time_seconds:gauge:2',
      'container_swap_usage_bytes:gauge:1',
      'node_cpu_usage_seconds_total:counter:1',
      'node_memory_working_set_bytes:gauge:1',
      'node_swap_usage_bytes:gauge:1',
      'pod_cpu_usage_seconds_total:counter:2',
      'pod_memory_working_set_bytes:gauge:2',
      'pod_swap_usage_bytes:gauge:1',
      'resource_scrape_error:gauge:1',
    ],
  );
  const cpu = family(fams, 'container_cpu_usage_seconds_total');
  assert.equal(cpu.help, '[STABLE] Cumulative cpu time consumed by the container in core-seconds');
  assert.deepEqual(cpu.samples[1], {
    name: 'container_cpu_usage_seconds_total',
    labels: ['container', 'kube-proxy', 'namespace', 'kube-system', 'pod', 'kube-proxy-t748f'],
    value: 27.787800906,
    timestampMs: 1750705772883,
  });
  assert.equal(family(fams, 'container_memory_working_set_bytes').samples[0]?.value, 50237440);
  const start = family(fams, 'container_start_time_seconds').samples[0];
  assert.equal(start?.value, 1750607840.1348257);
  assert.equal(start?.timestampMs, undefined);
  assert.equal(family(fams, 'node_memory_working_set_bytes').samples[0]?.value, 1137475584);
  assert.deepEqual(family(fams, 'resource_scrape_error').samples[0]?.labels, []);
});

test('parses the payload of the metrics-server decoder tests to the same numbers', () => {
  const fams = parseExposition(payload2021);
  const sample = (name: string) => family(fams, name).samples[0];
  assert.equal(Math.trunc((sample('node_cpu_usage_seconds_total')?.value ?? 0) * 1e9), 357354910000);
  assert.equal(sample('node_memory_working_set_bytes')?.value, 1616273408);
  assert.equal(Math.trunc((sample('container_cpu_usage_seconds_total')?.value ?? 0) * 1e9), 4710169000);
  assert.equal(sample('container_memory_working_set_bytes')?.value, 12533760);
  assert.equal(sample('container_start_time_seconds')?.value, 1633252712);
  assert.equal(labelValue(sample('container_start_time_seconds')?.labels ?? [], 'pod'), 'coredns-558bd4d5db-4dpjz');
  assert.equal(family(fams, 'container_start_time_seconds').help, undefined);
});

test('accepts the syntax variants expfmt accepts', () => {
  const text = [
    '# a free comment',
    '#',
    '',
    '   ',
    '# HELP a Help with \\\\ backslash, \\n newline and \\" quote',
    '#TYPE a Counter',
    'a{} 1',
    'a{x="1",} 2',
    'a { x = "2" , y="v" } 3 -1700000000000',
    '\ta{x="esc \\\\ \\" \\n"}\t4\t5',
    'b NaN',
    'b nan',
    'b +Inf',
    'b -inf',
    'b Infinity',
    'b .5',
    'b 5.',
    'b -1.5E-3',
    'b 00012',
    'b 1 2 ',
    'b 12345678901234567890',
    'b 1.2345678901234567e+300',
    'b 5e-324 +7',
    '',
  ].join('\n');
  const fams = parseExposition(text);
  const a = family(fams, 'a');
  assert.equal(a.type, 'counter');
  assert.equal(a.help, 'Help with \\ backslash, \n newline and " quote');
  assert.deepEqual(
    a.samples.map((s) => [s.labels, s.value, s.timestampMs]),
    [
      [[], 1, undefined],
      [['x', '1'], 2, undefined],
      [['x', '2', 'y', 'v'], 3, -1700000000000],
      [['x', 'esc \\ " \n'], 4, 5],
    ],
  );
  const b = family(fams, 'b');
  assert.equal(b.type, 'untyped');
  assert.deepEqual(
    b.samples.map((s) => s.value),
    [NaN, NaN, Infinity, -Infinity, Infinity, 0.5, 5, -0.0015, 12, 1, Number('12345678901234567890'), 1.2345678901234567e300, 5e-324],
  );
  assert.equal(b.samples.at(-1)?.timestampMs, 7);
  assert.equal(b.samples.at(-4)?.timestampMs, 2);
});

test('groups summary and histogram series into their family and merges repeated names', () => {
  const text = [
    '# TYPE rpc summary',
    'rpc{quantile="0.5"} 1',
    'rpc_sum 10',
    'rpc_count 3',
    '# TYPE lat histogram',
    'lat_bucket{le="+Inf"} 3',
    'lat_sum 1',
    'lat_count 3',
    'other_count 1',
    'rpc_count 4',
    '',
  ].join('\n');
  const fams = parseExposition(text);
  assert.deepEqual(
    fams.map((f) => [f.name, f.samples.map((s) => s.name)]),
    [
      ['rpc', ['rpc', 'rpc_sum', 'rpc_count', 'rpc_count']],
      ['lat', ['lat_bucket', 'lat_sum', 'lat_count']],
      ['other_count', ['other_count']],
    ],
  );
});

test('reuse of previous names and values never leaks a stale string', () => {
  const text = 'abc{pod="ab",c="x"} 1\nab{pod="a"} 2\nabc{pod="abc",c="x"} 3\nab 4\nabc{c="x",pod="ab"} 5\n';
  const got = parseExposition(text).flatMap((f) => f.samples.map((s) => [s.name, s.labels, s.value]));
  assert.deepEqual(got, [
    ['abc', ['pod', 'ab', 'c', 'x'], 1],
    ['abc', ['pod', 'abc', 'c', 'x'], 3],
    ['abc', ['c', 'x', 'pod', 'ab'], 5],
    ['ab', ['pod', 'a'], 2],
    ['ab', [], 4],
  ]);
});

test('the streaming parser gives the same result for any chunking, and its label array is reused', () => {
  const whole: unknown[] = [];
  const p1 = new ExpositionParser({ onSample: (n, l, v, t) => whole.push([n, l.slice(), v, t]) });
  p1.push(eks);
  p1.end();
  const chunked: unknown[] = [];
  let lastLabels: readonly string[] | undefined;
  let sameArray = true;
  const p2 = new ExpositionParser({
    onSample: (n, l, v, t) => {
      if (lastLabels !== undefined && lastLabels !== l) sameArray = false;
      lastLabels = l;
      chunked.push([n, l.slice(), v, t]);
    },
  });
  for (const ch of eks) p2.push(ch);
  p2.end();
  assert.deepEqual(chunked, whole);
  assert.equal(whole.length, 16);
  assert.ok(sameArray, 'the labels array is one array reused across samples');
});

function assertError(text: string, line: number, fragment: string, code: string = ErrorCode.InvalidExposition): void {
  assert.throws(
    () => parseExposition(text, { source: 'https://10.0.0.1:10250/metrics/resource' }),
    (e: unknown) => {
      assert.ok(e instanceof ExpositionError, `not an ExpositionError: ${String(e)}`);
      assert.equal(e.code, code);
      assert.equal(e.line, line, e.message);
      assert.ok(e.message.includes(fragment), `${JSON.stringify(e.message)} lacks ${JSON.stringify(fragment)}`);
      assert.ok(e.message.includes('https://10.0.0.1:10250/metrics/resource'));
      return true;
    },
    JSON.stringify(text),
  );
}

test('rejects what expfmt rejects, naming the line and what was expected', () => {
  assertError('a 1', 1, 'no newline');
  assertError('a 1\nb 2', 2, 'no newline');
  assertError('# HELP a x', 1, 'no newline');
  assertError('a 1\r\n', 1, 'CRLF');
  assertError('# TYPE a gauge\r\na 1\r\n', 1, 'CRLF');
  assertError('a 1 2\r\n', 1, 'CRLF');
  assertError('a\n', 1, 'expected a value');
  assertError('a{b="c"}\n', 1, 'expected a value');
  assertError('ok 1\n1a 1\n', 2, 'expected a metric name');
  assertError('{a="b"} 1\n', 1, 'expected a metric name');
  assertError('a-b 1\n', 1, "expected a blank or '{'");
  assertError('a x\n', 1, 'expected a float value, got "x"');
  assertError('a 0x1A\n', 1, 'expected a float value');
  assertError('a 1_000\n', 1, 'expected a float value');
  assertError('a 1e\n', 1, 'expected a float value');
  assertError('a +nan\n', 1, 'expected a float value');
  assertError('a 1e309\n', 1, 'out of the float64 range');
  assertError('a 1 x\n', 1, 'expected an integer timestamp');
  assertError('a 1 1.5\n', 1, 'expected an integer timestamp');
  assertError('a 1 2 3\n', 1, 'unexpected text after timestamp');
  assertError('a 1 9007199254740993\n', 1, '2^53');
  assertError('a{b="c} 1\n', 1, 'not terminated');
  assertError('a{b="c\n"} 1\n', 1, 'not terminated');
  assertError('a{b="\\x"} 1\n', 1, 'invalid escape sequence');
  assertError('a{b=c} 1\n', 1, `expected '"'`);
  assertError('a{b} 1\n', 1, "expected '='");
  assertError('a{b="c" d="e"} 1\n', 1, "expected ',' or '}'");
  assertError('a{1="c"} 1\n', 1, 'expected a label name');
  assertError('a{,} 1\n', 1, 'expected a label name');
  assertError('a{b="1",b="2"} 1\n', 1, 'duplicate label name "b"');
  assertError('a{__name__="a"} 1\n', 1, 'reserved');
  assertError('# HELP a one\n# HELP a two\n', 2, 'second HELP');
  assertError('# TYPE a gauge\n# TYPE a counter\n', 2, 'second TYPE');
  assertError('a 1\n# TYPE a gauge\n', 2, 'TYPE reported after samples');
  assertError('# TYPE a gauges\n', 1, 'unknown metric type "gauges"');
  assertError('# TYPE a gauge \n', 1, 'unknown metric type');
  assertError('# HELP a bad \\t escape\n', 1, 'invalid escape sequence');
  assertError('# HELP 1a x\n', 1, 'invalid metric name');
  assertError('# TYPE s summary\ns{quantile="x"} 1\n', 2, 'label "quantile"');
  assertError('# TYPE h histogram\nh_bucket{le="y"} 1\n', 2, 'label "le"');
});

test('size limits fail with TooLarge', () => {
  const long = `a{b="${'x'.repeat(200)}"} 1\n`;
  assert.equal(parseExposition(long, { maxLineLength: 300 })[0]?.samples[0]?.labels[1]?.length, 200);
  assert.throws(
    () => parseExposition(long, { maxLineLength: 100 }),
    (e: unknown) => e instanceof ExpositionError && e.code === ErrorCode.TooLarge && e.line === 1,
  );
  // Without a newline in sight the pending line is capped too.
  const p = new ExpositionParser({ onSample: () => undefined, maxLineLength: 100 });
  assert.throws(
    () => {
      for (let i = 0; i < 20; i++) p.push('aaaaaaaaaa');
    },
    (e: unknown) => e instanceof ExpositionError && e.code === ErrorCode.TooLarge,
  );
  const q = new ExpositionParser({ onSample: () => undefined, maxTotalLength: 50 });
  assert.throws(
    () => {
      for (let i = 0; i < 20; i++) q.push('a 1\n');
    },
    (e: unknown) => e instanceof ExpositionError && e.code === ErrorCode.TooLarge && e.message.includes('exceeds 50'),
  );
  // A very long line within the default limit parses.
  const huge = `a{b="${'y'.repeat(500_000)}"} 1\n`;
  assert.equal(parseExposition(huge)[0]?.samples[0]?.labels[1]?.length, 500_000);
});

test('blank trailing input is not a truncation', () => {
  assert.equal(parseExposition('a 1\n  ').length, 1);
  assert.deepEqual(parseExposition(''), []);
  assert.deepEqual(parseExposition('# HELP x only metadata\n# TYPE x gauge\n'), []);
});
