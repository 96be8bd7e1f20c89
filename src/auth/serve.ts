/**
 * One call from flags to a running secure server: serving certificate (files or self-signed in
 * --cert-dir, reloaded on change), delegated authentication and authorization, and the TLS
 * context refreshed whenever the client CAs change. What the server and agent commands use.
 */
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/log.ts';
import { silentLogger } from '../lib/log.ts';
import type { ClusterConnection } from '../kube/kubeconfig.ts';
import type { RequestAttributes } from './attributes.ts';
import type { DelegatedAuth } from './delegation.ts';
import { startDelegatedAuth } from './delegation.ts';
import type { SecureFlags } from './flags.ts';
import type { ErrorStyle } from './responses.ts';
import type { SecureHandler, SecureServer } from './secure-server.ts';
import { startSecureServer } from './secure-server.ts';
import type { ServingCertificate } from './serving-cert.ts';
import { loadServingCertificate } from './serving-cert.ts';

/** Options of serveSecurely. */
export interface ServeSecurelyOptions {
  flags: SecureFlags;
  handler: SecureHandler;
  /** `apiserver` (metrics.k8s.io) or `kubelet` (agent on 10250): authorizer and error bodies. */
  profile?: 'apiserver' | 'kubelet';
  /** URL → attributes (the agent passes kubeletAttributes with its node name). */
  attributes?: (method: string, url: string) => RequestAttributes;
  /** Extra SANs for a generated certificate (service DNS names, node IPs). */
  alternateNames?: string[];
  /** Long-running requests (exempt from timeout and in-flight limit). */
  isLongRunning?: (a: RequestAttributes) => boolean;
  authenticationConnection?: ClusterConnection | null;
  authorizationConnection?: ClusterConnection | null;
  logger?: Logger;
  clock?: Clock;
}

/** Everything serveSecurely started; `close()` stops it all. */
export interface SecureServing {
  server: SecureServer;
  auth: DelegatedAuth;
  certificate: ServingCertificate;
  close(): Promise<void>;
}

/** Start secure serving from flags. */
export async function serveSecurely(o: ServeSecurelyOptions): Promise<SecureServing> {
  const log = o.logger ?? silentLogger;
  const { flags } = o;
  const errorStyle: ErrorStyle = o.profile === 'kubelet' ? 'kubelet' : 'apiserver';
  const auth = await startDelegatedAuth({
    flags,
    profile: o.profile ?? 'apiserver',
    logger: log,
    ...(o.clock === undefined ? {} : { clock: o.clock }),
    ...(o.authenticationConnection === undefined ? {} : { authenticationConnection: o.authenticationConnection }),
    ...(o.authorizationConnection === undefined ? {} : { authorizationConnection: o.authorizationConnection }),
  });
  let certificate: ServingCertificate;
  try {
    certificate = await loadServingCertificate({
      certFile: flags.tlsCertFile,
      keyFile: flags.tlsPrivateKeyFile,
      certDir: flags.certDir,
      alternateNames: [flags.bindAddress, ...(o.alternateNames ?? [])],
      logger: log,
    });
  } catch (e) {
    await auth.close();
    throw e;
  }
  let server: SecureServer;
  try {
    server = await startSecureServer({
      bindAddress: flags.bindAddress,
      port: flags.securePort,
      servingCertificate: certificate,
      authenticator: auth.authenticator,
      authorizer: auth.authorizer,
      clientCAs: auth.clientCAs,
      errorStyle,
      maxRequestsInflight: flags.maxRequestsInflight,
      requestTimeoutMs: flags.requestTimeoutMs,
      tlsMinVersion: flags.tlsMinVersion,
      ciphers: flags.tlsCipherSuites,
      logger: log,
      ...(o.attributes === undefined ? {} : { attributes: o.attributes }),
      ...(o.isLongRunning === undefined ? {} : { isLongRunning: o.isLongRunning }),
    }, o.handler);
  } catch (e) {
    certificate.close();
    await auth.close();
    throw e;
  }
  auth.onChange(() => server.refreshTls());
  log.info('serving securely', { url: server.url, certFile: certificate.files.certFile, generated: certificate.files.generated });
  return {
    server,
    auth,
    certificate,
    close: async () => {
      await server.close();
      certificate.close();
      await auth.close();
    },
  };
}
