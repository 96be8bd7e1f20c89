/**
 * Pure parsing and merging of kubeconfig files, following client-go's clientcmd rules: entries are
 * keyed by name (a duplicate name inside one file is an error), relative file references are
 * resolved against the directory of the file that holds them, and when several files are merged
 * (KUBECONFIG=a:b) the first file to define a cluster/user/context name or `current-context` wins,
 * whole entries are never merged field by field.
 */
import { dirname, isAbsolute, resolve, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ErrorCode, KubemeterError, errorMessage, quoteInput } from '../lib/errors.ts';
import type { ExecConfig } from './exec-plugin.ts';

/** A `clusters[].cluster` entry. */
export interface KubeconfigCluster {
  server: string;
  /** Path of a PEM CA bundle (absolute after parsing). */
  certificateAuthority?: string;
  /** Decoded `certificate-authority-data`. */
  certificateAuthorityData?: Buffer;
  insecureSkipTlsVerify: boolean;
  tlsServerName?: string;
  proxyUrl?: string;
  disableCompression: boolean;
  /** `extensions[name=client.authentication.k8s.io/exec].extension`, passed to exec plugins. */
  execExtension?: unknown;
  /** File this entry came from. */
  origin: string;
}

/** A `users[].user` entry (client-go's AuthInfo). */
export interface KubeconfigUser {
  clientCertificate?: string;
  clientCertificateData?: Buffer;
  clientKey?: string;
  clientKeyData?: Buffer;
  token?: string;
  tokenFile?: string;
  username?: string;
  password?: string;
  impersonate?: string;
  impersonateUid?: string;
  impersonateGroups: string[];
  impersonateExtra: Record<string, string[]>;
  exec?: ExecConfig;
  authProvider?: { name: string; config: Record<string, string> };
  origin: string;
}

/** A `contexts[].context` entry. */
export interface KubeconfigContext {
  cluster: string;
  user: string;
  namespace?: string;
  origin: string;
}

/** One parsed (or merged) kubeconfig. */
export interface Kubeconfig {
  clusters: Map<string, KubeconfigCluster>;
  users: Map<string, KubeconfigUser>;
  contexts: Map<string, KubeconfigContext>;
  currentContext: string;
}

/** An empty kubeconfig. */
export function emptyKubeconfig(): Kubeconfig {
  return { clusters: new Map(), users: new Map(), contexts: new Map(), currentContext: '' };
}

type Obj = Record<string, unknown>;

class FieldReader {
  private readonly obj: Obj;
  private readonly where: string;
  private readonly source: string;

  constructor(obj: Obj, where: string, source: string) {
    this.obj = obj;
    this.where = where;
    this.source = source;
  }

  fail(field: string, want: string): never {
    throw new KubemeterError(ErrorCode.InvalidKubeconfig, `kubeconfig ${this.source}: ${this.where}.${field} must be ${want}`, { source: this.source });
  }

  str(field: string): string | undefined {
    const v = this.obj[field];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') this.fail(field, 'a string');
    return v;
  }

  bool(field: string): boolean {
    const v = this.obj[field];
    if (v === undefined || v === null) return false;
    if (typeof v !== 'boolean') this.fail(field, 'a boolean');
    return v;
  }

  strList(field: string): string[] {
    const v = this.obj[field];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) this.fail(field, 'a list of strings');
    return v as string[];
  }

  base64(field: string): Buffer | undefined {
    const v = this.str(field);
    if (v === undefined || v === '') return undefined;
    const compact = v.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1) this.fail(field, 'base64 data');
    return Buffer.from(compact, 'base64');
  }

  path(field: string, baseDir: string): string | undefined {
    const v = this.str(field);
    if (v === undefined || v === '') return undefined;
    return isAbsolute(v) ? v : resolve(baseDir, v);
  }

  obj_(field: string): Obj | undefined {
    const v = this.obj[field];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) this.fail(field, 'a mapping');
    return v as Obj;
  }
}

function namedEntries(doc: Obj, listField: string, itemField: string, source: string): [string, FieldReader, Obj][] {
  const list = doc[listField];
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new KubemeterError(ErrorCode.InvalidKubeconfig, `kubeconfig ${source}: ${listField} must be a list`, { source });
  const seen = new Set<string>();
  const out: [string, FieldReader, Obj][] = [];
  list.forEach((item: unknown, i) => {
    if (typeof item !== 'object' || item === null) throw new KubemeterError(ErrorCode.InvalidKubeconfig, `kubeconfig ${source}: ${listField}[${i}] must be a mapping`, { source });
    const name = (item as Obj)['name'];
    if (typeof name !== 'string' || name === '') throw new KubemeterError(ErrorCode.InvalidKubeconfig, `kubeconfig ${source}: ${listField}[${i}].name must be a non-empty string`, { source });
    if (seen.has(name)) throw new KubemeterError(ErrorCode.InvalidKubeconfig, `kubeconfig ${source}: duplicate name ${quoteInput(name)} in ${listField}`, { source });
    seen.add(name);
    const body = new FieldReader(item as Obj, `${listField}[${i}]`, source).obj_(itemField) ?? {};
    out.push([name, new FieldReader(body, `${listField}[${i}].${itemField}`, source), body]);
  });
  return out;
}

function parseExec(r: FieldReader, e: Obj, baseDir: string): ExecConfig {
  let command = r.str('command') ?? '';
  // client-go resolves a relative command only when it names a path, not a PATH lookup.
  if (command !== '' && !isAbsolute(command) && command.includes(sep)) command = resolve(baseDir, command);
  const envRaw = e['env'];
  const env: { name: string; value: string }[] = [];
  if (envRaw !== undefined && envRaw !== null) {
    if (!Array.isArray(envRaw)) r.fail('env', 'a list of {name, value}');
    for (const item of envRaw as unknown[]) {
      const it = item as Obj | null;
      if (typeof it !== 'object' || it === null || typeof it['name'] !== 'string' || typeof (it['value'] ?? '') !== 'string') r.fail('env', 'a list of {name, value}');
      env.push({ name: it['name'] as string, value: (it['value'] as string | undefined) ?? '' });
    }
  }
  return {
    apiVersion: r.str('apiVersion') ?? '',
    command,
    args: r.strList('args'),
    env,
    installHint: r.str('installHint') ?? '',
    provideClusterInfo: r.bool('provideClusterInfo'),
    interactiveMode: r.str('interactiveMode') ?? '',
  };
}

/** Parse one kubeconfig file's text. `path` names it in errors and anchors relative paths. */
export function parseKubeconfig(text: string, path: string): Kubeconfig {
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 100 });
  } catch (e) {
    throw new KubemeterError(ErrorCode.InvalidKubeconfig, `kubeconfig ${path}: ${errorMessage(e)}`, { source: path, cause: e });
  }
  const out = emptyKubeconfig();
  if (doc === null || doc === undefined) return out; // an empty file is a valid, empty config
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new KubemeterError(ErrorCode.InvalidKubeconfig, `kubeconfig ${path}: not a mapping`, { source: path });
  const d = doc as Obj;
  const baseDir = dirname(path);
  const top = new FieldReader(d, 'config', path);
  out.currentContext = top.str('current-context') ?? '';

  for (const [name, r, body] of namedEntries(d, 'clusters', 'cluster', path)) {
    const c: KubeconfigCluster = {
      server: r.str('server') ?? '',
      insecureSkipTlsVerify: r.bool('insecure-skip-tls-verify'),
      disableCompression: r.bool('disable-compression'),
      origin: path,
    };
    const ca = r.path('certificate-authority', baseDir);
    if (ca !== undefined) c.certificateAuthority = ca;
    const caData = r.base64('certificate-authority-data');
    if (caData !== undefined) c.certificateAuthorityData = caData;
    const sni = r.str('tls-server-name');
    if (sni !== undefined && sni !== '') c.tlsServerName = sni;
    const proxy = r.str('proxy-url');
    if (proxy !== undefined && proxy !== '') c.proxyUrl = proxy;
    const exts = body['extensions'];
    if (Array.isArray(exts)) {
      for (const ext of exts as unknown[]) {
        if (typeof ext === 'object' && ext !== null && (ext as Obj)['name'] === 'client.authentication.k8s.io/exec') c.execExtension = (ext as Obj)['extension'];
      }
    }
    out.clusters.set(name, c);
  }

  for (const [name, r] of namedEntries(d, 'users', 'user', path)) {
    const u: KubeconfigUser = { impersonateGroups: r.strList('as-groups'), impersonateExtra: {}, origin: path };
    const set = <K extends keyof KubeconfigUser>(k: K, v: KubeconfigUser[K] | undefined): void => {
      if (v !== undefined && v !== '') u[k] = v;
    };
    set('clientCertificate', r.path('client-certificate', baseDir));
    set('clientCertificateData', r.base64('client-certificate-data'));
    set('clientKey', r.path('client-key', baseDir));
    set('clientKeyData', r.base64('client-key-data'));
    set('token', r.str('token'));
    set('tokenFile', r.path('tokenFile', baseDir));
    set('username', r.str('username'));
    set('password', r.str('password'));
    set('impersonate', r.str('as'));
    set('impersonateUid', r.str('as-uid'));
    const extra = r.obj_('as-user-extra');
    if (extra !== undefined) {
      const er = new FieldReader(extra, 'as-user-extra', path);
      for (const k of Object.keys(extra)) u.impersonateExtra[k] = er.strList(k);
    }
    const exec = r.obj_('exec');
    if (exec !== undefined) u.exec = parseExec(new FieldReader(exec, `users.${name}.exec`, path), exec, baseDir);
    const ap = r.obj_('auth-provider');
    if (ap !== undefined) {
      const apr = new FieldReader(ap, `users.${name}.auth-provider`, path);
      const cfg = apr.obj_('config') ?? {};
      const config: Record<string, string> = {};
      for (const [k, v] of Object.entries(cfg)) if (typeof v === 'string') config[k] = v;
      u.authProvider = { name: apr.str('name') ?? '', config };
    }
    out.users.set(name, u);
  }

  for (const [name, r] of namedEntries(d, 'contexts', 'context', path)) {
    const c: KubeconfigContext = { cluster: r.str('cluster') ?? '', user: r.str('user') ?? '', origin: path };
    const ns = r.str('namespace');
    if (ns !== undefined && ns !== '') c.namespace = ns;
    out.contexts.set(name, c);
  }
  return out;
}

/** Merge files in KUBECONFIG order: the first file to define a name or current-context wins. */
export function mergeKubeconfigs(files: readonly Kubeconfig[]): Kubeconfig {
  const out = emptyKubeconfig();
  for (const f of files) {
    if (out.currentContext === '') out.currentContext = f.currentContext;
    for (const [k, v] of f.clusters) if (!out.clusters.has(k)) out.clusters.set(k, v);
    for (const [k, v] of f.users) if (!out.users.has(k)) out.users.set(k, v);
    for (const [k, v] of f.contexts) if (!out.contexts.has(k)) out.contexts.set(k, v);
  }
  return out;
}
