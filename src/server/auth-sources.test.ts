import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterConnection } from '../kube/kubeconfig.ts';
import type { Logger } from '../lib/log.ts';
import { defaultSecureFlags } from '../auth/flags.ts';
import { resolveAuthSources } from './auth-sources.ts';

function recorder(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const rec = (level: string) => (msg: string): void => void lines.push(`${level}: ${msg}`);
  const logger: Logger = { debug: rec('debug'), info: rec('info'), warn: rec('warn'), error: rec('error'), with: () => logger };
  return { logger, lines };
}

const conn = (name: string): ClusterConnection => ({ server: name } as unknown as ClusterConnection);
const load = { kubeconfig: (p: string): Promise<ClusterConnection> => Promise.resolve(conn(`file:${p}`)), inCluster: (): Promise<ClusterConnection> => Promise.resolve(conn('in-cluster')) };
const server = (c: ClusterConnection | null): string | undefined => (c as { server?: string } | null)?.server;
const inCluster = { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' };

test('upstream order: the auth kubeconfig flags, else in-cluster; --kubeconfig only where upstream would fail', async () => {
  const { logger } = recorder();
  const flags = { ...defaultSecureFlags('apiserver'), authorizationKubeconfig: '/authz' };
  const a = await resolveAuthSources({ flags, kubeconfig: '/kc', env: inCluster, load, logger });
  assert.deepEqual([server(a.authentication), server(a.authorization), a.flags.authenticationSkipLookup], ['in-cluster', 'file:/authz', false]);
  const b = await resolveAuthSources({ flags, kubeconfig: '/kc', env: {}, load, logger });
  assert.deepEqual([server(b.authentication), server(b.authorization)], ['file:/kc', 'file:/authz']);
  // The same source is loaded once and shared.
  const c = await resolveAuthSources({ flags: defaultSecureFlags('apiserver'), kubeconfig: '/kc', env: {}, load, logger });
  assert.equal(c.authentication, c.authorization);
});

test('no Kubernetes API at all: no lookup, closed by default, and said so', async () => {
  const { logger, lines } = recorder();
  const flags = defaultSecureFlags('apiserver');
  const s = await resolveAuthSources({ flags, kubeconfig: '', env: {}, load, logger });
  assert.deepEqual([s.authentication, s.authorization, s.flags.authenticationSkipLookup, flags.authenticationSkipLookup], [null, null, true, false]);
  assert.ok(lines.some((l) => l.startsWith('warn: no --client-ca-file, no --requestheader-client-ca-file and no Kubernetes API for TokenReview: every request except the always-allowed paths is refused')), lines.join('\n'));
  assert.ok(lines.some((l) => l.startsWith('warn: no Kubernetes API for SubjectAccessReview: only members of system:masters')));
  const { logger: l2, lines: lines2 } = recorder();
  await resolveAuthSources({ flags: { ...flags, clientCaFile: '/ca' }, kubeconfig: '', env: {}, load, logger: l2 });
  assert.ok(lines2.includes('warn: no Kubernetes API for TokenReview: bearer tokens are refused'));
});
