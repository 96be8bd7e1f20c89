/**
 * Cgroup names the kubelet and the container runtimes create: the kubepods QoS tree under
 * `--cgroup-root` for the cgroupfs and systemd drivers, pod UIDs from pod cgroup names and
 * container ids from runtime cgroup names (containerd, CRI-O, Docker, Podman).
 */

/** The kubelet's cgroup driver. */
export type CgroupDriver = 'cgroupfs' | 'systemd';

/** Kubernetes QoS classes, as the kubelet names their cgroups. */
export type QosClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

/** Container runtimes recognised from cgroup names. */
export type RuntimeName = 'containerd' | 'crio' | 'docker' | 'podman' | 'unknown';

/**
 * The parts of a kubelet cgroup name (`["kubepods","burstable","pod<uid>"]` style) for
 * `--cgroup-root`. The systemd form of the root (`/kubelet.slice`) is converted back into parts the
 * way the kubelet does: strip `.slice`, take the text after the last `-`, `_` → `-`.
 */
export function cgroupRootParts(cgroupRoot: string, driver: CgroupDriver): string[] {
  const parts = cgroupRoot.split('/').filter((p) => p !== '');
  if (driver === 'cgroupfs') return parts;
  return parts.map((p) => {
    const base = p.endsWith('.slice') ? p.slice(0, -'.slice'.length) : p;
    const i = base.lastIndexOf('-');
    return (i >= 0 ? base.slice(i + 1) : base).replaceAll('_', '-');
  });
}

/** Render kubelet cgroup-name parts as an absolute cgroup path for a driver. */
export function cgroupPathOf(parts: readonly string[], driver: CgroupDriver): string {
  if (parts.length === 0) return '/';
  if (driver === 'cgroupfs') return '/' + parts.join('/');
  // systemd: every level is a slice whose name repeats its ancestors, `-` inside a part escaped.
  const escaped = parts.map((p) => p.replaceAll('-', '_'));
  const levels: string[] = [];
  for (let i = 1; i <= escaped.length; i++) levels.push(escaped.slice(0, i).join('-') + '.slice');
  return '/' + levels.join('/');
}

/** Absolute cgroup path of the pods root (`kubepods`) under `--cgroup-root`. */
export function podsCgroupPath(cgroupRoot: string, driver: CgroupDriver): string {
  return cgroupPathOf([...cgroupRootParts(cgroupRoot, driver), 'kubepods'], driver);
}

/** Absolute cgroup path of a pod's cgroup. */
export function podCgroupPath(options: { cgroupRoot: string; driver: CgroupDriver; qos: QosClass; podUid: string }): string {
  const parts = [...cgroupRootParts(options.cgroupRoot, options.driver), 'kubepods'];
  if (options.qos === 'Burstable') parts.push('burstable');
  if (options.qos === 'BestEffort') parts.push('besteffort');
  parts.push(`pod${options.podUid}`);
  return cgroupPathOf(parts, options.driver);
}

/** Basenames of the QoS-class directories below the pods root, for each driver. */
export function qosDirNames(driver: CgroupDriver, podsPath: string): string[] {
  if (driver === 'cgroupfs') return ['burstable', 'besteffort'];
  const base = podsPath.slice(podsPath.lastIndexOf('/') + 1).replace(/\.slice$/, '');
  return [`${base}-burstable.slice`, `${base}-besteffort.slice`];
}

/** The last path element. */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/**
 * The pod UID named by a pod cgroup basename: `pod<uid>` (cgroupfs) or
 * `kubepods-burstable-pod<uid_>.slice` (systemd, `_` → `-`); undefined for anything else.
 */
export function podUidFromCgroupName(basename: string): string | undefined {
  let name = basename;
  if (name.endsWith('.slice')) {
    name = name.slice(0, -'.slice'.length);
    name = name.slice(name.lastIndexOf('-') + 1).replaceAll('_', '-');
  }
  if (!name.startsWith('pod') || name.length <= 3) return undefined;
  const uid = name.slice(3);
  // UIDs are RFC 4122 strings, or 32-hex config hashes for static pods.
  return /^[0-9a-fA-F-]{8,64}$/.test(uid) ? uid : undefined;
}

/** A container cgroup recognised by name. */
export interface ContainerCgroupName {
  /** Container id (64 hex for all supported runtimes). */
  id: string;
  runtime: RuntimeName;
}

const hexId = /^[0-9a-f]{64}$/;

/**
 * The container id in a runtime's cgroup basename, or undefined when the cgroup is not a
 * container: `<id>` (containerd/Docker with cgroupfs), `cri-containerd-<id>.scope`,
 * `crio-<id>[.scope]`, `docker-<id>.scope`, `libpod-<id>[.scope]`. CRI-O's `crio-conmon-<id>` monitor
 * cgroups and systemd `.mount` units are not containers.
 */
export function containerFromCgroupName(basename: string): ContainerCgroupName | undefined {
  if (basename.endsWith('.mount')) return undefined;
  const name = basename.endsWith('.scope') ? basename.slice(0, -'.scope'.length) : basename;
  if (hexId.test(name)) return { id: name, runtime: 'unknown' };
  const dash = name.lastIndexOf('-');
  if (dash < 0) return undefined;
  const prefix = name.slice(0, dash);
  const id = name.slice(dash + 1);
  if (!hexId.test(id)) return undefined;
  switch (prefix) {
    case 'cri-containerd':
      return { id, runtime: 'containerd' };
    case 'crio':
      return { id, runtime: 'crio' };
    case 'docker':
      return { id, runtime: 'docker' };
    case 'libpod':
      return { id, runtime: 'podman' };
    default:
      return undefined;
  }
}
