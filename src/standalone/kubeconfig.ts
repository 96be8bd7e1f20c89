/**
 * The kubeconfig `kubemeter up` writes (default `~/.kube/kubemeter.config`): one cluster, one
 * user (the admin client certificate) and one context, all named `kubemeter`, with the CA and
 * client credentials embedded so the file works on its own. An existing file is replaced only
 * when kubemeter wrote it (first line marker), never someone's own kubeconfig.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { stringify } from 'yaml';
import { ErrorCode, KubemeterError, errorMessage } from '../lib/errors.ts';

/** First line of every kubeconfig written by `kubemeter up`. */
export const KUBECONFIG_MARKER = '# Written by kubemeter up; rewritten on every start.';
/** Context, cluster and user name. */
export const CONTEXT_NAME = 'kubemeter';

/** What goes into the kubeconfig. */
export interface KubeconfigContent {
  /** `https://127.0.0.1:4443` */
  server: string;
  caPem: string;
  clientCertPem: string;
  clientKeyPem: string;
  /** Default namespace of the context (omitted when undefined). */
  namespace?: string;
}

/** Render the kubeconfig text (pure). */
export function renderKubeconfig(c: KubeconfigContent): string {
  const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: CONTEXT_NAME, cluster: { server: c.server, 'certificate-authority-data': b64(c.caPem) } }],
    users: [{ name: CONTEXT_NAME, user: { 'client-certificate-data': b64(c.clientCertPem), 'client-key-data': b64(c.clientKeyPem) } }],
    contexts: [{ name: CONTEXT_NAME, context: { cluster: CONTEXT_NAME, user: CONTEXT_NAME, ...(c.namespace === undefined ? {} : { namespace: c.namespace }) } }],
    'current-context': CONTEXT_NAME,
    preferences: {},
  };
  return `${KUBECONFIG_MARKER}\n${stringify(doc, { lineWidth: 0 })}`;
}

/** Write the kubeconfig (mode 0600, parent 0700 when created). Refuses to replace a file kubemeter did not write. */
export function writeKubeconfig(path: string, text: string): void {
  if (existsSync(path)) {
    let head = '';
    try {
      head = readFileSync(path, 'utf8').split('\n', 1)[0] ?? '';
    } catch (e) {
      throw new KubemeterError(ErrorCode.InvalidFile, `cannot read ${path}: ${errorMessage(e)}`, { source: path, cause: e });
    }
    if (head !== KUBECONFIG_MARKER) {
      throw new KubemeterError(ErrorCode.InvalidFlag, `${path} exists and was not written by kubemeter up; not replacing it (choose another --kubeconfig-out)`, { source: '--kubeconfig-out' });
    }
  }
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(`${path}.tmp`, text, { mode: 0o600 });
    chmodSync(`${path}.tmp`, 0o600);
    renameSync(`${path}.tmp`, path);
  } catch (e) {
    throw new KubemeterError(ErrorCode.InvalidFile, `cannot write the kubeconfig ${path}: ${errorMessage(e)}`, { source: path, cause: e });
  }
}
