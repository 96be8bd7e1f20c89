/**
 * `npm run bench`: imports every bench/*.bench.ts, runs their suites, prints a table and rewrites
 * docs/benchmarks.md (machine, date, command, one section per suite).
 *
 *   npm run bench                      all suites, full runs, rewrites docs/benchmarks.md
 *   npm run bench -- --only promtext   one suite; the other suites' sections are kept as they were
 *   npm run bench -- --quick           reduced runs to check the suites work; docs untouched…
 *   npm run bench -- --quick --write   …unless --write is given too
 *
 * `--suites DIR` and `--out FILE` point the runner at other suites and another document (tests).
 */
import { readdirSync, readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { cpus, totalmem, type as osType, release, arch } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchResult, BenchSuite } from './types.ts';

const benchDir = dirname(fileURLToPath(import.meta.url));

interface Args {
  quick: boolean;
  write: boolean;
  only: string[];
  suitesDir: string;
  outFile: string;
}

function usage(message: string): never {
  process.stderr.write(`bench: ${message}\nusage: npm run bench -- [--quick] [--write] [--only NAME]... [--suites DIR] [--out FILE]\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    quick: false,
    write: false,
    only: [],
    suitesDir: benchDir,
    outFile: resolve(benchDir, '..', 'docs', 'benchmarks.md'),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') usage(`${flag} needs a value`);
      return v;
    };
    if (flag === '--quick') args.quick = true;
    else if (flag === '--write') args.write = true;
    else if (flag === '--only') args.only.push(value());
    else if (flag === '--suites') args.suitesDir = resolve(value());
    else if (flag === '--out') args.outFile = resolve(value());
    else usage(`unknown argument ${JSON.stringify(a)}`);
  }
  return args;
}

function isSuite(x: unknown): x is BenchSuite {
  if (typeof x !== 'object' || x === null) return false;
  const s = x as Record<string, unknown>;
  return typeof s.name === 'string' && typeof s.title === 'string' && typeof s.run === 'function';
}

async function loadSuites(dir: string): Promise<BenchSuite[]> {
  const files = readdirSync(dir).filter((f) => f.endsWith('.bench.ts')).sort();
  const suites: BenchSuite[] = [];
  for (const f of files) {
    const mod = (await import(pathToFileURL(join(dir, f)).href)) as { suite?: unknown };
    if (!isSuite(mod.suite)) throw new Error(`${f} does not export \`suite: BenchSuite\` (see bench/types.ts)`);
    suites.push(mod.suite);
  }
  return suites;
}

/** A figure with about three significant digits, integers above 1000 grouped. */
function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString('en-US');
  return Number(v.toPrecision(3)).toString();
}

function ratioText(r: BenchResult): string {
  return r.ratio === undefined ? '' : `${fmt(r.ratio.value)}× ${r.ratio.against}`;
}

function targetText(r: BenchResult): string {
  if (r.target === undefined) return '';
  return r.met === undefined ? r.target : `${r.target} ${r.met ? '✓' : '✗ not met'}`;
}

function machine(): Array<[string, string]> {
  const list = cpus();
  let osName = `${osType()} ${release()} ${arch()}`;
  try {
    const pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1];
    if (pretty !== undefined) osName += ` (${pretty})`;
  } catch {
    // No /etc/os-release (not Linux): the kernel name is enough.
  }
  return [
    ['CPU', `${list[0]?.model.trim() ?? 'unknown'} × ${list.length} logical cores`],
    ['Memory', `${(totalmem() / 2 ** 30).toFixed(1)} GiB`],
    ['Node.js', process.version],
    ['OS', osName],
  ];
}

function printTable(rows: string[][]): void {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  for (const r of rows) process.stdout.write(`${r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  ').trimEnd()}\n`);
}

function section(suite: BenchSuite, results: BenchResult[], date: string, command: string, cpu: string): string {
  const lines = [`<!-- bench:${suite.name}:start -->`, `## ${suite.title}`, ''];
  if (suite.description !== undefined) lines.push(suite.description, '');
  lines.push(`Measured ${date} with \`${command}\` on ${cpu}.`, '');
  lines.push('| figure | value | ratio | target | note |', '|---|---:|---|---|---|');
  for (const r of results) {
    const cells = [r.name, `${fmt(r.value)} ${r.unit}`, ratioText(r), targetText(r), r.note ?? ''];
    lines.push(`| ${cells.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`);
  }
  lines.push(`<!-- bench:${suite.name}:end -->`);
  return lines.join('\n');
}

/** Existing suite sections of the document, by suite name. */
function existingSections(doc: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of doc.matchAll(/<!-- bench:([\w.-]+):start -->[\s\S]*?<!-- bench:\1:end -->/g)) {
    if (m[1] !== undefined) out.set(m[1], m[0]);
  }
  return out;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const all = await loadSuites(args.suitesDir);
  for (const name of args.only) {
    if (!all.some((s) => s.name === name)) usage(`no suite named ${JSON.stringify(name)} (have: ${all.map((s) => s.name).join(', ')})`);
  }
  const selected = args.only.length === 0 ? all : all.filter((s) => args.only.includes(s.name));
  // The command as a reader would repeat it (--suites/--out only redirect tests, so they are left out).
  const argText = [...(args.quick ? ['--quick'] : []), ...(args.write ? ['--write'] : []), ...args.only.map((o) => `--only ${o}`)].join(' ');
  const command = argText === '' ? 'npm run bench' : `npm run bench -- ${argText}`;
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const results = new Map<string, BenchResult[]>();
  let failed = false;
  for (const suite of selected) {
    process.stdout.write(`▶ ${suite.name}: ${suite.title}${args.quick ? ' (quick)' : ''}\n`);
    try {
      results.set(suite.name, await suite.run({ quick: args.quick, log: (l) => process.stdout.write(`  ${suite.name}: ${l}\n`) }));
    } catch (e) {
      failed = true;
      process.stderr.write(`✖ suite ${suite.name} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    }
  }
  const rows = [['suite', 'figure', 'value', 'ratio', 'target']];
  for (const [name, rs] of results) {
    for (const r of rs) rows.push([name, r.name, `${fmt(r.value)} ${r.unit}`, ratioText(r), targetText(r)]);
  }
  process.stdout.write('\n');
  printTable(rows);

  if (args.quick && !args.write) {
    process.stdout.write(`\n--quick: ${args.outFile} not rewritten (add --write to rewrite it)\n`);
  } else {
    const specs = machine();
    const cpu = specs[0]?.[1] ?? 'unknown CPU';
    const previous = existsSync(args.outFile) ? existingSections(readFileSync(args.outFile, 'utf8')) : new Map<string, string>();
    const sections: string[] = [];
    for (const suite of all) {
      const rs = results.get(suite.name);
      const text = rs !== undefined ? section(suite, rs, date, command, cpu) : previous.get(suite.name);
      if (text !== undefined) sections.push(text);
    }
    const doc = [
      '# Benchmarks',
      '',
      'Generated by `npm run bench` (bench/run.ts): do not edit by hand, rerun the suites. Every figure is the',
      'median of several runs; a ratio compares with a baseline measured in the same run on the same machine.',
      'Run `npm run bench -- --only NAME` to refresh one section, `npm run bench -- --quick` to check that the',
      'suites work without touching this file.',
      '',
      '## Machine of the last run',
      '',
      '| | |',
      '|---|---|',
      ...specs.map(([k, v]) => `| ${k} | ${v} |`),
      `| Date | ${date} |`,
      `| Command | \`${command}\`${args.quick ? ' (quick: figures not meaningful)' : ''} |`,
      '',
      ...sections.flatMap((s) => [s, '']),
    ].join('\n');
    mkdirSync(dirname(args.outFile), { recursive: true });
    writeFileSync(args.outFile, doc);
    process.stdout.write(`\nwrote ${args.outFile}\n`);
  }
  return failed ? 1 : 0;
}

process.exitCode = await main();
