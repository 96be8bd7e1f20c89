/**
 * Identity from the Kubernetes API: an informer on the pods bound to this node
 * (`spec.nodeName=<node>`). Pod UIDs match the UID in pod cgroup names; app containers are found
 * by the runtime id in `status.{init,ephemeral,}containerStatuses[].containerID`
 * (`containerd://<id>`). Cgroups of a known pod that no status names are its sandbox.
 */
import { ErrorCode, KubemeterError } from '../../lib/errors.ts';
import { parseMetaTime } from '../../lib/go-format.ts';
import type { Logger } from '../../lib/log.ts';
import type { ListWatchClient } from '../../kube/informer.ts';
import { Informer } from '../../kube/informer.ts';
import type { PodVolumeSpec } from '../fs/pod-volumes.ts';
import { decodePodVolumes } from '../fs/pod-volumes.ts';
import type { ContainerIdentity, IdentityProvider, IdentitySnapshot, PodIdentity } from './types.ts';

/** The part of a core/v1 Pod this provider reads. */
export interface NodePod {
  metadata: { name: string; namespace: string; uid: string; resourceVersion?: string };
  status: { startTime: number | undefined; containers: { name: string; id: string }[] };
  /** `spec.volumes` (names volume stats); absent when the pod has none. */
  volumes?: PodVolumeSpec[];
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function rec(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** Decode the fields of a Pod this provider needs; throws InvalidDocument naming what was missing. */
export function decodeNodePod(value: unknown, source: string): NodePod {
  const meta = rec(rec(value)?.metadata);
  const name = str(meta?.name);
  const namespace = str(meta?.namespace);
  const uid = str(meta?.uid);
  if (name === undefined || namespace === undefined || uid === undefined) {
    throw new KubemeterError(ErrorCode.InvalidDocument, `${source}: pod without metadata.name, namespace or uid`, { source });
  }
  const status = rec(rec(value)?.status);
  const containers: { name: string; id: string }[] = [];
  for (const key of ['containerStatuses', 'initContainerStatuses', 'ephemeralContainerStatuses']) {
    const list = status?.[key];
    if (!Array.isArray(list)) continue;
    for (const cs of list) {
      const r = rec(cs);
      const cname = str(r?.name);
      const cid = str(r?.containerID);
      if (cname === undefined || cid === undefined) continue;
      // `containerd://<id>`, `cri-o://<id>`, `docker://<id>`.
      const i = cid.indexOf('://');
      containers.push({ name: cname, id: i >= 0 ? cid.slice(i + 3) : cid });
    }
  }
  const startText = str(status?.startTime);
  let startTime: number | undefined;
  if (startText !== undefined) {
    try {
      startTime = parseMetaTime(startText);
    } catch {
      startTime = undefined;
    }
  }
  const rv = str(meta?.resourceVersion);
  const volumes = decodePodVolumes(value);
  return {
    metadata: { name, namespace, uid, ...(rv === undefined ? {} : { resourceVersion: rv }) }, status: { startTime, containers },
    ...(volumes.length === 0 ? {} : { volumes }),
  };
}

/** Build an identity snapshot from node pods (pure). */
export function identityFromPods(pods: Iterable<NodePod>): IdentitySnapshot {
  const out: IdentitySnapshot = { pods: new Map<string, PodIdentity>(), containers: new Map<string, ContainerIdentity>() };
  for (const p of pods) {
    const uid = p.metadata.uid;
    out.pods.set(uid, { uid, name: p.metadata.name, namespace: p.metadata.namespace, startTimeMs: p.status.startTime, ...(p.volumes === undefined ? {} : { volumes: p.volumes }) });
    for (const c of p.status.containers) out.containers.set(c.id, { id: c.id, podUid: uid, name: c.name, sandbox: false, createdAtMs: undefined });
  }
  return out;
}

/** Options of the Kubernetes API identity provider. */
export interface KubeApiIdentityOptions {
  client: ListWatchClient;
  nodeName: string;
  logger?: Logger;
}

/** Identity from the API server, kept current by a watch. */
export function kubeApiIdentity(options: KubeApiIdentityOptions): IdentityProvider {
  const informer = new Informer<NodePod>({
    client: options.client,
    path: '/api/v1/pods',
    fieldSelector: `spec.nodeName=${options.nodeName}`,
    decode: decodeNodePod,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  const ctl = new AbortController();
  informer.start(ctl.signal);
  return {
    name: 'kube-api',
    lookup(_signal) {
      if (!informer.hasSynced()) {
        const last = informer.stats().lastError;
        return Promise.reject(new KubemeterError(ErrorCode.Network, `pods of node ${options.nodeName} not listed yet${last === '' ? '' : `: ${last}`}`));
      }
      return Promise.resolve(identityFromPods(informer.store.list()));
    },
    close() {
      ctl.abort();
      void informer.stop();
    },
  };
}
