import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseLabelSelector, parseFieldSelector, andLabelSelectors, everythingLabelSelector } from './labels.ts';
import { isKubemeterError, ErrorCode } from './errors.ts';

function parseErr(text: string): string {
  try {
    parseLabelSelector(text);
  } catch (e) {
    assert.ok(isKubemeterError(e, ErrorCode.InvalidSelector));
    return e.message;
  }
  assert.fail(`expected ${JSON.stringify(text)} to fail`);
}

test('every operator matches as apimachinery does', () => {
  const l = { app: 'web', tier: 'front', n: '7' };
  const cases: [string, boolean][] = [
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app!=web', false],
    ['app!=db', true],
    ['missing!=x', true],
    ['app in (web,db)', true],
    ['app notin (web,db)', false],
    ['missing notin (a)', true],
    ['missing in (a)', false],
    ['app', true],
    ['!app', false],
    ['!missing', true],
    ['app=web,tier=back', false],
    ['app=web , tier = front', true],
    ['n>5', true],
    ['n<5', false],
    ['app>5', false],
    ['x in (in,notin)', false],
    ['app=', false],
    ['missing=', false],
    ['app in ()', false],
  ];
  for (const [sel, want] of cases) assert.equal(parseLabelSelector(sel).matches(l), want, sel);
});

test('canonical string form sorts requirements by key and values', () => {
  assert.equal(parseLabelSelector('z=1,a in (c,b),!m,k').toString(), 'a in (b,c),k,!m,z=1');
  assert.equal(parseLabelSelector('x notin (,a,)').toString(), 'x notin (,a)');
});

test('parse errors are the exact apimachinery messages', () => {
  assert.equal(parseErr('a in b'), "unable to parse requirement: found 'b' expected: '('");
  assert.equal(parseErr('!!a'), "unable to parse requirement: found '!', expected: identifier");
  assert.equal(parseErr('a b'), "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt");
  assert.equal(parseErr('a=b c'), "found 'c', expected: ',' or 'end of string'");
  assert.equal(parseErr('a=b,'), "found '', expected: identifier after ','");
  assert.equal(parseErr(','), "found ',', expected: !, identifier, or 'end of string'");
  assert.equal(parseErr('a in (b'), "unable to parse requirement: found '', expected: ',' or ')'");
  assert.equal(parseErr('a in (,'), "unable to parse requirement: found '', expected: ',', or identifier");
  assert.equal(parseErr('a in (='), "unable to parse requirement: found '=', expected: ',', ')' or identifier");
  assert.equal(parseErr('a=('), "unable to parse requirement: found '(', expected: identifier");
  assert.equal(parseErr('a ('), "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt");
  assert.equal(parseErr('!a=b'), "found '=', expected: ',' or 'end of string'");
  assert.equal(
    parseErr('-a=b'),
    'unable to parse requirement: <nil>: Invalid value: "-a": name part must consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character (e.g. \'MyName\',  or \'my.name\',  or \'123-abc\', regex used for validation is \'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\')',
  );
  assert.equal(
    parseErr('a=b$'),
    'unable to parse requirement: values[0][a]: Invalid value: "b$": a valid label must be an empty string or consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character (e.g. \'MyValue\',  or \'my_value\',  or \'12345\', regex used for validation is \'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?\')',
  );
  assert.equal(parseErr('a>b'), 'unable to parse requirement: values[0]: Invalid value: "b": for \'Gt\', \'Lt\' operators, the value must be an integer');
  assert.match(parseErr('Example.com/a=b'), /^unable to parse requirement: <nil>: Invalid value: "Example.com\/a": prefix part a lowercase RFC 1123 subdomain/);
  assert.match(parseErr('a/b/c'), /a valid label key must consist of/);
  assert.match(parseErr(`a=${'v'.repeat(64)}$`), /must be no more than 63 bytes; a valid label/);
});

test('the node selector is ANDed with the request selector', () => {
  const sel = andLabelSelectors(parseLabelSelector('role=worker'), parseLabelSelector('zone in (a)'));
  assert.equal(sel.toString(), 'role=worker,zone in (a)');
  assert.equal(sel.matches({ role: 'worker', zone: 'a' }), true);
  assert.equal(sel.matches({ role: 'worker' }), false);
  assert.equal(andLabelSelectors(everythingLabelSelector, everythingLabelSelector).empty(), true);
});

test('field selectors: operators, escapes and exact errors', () => {
  const f = { 'metadata.name': 'a,b', 'metadata.namespace': 'ns' };
  assert.equal(parseFieldSelector('metadata.name=a\\,b').matches(f), true);
  assert.equal(parseFieldSelector('metadata.name==x').matches(f), false);
  assert.equal(parseFieldSelector('metadata.namespace!=x,metadata.name=a\\,b').matches(f), true);
  assert.equal(parseFieldSelector('spec.nodeName=x').matches(f), false);
  assert.equal(parseFieldSelector('spec.nodeName!=x').matches(f), true);
  assert.equal(parseFieldSelector('').empty(), true);
  assert.equal(parseFieldSelector('=').empty(), true);
  const err = (text: string, known?: string[]): string => {
    try {
      parseFieldSelector(text, known === undefined ? {} : { knownFields: known });
    } catch (e) {
      assert.ok(isKubemeterError(e, ErrorCode.InvalidSelector));
      return e.message;
    }
    assert.fail('expected failure');
  };
  assert.equal(err('abc'), "invalid selector: 'abc'; can't understand 'abc'");
  assert.equal(err('a=b=c'), 'invalid field selector: unescaped character in value: 61');
  assert.equal(err('a=b\\x'), 'invalid field selector: invalid escape sequence: \\x');
  assert.equal(err('a=b\\'), 'invalid field selector: invalid escape sequence: \\');
  const known = ['metadata.name', 'metadata.namespace'];
  assert.equal(err('spec.nodeName=x', known), '"spec.nodeName" is not a known field selector: only "metadata.name", "metadata.namespace"');
  assert.equal(err('=', known), '"" is not a known field selector: only "metadata.name", "metadata.namespace"');
});

test('fuzz: parsing never throws anything but a selector error, and canonical forms re-parse', () => {
  const alphabet = fc.constantFrom('a', 'b', '=', '!', '(', ')', ',', ' ', 'in', 'notin', '>', '<', '1', '/', '.', '-', 'é', '\\');
  fc.assert(
    fc.property(fc.array(alphabet, { maxLength: 20 }), (parts) => {
      const text = parts.join('');
      let sel;
      try {
        sel = parseLabelSelector(text);
      } catch (e) {
        assert.ok(isKubemeterError(e, ErrorCode.InvalidSelector), String(e));
        return;
      }
      assert.equal(parseLabelSelector(sel.toString()).toString(), sel.toString());
    }),
    { numRuns: 3000 },
  );
  fc.assert(
    fc.property(fc.array(alphabet, { maxLength: 20 }), (parts) => {
      try {
        parseFieldSelector(parts.join(''));
      } catch (e) {
        assert.ok(isKubemeterError(e, ErrorCode.InvalidSelector), String(e));
      }
    }),
    { numRuns: 3000 },
  );
});
