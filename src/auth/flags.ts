/**
 * The generic apiserver's secure-serving, delegated authentication and authorization flags, with
 * upstream names and defaults, for the server and agent commands to include. `applySecureFlag`
 * takes one `--name[=value]` and returns false for names it does not own, so it composes with any
 * argv loop. Profiles: `apiserver` (metrics-server defaults) and `kubelet` (the kubelet's
 * authentication/authorization defaults: token cache 2 m, SAR cache 5 m / 30 s, no anonymous).
 */
import { ErrorCode, KubemeterError, quoteInput } from '../lib/errors.ts';
import { parseGoDuration } from '../lib/go-format.ts';

/** Secure serving, authentication and authorization settings. Durations in milliseconds. */
export interface SecureFlags {
  bindAddress: string;
  securePort: number;
  certDir: string;
  tlsCertFile: string;
  tlsPrivateKeyFile: string;
  /** `TLSv1.2` or `TLSv1.3` (from VersionTLS12 / VersionTLS13). */
  tlsMinVersion: 'TLSv1.2' | 'TLSv1.3';
  /** OpenSSL names of the chosen cipher suites; empty = defaults. */
  tlsCipherSuites: string[];
  maxRequestsInflight: number;
  requestTimeoutMs: number;
  clientCaFile: string;
  requestheaderClientCaFile: string;
  requestheaderAllowedNames: string[];
  requestheaderUsernameHeaders: string[];
  requestheaderUidHeaders: string[];
  requestheaderGroupHeaders: string[];
  requestheaderExtraHeadersPrefix: string[];
  authenticationKubeconfig: string;
  authenticationTokenWebhookCacheTtlMs: number;
  authenticationSkipLookup: boolean;
  authenticationTolerateLookupFailure: boolean;
  /** Anonymous requests allowed (apiserver: true; kubelet: false). `--anonymous-auth`. */
  anonymousAuth: boolean;
  authorizationKubeconfig: string;
  authorizationWebhookCacheAuthorizedTtlMs: number;
  authorizationWebhookCacheUnauthorizedTtlMs: number;
  authorizationAlwaysAllowPaths: string[];
}

/** Defaults of a profile. */
export function defaultSecureFlags(profile: 'apiserver' | 'kubelet' = 'apiserver'): SecureFlags {
  const kubelet = profile === 'kubelet';
  return {
    bindAddress: '0.0.0.0',
    securePort: kubelet ? 10250 : 443,
    certDir: kubelet ? '/var/lib/kubemeter/pki' : 'apiserver.local.config/certificates',
    tlsCertFile: '',
    tlsPrivateKeyFile: '',
    tlsMinVersion: 'TLSv1.2',
    tlsCipherSuites: [],
    maxRequestsInflight: 400,
    requestTimeoutMs: 60_000,
    clientCaFile: '',
    requestheaderClientCaFile: '',
    requestheaderAllowedNames: [],
    requestheaderUsernameHeaders: ['x-remote-user'],
    requestheaderUidHeaders: [],
    requestheaderGroupHeaders: ['x-remote-group'],
    requestheaderExtraHeadersPrefix: ['x-remote-extra-'],
    authenticationKubeconfig: '',
    authenticationTokenWebhookCacheTtlMs: kubelet ? 120_000 : 10_000,
    authenticationSkipLookup: kubelet,
    authenticationTolerateLookupFailure: false,
    anonymousAuth: !kubelet,
    authorizationKubeconfig: '',
    authorizationWebhookCacheAuthorizedTtlMs: kubelet ? 300_000 : 10_000,
    authorizationWebhookCacheUnauthorizedTtlMs: kubelet ? 30_000 : 10_000,
    authorizationAlwaysAllowPaths: kubelet ? [] : ['/healthz', '/readyz', '/livez'],
  };
}

/** Go crypto/tls suite names accepted by --tls-cipher-suites → OpenSSL names. */
export const CIPHER_SUITES: Readonly<Record<string, string>> = {
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
  TLS_AES_128_GCM_SHA256: 'TLS_AES_128_GCM_SHA256',
  TLS_AES_256_GCM_SHA384: 'TLS_AES_256_GCM_SHA384',
  TLS_CHACHA20_POLY1305_SHA256: 'TLS_CHACHA20_POLY1305_SHA256',
};

/** Flag name, value placeholder and help line, for `--help`. */
export const SECURE_FLAG_HELP: readonly (readonly [string, string, string])[] = [
  ['bind-address', 'ip', 'The IP address on which to listen for the --secure-port port.'],
  ['secure-port', 'int', 'The port on which to serve HTTPS with authentication and authorization.'],
  ['cert-dir', 'string', 'The directory where the TLS certs are located. If --tls-cert-file and --tls-private-key-file are provided, this flag will be ignored.'],
  ['tls-cert-file', 'string', 'File containing the default x509 Certificate for HTTPS (CA cert, if any, concatenated after server cert).'],
  ['tls-private-key-file', 'string', 'File containing the default x509 private key matching --tls-cert-file.'],
  ['tls-min-version', 'string', 'Minimum TLS version supported. Possible values: VersionTLS12, VersionTLS13'],
  ['tls-cipher-suites', 'strings', 'Comma-separated list of cipher suites for the server (Go names). If omitted, the default cipher suites will be used.'],
  ['max-requests-inflight', 'int', 'The maximum number of non-mutating requests in flight at a given time. When the server exceeds this, it rejects requests. Zero for no limit.'],
  ['request-timeout', 'duration', 'An optional field indicating the duration a handler must keep a request open before timing it out.'],
  ['client-ca-file', 'string', 'If set, any request presenting a client certificate signed by one of the authorities in the client-ca-file is authenticated with an identity corresponding to the CommonName of the client certificate.'],
  ['requestheader-client-ca-file', 'string', 'Root certificate bundle to use to verify client certificates on incoming requests before trusting usernames in headers specified by --requestheader-username-headers.'],
  ['requestheader-allowed-names', 'strings', 'List of client certificate common names to allow to provide usernames in headers specified by --requestheader-username-headers. If empty, any client certificate validated by the authorities in --requestheader-client-ca-file is allowed.'],
  ['requestheader-username-headers', 'strings', 'List of request headers to inspect for usernames. X-Remote-User is common.'],
  ['requestheader-uid-headers', 'strings', 'List of request headers to inspect for UIDs. X-Remote-Uid is suggested.'],
  ['requestheader-group-headers', 'strings', 'List of request headers to inspect for groups. X-Remote-Group is suggested.'],
  ['requestheader-extra-headers-prefix', 'strings', 'List of request header prefixes to inspect. X-Remote-Extra- is suggested.'],
  ['authentication-kubeconfig', 'string', 'kubeconfig file pointing at the \'core\' kubernetes server with enough rights to create tokenreviews.authentication.k8s.io.'],
  ['authentication-token-webhook-cache-ttl', 'duration', 'The duration to cache responses from the webhook token authenticator.'],
  ['authentication-skip-lookup', '', 'If false, the authentication-kubeconfig will be used to lookup missing authentication configuration from the cluster.'],
  ['authentication-tolerate-lookup-failure', '', 'If true, failures to look up missing authentication configuration from the cluster are not considered fatal.'],
  ['anonymous-auth', '', 'Enables anonymous requests to the secure port. Anonymous requests have a username of system:anonymous, and a group name of system:unauthenticated.'],
  ['authorization-kubeconfig', 'string', 'kubeconfig file pointing at the \'core\' kubernetes server with enough rights to create subjectaccessreviews.authorization.k8s.io.'],
  ['authorization-webhook-cache-authorized-ttl', 'duration', 'The duration to cache \'authorized\' responses from the webhook authorizer.'],
  ['authorization-webhook-cache-unauthorized-ttl', 'duration', 'The duration to cache \'unauthorized\' responses from the webhook authorizer.'],
  ['authorization-always-allow-paths', 'strings', 'A list of HTTP paths to skip during authorization, i.e. these are authorized without contacting the \'core\' kubernetes server.'],
];

const bad = (name: string, value: string, why: string): KubemeterError =>
  new KubemeterError(ErrorCode.InvalidFlag, `invalid argument ${quoteInput(value)} for "--${name}" flag: ${why}`, { source: `--${name}` });

function durationMs(name: string, value: string): number {
  let ns: bigint;
  try {
    ns = parseGoDuration(value);
  } catch (e) {
    throw bad(name, value, e instanceof Error ? e.message : String(e));
  }
  if (ns < 0n) throw bad(name, value, 'must not be negative');
  return Number(ns / 1_000_000n);
}

function intValue(name: string, value: string, min: number, max: number): number {
  if (!/^-?\d+$/.test(value)) throw bad(name, value, 'strconv.ParseInt: parsing ' + JSON.stringify(value) + ': invalid syntax');
  const n = Number(value);
  if (n < min || n > max) throw bad(name, value, `must be between ${min} and ${max}`);
  return n;
}

function boolValue(name: string, value: string | undefined): boolean {
  if (value === undefined) return true;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  throw bad(name, value, `strconv.ParseBool: parsing ${JSON.stringify(value)}: invalid syntax`);
}

/** pflag StringSlice: comma-separated; the first use replaces the default, later uses append. */
function listValue(flags: SecureFlags, key: keyof SecureFlags, value: string, changed: Set<string>): void {
  const items = value === '' ? [] : value.split(',').map((s) => s.trim());
  const prev = changed.has(key) ? (flags[key] as string[]) : [];
  (flags as unknown as Record<string, unknown>)[key] = [...prev, ...items];
  changed.add(key);
}

/**
 * Apply one flag (`name` without dashes; `value` undefined for a bare boolean). Returns false when
 * the flag is not one of these. Throws KubemeterError(InvalidFlag) on a bad value. `changed`
 * tracks list flags given more than once.
 */
export function applySecureFlag(flags: SecureFlags, name: string, value: string | undefined, changed: Set<string> = new Set()): boolean {
  const need = (): string => {
    if (value === undefined) throw new KubemeterError(ErrorCode.InvalidFlag, `flag needs an argument: --${name}`, { source: `--${name}` });
    return value;
  };
  switch (name) {
    case 'bind-address': flags.bindAddress = need(); return true;
    case 'secure-port': flags.securePort = intValue(name, need(), 0, 65535); return true;
    case 'cert-dir': flags.certDir = need(); return true;
    case 'tls-cert-file': flags.tlsCertFile = need(); return true;
    case 'tls-private-key-file': flags.tlsPrivateKeyFile = need(); return true;
    case 'tls-min-version': {
      const v = need();
      if (v === 'VersionTLS12' || v === '') flags.tlsMinVersion = 'TLSv1.2';
      else if (v === 'VersionTLS13') flags.tlsMinVersion = 'TLSv1.3';
      else if (v === 'VersionTLS10' || v === 'VersionTLS11') throw bad(name, v, 'TLS versions below 1.2 are not supported');
      else throw bad(name, v, 'unknown tls version; possible values: VersionTLS12, VersionTLS13');
      return true;
    }
    case 'tls-cipher-suites': {
      const names = need().split(',').map((s) => s.trim()).filter((s) => s !== '');
      flags.tlsCipherSuites = names.map((n) => {
        const ossl = CIPHER_SUITES[n];
        if (ossl === undefined) throw bad(name, n, `Cipher suite ${n} not supported or doesn't exist`);
        return ossl;
      });
      return true;
    }
    case 'max-requests-inflight': flags.maxRequestsInflight = intValue(name, need(), 0, 1_000_000); return true;
    case 'request-timeout': flags.requestTimeoutMs = durationMs(name, need()); return true;
    case 'client-ca-file': flags.clientCaFile = need(); return true;
    case 'requestheader-client-ca-file': flags.requestheaderClientCaFile = need(); return true;
    case 'requestheader-allowed-names': listValue(flags, 'requestheaderAllowedNames', need(), changed); return true;
    case 'requestheader-username-headers': listValue(flags, 'requestheaderUsernameHeaders', need(), changed); return true;
    case 'requestheader-uid-headers': listValue(flags, 'requestheaderUidHeaders', need(), changed); return true;
    case 'requestheader-group-headers': listValue(flags, 'requestheaderGroupHeaders', need(), changed); return true;
    case 'requestheader-extra-headers-prefix': listValue(flags, 'requestheaderExtraHeadersPrefix', need(), changed); return true;
    case 'authentication-kubeconfig': flags.authenticationKubeconfig = need(); return true;
    case 'authentication-token-webhook-cache-ttl': flags.authenticationTokenWebhookCacheTtlMs = durationMs(name, need()); return true;
    case 'authentication-skip-lookup': flags.authenticationSkipLookup = boolValue(name, value); return true;
    case 'authentication-tolerate-lookup-failure': flags.authenticationTolerateLookupFailure = boolValue(name, value); return true;
    case 'anonymous-auth': flags.anonymousAuth = boolValue(name, value); return true;
    case 'authorization-kubeconfig': flags.authorizationKubeconfig = need(); return true;
    case 'authorization-webhook-cache-authorized-ttl': flags.authorizationWebhookCacheAuthorizedTtlMs = durationMs(name, need()); return true;
    case 'authorization-webhook-cache-unauthorized-ttl': flags.authorizationWebhookCacheUnauthorizedTtlMs = durationMs(name, need()); return true;
    case 'authorization-always-allow-paths': listValue(flags, 'authorizationAlwaysAllowPaths', need(), changed); return true;
    default: return false;
  }
}

/** Parse an argv containing only these flags (`--name=value`, `--name value`, bare booleans). */
export function parseSecureFlags(args: readonly string[], profile: 'apiserver' | 'kubelet' = 'apiserver'): SecureFlags {
  const flags = defaultSecureFlags(profile);
  const changed = new Set<string>();
  const booleans = new Set(['authentication-skip-lookup', 'authentication-tolerate-lookup-failure', 'anonymous-auth']);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const m = /^--?([a-z0-9-]+)(?:=([\s\S]*))?$/.exec(a);
    if (m === null) throw new KubemeterError(ErrorCode.InvalidFlag, `unexpected argument ${quoteInput(a)}`);
    const name = m[1]!;
    let value = m[2];
    if (value === undefined && !booleans.has(name)) value = args[++i];
    if (!applySecureFlag(flags, name, value, changed)) throw new KubemeterError(ErrorCode.InvalidFlag, `unknown flag: --${name}`, { source: `--${name}` });
  }
  return flags;
}
