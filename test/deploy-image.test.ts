/**
 * The Dockerfile, checked as text (no container engine is needed to run the suite): multi-stage
 * build from the lockfile, a Node 24 slim runtime as nobody, an exec-form entrypoint that matches
 * what the manifests run, and a build context that contains what the build copies.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { imageEnv, parseDockerfile } from './support/dockerfile.ts';
import { containersOf, find, loadManifests } from './support/manifests.ts';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');

const dockerfile = readFileSync(join(repo, 'Dockerfile'), 'utf8');
const [preamble, build, runtime, ...extra] = parseDockerfile(dockerfile);

test('two stages from a Node 24 slim image', () => {
  assert.equal(extra.length, 0);
  assert.ok(preamble !== undefined && build !== undefined && runtime !== undefined);
  assert.match(preamble.find((i) => i.instruction === 'ARG')?.rest ?? '', /^NODE_IMAGE=node:24(\.\d+)*-[a-z]+-slim$/);
  assert.equal(build[0]?.rest, '${NODE_IMAGE} AS build');
  assert.equal(runtime[0]?.rest, '${NODE_IMAGE}');
});

test('the build installs the lockfile, compiles and drops dev dependencies', () => {
  const runs = build!.filter((i) => i.instruction === 'RUN').map((i) => i.rest).join('\n');
  assert.match(runs, /npm ci\b/);
  assert.match(runs, /tsc -p tsconfig\.build\.json/);
  assert.match(runs, /npm prune --omit=dev/);
  // Non-TypeScript files that the code loads at run time (e.g. .proto) are copied next to the JS.
  assert.match(runs, /find \. -type f ! -name '\*\.ts'/);
  for (const copy of build!.filter((i) => i.instruction === 'COPY')) {
    for (const src of copy.rest.split(/\s+/).slice(0, -1)) assert.ok(existsSync(join(repo, src)), `COPY ${src}`);
  }
});

test('the runtime runs as nobody, exec form, the entrypoint the manifests use', () => {
  const user = runtime!.filter((i) => i.instruction === 'USER');
  assert.deepEqual(user.map((i) => i.rest), ['65534:65534']);
  const last = runtime!.findLastIndex((i) => i.instruction === 'RUN');
  assert.ok(last < runtime!.indexOf(user[0]!), 'nothing runs as root after USER');
  const entry = runtime!.find((i) => i.instruction === 'ENTRYPOINT')?.rest ?? '';
  const cmd = runtime!.find((i) => i.instruction === 'CMD')?.rest ?? '';
  // Exec form (a JSON array): no shell is needed to start, and signals reach node directly.
  const entrypoint = JSON.parse(entry) as string[];
  assert.deepEqual(JSON.parse(cmd), ['server']);
  assert.deepEqual(entrypoint, ['node', '/app/dist/cmd/main.js']);
  // /app/dist/cmd/main.js is what tsc makes of src/cmd/main.ts.
  assert.ok(existsSync(join(repo, 'src', 'cmd', 'main.ts')));
  const build = JSON.parse(readFileSync(join(repo, 'tsconfig.build.json'), 'utf8')) as { compilerOptions: { rootDir: string; outDir: string } };
  assert.deepEqual([build.compilerOptions.rootDir, build.compilerOptions.outDir], ['src', 'dist']);
  for (const copy of ['/src/package.json ./package.json', '/src/node_modules ./node_modules', '/src/dist ./dist']) {
    assert.ok(runtime!.some((i) => i.instruction === 'COPY' && i.rest === `--from=build ${copy}`), copy);
  }
  assert.ok(!/\b(curl|wget)\b/.test(dockerfile), 'nothing downloaded outside the package manager');
  assert.ok(!runtime!.some((i) => i.instruction === 'ADD'));

  for (const [file, kind, name, sub] of [
    ['components.yaml', 'Deployment', 'metrics-server', 'server'],
    ['agent-daemonset.yaml', 'DaemonSet', 'kubemeter-agent', 'agent'],
  ] as const) {
    const objects = loadManifests(readFileSync(join(repo, 'deploy', file), 'utf8'), file);
    assert.deepEqual(containersOf(find(objects, kind, name))[0]?.command, [...entrypoint, sub], file);
  }
});

test('.dockerignore keeps the context small and the build inputs in it', () => {
  const ignored = readFileSync(join(repo, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  for (const p of ['node_modules', 'dist', '.git']) assert.ok(ignored.includes(p), p);
  for (const needed of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src', 'bin']) {
    assert.ok(!ignored.includes(needed), needed);
  }
});

test('the parser reads continuation lines and stages', () => {
  assert.deepEqual(parseDockerfile('ARG A=1\nFROM x AS b\n# c\nRUN a \\\n && b\nFROM y\nUSER 1'), [
    [{ instruction: 'ARG', rest: 'A=1' }],
    [{ instruction: 'FROM', rest: 'x AS b' }, { instruction: 'RUN', rest: 'a   && b' }],
    [{ instruction: 'FROM', rest: 'y' }, { instruction: 'USER', rest: '1' }],
  ]);
  assert.throws(() => parseDockerfile('FROM x\nnot-an-instruction'), /not an instruction/);
});

test('the runtime stage\'s environment is read from its ENV instructions', () => {
  assert.deepEqual(imageEnv('FROM x AS b\nENV A=1\nFROM y\nENV B=2 \\\n    C=--d\nENV D=\n'), { B: '2', C: '--d', D: '' });
  assert.throws(() => imageEnv('FROM y\nENV A="1 2"'), /without quotes/);
  assert.equal(imageEnv()['NODE_ENV'], 'production');
});
