/**
 * Where the kubelet keeps what a pod stores on the node (pure path and name rules):
 * - volumes: `<root-dir>/pods/<uid>/volumes/<plugin>/<dir>`, the plugin name with `/` escaped
 *   as `~` (`kubernetes.io~empty-dir`); `<dir>` is the pod spec volume name for in-pod volumes,
 *   the PersistentVolume name for PV-backed ones; CSI mounts the volume at `<dir>/mount`;
 * - `<root-dir>/pods/<uid>/etc-hosts`, the hosts file the kubelet writes for the pod;
 * - logs: `<pod-logs-dir>/<namespace>_<name>_<uid>/<container>/<restart>.log`.
 */
import { join } from 'node:path';

/** How a volume plugin's usage is measured, and whether it counts as local ephemeral storage. */
export type VolumePluginKind = 'emptyDir' | 'configMap' | 'secret' | 'projected' | 'downwardAPI' | 'gitRepo' | 'csi' | 'mounted';

const plugins: Readonly<Record<string, VolumePluginKind>> = {
  'kubernetes.io~empty-dir': 'emptyDir',
  'kubernetes.io~configmap': 'configMap',
  'kubernetes.io~secret': 'secret',
  'kubernetes.io~projected': 'projected',
  'kubernetes.io~downward-api': 'downwardAPI',
  'kubernetes.io~git-repo': 'gitRepo',
  'kubernetes.io~csi': 'csi',
};

/** The kind of a plugin directory name; any other plugin (nfs, local-volume, iscsi, …) is a mounted filesystem. */
export function pluginKind(dirName: string): VolumePluginKind {
  return plugins[dirName] ?? 'mounted';
}

/** Plugins whose usage is a du walk of the directory (the kubelet's MetricsDu); the others are statfs of the mount. */
export function walkedPlugin(kind: VolumePluginKind): boolean {
  return kind !== 'csi' && kind !== 'mounted';
}

/** `<root-dir>/pods/<uid>/volumes`. */
export function podVolumesDir(rootDir: string, uid: string): string {
  return join(rootDir, 'pods', uid, 'volumes');
}

/** `<root-dir>/pods/<uid>/etc-hosts`. */
export function podEtcHostsPath(rootDir: string, uid: string): string {
  return join(rootDir, 'pods', uid, 'etc-hosts');
}

/** The directory whose filesystem holds a volume: CSI mounts it at `<dir>/mount`. */
export function volumeDataPath(volumeDir: string, kind: VolumePluginKind): string {
  return kind === 'csi' ? join(volumeDir, 'mount') : volumeDir;
}

/** A pod log directory's parts. */
export interface PodLogDirName {
  namespace: string;
  name: string;
  uid: string;
}

/**
 * Parse `<namespace>_<name>_<uid>` (the kubelet's BuildPodLogsDirectory). Namespaces and pod
 * names are DNS names and UIDs have no `_`, so exactly three non-empty parts; anything else is
 * not a pod log directory (undefined).
 */
export function parsePodLogDirName(dirName: string): PodLogDirName | undefined {
  const parts = dirName.split('_');
  if (parts.length !== 3) return undefined;
  const [namespace, name, uid] = parts as [string, string, string];
  if (namespace === '' || name === '' || uid === '') return undefined;
  return { namespace, name, uid };
}

/** `<pod-logs-dir>/<namespace>_<name>_<uid>`. */
export function podLogDir(podLogsDir: string, p: PodLogDirName): string {
  return join(podLogsDir, `${p.namespace}_${p.name}_${p.uid}`);
}

/** A directory entry name that is safe to join under a root: not empty, no `/`, not `.` or `..`. */
export function safeEntryName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\0');
}
