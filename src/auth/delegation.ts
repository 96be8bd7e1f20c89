/**
 * Wires delegated authentication and authorization from the flags, as the generic apiserver
 * does: CA files from flags (re-read when they change), anything missing taken from the
 * extension-apiserver-authentication ConfigMap (kept current by a watch) unless
 * --authentication-skip-lookup, TokenReview and SubjectAccessReview against the cluster given by
 * --authentication-kubeconfig / --authorization-kubeconfig or, when empty, the in-cluster config.
 * The Kubernetes client, the kubeconfig reader (YAML) and the review decoders (schemas) are loaded
 * only when there is a cluster to talk to: a secure port without one (the agent with
 * `--authorization-mode AlwaysAllow` and client certificates) does not pay their memory.
 */
import { readFile } from 'node:fs/promises';
import type { Clock } from '../lib/clock.ts';
import { systemClock } from '../lib/clock.ts';
import { ErrorCode, KubemeterError, errorMessage } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { silentLogger } from '../lib/log.ts';
import type { KubeClient } from '../kube/client.ts';
import { isHttpStatus } from '../kube/http-error.ts';
import type { Informer } from '../kube/informer.ts';
import type { ClusterConnection } from '../kube/kubeconfig.ts';
import type { AuthenticationConfig, RequestHeaderConfig, TokenReviewer } from './authenticator.ts';
import { DelegatingAuthenticator } from './authenticator.ts';
import type { AccessReviewer } from './authorizer.ts';
import { DelegatingAuthorizer, accessReviewSpec } from './authorizer.ts';
import type { ExtensionAuthData } from './extension-config.ts';
import { EXTENSION_AUTH_CONFIGMAP, configMapData, parseExtensionAuthData } from './extension-config.ts';
import type { SecureFlags } from './flags.ts';
import { parseCaPool } from './x509-verify.ts';

/** Options of startDelegatedAuth. */
export interface DelegatedAuthOptions {
  flags: SecureFlags;
  /** Connection for TokenReview and the ConfigMap; undefined = from flags/in-cluster; null = none. */
  authenticationConnection?: ClusterConnection | null;
  /** Connection for SubjectAccessReview; undefined = from flags/in-cluster; null = none. */
  authorizationConnection?: ClusterConnection | null;
  /** How often local CA files are re-read, in ms (default 10 s; 0 disables). */
  caReloadIntervalMs?: number;
  /** The kubelet's authorizer: no system:masters short-circuit. */
  profile?: 'apiserver' | 'kubelet';
  clock?: Clock;
  logger?: Logger;
}

/** The wired chain. */
export interface DelegatedAuth {
  authenticator: DelegatingAuthenticator;
  authorizer: DelegatingAuthorizer;
  /** Current authentication config (CA pools and header names). */
  config(): AuthenticationConfig;
  /** PEM bundles of every client-certificate CA, for the TLS handshake. */
  clientCAs(): string[];
  /** Called after the CA configuration changed (give it SecureServer.refreshTls). */
  onChange(listener: () => void): void;
  close(): Promise<void>;
}

async function connectionFor(kubeconfig: string, what: string, log: Logger): Promise<ClusterConnection | null> {
  try {
    const { loadInCluster, loadKubeConfig } = await import('../kube/kubeconfig.ts');
    return kubeconfig !== '' ? await loadKubeConfig({ kubeconfig, logger: log }) : await loadInCluster();
  } catch (e) {
    if (kubeconfig !== '') throw e;
    log.warn(`no ${what} kubeconfig and not in a cluster: ${what === 'authentication' ? 'TokenReview of bearer tokens' : 'SubjectAccessReview'} is disabled`, { err: errorMessage(e) });
    return null;
  }
}

/** Build and start the delegated authentication/authorization chain. */
export async function startDelegatedAuth(options: DelegatedAuthOptions): Promise<DelegatedAuth> {
  const { flags } = options;
  const log = options.logger ?? silentLogger;
  const clock = options.clock ?? systemClock;
  const authnConn = options.authenticationConnection !== undefined ? options.authenticationConnection : await connectionFor(flags.authenticationKubeconfig, 'authentication', log);
  const authzConn = options.authorizationConnection !== undefined ? options.authorizationConnection : await connectionFor(flags.authorizationKubeconfig, 'authorization', log);
  const clientFor = async (conn: ClusterConnection | null): Promise<KubeClient | undefined> =>
    conn === null ? undefined : new (await import('../kube/client.ts')).KubeClient(conn, { logger: log });
  const authnClient = await clientFor(authnConn);
  const authzClient = authzConn === authnConn ? authnClient : await clientFor(authzConn);
  const reviews = authnClient === undefined && authzClient === undefined ? undefined : await import('../kube/reviews.ts');

  const listeners: (() => void)[] = [];
  let local: { clientCa: string; requestHeaderCa: string } = { clientCa: '', requestHeaderCa: '' };
  let cluster: ExtensionAuthData = {};
  let current: AuthenticationConfig = {};

  const readLocal = async (): Promise<{ clientCa: string; requestHeaderCa: string }> => {
    const read = async (p: string): Promise<string> => {
      if (p === '') return '';
      try {
        return await readFile(p, 'utf8');
      } catch (e) {
        throw new KubemeterError(ErrorCode.InvalidFile, `cannot read ${p}: ${errorMessage(e)}`, { source: p, cause: e });
      }
    };
    return { clientCa: await read(flags.clientCaFile), requestHeaderCa: await read(flags.requestheaderClientCaFile) };
  };

  const rebuild = (): void => {
    const next: AuthenticationConfig = {};
    const clientCaPem = local.clientCa !== '' ? local.clientCa : cluster.clientCaPem;
    if (clientCaPem !== undefined) next.clientCA = parseCaPool(clientCaPem, local.clientCa !== '' ? flags.clientCaFile : 'configmap client-ca-file');
    let rh: RequestHeaderConfig | undefined;
    if (local.requestHeaderCa !== '') {
      rh = {
        caPool: parseCaPool(local.requestHeaderCa, flags.requestheaderClientCaFile),
        allowedNames: flags.requestheaderAllowedNames,
        usernameHeaders: flags.requestheaderUsernameHeaders,
        uidHeaders: flags.requestheaderUidHeaders,
        groupHeaders: flags.requestheaderGroupHeaders,
        extraHeaderPrefixes: flags.requestheaderExtraHeadersPrefix,
      };
    } else if (cluster.requestHeader !== undefined) {
      const c = cluster.requestHeader;
      rh = { caPool: parseCaPool(c.caPem, 'configmap requestheader-client-ca-file'), allowedNames: c.allowedNames, usernameHeaders: c.usernameHeaders, uidHeaders: c.uidHeaders, groupHeaders: c.groupHeaders, extraHeaderPrefixes: c.extraHeaderPrefixes };
    }
    if (rh !== undefined) next.requestHeader = rh;
    current = next;
    for (const l of listeners) l();
  };

  local = await readLocal();
  const needLookup = !flags.authenticationSkipLookup && (local.clientCa === '' || local.requestHeaderCa === '');
  let informer: Informer<{ metadata?: { name?: string; namespace?: string; resourceVersion?: string }; data?: unknown }> | undefined;
  if (needLookup) {
    if (authnClient === undefined) {
      if (!flags.authenticationTolerateLookupFailure) {
        throw new KubemeterError(ErrorCode.InvalidKubeconfig, 'unable to load configmap based request-header-client-ca-file: no authentication kubeconfig and not in a cluster (use --authentication-skip-lookup or --authentication-tolerate-lookup-failure)');
      }
      log.warn('cannot look up the authentication configuration; continuing without it');
    } else {
      const path = `/api/v1/namespaces/${EXTENSION_AUTH_CONFIGMAP.namespace}/configmaps/${EXTENSION_AUTH_CONFIGMAP.name}`;
      try {
        cluster = parseExtensionAuthData(configMapData(await authnClient.getJSON(path, { decode: (v) => v })));
      } catch (e) {
        if (isHttpStatus(e, 404)) {
          log.info('configmap extension-apiserver-authentication not found; assuming no client CA');
        } else if (flags.authenticationTolerateLookupFailure) {
          log.warn('Error looking up in-cluster authentication configuration; continuing without it', { err: e });
        } else {
          if (isHttpStatus(e, 403)) {
            log.error(`Unable to get configmap/${EXTENSION_AUTH_CONFIGMAP.name} in kube-system. Usually fixed by 'kubectl create rolebinding -n kube-system ROLEBINDING_NAME --role=extension-apiserver-authentication-reader --serviceaccount=YOUR_NS:YOUR_SA'`);
          }
          throw new KubemeterError(ErrorCode.InvalidKubeconfig, `unable to load configmap based request-header-client-ca-file: ${errorMessage(e)}`, { cause: e });
        }
      }
      // Keep it current: kube-apiserver rewrites the ConfigMap when its CAs rotate.
      const { Informer } = await import('../kube/informer.ts');
      informer = new Informer({
        client: authnClient,
        path: `/api/v1/namespaces/${EXTENSION_AUTH_CONFIGMAP.namespace}/configmaps`,
        fieldSelector: `metadata.name=${EXTENSION_AUTH_CONFIGMAP.name}`,
        decode: (v) => v as { metadata?: { name?: string }; data?: unknown },
        logger: log,
        clock,
      });
      const apply = (obj: unknown): void => {
        try {
          cluster = parseExtensionAuthData(configMapData(obj));
          rebuild();
          log.info('authentication configuration updated from configmap', { clientCA: cluster.clientCaPem !== undefined, requestHeader: cluster.requestHeader !== undefined });
        } catch (e) {
          log.error('ignoring an invalid extension-apiserver-authentication configmap', { err: e });
        }
      };
      informer.on({ onAdd: apply, onUpdate: (_old, obj) => apply(obj), onDelete: () => apply({ data: {} }) });
      informer.start();
    }
  }
  rebuild();

  const intervalMs = options.caReloadIntervalMs ?? 10_000;
  const timer = intervalMs > 0 && (flags.clientCaFile !== '' || flags.requestheaderClientCaFile !== '')
    ? setInterval(() => {
        readLocal().then((next) => {
          if (next.clientCa === local.clientCa && next.requestHeaderCa === local.requestHeaderCa) return;
          local = next;
          rebuild();
          log.info('client CA files reloaded');
        }).catch((e: unknown) => log.error('client CA files not reloaded; keeping the previous ones', { err: e }));
      }, intervalMs)
    : undefined;
  timer?.unref();

  let tokenReviewer: TokenReviewer | undefined;
  if (authnClient !== undefined && reviews !== undefined) {
    const { reviewToken } = reviews;
    tokenReviewer = {
      review: async (token, signal) => {
        const st = await reviewToken(authnClient, token, { signal });
        return st.authenticated
          ? { authenticated: true, user: { name: st.user.username, uid: st.user.uid, groups: st.user.groups, extra: st.user.extra } }
          : { authenticated: false, error: st.error };
      },
    };
  }
  let reviewer: AccessReviewer | undefined;
  if (authzClient !== undefined && reviews !== undefined) {
    const { reviewAccess } = reviews;
    reviewer = {
      review: async (a, signal) => {
        const st = await reviewAccess(authzClient, accessReviewSpec(a), { signal });
        return { allowed: st.allowed, denied: st.denied, reason: st.reason };
      },
    };
  }
  const kubelet = options.profile === 'kubelet';
  const authenticator = new DelegatingAuthenticator({
    config: () => current,
    ...(tokenReviewer === undefined ? {} : { tokenReviewer }),
    tokenCacheTtlMs: flags.authenticationTokenWebhookCacheTtlMs,
    anonymous: flags.anonymousAuth,
    clock,
    logger: log,
  });
  const authorizer = new DelegatingAuthorizer({
    ...(reviewer === undefined ? {} : { reviewer }),
    alwaysAllowPaths: flags.authorizationAlwaysAllowPaths,
    alwaysAllowGroups: kubelet ? [] : undefined,
    allowedTtlMs: flags.authorizationWebhookCacheAuthorizedTtlMs,
    deniedTtlMs: flags.authorizationWebhookCacheUnauthorizedTtlMs,
    clock,
    logger: log,
  });
  return {
    authenticator,
    authorizer,
    config: () => current,
    clientCAs: () => [current.clientCA?.pem, current.requestHeader?.caPool.pem].filter((p): p is string => p !== undefined),
    onChange: (l) => void listeners.push(l),
    close: async () => {
      clearInterval(timer);
      await informer?.stop();
      authnClient?.close();
      if (authzClient !== authnClient) authzClient?.close();
    },
  };
}
