import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compareGoStrings, goQuote } from './go-strings.ts';

test('compareGoStrings orders by UTF-8 bytes', () => {
  assert.ok(compareGoStrings('\uffff', '😀') < 0); // U+FFFF < U+1F600 although UTF-16 says otherwise
  assert.ok(compareGoStrings('10', '9') < 0);
  assert.ok(compareGoStrings('a', 'ab') < 0);
  assert.equal(compareGoStrings('x', 'x'), 0);
});

test('compareGoStrings is UTF-8 byte order', () => {
  const astral = '\u{1F600}';
  assert.ok('\uFFFD' < astral === false, 'JS order differs here');
  assert.ok(compareGoStrings('\uFFFD', astral) < 0);
  assert.ok(compareGoStrings('a', 'b') < 0);
  assert.ok(compareGoStrings('ab', 'a') > 0);
  assert.equal(compareGoStrings('x', 'x'), 0);
  assert.deepEqual(
    [astral, '\uFFFD', 'z', 'Z'].sort(compareGoStrings),
    ['Z', 'z', '\uFFFD', astral],
  );
  assert.equal(Buffer.compare(Buffer.from('\uFFFD'), Buffer.from(astral)), -1);
});

test('compareGoStrings: a lone surrogate orders as the U+FFFD written for it', () => {
  assert.equal(compareGoStrings('a\ud800', 'a\ufffd'), 0);
  assert.ok(compareGoStrings('\ud800', '\ud800\udc00') < 0); // EF BF BD < F0 90 80 80
  assert.ok(compareGoStrings('\udc00', '\ue000') > 0); // U+FFFD > U+E000
  assert.ok(compareGoStrings('\ud83d\ude00', '\ud83dx') > 0); // U+1F600 > U+FFFD 'x'
});

test('compareGoStrings has the sign of a comparison of the UTF-8 bytes', () => {
  const unit = fc.oneof(
    fc.constantFrom('\ud800', '\udbff', '\udc00', '\udfff', '\ue000', '\uffff', '\ufffd', 'a', 'z', '\u{1F600}', '\u{10FFFF}'),
    fc.string({ unit: 'grapheme-composite', maxLength: 2 }),
  );
  const text = fc.array(unit, { maxLength: 6 }).map((parts) => parts.join(''));
  fc.assert(fc.property(text, text, (a, b) => {
    assert.equal(Math.sign(compareGoStrings(a, b)), Buffer.compare(Buffer.from(a), Buffer.from(b)));
  }), { numRuns: 2000 });
});

test('goQuote is Go\'s %q', () => {
  assert.equal(goQuote('a"b\\c'), '"a\\"b\\\\c"');
  assert.equal(goQuote('\x07\n\x1b\x7f'), '"\\a\\n\\x1b\\x7f"');
  assert.equal(goQuote('\u0085é'), '"\\u0085é"');
});
