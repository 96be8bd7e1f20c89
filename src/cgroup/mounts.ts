/**
 * Where the cgroup hierarchies are mounted, from /proc/self/mountinfo. Decides v1, v2 or hybrid
 * (v1 controllers plus a cgroup2 mount, treated as v1 like the kubelet does) and maps each
 * controller to its mount directory, rebased onto an injectable /sys root.
 */
import { join } from 'node:path';
import { ErrorCode, KubemeterError, quoteInput } from '../lib/errors.ts';
import { readSmallFile } from './read-file.ts';

/** One line of /proc/<pid>/mountinfo, reduced to what cgroup detection needs. */
export interface MountInfo {
  /** Root of the mount within its filesystem (`/` unless a subtree is bind-mounted). */
  root: string;
  /** Mount point, unescaped. */
  mountPoint: string;
  /** Filesystem type: `cgroup`, `cgroup2`, `tmpfs`, … */
  fsType: string;
  /** Per-superblock options (for cgroup v1 these name the controllers). */
  superOptions: string[];
}

/** The v1 controllers the agent reads. */
export type V1Controller = 'cpu' | 'cpuacct' | 'memory' | 'pids';

const v1Controllers: readonly V1Controller[] = ['cpu', 'cpuacct', 'memory', 'pids'];

/** A mounted hierarchy: the directory and the cgroup path that directory shows. */
export interface HierarchyMount {
  /** Directory the hierarchy is reachable at (already rebased onto the /sys root). */
  dir: string;
  /** Cgroup path shown at `dir` (`/` normally). */
  root: string;
}

/** The cgroup mode of a host and where to read each controller. */
export interface CgroupMounts {
  /** `v2` = unified only; `v1` = legacy controllers (also for hybrid hosts). */
  version: 'v1' | 'v2';
  /** v1 controllers and a cgroup2 mount both present. */
  hybrid: boolean;
  /** v1: controller → mount. Empty for v2. */
  controllers: Partial<Record<V1Controller, HierarchyMount>>;
  /** The cgroup2 mount (v2, or the systemd-only unified mount of a hybrid host). */
  unified: HierarchyMount | undefined;
}

/** Undo the octal escapes (`\040` for space) the kernel uses in mountinfo paths. */
function unescapeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Parse the text of /proc/<pid>/mountinfo; lines that do not have the documented shape are errors. */
export function parseMountInfo(text: string, source = 'mountinfo'): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const fields = line.split(' ');
    const sep = fields.indexOf('-', 6);
    if (sep < 0 || fields.length < sep + 4) {
      throw new KubemeterError(ErrorCode.InvalidFile, `${source}: malformed line ${quoteInput(line)}`, { source });
    }
    out.push({
      root: unescapeMountPath(fields[3]!),
      mountPoint: unescapeMountPath(fields[4]!),
      fsType: fields[sep + 1]!,
      superOptions: fields[sep + 3]!.split(','),
    });
  }
  return out;
}

/**
 * Rebase a host mount point onto the injectable /sys root: with `sysRoot` = `/host/sys`, a mount
 * at `/sys/fs/cgroup/cpu` is read at `/host/sys/fs/cgroup/cpu`. Mount points already under
 * `sysRoot` (the agent's own mount namespace in a container) are kept.
 */
export function rebaseMountPoint(mountPoint: string, sysRoot: string): string {
  if (sysRoot === '/sys') return mountPoint;
  if (mountPoint === sysRoot || mountPoint.startsWith(sysRoot + '/')) return mountPoint;
  if (mountPoint === '/sys' || mountPoint.startsWith('/sys/')) return join(sysRoot, mountPoint.slice(4));
  return mountPoint;
}

/** Decide the cgroup mode and controller mounts from parsed mountinfo. */
export function detectCgroupMounts(mounts: readonly MountInfo[], sysRoot = '/sys'): CgroupMounts {
  const preferred = (m: MountInfo): boolean => rebaseMountPoint(m.mountPoint, sysRoot).startsWith(sysRoot + '/');
  // Mounts under the /sys root first: a container may also see bind mounts elsewhere.
  const ordered = [...mounts.filter(preferred), ...mounts.filter((m) => !preferred(m))];
  const controllers: Partial<Record<V1Controller, HierarchyMount>> = {};
  let unified: HierarchyMount | undefined;
  for (const m of ordered) {
    const dir = rebaseMountPoint(m.mountPoint, sysRoot);
    if (m.fsType === 'cgroup2') {
      unified ??= { dir, root: m.root };
    } else if (m.fsType === 'cgroup') {
      for (const c of v1Controllers) {
        if (m.superOptions.includes(c)) controllers[c] ??= { dir, root: m.root };
      }
    }
  }
  const hasV1 = Object.keys(controllers).length > 0;
  if (!hasV1 && unified === undefined) {
    throw new KubemeterError(ErrorCode.InvalidFile, 'no cgroup or cgroup2 filesystem is mounted', { source: 'mountinfo' });
  }
  return { version: hasV1 ? 'v1' : 'v2', hybrid: hasV1 && unified !== undefined, controllers, unified };
}

/** Roots of the host filesystems the agent reads; injectable so tests can use fixture trees. */
export interface HostRoots {
  /** Where the host's /proc is (default `/proc`). */
  procRoot: string;
  /** Where the host's /sys is (default `/sys`). */
  sysRoot: string;
}

/** Read `<procRoot>/self/mountinfo` (falling back to pid 1's) and detect the cgroup mounts. */
export function readCgroupMounts(roots: HostRoots): CgroupMounts {
  for (const who of ['self', '1']) {
    const path = join(roots.procRoot, who, 'mountinfo');
    const text = readSmallFile(path);
    if (text === undefined) continue;
    const mounts = parseMountInfo(text, path).filter((m) => m.fsType === 'cgroup' || m.fsType === 'cgroup2');
    if (mounts.length > 0) return detectCgroupMounts(mounts, roots.sysRoot);
  }
  throw new KubemeterError(ErrorCode.InvalidFile, `no cgroup mounts found in ${join(roots.procRoot, 'self', 'mountinfo')}`, {
    source: roots.procRoot,
  });
}

/** Directory of cgroup `name` (absolute cgroup path like `/kubepods/pod…`) in a hierarchy. */
export function cgroupDir(mount: HierarchyMount, name: string): string {
  let rel = name;
  // A mount of a subtree (cgroup namespaces, bind mounts) shows paths relative to its root.
  if (mount.root !== '/' && (name === mount.root || name.startsWith(mount.root + '/'))) rel = name.slice(mount.root.length);
  return rel === '' || rel === '/' ? mount.dir : mount.dir + rel;
}
