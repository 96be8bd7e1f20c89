/**
 * Where the server's delegated authentication and authorization talk to kube-apiserver, and what
 * the resulting configuration lets through. Upstream's rule first: `--authentication-kubeconfig`
 * / `--authorization-kubeconfig`, else the in-cluster service account. Where metrics-server would
 * refuse to start (no such flag, not in a cluster) we fall back to `--kubeconfig`, and without
 * any Kubernetes API (a nodes file) we serve with what the flags give, closed by default: no
 * ConfigMap lookup is possible, tokens are refused, and without SubjectAccessReview only
 * `system:masters` and the always-allowed paths are authorized.
 */
import type { Logger } from '../lib/log.ts';
import type { ClusterConnection } from '../kube/kubeconfig.ts';
import { loadInCluster, loadKubeConfig } from '../kube/kubeconfig.ts';
import type { SecureFlags } from '../auth/flags.ts';

/** Options of resolveAuthSources. */
export interface AuthSourceOptions {
  /** The parsed secure flags; `authenticationSkipLookup` may be turned on (see below). */
  flags: SecureFlags;
  /** `--kubeconfig` ('' = none). */
  kubeconfig: string;
  /** Environment (KUBERNETES_SERVICE_HOST/PORT decide "in a cluster"); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Loaders, injectable for tests. */
  load?: { kubeconfig: (path: string) => Promise<ClusterConnection>; inCluster: () => Promise<ClusterConnection> };
  logger: Logger;
}

/** The connections to pass to serveApi, and the flags to use. */
export interface AuthSources {
  authentication: ClusterConnection | null;
  authorization: ClusterConnection | null;
  flags: SecureFlags;
}

/** Pick the kube-apiserver connections for TokenReview, the ConfigMap and SubjectAccessReview. */
export async function resolveAuthSources(o: AuthSourceOptions): Promise<AuthSources> {
  const env = o.env ?? process.env;
  const load = o.load ?? { kubeconfig: (path: string) => loadKubeConfig({ kubeconfig: path, logger: o.logger }), inCluster: () => loadInCluster() };
  const inCluster = (env['KUBERNETES_SERVICE_HOST'] ?? '') !== '' && (env['KUBERNETES_SERVICE_PORT'] ?? '') !== '';
  const cache = new Map<string, Promise<ClusterConnection>>();
  // One connection per source, so that TokenReview and SubjectAccessReview share a client.
  const once = (key: string, f: () => Promise<ClusterConnection>): Promise<ClusterConnection> => {
    let p = cache.get(key);
    if (p === undefined) cache.set(key, (p = f()));
    return p;
  };
  const pick = async (flag: string): Promise<ClusterConnection | null> => {
    if (flag !== '') return once(`file:${flag}`, () => load.kubeconfig(flag));
    if (inCluster) return once('in-cluster', load.inCluster);
    if (o.kubeconfig !== '') return once(`file:${o.kubeconfig}`, () => load.kubeconfig(o.kubeconfig));
    return null;
  };
  const flags: SecureFlags = { ...o.flags };
  const authentication = await pick(flags.authenticationKubeconfig);
  const authorization = await pick(flags.authorizationKubeconfig);
  const log = o.logger;
  if (authentication === null) {
    if (!flags.authenticationSkipLookup) {
      log.info('no Kubernetes API to read kube-system/extension-apiserver-authentication from; using the CA flags only');
      flags.authenticationSkipLookup = true;
    }
    if (flags.clientCaFile === '' && flags.requestheaderClientCaFile === '') {
      log.warn('no --client-ca-file, no --requestheader-client-ca-file and no Kubernetes API for TokenReview: every request except the always-allowed paths is refused (401 or 403)', { alwaysAllowPaths: flags.authorizationAlwaysAllowPaths });
    } else {
      log.warn('no Kubernetes API for TokenReview: bearer tokens are refused');
    }
  }
  if (authorization === null) {
    log.warn('no Kubernetes API for SubjectAccessReview: only members of system:masters and the always-allowed paths are authorized', { alwaysAllowPaths: flags.authorizationAlwaysAllowPaths });
  }
  return { authentication, authorization, flags };
}
