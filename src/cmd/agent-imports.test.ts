/**
 * Keeps the light agent light: what `kubemeter agent` loads in its read-only configuration (no
 * secure port, no CRI socket, no Kubernetes API, not standalone). Two checks: the static import
 * graph of src/cmd/agent.ts (what loads whatever the flags), read with the TypeScript parser so
 * that `import type` is told apart from imports Node executes; and a real agent process in that
 * configuration reporting every module it loaded. The heavy libraries (zod, yaml, gRPC,
 * protobufjs, the Kubernetes client) and Node's bundled undici, which an ES import of node:http
 * pulls in, each cost megabytes of resident memory the agent's budget does not have.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { writeGeneratedHost } from '../../test/support/agent-fixtures.ts';
import { agentModuleLoads } from '../../test/support/agent-loads.ts';
import { freePort } from '../../test/support/free-port.ts';

const srcDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Packages the read-only agent must not load (matched against bare specifiers and resolved paths). */
const heavyPackages = ['zod', 'yaml', '@grpc/grpc-js', '@grpc/proto-loader', 'protobufjs', '@kubernetes/client-node', 'undici'];

/**
 * Built-ins the agent must not ES-import: node:http's namespace loads undici (use
 * process.getBuiltinModule), and the TLS/crypto stack belongs to the secure port.
 */
const forbiddenBuiltins = ['node:http', 'node:https', 'node:http2', 'node:tls', 'node:crypto', 'node:child_process'];

/** Specifiers a module loads when it is evaluated: static imports and re-exports, not `import type` or `import()`. */
export function staticImports(fileName: string, text: string): string[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const out: string[] = [];
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st)) {
      // Only `import type …` is erased; `import { type A } from 'x'` still loads x.
      if (st.importClause?.isTypeOnly === true) continue;
      if (ts.isStringLiteral(st.moduleSpecifier)) out.push(st.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(st) && !st.isTypeOnly && st.moduleSpecifier !== undefined && ts.isStringLiteral(st.moduleSpecifier)) {
      out.push(st.moduleSpecifier.text);
    }
  }
  return out;
}

/** The static graph from `entry`: every local file reached, and every non-relative specifier with the file importing it. */
function staticGraph(entry: string): { files: Set<string>; external: Map<string, string> } {
  const files = new Set<string>();
  const external = new Map<string, string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const spec of staticImports(file, readFileSync(file, 'utf8'))) {
      if (spec.startsWith('.')) queue.push(resolve(dirname(file), spec));
      else if (!external.has(spec)) external.set(spec, file.slice(srcDir.length + 1));
    }
  }
  return { files, external };
}


test('the import reader sees executed imports and skips type-only ones', () => {
  const text = [
    "import type { A } from 'zod';",
    "import { type B } from 'yaml';",
    "import c from 'node:http';",
    "export { d } from './d.ts';",
    "export type { E } from './e.ts';",
    "const f = await import('@grpc/grpc-js');",
  ].join('\n');
  assert.deepEqual(staticImports('x.ts', text), ['yaml', 'node:http', './d.ts']);
});

test('agent: the static import graph loads no heavy package and no ES import of http, TLS or crypto', () => {
  const { files, external } = staticGraph(join(srcDir, 'cmd', 'agent.ts'));
  assert.ok(files.size > 10, `walked only ${files.size} files`);
  const bad = [...external].filter(([spec]) => heavyPackages.some((p) => spec === p || spec.startsWith(`${p}/`)) || forbiddenBuiltins.includes(spec));
  assert.deepEqual(bad.map(([spec, from]) => `${spec} (imported by ${from})`), []);
});

test('agent: a running read-only agent loads none of them', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubemeter-agent-imports-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeGeneratedHost(dir, 3, 2);
  // The child records every module it loads, runs the agent until its read-only port answers,
  // stops it as SIGTERM would, and prints what it loaded.
  const report = await agentModuleLoads(['--proc-root', join(dir, 'proc'), '--sys-root', join(dir, 'sys'),
    '--read-only-port', String(await freePort()), '--address=127.0.0.1', '--port=0', '--standalone=false', '--root-dir', dir, '--log-level=error'], 'read-only-port');
  assert.ok(report.loaded.some((u) => u.endsWith('/agent/collector.ts')), 'the hook saw the agent load');
  const heavy = report.loaded.filter((u) => heavyPackages.some((p) => u.includes(`/node_modules/${p}/`)));
  assert.deepEqual(heavy, []);
  const builtins = report.builtins.filter((m) => /^NativeModule (internal\/deps\/undici|https$|http2$|tls$|internal\/crypto\/)/.test(m));
  assert.deepEqual(builtins, []);
});

test('agent: a read-only agent with a CRI endpoint whose socket does not exist loads neither node:http2 nor the CRI client', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubemeter-agent-imports-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeGeneratedHost(dir, 2, 1);
  const report = await agentModuleLoads(['--proc-root', join(dir, 'proc'), '--sys-root', join(dir, 'sys'),
    '--read-only-port', String(await freePort()), '--address=127.0.0.1', '--port=0', '--standalone=false', '--root-dir', dir, '--log-level=error',
    `--container-runtime-endpoint=unix://${join(dir, 'absent.sock')}`], 'read-only-port');
  assert.ok(report.loaded.some((u) => u.endsWith('/agent/identity/cri-lazy.ts')), 'the hook saw the lazy CRI client load');
  assert.deepEqual(report.loaded.filter((u) => /\/agent\/identity\/(cri|grpc-unix|grpc-frame|cri-messages|proto-wire)\.ts$/.test(u)), []);
  assert.deepEqual(report.loaded.filter((u) => heavyPackages.some((p) => u.includes(`/node_modules/${p}/`))), []);
  assert.deepEqual(report.builtins.filter((m) => /^NativeModule (internal\/deps\/undici|https$|http2$|internal\/http2\/|tls$|internal\/crypto\/)/.test(m)), []);
});
