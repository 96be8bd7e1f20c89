/**
 * kube-system/extension-apiserver-authentication: the ConfigMap kube-apiserver writes with the
 * client CA and the front-proxy (request header) settings. Parsed purely here; kept current by a
 * watch in delegation.ts.
 */
import { ErrorCode, KubemeterError, errorMessage } from '../lib/errors.ts';

/** Namespace and name of the ConfigMap. */
export const EXTENSION_AUTH_CONFIGMAP = { namespace: 'kube-system', name: 'extension-apiserver-authentication' } as const;

/** What the ConfigMap says; absent keys stay undefined. */
export interface ExtensionAuthData {
  clientCaPem?: string;
  requestHeader?: {
    caPem: string;
    allowedNames: string[];
    usernameHeaders: string[];
    uidHeaders: string[];
    groupHeaders: string[];
    extraHeaderPrefixes: string[];
  };
}

function jsonList(data: Record<string, string>, key: string): string[] {
  const raw = data[key];
  if (raw === undefined || raw === '') return [];
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (e) {
    throw new KubemeterError(ErrorCode.InvalidDocument, `configmap ${EXTENSION_AUTH_CONFIGMAP.name}: ${key} is not a JSON list: ${errorMessage(e)}`);
  }
  if (v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
    throw new KubemeterError(ErrorCode.InvalidDocument, `configmap ${EXTENSION_AUTH_CONFIGMAP.name}: ${key} is not a JSON list of strings`);
  }
  return v as string[];
}

/** Parse the ConfigMap's `data`. */
export function parseExtensionAuthData(data: Record<string, string>): ExtensionAuthData {
  const out: ExtensionAuthData = {};
  const clientCa = data['client-ca-file'];
  if (clientCa !== undefined && clientCa.trim() !== '') out.clientCaPem = clientCa;
  const rhCa = data['requestheader-client-ca-file'];
  if (rhCa !== undefined && rhCa.trim() !== '') {
    out.requestHeader = {
      caPem: rhCa,
      allowedNames: jsonList(data, 'requestheader-allowed-names'),
      usernameHeaders: jsonList(data, 'requestheader-username-headers'),
      uidHeaders: jsonList(data, 'requestheader-uid-headers'),
      groupHeaders: jsonList(data, 'requestheader-group-headers'),
      extraHeaderPrefixes: jsonList(data, 'requestheader-extra-headers-prefix'),
    };
  }
  return out;
}

/** The `data` of a ConfigMap JSON object (non-string values dropped). */
export function configMapData(obj: unknown): Record<string, string> {
  const data = (obj as { data?: unknown } | null)?.data;
  const out: Record<string, string> = {};
  if (typeof data === 'object' && data !== null) for (const [k, v] of Object.entries(data)) if (typeof v === 'string') out[k] = v;
  return out;
}
