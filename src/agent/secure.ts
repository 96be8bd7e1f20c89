/**
 * The kubelet's port 10250 for the agent: HTTPS (HTTP/2 and HTTP/1.1) through the shared secure
 * server, x509 client certificates (`--client-ca-file`) and bearer tokens (TokenReview)
 * authenticated, every request authorized by SubjectAccessReview as `nodes/stats`,
 * `nodes/metrics`, … of this node (the kubelet's request-attributes mapping), with the kubelet's
 * 401/403 bodies. Served from --tls-cert-file/--tls-private-key-file, else from a self-signed
 * pair in --cert-dir, as the kubelet does. `--authorization-mode AlwaysAllow` skips SubjectAccessReview (hosts without an
 * API server).
 */
import type { Logger } from '../lib/log.ts';
import { silentLogger } from '../lib/log.ts';
import type { ClusterConnection } from '../kube/kubeconfig.ts';
import { kubeletAttributes } from '../auth/attributes.ts';
import { startDelegatedAuth } from '../auth/delegation.ts';
import type { SecureFlags } from '../auth/flags.ts';
import { startSecureServer } from '../auth/secure-server.ts';
import { loadServingCertificate } from '../auth/serving-cert.ts';
import type { AgentHandler } from './http.ts';
import { ensureKubeletServingCertificate } from './serving-cert.ts';

/** The kubelet's `--authorization-mode` values the agent supports. */
export type AuthorizationMode = 'Webhook' | 'AlwaysAllow';

/** Options of startSecurePort. */
export interface SecurePortOptions {
  /** Secure serving and delegated auth flags (kubelet profile). */
  flags: SecureFlags;
  nodeName: string;
  authorizationMode: AuthorizationMode;
  /** Cluster for TokenReview and SubjectAccessReview; null = none (tokens are not accepted). */
  connection: ClusterConnection | null;
  handler: AgentHandler;
  /** Names for a self-signed certificate (node name, host name, node IPs), used without --tls-cert-file; default: the node name. */
  certificateNames?: readonly string[];
  logger?: Logger;
}

/** A running secure port. */
export interface SecurePort {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Start the authenticated HTTPS port. */
export async function startSecurePort(options: SecurePortOptions): Promise<SecurePort> {
  const log = options.logger ?? silentLogger;
  const { flags } = options;
  // Without --tls-cert-file/--tls-private-key-file, the kubelet's self-signed pair in --cert-dir.
  const files = flags.tlsCertFile === '' && flags.tlsPrivateKeyFile === ''
    ? await ensureKubeletServingCertificate({ certDir: flags.certDir, names: options.certificateNames ?? [options.nodeName], logger: log })
    : { certFile: flags.tlsCertFile, keyFile: flags.tlsPrivateKeyFile };
  const cert = await loadServingCertificate({ certFile: files.certFile, keyFile: files.keyFile, certDir: flags.certDir, logger: log });
  const auth = await startDelegatedAuth({
    flags,
    profile: 'kubelet',
    authenticationConnection: options.connection,
    authorizationConnection: options.connection,
    logger: log,
  });
  const authorizer = options.authorizationMode === 'AlwaysAllow' ? { authorize: () => Promise.resolve({ decision: 'allow' as const, reason: '' }) } : auth.authorizer;
  const server = await startSecureServer(
    {
      bindAddress: flags.bindAddress,
      port: flags.securePort,
      servingCertificate: cert,
      authenticator: auth.authenticator,
      authorizer,
      clientCAs: () => auth.clientCAs(),
      attributes: (method, url) => kubeletAttributes(method, url, { nodeName: options.nodeName }),
      errorStyle: 'kubelet',
      maxRequestsInflight: flags.maxRequestsInflight,
      requestTimeoutMs: flags.requestTimeoutMs,
      tlsMinVersion: flags.tlsMinVersion,
      ciphers: flags.tlsCipherSuites,
      logger: log,
    },
    (req, res) => options.handler(req, res),
  );
  auth.onChange(() => server.refreshTls());
  cert.onChange(() => server.refreshTls());
  return {
    url: server.url,
    port: server.port,
    close: async () => {
      await server.close();
      await auth.close();
      cert.close();
    },
  };
}
