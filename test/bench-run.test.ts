/**
 * End-to-end test of the benchmark runner (bench/run.ts) in --quick mode: it loads suites, prints the
 * table, leaves the document alone unless --write is given, and rewrites only the sections it ran.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const runner = join(repo, 'bench', 'run.ts');

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    execFile(process.execPath, [runner, ...args], { cwd: repo, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
      resolvePromise({ code, stdout, stderr });
    });
  });
}

function suiteSource(name: string, value: string): string {
  return `export const suite = {
  name: '${name}',
  title: 'Suite ${name}',
  async run(ctx) {
    ctx.log('running ${name}');
    return [{ name: '${name} figure', value: ctx.quick ? ${value} : -1, unit: 'ops/s', ratio: { value: 2, against: 'baseline' }, target: '≥ 1', met: true, note: 'a | b' }];
  },
};
`;
}

test('bench runner --quick runs tiny suites, and writes the document only with --write', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubemeter-bench-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const suites = join(dir, 'suites');
  const out = join(dir, 'docs', 'benchmarks.md');
  await import('node:fs').then((fs) => fs.mkdirSync(suites));
  writeFileSync(join(suites, 'package.json'), '{"type":"module"}\n');
  writeFileSync(join(suites, 'alpha.bench.ts'), suiteSource('alpha', '42'));
  writeFileSync(join(suites, 'beta.bench.ts'), suiteSource('beta', '7'));
  writeFileSync(join(suites, 'helper.ts'), 'export const notASuite = 1;\n');

  const quick = await run(['--quick', '--suites', suites, '--out', out]);
  assert.equal(quick.code, 0, quick.stderr);
  assert.match(quick.stdout, /alpha: running alpha/);
  assert.match(quick.stdout, /alpha\s+alpha figure\s+42 ops\/s\s+2× baseline\s+≥ 1 ✓/);
  assert.match(quick.stdout, /beta\s+beta figure\s+7 ops\/s/);
  assert.match(quick.stdout, /not rewritten/);
  assert.equal(existsSync(out), false);

  const written = await run(['--quick', '--write', '--suites', suites, '--out', out]);
  assert.equal(written.code, 0, written.stderr);
  const doc = readFileSync(out, 'utf8');
  assert.match(doc, /^# Benchmarks/);
  assert.match(doc, /\| CPU \| .+ × \d+ logical cores \|/);
  assert.match(doc, new RegExp(`\\| Node.js \\| ${process.version.replaceAll('.', '\\.')} \\|`));
  assert.match(doc, /\| Command \| `npm run bench -- --quick --write` \(quick: figures not meaningful\) \|/);
  assert.match(doc, /## Suite alpha[\s\S]*\| alpha figure \| 42 ops\/s \| 2× baseline \| ≥ 1 ✓ \| a \\\| b \|/);
  assert.match(doc, /## Suite beta/);

  // --only rewrites its own section and keeps the others as they were.
  writeFileSync(join(suites, 'alpha.bench.ts'), suiteSource('alpha', '43'));
  writeFileSync(join(suites, 'beta.bench.ts'), suiteSource('beta', '8'));
  const only = await run(['--quick', '--write', '--only', 'alpha', '--suites', suites, '--out', out]);
  assert.equal(only.code, 0, only.stderr);
  const doc2 = readFileSync(out, 'utf8');
  assert.match(doc2, /\| alpha figure \| 43 ops\/s/);
  assert.match(doc2, /\| beta figure \| 7 ops\/s/);
  assert.ok(doc2.indexOf('## Suite alpha') < doc2.indexOf('## Suite beta'));

  const unknown = await run(['--quick', '--only', 'gamma', '--suites', suites, '--out', out]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /no suite named "gamma" \(have: alpha, beta\)/);

  writeFileSync(join(suites, 'broken.bench.ts'), 'export const suite = { name: "broken", title: "B", async run() { throw new Error("boom"); } };\n');
  const broken = await run(['--quick', '--suites', suites, '--out', out]);
  assert.equal(broken.code, 1);
  assert.match(broken.stderr, /suite broken failed: Error: boom/);
  assert.match(broken.stdout, /alpha figure/);
});

test('the real promtext suite runs in --quick mode', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubemeter-bench-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'benchmarks.md');
  const r = await run(['--quick', '--only', 'promtext', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /promtext\s+parse, streaming parser/);
  assert.equal(existsSync(out), false);
});
