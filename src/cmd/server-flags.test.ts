import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flagHelp } from '../lib/flags.ts';
import { SECURE_FLAG_HELP } from '../auth/flags.ts';
import { parseServerFlags, serverFlags, type ServerFlags } from './server-flags.ts';

const parse = (args: string[]): ServerFlags => {
  const f = parseServerFlags(args);
  assert.notEqual(f, 'help');
  return f as ServerFlags;
};

test('metrics-server\'s manifest args parse; secure defaults are the generic apiserver\'s', () => {
  const f = parse(['--cert-dir=/tmp', '--secure-port=10250', '--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname', '--kubelet-use-node-status-port', '--metric-resolution=15s']);
  assert.deepEqual([f.secure.certDir, f.secure.securePort, f.secure.bindAddress], ['/tmp', 10250, '0.0.0.0']);
  assert.deepEqual(f.secure.authorizationAlwaysAllowPaths, ['/healthz', '/readyz', '/livez']);
  assert.deepEqual([f.secure.maxRequestsInflight, f.secure.requestTimeoutMs, f.secure.authenticationTokenWebhookCacheTtlMs], [400, 60_000, 10_000]);
  assert.deepEqual([f.secure.authorizationWebhookCacheAuthorizedTtlMs, f.secure.authorizationWebhookCacheUnauthorizedTtlMs], [10_000, 10_000]);
  assert.deepEqual([f.secure.anonymousAuth, f.secure.authenticationSkipLookup, f.insecureTls], [true, false, false]);
  assert.equal(f.secure.tlsMinVersion, 'TLSv1.2');
});

test('every secure flag is accepted and shown in --help with its default', () => {
  const help = flagHelp(serverFlags);
  for (const [name] of SECURE_FLAG_HELP) assert.match(help, new RegExp(`--${name}=`), name);
  assert.match(help, /--authorization-always-allow-paths=\[\/healthz,\/readyz,\/livez\]:/);
  assert.match(help, /--authentication-token-webhook-cache-ttl=10s:/);
  assert.match(help, /--request-timeout=1m0s:/);
  const f = parse([
    '--client-ca-file', '/ca.crt', '--requestheader-client-ca-file=/fp.crt', '--requestheader-allowed-names=front-proxy-client',
    '--requestheader-allowed-names', 'aggregator', '--requestheader-username-headers=X-Remote-User', '--requestheader-group-headers=X-Remote-Group',
    '--requestheader-extra-headers-prefix=X-Remote-Extra-', '--authentication-kubeconfig=/a', '--authorization-kubeconfig=/z',
    '--authentication-token-webhook-cache-ttl=30s', '--authorization-webhook-cache-authorized-ttl=1m', '--authorization-webhook-cache-unauthorized-ttl=5s',
    '--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics', '--authentication-skip-lookup', '--authentication-tolerate-lookup-failure=true',
    '--max-requests-inflight=10', '--request-timeout=30s', '--tls-min-version=VersionTLS13', '--tls-cipher-suites=TLS_AES_128_GCM_SHA256',
    '--tls-cert-file=/s.crt', '--tls-private-key-file=/s.key', '--bind-address=127.0.0.1', '--anonymous-auth=false',
    '--max-mutating-requests-inflight=50', '--enable-priority-and-fairness=false', '--profiling=false', '--log-flush-frequency=1s', '--shutdown-delay-duration=5s', '-v=2',
  ]);
  // A list flag given twice appends, as pflag's StringSlice does.
  assert.deepEqual(f.secure.requestheaderAllowedNames, ['front-proxy-client', 'aggregator']);
  assert.deepEqual(f.secure.authorizationAlwaysAllowPaths, ['/healthz', '/readyz', '/livez', '/metrics']);
  assert.deepEqual([f.secure.clientCaFile, f.secure.requestheaderClientCaFile, f.secure.authenticationKubeconfig, f.secure.authorizationKubeconfig], ['/ca.crt', '/fp.crt', '/a', '/z']);
  assert.deepEqual([f.secure.authenticationTokenWebhookCacheTtlMs, f.secure.authorizationWebhookCacheAuthorizedTtlMs, f.secure.authorizationWebhookCacheUnauthorizedTtlMs], [30_000, 60_000, 5_000]);
  assert.deepEqual([f.secure.maxRequestsInflight, f.secure.requestTimeoutMs, f.secure.tlsMinVersion, f.secure.tlsCipherSuites], [10, 30_000, 'TLSv1.3', ['TLS_AES_128_GCM_SHA256']]);
  assert.deepEqual([f.secure.authenticationSkipLookup, f.secure.authenticationTolerateLookupFailure, f.secure.anonymousAuth, f.shutdownDelayMs, f.verbosity], [true, true, false, 5_000, 2]);
  // A value that looks like a flag belongs to the flag before it.
  assert.deepEqual(parse(['--cert-dir', '--requestheader-allowed-names=x']).secure.requestheaderAllowedNames, []);
});

test('bad secure values are refused with the flag named', () => {
  assert.throws(() => parseServerFlags(['--tls-min-version=VersionTLS11']), /--tls-min-version.*below 1\.2/);
  assert.throws(() => parseServerFlags(['--max-requests-inflight=many']), /max-requests-inflight/);
  assert.throws(() => parseServerFlags(['--authentication-token-webhook-cache-ttl=10']), /authentication-token-webhook-cache-ttl/);
  assert.throws(() => parseServerFlags(['--authorization-always-allow-paths=/a*b']), /only trailing \* allowed/);
  assert.throws(() => parseServerFlags(['--tls-cert-file=/a.crt']), /must be given together/);
  assert.throws(() => parseServerFlags(['--tls-cipher-suites=TLS_RSA_WITH_RC4_128_SHA']), /not supported/);
  assert.throws(() => parseServerFlags(['--no-such-flag']), /unknown flag: --no-such-flag/);
});

test('--kubelet-max-idle-connections: default 10000, 0 keeps none, negative refused', () => {
  assert.equal(parse([]).maxIdleConnections, 10_000);
  assert.equal(parse(['--kubelet-max-idle-connections=0']).maxIdleConnections, 0);
  assert.equal(parse(['--kubelet-max-idle-connections', '12000']).maxIdleConnections, 12_000);
  assert.throws(() => parse(['--kubelet-max-idle-connections=-1']));
  assert.match(flagHelp(serverFlags), /--kubelet-max-idle-connections=10000:/);
});
