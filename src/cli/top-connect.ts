/**
 * Builds the MetricsClient for `kubemeter top` from kubectl's connection flags: kubeconfig
 * discovery (`--kubeconfig`, KUBECONFIG, ~/.kube/config, in-cluster) with `--context` and
 * `--namespace`, then `--server`, `--token` and `--insecure-skip-tls-verify` overrides. With no
 * configuration at all, kubectl talks to http://localhost:8080; so do we.
 */
import { isKubemeterError, ErrorCode } from '../lib/errors.ts';
import { loadKubeConfig, type ClusterConnection } from '../kube/kubeconfig.ts';
import { staticCredentials } from '../kube/credentials.ts';
import { MetricsClient } from '../client/metrics-client.ts';
import type { GlobalOptions } from './top-options.ts';

/** Options of connect. */
export interface ConnectOptions {
  env: NodeJS.ProcessEnv;
  userAgent: string;
}

/** The client for these flags; throws KubemeterError(InvalidKubeconfig) with kubectl-like text. */
export async function connect(g: GlobalOptions, options: ConnectOptions): Promise<MetricsClient> {
  let conn: ClusterConnection;
  try {
    conn = await loadKubeConfig({
      env: options.env,
      ...(g.kubeconfig !== undefined ? { kubeconfig: g.kubeconfig } : {}),
      ...(g.context !== undefined && g.context !== '' ? { context: g.context } : {}),
      ...(g.namespace !== undefined && g.namespace !== '' ? { namespace: g.namespace } : {}),
    });
  } catch (e) {
    const noConfig = isKubemeterError(e, ErrorCode.InvalidKubeconfig) && e.message.includes('no configuration has been provided');
    if (!noConfig) throw e;
    conn = {
      server: 'http://localhost:8080',
      insecureSkipTlsVerify: false,
      disableCompression: false,
      credentials: staticCredentials({}, 'anonymous'),
      namespace: g.namespace !== undefined && g.namespace !== '' ? g.namespace : 'default',
      context: '',
      origin: 'default',
    };
  }
  if (g.server !== undefined && g.server !== '') conn.server = (/^https?:\/\//.test(g.server) ? g.server : `https://${g.server}`).replace(/\/+$/, '');
  if (g.token !== undefined && g.token !== '') conn.credentials = staticCredentials({ token: g.token }, 'bearer token');
  if (g.insecureSkipTlsVerify === true) {
    conn.insecureSkipTlsVerify = true;
    delete conn.ca;
  }
  return new MetricsClient(conn, { userAgent: options.userAgent, ...(g.requestTimeoutMs !== undefined ? { timeoutMs: g.requestTimeoutMs } : {}) });
}
