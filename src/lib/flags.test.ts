import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFlags, FlagError, parseGoBool, type FlagSpec } from './flags.ts';

const specs: FlagSpec[] = [
  { name: 'selector', short: 'l', kind: 'string', help: '' },
  { name: 'all-namespaces', short: 'A', kind: 'bool', help: '' },
  { name: 'containers', kind: 'bool', help: '' },
  { name: 'sort-by', kind: 'string', help: '' },
  { name: 'no-headers', kind: 'bool', help: '' },
  { name: 'namespace', short: 'n', kind: 'string', help: '' },
];

const parse = (...args: string[]) => {
  const p = parseFlags(args, specs);
  return { values: Object.fromEntries(p.values), positionals: p.positionals };
};
const fails = (message: string, ...args: string[]) => assert.throws(() => parseFlags(args, specs), (e: unknown) => e instanceof FlagError && e.message === message);

test('long flags with = or a separate value, interleaved with positionals', () => {
  assert.deepEqual(parse('pod1', '--sort-by=cpu', '-n', 'kube-system', '--no-headers'), {
    values: { 'sort-by': 'cpu', namespace: 'kube-system', 'no-headers': 'true' },
    positionals: ['pod1'],
  });
  assert.deepEqual(parse('--selector', 'a=b'), { values: { selector: 'a=b' }, positionals: [] });
});

test('shorthands: attached value, = value, grouped booleans', () => {
  assert.deepEqual(parse('-lapp=x').values, { selector: 'app=x' });
  assert.deepEqual(parse('-l=app=x').values, { selector: 'app=x' });
  assert.deepEqual(parse('-Al', 'app=x').values, { 'all-namespaces': 'true', selector: 'app=x' });
  assert.deepEqual(parse('-A=false').values, { 'all-namespaces': 'false' });
  assert.deepEqual(parse('--all-namespaces=0').values, { 'all-namespaces': 'false' });
});

test('-- ends flags; last value wins', () => {
  assert.deepEqual(parse('-n', 'a', '-n', 'b', '--', '-x', '--y'), { values: { namespace: 'b' }, positionals: ['-x', '--y'] });
  assert.deepEqual(parse('-').positionals, ['-']);
});

test("pflag's error messages", () => {
  fails('unknown flag: --foo', '--foo');
  fails('unknown flag: --foo', '--foo=bar');
  fails("unknown shorthand flag: 'x' in -x", '-x');
  fails("unknown shorthand flag: 'x' in -xy", '-Axy');
  fails('flag needs an argument: --sort-by', '--sort-by');
  fails("flag needs an argument: 'l' in -l", '-l');
  fails("flag needs an argument: 'l' in -l", '-Al');
  fails('invalid argument "x" for "--no-headers" flag: strconv.ParseBool: parsing "x": invalid syntax', '--no-headers=x');
  fails('invalid argument "yes" for "-A, --all-namespaces" flag: strconv.ParseBool: parsing "yes": invalid syntax', '--all-namespaces=yes');
  fails('bad flag syntax: ---x', '---x');
});

test('Go bool spellings', () => {
  for (const t of ['1', 't', 'T', 'true', 'TRUE', 'True']) assert.equal(parseGoBool(t), true);
  for (const f of ['0', 'f', 'F', 'false', 'FALSE', 'False']) assert.equal(parseGoBool(f), false);
  assert.equal(parseGoBool('yes'), undefined);
});
