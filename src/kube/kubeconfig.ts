/**
 * Finding and loading the connection to kube-apiserver the way kubectl does: an explicit
 * `--kubeconfig` file, else the files in KUBECONFIG merged, else ~/.kube/config, else the
 * in-cluster service account. `--context` picks the context; the namespace comes from it.
 *
 * Why not @kubernetes/client-node's KubeConfig: importing it (it pulls the generated API models)
 * costs ~0.55 s and ~85 MB RSS on our 2-core CI machine (`node -e "await import(...)"`: 0.54–0.73 s,
 * 126–131 MB vs 0.10 s, 55 MB for `yaml` alone), which a `kubemeter top` invocation and a per-node
 * agent should not pay. The clientcmd rules we need fit in kubeconfig-file.ts.
 */
import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { isIPv6 } from 'node:net';
import { ErrorCode, KubemeterError, errorMessage, isKubemeterError, quoteInput } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { silentLogger } from '../lib/log.ts';
import type { Clock } from '../lib/clock.ts';
import type { CredentialProvider, Credentials } from './credentials.ts';
import { staticCredentials, tokenFileCredentials } from './credentials.ts';
import { execCredentials, validateExecConfig } from './exec-plugin.ts';
import type { Kubeconfig, KubeconfigCluster, KubeconfigUser } from './kubeconfig-file.ts';
import { mergeKubeconfigs, parseKubeconfig } from './kubeconfig-file.ts';

/** Headers that make kube-apiserver act as another user (`as`, `as-groups`, … in a kubeconfig). */
export interface Impersonation {
  user: string;
  uid?: string;
  groups: string[];
  extra: Record<string, string[]>;
}

/** Everything needed to talk to one kube-apiserver. */
export interface ClusterConnection {
  /** Base URL without a trailing slash, e.g. `https://10.0.0.1:443`. */
  server: string;
  /** PEM CA bundle that verifies the server; undefined = system roots. */
  ca?: Buffer;
  /** Skip server certificate verification (warned about at load time). */
  insecureSkipTlsVerify: boolean;
  /** SNI / verification name when it differs from the URL host. */
  tlsServerName?: string;
  /** Do not ask for gzip responses. */
  disableCompression: boolean;
  /** Bearer token / basic auth / client certificate source. */
  credentials: CredentialProvider;
  /** Namespace of the context (or of the service account in-cluster); `default` when unset. */
  namespace: string;
  /** Name of the context used; empty in-cluster. */
  context: string;
  /** Where this came from: kubeconfig path(s) or `in-cluster`. */
  origin: string;
  /** Impersonation headers to send, if the user entry asks for them. */
  impersonate?: Impersonation;
}

/** Options of loadKubeConfig. */
export interface LoadKubeConfigOptions {
  /** Explicit kubeconfig path (`--kubeconfig`); must exist. */
  kubeconfig?: string;
  /** Context name (`--context`); default the file's current-context. */
  context?: string;
  /** Namespace override (`--namespace`). */
  namespace?: string;
  /** Environment to read KUBECONFIG and KUBERNETES_SERVICE_* from; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Home directory for ~/.kube/config; default os.homedir(). */
  homeDir?: string;
  /** Service-account directory; default /var/run/secrets/kubernetes.io/serviceaccount. */
  serviceAccountDir?: string;
  logger?: Logger;
  clock?: Clock;
}

/** Where Kubernetes mounts the pod's service account. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const MAX_FILE_BYTES = 8 << 20;

async function readCapped(path: string, what: string): Promise<Buffer> {
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (e) {
    throw new KubemeterError(ErrorCode.InvalidKubeconfig, `cannot read ${what} ${path}: ${errorMessage(e)}`, { source: path, cause: e });
  }
  if (data.length > MAX_FILE_BYTES) throw new KubemeterError(ErrorCode.TooLarge, `${what} ${path} is larger than ${MAX_FILE_BYTES} bytes`, { source: path });
  return data;
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** The kubeconfig files kubectl would read, in priority order (existing ones only, except an explicit path). */
export async function kubeconfigPaths(options: Pick<LoadKubeConfigOptions, 'kubeconfig' | 'env' | 'homeDir'>): Promise<string[]> {
  if (options.kubeconfig !== undefined && options.kubeconfig !== '') return [options.kubeconfig];
  const env = options.env ?? process.env;
  const fromEnv = env['KUBECONFIG'];
  if (fromEnv !== undefined && fromEnv !== '') {
    const seen = new Set<string>();
    const out: string[] = [];
    for (const p of fromEnv.split(delimiter)) {
      if (p === '' || seen.has(p)) continue;
      seen.add(p);
      if (await exists(p)) out.push(p);
    }
    return out;
  }
  const home = options.homeDir ?? env['HOME'] ?? homedir();
  const def = join(home, '.kube', 'config');
  return (await exists(def)) ? [def] : [];
}

/** Load the connection to kube-apiserver like kubectl (see the file comment for the order). */
export async function loadKubeConfig(options: LoadKubeConfigOptions = {}): Promise<ClusterConnection> {
  const env = options.env ?? process.env;
  const log = options.logger ?? silentLogger;
  const paths = await kubeconfigPaths(options);
  const files: Kubeconfig[] = [];
  for (const p of paths) files.push(parseKubeconfig((await readCapped(p, 'kubeconfig')).toString('utf8'), p));
  const merged = mergeKubeconfigs(files);
  const contextName = options.context ?? merged.currentContext;

  const explicit = options.kubeconfig !== undefined && options.kubeconfig !== '';
  if (!explicit && contextName === '' && merged.clusters.size === 0) {
    const saDir = options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
    if (env['KUBERNETES_SERVICE_HOST'] && env['KUBERNETES_SERVICE_PORT'] && (await exists(join(saDir, 'token')))) {
      return loadInCluster(options);
    }
    throw new KubemeterError(
      ErrorCode.InvalidKubeconfig,
      'invalid configuration: no configuration has been provided (no --kubeconfig, KUBECONFIG, ~/.kube/config, or in-cluster service account)',
    );
  }
  const origin = paths.join(delimiter);
  if (contextName === '') throw new KubemeterError(ErrorCode.InvalidKubeconfig, `kubeconfig ${origin}: no current-context is set and no --context was given`, { source: origin });
  const ctx = merged.contexts.get(contextName);
  if (ctx === undefined) throw new KubemeterError(ErrorCode.InvalidKubeconfig, `context was not found for specified context: ${contextName}`, { source: origin });
  const cluster = merged.clusters.get(ctx.cluster);
  if (cluster === undefined) throw new KubemeterError(ErrorCode.InvalidKubeconfig, `cluster ${quoteInput(ctx.cluster)} of context ${quoteInput(contextName)} was not found`, { source: origin });
  const user: KubeconfigUser = merged.users.get(ctx.user) ?? { impersonateGroups: [], impersonateExtra: {}, origin };
  if (ctx.user !== '' && !merged.users.has(ctx.user)) {
    log.warn('kubeconfig user not found; connecting without credentials', { context: contextName, user: ctx.user });
  }

  const conn = await connectionFor(cluster, user, { contextName, origin, env, log, clock: options.clock });
  conn.namespace = options.namespace ?? ctx.namespace ?? 'default';
  return conn;
}

async function connectionFor(
  cluster: KubeconfigCluster,
  user: KubeconfigUser,
  o: { contextName: string; origin: string; env: NodeJS.ProcessEnv; log: Logger; clock: Clock | undefined },
): Promise<ClusterConnection> {
  const src = cluster.origin;
  const server = validateServer(cluster.server, src);
  if (cluster.proxyUrl !== undefined) {
    // Silently bypassing a configured proxy could send credentials where the user did not intend.
    throw new KubemeterError(ErrorCode.InvalidKubeconfig, `kubeconfig ${src}: proxy-url is not supported by kubemeter`, { source: src });
  }
  if (cluster.certificateAuthority !== undefined && cluster.certificateAuthorityData !== undefined) {
    throw new KubemeterError(ErrorCode.InvalidKubeconfig, `kubeconfig ${src}: certificate-authority-data and certificate-authority are both specified`, { source: src });
  }
  let ca = cluster.certificateAuthorityData;
  if (cluster.certificateAuthority !== undefined) ca = await readCapped(cluster.certificateAuthority, 'certificate-authority');
  if (cluster.insecureSkipTlsVerify && ca !== undefined) {
    throw new KubemeterError(ErrorCode.InvalidKubeconfig, `kubeconfig ${src}: specifying a root certificates file with the insecure flag is not allowed`, { source: src });
  }
  if (cluster.insecureSkipTlsVerify) {
    o.log.warn('insecure-skip-tls-verify is set: the API server certificate is NOT verified', { server, context: o.contextName });
  }
  if (server.startsWith('http://')) o.log.warn('the API server URL is plain http: credentials travel unencrypted', { server });

  const credentials = await credentialsFor(user, cluster, server, ca, o);
  const conn: ClusterConnection = {
    server,
    insecureSkipTlsVerify: cluster.insecureSkipTlsVerify,
    disableCompression: cluster.disableCompression,
    credentials,
    namespace: 'default',
    context: o.contextName,
    origin: o.origin,
  };
  if (ca !== undefined) conn.ca = ca;
  if (cluster.tlsServerName !== undefined) conn.tlsServerName = cluster.tlsServerName;
  if (user.impersonate !== undefined) {
    conn.impersonate = { user: user.impersonate, groups: user.impersonateGroups, extra: user.impersonateExtra };
    if (user.impersonateUid !== undefined) conn.impersonate.uid = user.impersonateUid;
  }
  return conn;
}

function validateServer(raw: string, source: string): string {
  if (raw === '') throw new KubemeterError(ErrorCode.InvalidKubeconfig, `kubeconfig ${source}: cluster has no server defined`, { source });
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new KubemeterError(ErrorCode.InvalidKubeconfig, `kubeconfig ${source}: server ${quoteInput(raw)} is not a URL`, { source });
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new KubemeterError(ErrorCode.InvalidKubeconfig, `kubeconfig ${source}: server ${quoteInput(raw)} must be http(s)`, { source });
  if (u.search !== '' || u.hash !== '') throw new KubemeterError(ErrorCode.InvalidKubeconfig, `kubeconfig ${source}: server ${quoteInput(raw)} must not have a query or fragment`, { source });
  return u.toString().replace(/\/+$/, '');
}

async function credentialsFor(
  user: KubeconfigUser,
  cluster: KubeconfigCluster,
  server: string,
  ca: Buffer | undefined,
  o: { env: NodeJS.ProcessEnv; clock: Clock | undefined },
): Promise<CredentialProvider> {
  const src = user.origin;
  const bothErr = (a: string): never => {
    throw new KubemeterError(ErrorCode.InvalidKubeconfig, `kubeconfig ${src}: ${a}-data and ${a} are both specified`, { source: src });
  };
  if (user.clientCertificate !== undefined && user.clientCertificateData !== undefined) bothErr('client-certificate');
  if (user.clientKey !== undefined && user.clientKeyData !== undefined) bothErr('client-key');
  const certPem = user.clientCertificateData ?? (user.clientCertificate === undefined ? undefined : await readCapped(user.clientCertificate, 'client-certificate'));
  const keyPem = user.clientKeyData ?? (user.clientKey === undefined ? undefined : await readCapped(user.clientKey, 'client-key'));
  if ((certPem === undefined) !== (keyPem === undefined)) {
    throw new KubemeterError(ErrorCode.InvalidKubeconfig, `kubeconfig ${src}: client-certificate and client-key must be given together`, { source: src });
  }
  const hasToken = user.token !== undefined || user.tokenFile !== undefined;
  const hasBasic = user.username !== undefined || user.password !== undefined;
  if (hasToken && hasBasic) {
    throw new KubemeterError(ErrorCode.InvalidKubeconfig, `kubeconfig ${src}: more than one authentication method found; found [token basicAuth], only one is allowed`, { source: src });
  }
  if (user.exec !== undefined && user.authProvider !== undefined) {
    throw new KubemeterError(ErrorCode.InvalidKubeconfig, `kubeconfig ${src}: authProvider cannot be provided in combination with an exec plugin`, { source: src });
  }
  const base: Credentials = {};
  if (certPem !== undefined && keyPem !== undefined) base.clientCertificate = { certPem: certPem.toString('utf8'), keyPem: keyPem.toString('utf8') };

  if (user.tokenFile !== undefined) {
    // client-go: the file wins over an inline token, which only serves when the file cannot be read.
    const file = tokenFileCredentials({ path: user.tokenFile, clientCertificate: base.clientCertificate, clock: o.clock });
    const fallback = user.token;
    if (fallback === undefined) return file;
    return {
      description: file.description,
      get: async (signal) => {
        try {
          return await file.get(signal);
        } catch (e) {
          if (!isKubemeterError(e)) throw e;
          return { ...base, token: fallback };
        }
      },
      invalidate: () => file.invalidate(),
    };
  }
  if (user.token !== undefined) return staticCredentials({ ...base, token: user.token }, 'bearer token');
  if (hasBasic) return staticCredentials({ ...base, basic: { username: user.username ?? '', password: user.password ?? '' } }, 'basic auth');
  if (user.exec !== undefined) {
    validateExecConfig(user.exec, src);
    const info: Parameters<typeof execCredentials>[0]['cluster'] = { server };
    if (cluster.tlsServerName !== undefined) info['tls-server-name'] = cluster.tlsServerName;
    if (cluster.insecureSkipTlsVerify) info['insecure-skip-tls-verify'] = true;
    if (ca !== undefined) info['certificate-authority-data'] = ca.toString('base64');
    if (cluster.disableCompression) info['disable-compression'] = true;
    if (cluster.execExtension !== undefined) info.config = cluster.execExtension;
    const exec = execCredentials({ config: user.exec, cluster: info, env: o.env, clock: o.clock });
    if (base.clientCertificate === undefined) return exec;
    return { description: exec.description, get: async (s) => ({ clientCertificate: base.clientCertificate, ...(await exec.get(s)) }), invalidate: () => exec.invalidate() };
  }
  if (user.authProvider !== undefined) {
    const idToken = user.authProvider.config['id-token'];
    if (user.authProvider.name === 'oidc' && idToken !== undefined && idToken !== '') {
      // The id-token is used as is; refreshing it needs the provider's token endpoint, which we do not call.
      return staticCredentials({ ...base, token: idToken }, 'oidc id-token');
    }
    throw new KubemeterError(ErrorCode.InvalidKubeconfig, `kubeconfig ${src}: auth-provider ${quoteInput(user.authProvider.name)} is not supported; use an exec credential plugin`, { source: src });
  }
  return staticCredentials(base, base.clientCertificate === undefined ? 'anonymous' : 'client certificate');
}

/** Options of loadInCluster. */
export type InClusterOptions = Pick<LoadKubeConfigOptions, 'env' | 'serviceAccountDir' | 'namespace' | 'clock'>;

/** The in-cluster connection: KUBERNETES_SERVICE_HOST/PORT, the service-account token (re-read as it rotates) and CA. */
export async function loadInCluster(options: InClusterOptions = {}): Promise<ClusterConnection> {
  const env = options.env ?? process.env;
  const dir = options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  const host = env['KUBERNETES_SERVICE_HOST'];
  const port = env['KUBERNETES_SERVICE_PORT'];
  if (!host || !port) {
    throw new KubemeterError(ErrorCode.InvalidKubeconfig, 'unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be defined');
  }
  const tokenPath = join(dir, 'token');
  const credentials = tokenFileCredentials({ path: tokenPath, clock: options.clock });
  await credentials.get(); // fail now, with the path in the message, if the token is unreadable
  const ca = await readCapped(join(dir, 'ca.crt'), 'service-account CA');
  let namespace = options.namespace ?? env['POD_NAMESPACE'];
  if (namespace === undefined || namespace === '') {
    try {
      namespace = (await readFile(join(dir, 'namespace'), 'utf8')).trim();
    } catch {
      namespace = '';
    }
  }
  const hostPart = isIPv6(host) ? `[${host}]` : host;
  return {
    server: `https://${hostPart}:${port}`,
    ca,
    insecureSkipTlsVerify: false,
    disableCompression: false,
    credentials,
    namespace: namespace === '' ? 'default' : namespace,
    context: '',
    origin: 'in-cluster',
  };
}
