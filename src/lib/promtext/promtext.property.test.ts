/**
 * Property tests of the exposition parser and writer: arbitrary input only ever yields an
 * ExpositionError, write→parse round-trips, and chunking never changes the result.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ExpositionParser, parseExposition } from './parse.ts';
import { writeExposition } from './write.ts';
import { ExpositionError, type Family, type Sample } from './types.ts';

const validSnippets = [
  '# HELP a h\\n\\\\',
  '# TYPE a counter',
  '# TYPE s summary',
  'a{b="c",d="e\\"f"} 1.5 17',
  'a 1e+07',
  's{quantile="0.5"} 1',
  's_sum 2',
  'a{} NaN',
  '{',
  '}',
  '"',
  '\\',
  ' ',
  '\t',
  '\r',
  '=',
  ',',
  '#',
  'x',
  '1',
  '-',
  '+Inf',
  'é',
  '\u{1F600}',
];
const fuzzText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1')),
  fc.array(fc.oneof(fc.constantFrom(...validSnippets), fc.constant('\n')), { maxLength: 60 }).map((a) => a.join('')),
  fc.array(fc.constantFrom(...validSnippets), { maxLength: 30 }).map((a) => `${a.join('\n')}\n`),
);

test('arbitrary input either parses or throws an ExpositionError', () => {
  fc.assert(
    fc.property(fuzzText, (text) => {
      try {
        parseExposition(text, { maxLineLength: 200 });
      } catch (e) {
        assert.ok(e instanceof ExpositionError, `unexpected ${String(e)} for ${JSON.stringify(text)}`);
        assert.ok(e.line >= 1);
      }
    }),
    { numRuns: 3000 },
  );
});

test('huge lines and huge inputs are refused, not buffered without end', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 997 }), (len, chunk) => {
      const p = new ExpositionParser({ onSample: () => undefined, maxLineLength: 1000, maxTotalLength: 4000 });
      const text = `a{b="${'x'.repeat(len)}"} 1\n`;
      try {
        for (let i = 0; i < text.length; i += chunk) p.push(text.slice(i, i + chunk));
        p.end();
        assert.ok(text.length <= 1001);
      } catch (e) {
        assert.ok(e instanceof ExpositionError && e.code === 'KM_TOO_LARGE', String(e));
      }
    }),
    { numRuns: 200 },
  );
});

const metricName = fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,20}$/);
const labelName = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,12}$/).filter((n) => n !== '__name__');
const labelValue = fc.oneof(fc.string({ maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 20 }), fc.constantFrom('"', '\\', '\n', '\\n', ''));
const value = fc.oneof(
  fc.double().map((v) => (Object.is(v, -0) ? 0 : v)),
  fc.integer({ min: 0, max: 2 ** 40 }),
  fc.constantFrom(0, 1, -1, NaN, Infinity, -Infinity, 1e6, 16752640),
);
const timestamp = fc.option(fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }), { nil: undefined });
const labels = fc
  .uniqueArray(fc.tuple(labelName, labelValue), { maxLength: 5, selector: (p) => p[0] })
  .map((pairs) => pairs.flat());
const help = fc.option(fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 })), { nil: undefined });

// Families whose names cannot be mistaken for another family's _sum/_count/_bucket series.
const families = fc
  .uniqueArray(metricName.filter((n) => !/_(sum|count|bucket)$/.test(n)), { minLength: 0, maxLength: 5 })
  .chain((names) =>
    fc.tuple(
      ...names.map((name) =>
        fc.record({
          name: fc.constant(name),
          help,
          type: fc.constantFrom('counter' as const, 'gauge' as const, 'untyped' as const),
          samples: fc.array(
            fc.record({ name: fc.constant(name), labels, value, timestampMs: timestamp }),
            { minLength: 1, maxLength: 6 },
          ),
        }),
      ),
    ),
  );

/**
 * The format cannot carry leading blanks of HELP text (the parser skips blanks before it, in Go too),
 * so those are dropped from the expectation; values compare with Object.is (NaN equals NaN).
 */
function sameFamilies(a: Family[], b: Family[]): void {
  assert.equal(a.length, b.length);
  a.forEach((f, i) => {
    const g = b[i];
    assert.ok(g);
    const help = f.help?.replace(/^[ \t]+/, '');
    assert.deepEqual({ ...f, help: help === '' ? undefined : help, samples: [] }, { ...g, samples: [] });
    assert.equal(f.samples.length, g.samples.length);
    f.samples.forEach((s: Sample, j) => {
      const t = g.samples[j];
      assert.ok(t);
      assert.deepEqual([s.name, s.labels, s.timestampMs], [t.name, t.labels, t.timestampMs]);
      assert.ok(Object.is(s.value, t.value), `${s.value} vs ${t.value}`);
    });
  });
}

test('write then parse round-trips random families', () => {
  fc.assert(
    fc.property(families, (fams) => {
      sameFamilies(fams as Family[], parseExposition(writeExposition(fams as Family[])));
    }),
    { numRuns: 1000 },
  );
});

test('parsing in random chunks equals parsing the whole text', () => {
  const texts = fc.oneof(families.map((f) => writeExposition(f as Family[])), fuzzText);
  fc.assert(
    fc.property(texts, fc.array(fc.nat(), { maxLength: 20 }), (text, cuts) => {
      const run = (pieces: string[]): unknown => {
        const out: unknown[] = [];
        try {
          const p = new ExpositionParser({
            onSample: (n, l, v, t, fam) => out.push([n, [...l], Number.isNaN(v) ? 'NaN' : v, t, fam]),
            onHelp: (f, h) => out.push(['help', f, h]),
            onType: (f, t) => out.push(['type', f, t]),
          });
          for (const piece of pieces) p.push(piece);
          p.end();
          return out;
        } catch (e) {
          assert.ok(e instanceof ExpositionError);
          return { out, error: e.message };
        }
      };
      const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((x, y) => x - y);
      const pieces: string[] = [];
      let prev = 0;
      for (const c of points) {
        pieces.push(text.slice(prev, c));
        prev = c;
      }
      pieces.push(text.slice(prev));
      assert.deepEqual(run(pieces), run([text]));
    }),
    { numRuns: 1500 },
  );
});

test('decimal values parse to exactly what Number() gives (fast path and fallback agree)', () => {
  const digits = fc.stringMatching(/^\d{0,19}$/);
  const token = fc
    .tuple(
      fc.constantFrom('', '-', '+'),
      digits,
      fc.option(digits, { nil: undefined }),
      fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), fc.integer({ min: 0, max: 330 })), { nil: undefined }),
    )
    .map(([sign, int, frac, exp]) => `${sign}${int}${frac === undefined ? '' : `.${frac}`}${exp === undefined ? '' : exp.join('')}`);
  const tokens = fc.oneof(token, fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => String(v)));
  fc.assert(
    fc.property(tokens, (tok) => {
      const valid = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(tok) && Number.isFinite(Number(tok));
      try {
        const v = parseExposition(`a ${tok}\n`)[0]?.samples[0]?.value;
        assert.ok(valid, `accepted invalid ${tok}`);
        assert.ok(Object.is(v, Number(tok)), `${tok}: ${v} vs ${Number(tok)}`);
      } catch (e) {
        assert.ok(e instanceof ExpositionError);
        assert.ok(!valid, `rejected valid ${tok}: ${e.message}`);
      }
    }),
    { numRuns: 5000 },
  );
});
