/**
 * Pod spec volumes (from the Kubernetes API identity source) and the kubelet's rules that use
 * them: which volumes are local ephemeral storage (`IsLocalEphemeralVolume`: gitRepo, emptyDir on
 * the default medium, configMap), the claim of a `persistentVolumeClaim` or generic `ephemeral`
 * volume (`<pod>-<volume>`, as ephemeral.VolumeClaimName), and the name a volume directory is
 * reported under. Pure: decoding and matching only.
 */
import type { VolumePluginKind } from './layout.ts';

/** One `spec.volumes[]` entry, in the fields the stats need. */
export interface PodVolumeSpec {
  name: string;
  /** The volume source's key (`emptyDir`, `configMap`, `persistentVolumeClaim`, `csi`, …); `unknown` when none is set. */
  source: string;
  /** `emptyDir.medium` (`""` is the node's disk). */
  medium?: string;
  /** `persistentVolumeClaim.claimName`. */
  claimName?: string;
}

/** A claim, as `pvcRef` names it. */
export interface ClaimRef {
  name: string;
  namespace: string;
}

const sources = [
  'emptyDir', 'configMap', 'secret', 'projected', 'downwardAPI', 'gitRepo', 'csi', 'persistentVolumeClaim', 'ephemeral', 'hostPath', 'nfs',
  'iscsi', 'fc', 'rbd', 'cephfs', 'glusterfs', 'awsElasticBlockStore', 'gcePersistentDisk', 'azureDisk', 'azureFile', 'cinder', 'flexVolume',
  'flocker', 'portworxVolume', 'quobyte', 'scaleIO', 'storageos', 'vsphereVolume', 'photonPersistentDisk', 'image',
] as const;

function rec(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** Most volumes kept per pod (the API server allows far fewer in practice); the rest are ignored. */
const maxVolumes = 1024;

/** Decode `spec.volumes` of a Pod (lenient: malformed entries are skipped, never thrown). */
export function decodePodVolumes(pod: unknown): PodVolumeSpec[] {
  const list = rec(rec(pod)?.spec)?.volumes;
  if (!Array.isArray(list)) return [];
  const out: PodVolumeSpec[] = [];
  for (const v of list.slice(0, maxVolumes)) {
    const r = rec(v);
    const name = r?.name;
    if (r === undefined || typeof name !== 'string' || name === '') continue;
    const source = sources.find((s) => rec(r[s]) !== undefined) ?? 'unknown';
    const spec: PodVolumeSpec = { name, source };
    if (source === 'emptyDir') {
      const medium = rec(r.emptyDir)?.medium;
      spec.medium = typeof medium === 'string' ? medium : '';
    }
    if (source === 'persistentVolumeClaim') {
      const claim = rec(r.persistentVolumeClaim)?.claimName;
      if (typeof claim === 'string' && claim !== '') spec.claimName = claim;
    }
    out.push(spec);
  }
  return out;
}

/** The kubelet's IsLocalEphemeralVolume for a known spec. */
export function isLocalEphemeral(spec: PodVolumeSpec): boolean {
  return spec.source === 'gitRepo' || spec.source === 'configMap' || (spec.source === 'emptyDir' && (spec.medium ?? '') === '');
}

/**
 * The same rule without the spec, from the plugin directory: gitRepo and configMap always; an
 * emptyDir when it is not a mount of its own (a `medium: Memory` or hugepages emptyDir is a tmpfs
 * mounted on its directory).
 */
export function isLocalEphemeralDir(kind: VolumePluginKind, ownMount: boolean): boolean {
  return kind === 'gitRepo' || kind === 'configMap' || (kind === 'emptyDir' && !ownMount);
}

/** The claim a spec volume uses: its claimName, or `<pod>-<volume>` for a generic ephemeral volume. */
export function claimOf(spec: PodVolumeSpec, podName: string): string | undefined {
  if (spec.source === 'persistentVolumeClaim') return spec.claimName;
  if (spec.source === 'ephemeral') return `${podName}-${spec.name}`;
  return undefined;
}

/** How one volume directory is reported. */
export interface VolumeIdentity {
  /** The pod spec volume name, or the directory name when the spec does not say. */
  name: string;
  pvcRef?: ClaimRef;
  /** Counted in the pod's ephemeral storage (and listed first). */
  ephemeral: boolean;
}

/** What naming a volume directory needs. */
export interface VolumeNaming {
  dirName: string;
  kind: VolumePluginKind;
  /** The directory is a mount point of its own. */
  ownMount: boolean;
  pod: { name: string; namespace: string; volumes: readonly PodVolumeSpec[] | undefined };
  /** The claim bound to the PersistentVolume named `dirName`, when it could be looked up. */
  boundClaim: ClaimRef | undefined;
}

/**
 * Name a volume directory. In-pod volumes (emptyDir, configMap, …, inline CSI) are in a directory
 * named after the spec volume. A PV-backed volume's directory is the PV's name: with the PV's
 * claim and the pod spec, the spec volume using that claim gives the name and `pvcRef`; without
 * them the volume is reported under the PV name without `pvcRef`.
 */
export function nameVolume(n: VolumeNaming): VolumeIdentity {
  const specs = n.pod.volumes;
  const byName = specs?.find((s) => s.name === n.dirName);
  if (byName !== undefined && claimOf(byName, n.pod.name) === undefined) {
    return { name: byName.name, ephemeral: isLocalEphemeral(byName) };
  }
  const claim = n.boundClaim;
  if (specs !== undefined && claim !== undefined && claim.namespace === n.pod.namespace) {
    const user = specs.find((s) => claimOf(s, n.pod.name) === claim.name);
    if (user !== undefined) return { name: user.name, pvcRef: { name: claim.name, namespace: claim.namespace }, ephemeral: false };
  }
  return { name: n.dirName, ephemeral: isLocalEphemeralDir(n.kind, n.ownMount) };
}
