/**
 * client.authentication.k8s.io exec credential plugins (aws eks get-token, gke-gcloud-auth-plugin,
 * kubelogin, …), as client-go runs them: the command gets the process environment plus the
 * configured `env`, and `KUBERNETES_EXEC_INFO` describing the request; it prints an ExecCredential
 * whose `status` holds a token and/or a PEM client certificate and key, valid until
 * `expirationTimestamp`. Credentials are cached until they expire or the server answers 401.
 * We never give the plugin a terminal: kubemeter runs unattended, so `interactiveMode: Always`
 * is refused with a clear error instead of hanging on a prompt.
 */
import { spawn } from 'node:child_process';
import { ErrorCode, KubemeterError, errorMessage, quoteInput } from '../lib/errors.ts';
import type { Clock } from '../lib/clock.ts';
import { systemClock } from '../lib/clock.ts';
import type { CredentialProvider, Credentials } from './credentials.ts';

/** The `exec` stanza of a kubeconfig user. */
export interface ExecConfig {
  /** client.authentication.k8s.io/v1 or v1beta1. */
  apiVersion: string;
  /** Program to run; resolved against PATH unless it contains a path separator. */
  command: string;
  /** Arguments. */
  args: string[];
  /** Extra environment variables. */
  env: { name: string; value: string }[];
  /** Shown when the command cannot be found. */
  installHint: string;
  /** Whether to pass the cluster's details in KUBERNETES_EXEC_INFO. */
  provideClusterInfo: boolean;
  /** Never, IfAvailable or Always (required for v1). */
  interactiveMode: string;
}

/** Cluster details passed to plugins with provideClusterInfo. */
export interface ExecClusterInfo {
  server: string;
  'tls-server-name'?: string;
  'insecure-skip-tls-verify'?: boolean;
  /** Base64 of the CA bundle, as in a kubeconfig. */
  'certificate-authority-data'?: string;
  'disable-compression'?: boolean;
  /** The cluster's `extensions[name=client.authentication.k8s.io/exec].extension`. */
  config?: unknown;
}

/** Options of execCredentials. */
export interface ExecCredentialOptions {
  config: ExecConfig;
  cluster: ExecClusterInfo;
  /** Base environment; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Upper bound for one plugin run in milliseconds (default 60 s). */
  timeoutMs?: number;
  clock?: Clock;
}

const SUPPORTED_VERSIONS = new Set(['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1']);
const MAX_OUTPUT_BYTES = 1 << 20;

/** Validate an exec stanza as client-go does when the kubeconfig is loaded. */
export function validateExecConfig(config: ExecConfig, source: string): void {
  if (!SUPPORTED_VERSIONS.has(config.apiVersion)) {
    throw new KubemeterError(ErrorCode.InvalidKubeconfig, `exec plugin: invalid apiVersion ${quoteInput(config.apiVersion)}`, { source });
  }
  if (config.command === '') {
    throw new KubemeterError(ErrorCode.InvalidKubeconfig, 'exec plugin: command must be set', { source });
  }
  if (config.apiVersion.endsWith('/v1') && config.interactiveMode === '') {
    throw new KubemeterError(ErrorCode.InvalidKubeconfig, `interactiveMode must be specified for ${config.command} to use exec authentication plugin`, { source });
  }
  if (config.interactiveMode !== '' && !['Never', 'IfAvailable', 'Always'].includes(config.interactiveMode)) {
    throw new KubemeterError(ErrorCode.InvalidKubeconfig, `exec plugin: invalid interactiveMode ${quoteInput(config.interactiveMode)}`, { source });
  }
}

/** Parse and check a plugin's stdout; exported for tests and fuzzing. */
export function parseExecCredential(stdout: string, apiVersion: string): { credentials: Credentials; expiresAtMs: number | undefined } {
  let doc: unknown;
  try {
    doc = JSON.parse(stdout);
  } catch (e) {
    throw new KubemeterError(ErrorCode.InvalidDocument, `exec plugin: decoding stdout: ${errorMessage(e)}`);
  }
  if (typeof doc !== 'object' || doc === null) throw new KubemeterError(ErrorCode.InvalidDocument, 'exec plugin: stdout is not an ExecCredential object');
  const d = doc as Record<string, unknown>;
  if (d['kind'] !== 'ExecCredential') throw new KubemeterError(ErrorCode.InvalidDocument, `exec plugin: decoding stdout: kind is ${quoteInput(String(d['kind']))}, want "ExecCredential"`);
  if (d['apiVersion'] !== apiVersion) {
    throw new KubemeterError(ErrorCode.InvalidDocument, `exec plugin is configured to use API version ${apiVersion}, plugin returned version ${quoteInput(String(d['apiVersion']))}`);
  }
  const status = d['status'];
  if (typeof status !== 'object' || status === null) throw new KubemeterError(ErrorCode.InvalidDocument, "exec plugin didn't return a status field");
  const s = status as Record<string, unknown>;
  const str = (k: string): string => {
    const v = s[k];
    if (v === undefined || v === null) return '';
    if (typeof v !== 'string') throw new KubemeterError(ErrorCode.InvalidDocument, `exec plugin: status.${k} is not a string`);
    return v;
  };
  const token = str('token');
  const certPem = str('clientCertificateData');
  const keyPem = str('clientKeyData');
  if (token === '' && certPem === '' && keyPem === '') throw new KubemeterError(ErrorCode.InvalidDocument, "exec plugin didn't return a token or cert/key pair");
  if ((certPem === '') !== (keyPem === '')) throw new KubemeterError(ErrorCode.InvalidDocument, 'exec plugin returned only certificate or key, not both');
  let expiresAtMs: number | undefined;
  const exp = str('expirationTimestamp');
  if (exp !== '') {
    expiresAtMs = Date.parse(exp);
    if (!Number.isFinite(expiresAtMs)) throw new KubemeterError(ErrorCode.InvalidDocument, `exec plugin: invalid expirationTimestamp ${quoteInput(exp)}`);
  }
  const credentials: Credentials = {};
  if (token !== '') credentials.token = token;
  if (certPem !== '') credentials.clientCertificate = { certPem, keyPem };
  return { credentials, expiresAtMs };
}

/** Credentials from an exec plugin, cached until expiry or a 401. Concurrent callers share one run. */
export function execCredentials(options: ExecCredentialOptions): CredentialProvider {
  const { config } = options;
  const clock = options.clock ?? systemClock;
  let cached: { credentials: Credentials; expiresAtMs: number | undefined } | undefined;
  let running: Promise<Credentials> | undefined;
  const description = `exec plugin ${config.command}`;

  const run = async (): Promise<Credentials> => {
    if (config.interactiveMode === 'Always') {
      throw new KubemeterError(ErrorCode.InvalidKubeconfig, `exec plugin ${config.command} requires an interactive terminal (interactiveMode: Always), which kubemeter never provides`);
    }
    const info: Record<string, unknown> = { kind: 'ExecCredential', apiVersion: config.apiVersion, spec: { interactive: false } };
    if (config.provideClusterInfo) (info['spec'] as Record<string, unknown>)['cluster'] = options.cluster;
    const env: NodeJS.ProcessEnv = { ...(options.env ?? process.env) };
    for (const e of config.env) env[e.name] = e.value;
    env['KUBERNETES_EXEC_INFO'] = JSON.stringify(info);
    const stdout = await runPlugin(config, env, options.timeoutMs ?? 60_000);
    const parsed = parseExecCredential(stdout, config.apiVersion);
    cached = parsed;
    return parsed.credentials;
  };

  return {
    description,
    get() {
      if (cached !== undefined && (cached.expiresAtMs === undefined || clock.nowMs() < cached.expiresAtMs)) {
        return Promise.resolve(cached.credentials);
      }
      running ??= run().finally(() => {
        running = undefined;
      });
      return running;
    },
    invalidate() {
      cached = undefined;
    },
  };
}

function runPlugin(config: ExecConfig, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(config.command, config.args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    // Our own timer rather than spawn's `timeout`, which stays armed when the spawn itself fails.
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    timer.unref();
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let failed: KubemeterError | undefined;
    child.stdout.on('data', (c: Buffer) => {
      outBytes += c.length;
      if (outBytes > MAX_OUTPUT_BYTES) {
        failed ??= new KubemeterError(ErrorCode.TooLarge, `exec plugin ${config.command}: output exceeds ${MAX_OUTPUT_BYTES} bytes`);
        child.kill('SIGKILL');
      } else out.push(c);
    });
    child.stderr.on('data', (c: Buffer) => {
      if (errBytes < 4096) err.push(c);
      errBytes += c.length;
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (e.code === 'ENOENT') {
        const hint = config.installHint === '' ? '' : `\n\n${config.installHint}`;
        failed ??= new KubemeterError(ErrorCode.InvalidKubeconfig, `exec: executable ${config.command} not found${hint}`, { cause: e });
      } else failed ??= new KubemeterError(ErrorCode.InvalidKubeconfig, `exec: ${config.command}: ${errorMessage(e)}`, { cause: e });
      // A process that never started may not emit 'close'.
      if (child.pid === undefined) reject(failed);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (failed !== undefined) return reject(failed);
      if (code !== 0) {
        const stderr = Buffer.concat(err).toString('utf8').slice(0, 4096).trim();
        const why = timedOut ? `no answer within ${timeoutMs} ms` : signal !== null ? `killed by ${signal}` : `exit status ${code}`;
        return reject(new KubemeterError(ErrorCode.InvalidKubeconfig, `exec: ${config.command}: ${why}${stderr === '' ? '' : `: ${stderr}`}`));
      }
      resolve(Buffer.concat(out).toString('utf8'));
    });
  });
}
