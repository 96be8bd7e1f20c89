/**
 * Keeps the dependency direction of the style guide true: lib ← api ← {cgroup, kube, storage} ←
 * auth ← {agent, scraper, apiserver, client, sim} ← {server, cli} ← standalone ← cmd. A package may import
 * itself and any package of a lower rank; never one of its own rank or above. The public client
 * library imports nothing server-side.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve, dirname, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const srcDir = dirname(fileURLToPath(import.meta.url));

/** Rank of each top-level package under src/. */
export const ranks: Record<string, number> = {
  lib: 0,
  api: 1,
  cgroup: 2,
  kube: 2,
  storage: 2,
  auth: 3,
  agent: 4,
  scraper: 4,
  apiserver: 4,
  client: 4,
  sim: 4,
  server: 5,
  cli: 5,
  standalone: 6,
  cmd: 7,
};

/** Packages the public client may import (it ships to users who never run a server). */
const clientMayImport = new Set(['lib', 'api', 'kube', 'client']);

/** The top-level package of a path relative to src/, or '' for files directly under src/. */
function packageOf(relPath: string): string {
  const parts = relPath.split(sep);
  return parts.length > 1 ? parts[0]! : '';
}

/** Relative import specifiers in a TypeScript source text (static and dynamic imports, re-exports). */
export function importsOf(source: string): string[] {
  const out: string[] = [];
  const re = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|import\s*['"]([^'"]+)['"]/g;
  for (const m of source.matchAll(re)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec !== undefined && spec.startsWith('.')) out.push(spec);
  }
  return out;
}

/** Why importing `toPkg` from `fromPkg` is forbidden, or undefined when it is allowed. */
export function violation(fromPkg: string, toPkg: string): string | undefined {
  if (fromPkg === toPkg) return undefined;
  const from = ranks[fromPkg];
  const to = ranks[toPkg];
  if (from === undefined) return `package src/${fromPkg} has no rank in the architecture test`;
  if (to === undefined) return `package src/${toPkg} has no rank in the architecture test`;
  if (fromPkg === 'client' && !clientMayImport.has(toPkg)) return 'the public client must not import server-side code';
  if (to >= from) return `${fromPkg} (rank ${from}) may not depend on ${toPkg} (rank ${to})`;
  return undefined;
}

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'testdata' || entry.name === 'node_modules') continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(full);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) yield full;
  }
}

test('the checker rejects imports against the direction', () => {
  assert.equal(violation('lib', 'api'), 'lib (rank 0) may not depend on api (rank 1)');
  assert.equal(violation('agent', 'scraper'), 'agent (rank 4) may not depend on scraper (rank 4)');
  assert.equal(violation('client', 'storage'), 'the public client must not import server-side code');
  assert.equal(violation('cmd', 'server'), undefined);
  assert.equal(violation('api', 'lib'), undefined);
  assert.deepEqual(importsOf(`import { a } from './a.ts';\nimport type { B } from "../api/b.ts";\nexport * from './c.ts';\nconst m = await import('../x/y.ts');\nimport 'node:fs';`),
    ['./a.ts', '../api/b.ts', './c.ts', '../x/y.ts']);
});

test('no source file under src/ imports against the dependency direction', () => {
  const problems: string[] = [];
  for (const file of sourceFiles(srcDir)) {
    const rel = relative(srcDir, file);
    const fromPkg = packageOf(rel);
    if (fromPkg === '') continue;
    for (const spec of importsOf(readFileSync(file, 'utf8'))) {
      const target = relative(srcDir, resolve(dirname(file), spec));
      if (target.startsWith('..')) {
        problems.push(`${rel}: imports ${spec}, outside src/`);
        continue;
      }
      const why = violation(fromPkg, packageOf(target));
      if (why !== undefined) problems.push(`${rel}: imports ${spec}: ${why}`);
    }
  }
  assert.deepEqual(problems, []);
});
