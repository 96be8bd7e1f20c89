import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { layoutRows, layoutText, TabWriter, cellWidth, type TabWriterOptions } from './tabwriter.ts';

const go = (minWidth: number, padding: number, padChar: string): TabWriterOptions => ({ minWidth, padding, padChar });

// Vectors from Go's text/tabwriter test table (behaviour we must reproduce, tabwidth irrelevant
// without tab padding).
const goCases: [string, TabWriterOptions, string, string][] = [
  ['2', go(8, 1, '.'), '\n\n\n', '\n\n\n'],
  ['3', go(8, 1, '.'), 'a\nb\nc', 'a\nb\nc'],
  ['4a', go(8, 1, '.'), '\t', ''],
  ['5', go(8, 1, '.'), '*\t*', '*.......*'],
  ['5b', go(8, 1, '.'), '*\t*\n', '*.......*\n'],
  ['5c', go(8, 1, '.'), '*\t*\t', '*.......*'],
  ['5d', go(8, 1, '.'), '*\t*\t\n', '*.......*.......\n'],
  ['9a', go(1, 0, '.'), '1\t2\t3\t4\n11\t222\t3333\t44444\n', '1.2..3...4\n11222333344444\n'],
  ['10a', go(5, 0, '.'), '1\t2\t3\t4\n', '1....2....3....4\n'],
  ['10b', go(5, 0, '.'), '1\t2\t3\t4\t\n', '1....2....3....4....\n'],
  [
    '11',
    go(8, 1, '.'),
    '本\tb\tc\naa\t\u672c\u672c\u672c\tcccc\tddddd\naaa\tbbbb\n',
    '本.......b.......c\naa......本本本.....cccc....ddddd\naaa.....bbbb\n',
  ],
  [
    '13a',
    go(4, 1, '-'),
    '4444\t日本語\t22\t1\t333\n999999999\t22\n7\t22\n\t\t\t88888888\n\n666666\t666666\t666666\t4444\n1\t1\t999999999\t0000000000\n',
    '4444------日本語-22--1---333\n999999999-22\n7---------22\n------------------88888888\n\n666666-666666-666666----4444\n1------1------999999999-0000000000\n',
  ],
  [
    '13b',
    go(4, 3, '.'),
    '4444\t333\t22\t1\t333\n999999999\t22\n7\t22\n\t\t\t88888888\n\n666666\t666666\t666666\t4444\n1\t1\t999999999\t0000000000\n',
    '4444........333...22...1...333\n999999999...22\n7...........22\n....................88888888\n\n666666...666666...666666......4444\n1........1........999999999...0000000000\n',
  ],
];

for (const [name, options, input, want] of goCases) {
  test(`Go tabwriter vector ${name}`, () => {
    assert.equal(layoutText(input, options), want);
    // Writing in arbitrary pieces gives the same result.
    const w = new TabWriter(options);
    for (const ch of input) w.write(ch);
    assert.equal(w.flush(), want);
  });
}

test('kubectl top node table: every line ends with padding', () => {
  const rows = [
    ['NAME', 'CPU(cores)', 'CPU(%)', 'MEMORY(bytes)', 'MEMORY(%)'],
    ['node1', '1000m', '10%', '1024Mi', '10%'],
    ['node2', '<unknown>', '<unknown>', '<unknown>', '<unknown>'],
  ];
  const want =
    'NAME    CPU(cores)   CPU(%)      MEMORY(bytes)   MEMORY(%)   \n' +
    'node1   1000m        10%         1024Mi          10%         \n' +
    'node2   <unknown>    <unknown>   <unknown>       <unknown>   \n';
  assert.equal(layoutRows(rows), want);
});

test('kubectl --no-headers single node', () => {
  assert.equal(layoutRows([['node1', '1000m', '10%', '1024Mi', '10%']]), 'node1   1000m   10%   1024Mi   10%   \n');
});

test('rows of different lengths use Go column blocks and remembered widths', () => {
  // The misaligned `--no-headers --sum -A` shape: data rows have 4 cells, sum rows 3.
  const rows = [
    ['default', 'web-1', '251m', '8123Mi'],
    ['kube-system', 'coredns-abc', '2m', '20Mi'],
    ['', '________', '________'],
    ['', '253m', '8143Mi'],
  ];
  const text = rows.map((r) => r.map((c) => `${c}\t`).join('') + '\n').join('');
  assert.equal(layoutRows(rows), layoutText(text));
  assert.equal(
    layoutRows(rows),
    'default       web-1         251m       8123Mi   \n' +
      'kube-system   coredns-abc   2m         20Mi     \n' +
      '              ________      ________   \n' +
      '              253m          8143Mi     \n',
  );
});

test('remembered widths carry over a flush caused by a single-cell line', () => {
  const opts: TabWriterOptions = { minWidth: 1, padding: 1, padChar: '.', rememberWidths: true };
  assert.equal(layoutText('aaaa\tb\nsingle\nc\td\n', opts), 'aaaa.b\nsingle\nc....d\n');
  assert.equal(layoutText('aaaa\tb\nsingle\nc\td\n', { ...opts, rememberWidths: false }), 'aaaa.b\nsingle\nc.d\n');
});

test('cell width counts code points, not UTF-16 units', () => {
  assert.equal(cellWidth('a😀b'), 3);
  assert.equal(cellWidth('日本'), 2);
});

test('fast path and general writer agree on uniform tables', () => {
  const cell = fc.string({ maxLength: 12 }).filter((s) => !/[\t-\f]/.test(s));
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 5 }).chain((n) => fc.array(fc.array(cell, { minLength: n, maxLength: n }), { maxLength: 8 })), (rows) => {
      const text = rows.map((r) => r.map((c) => `${c}\t`).join('') + '\n').join('');
      assert.equal(layoutRows(rows), layoutText(text));
    }),
  );
});
