import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as protoLoader from '@grpc/proto-loader';
import { criRuntimeV1Descriptor } from './cri-descriptor.ts';

const options = { keepCase: true, longs: String, enums: String, defaults: true };
const here = dirname(fileURLToPath(import.meta.url));
const srcRoot = resolve(here, '../..');

test('the CRI descriptor defines exactly what the .proto text of the subset defines', () => {
  const fromProto = protoLoader.loadSync(join(here, 'testdata', 'cri-runtime-v1.proto'), options);
  const fromJson = protoLoader.fromJSON(criRuntimeV1Descriptor, options);
  assert.deepEqual(Object.keys(fromJson).sort(), Object.keys(fromProto).sort());
  for (const name of Object.keys(fromProto)) {
    const a = fromProto[name]!;
    const b = fromJson[name]!;
    if ('format' in a && 'format' in b) {
      // Message and enum descriptors: names, field numbers, types, labels, map entries.
      assert.deepEqual(b.type, a.type, name);
    } else {
      const methods = (d: typeof a): unknown =>
        Object.entries(d).map(([m, v]) => [m, (v as protoLoader.MethodDefinition<object, object>).path, (v as protoLoader.MethodDefinition<object, object>).requestStream]);
      assert.deepEqual(methods(b), methods(a), name);
    }
  }
  assert.ok('runtime.v1.RuntimeService' in fromJson);
});

/** Local modules reachable from `entry` by static and dynamic imports. */
function moduleGraph(entry: string): Map<string, string> {
  const seen = new Map<string, string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    const text = readFileSync(file, 'utf8');
    seen.set(file, text);
    // `import … from './x.ts'`, `export … from './x.ts'`, `import('./x.ts')`; type-only imports are erased.
    for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^;]*?from\s+'(\.[^']+)'|import\('(\.[^']+)'\)/gm)) {
      if (m[2] !== undefined) continue;
      const spec = m[3] ?? m[4]!;
      assert.match(spec, /\.ts$/, `${relative(srcRoot, file)} imports ${spec}, which is not a TypeScript module`);
      visit(resolve(dirname(file), spec));
    }
  };
  visit(entry);
  return seen;
}

test('the CRI client and the agent command read no file of their own at run time (dist/ needs only the compiled .ts)', () => {
  for (const entry of [join(here, 'cri.ts'), join(srcRoot, 'cmd', 'agent.ts')]) {
    const graph = moduleGraph(entry);
    assert.ok(graph.size > 1);
    for (const [file, text] of graph) {
      const code = text.replace(/^\s*(\/\/|\*|\/\*).*$/gm, '');
      // Files next to the code are found through the module's own URL or directory.
      assert.doesNotMatch(code, /import\.meta\.(url|dirname|filename)|__dirname|\.proto\b/, `${relative(srcRoot, file)} locates a file next to itself`);
    }
  }
  assert.ok(moduleGraph(join(srcRoot, 'cmd', 'agent.ts')).has(join(here, 'cri.ts')), 'the agent command reaches the CRI client');
});
