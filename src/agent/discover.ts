/**
 * Finding the cgroups to sample: the kubepods QoS tree (cgroupfs or systemd driver, guaranteed,
 * burstable and besteffort pods, runtime container cgroups below each pod) and, for hosts
 * without Kubernetes, systemd services and scopes and Docker/Podman containers.
 */
import type { CgroupDriver, RuntimeName } from '../cgroup/layout.ts';
import { containerFromCgroupName, podUidFromCgroupName, podsCgroupPath, qosDirNames } from '../cgroup/layout.ts';
import type { CgroupReader } from '../cgroup/reader.ts';

/** A container cgroup below a pod. */
export interface ContainerCgroup {
  id: string;
  runtime: RuntimeName;
  path: string;
}

/** A pod cgroup and its container cgroups. */
export interface PodCgroup {
  uid: string;
  path: string;
  containers: ContainerCgroup[];
}

/** The kubepods tree as found. */
export interface KubepodsTree {
  driver: CgroupDriver;
  /** Absolute path of the pods root; undefined when it does not exist. */
  podsPath: string | undefined;
  pods: PodCgroup[];
}

function join(parent: string, child: string): string {
  return parent === '/' ? `/${child}` : `${parent}/${child}`;
}

/** The driver whose kubepods cgroup exists (systemd first, as a systemd host may show both names). */
export function detectDriver(reader: CgroupReader, cgroupRoot: string): CgroupDriver | undefined {
  if (reader.exists(podsCgroupPath(cgroupRoot, 'systemd'))) return 'systemd';
  if (reader.exists(podsCgroupPath(cgroupRoot, 'cgroupfs'))) return 'cgroupfs';
  return undefined;
}

/** Walk the kubepods tree under `cgroupRoot`. */
export function discoverKubepods(reader: CgroupReader, options: { cgroupRoot: string; driver: CgroupDriver | 'auto' }): KubepodsTree {
  const driver = options.driver === 'auto' ? (detectDriver(reader, options.cgroupRoot) ?? 'cgroupfs') : options.driver;
  const podsPath = podsCgroupPath(options.cgroupRoot, driver);
  if (!reader.exists(podsPath)) return { driver, podsPath: undefined, pods: [] };
  const pods: PodCgroup[] = [];
  const qos = new Set(qosDirNames(driver, podsPath));
  // Pods, QoS classes and containers are recognised by names no cgroup interface file has, so
  // the cheaper listing of every entry serves where the reader has one.
  const list = (name: string): string[] => (reader.listNames === undefined ? reader.listChildren(name) : reader.listNames(name));
  const visit = (parent: string, allowQos: boolean): void => {
    // Indexed loops: without V8's optimizing compilers (the agent's default) for…of allocates an
    // iterator and a result object per element, for each of the pass's ~450 names.
    const children = list(parent);
    for (let i = 0; i < children.length; i++) {
      const child = children[i]!;
      const uid = podUidFromCgroupName(child);
      if (uid !== undefined) {
        const path = join(parent, child);
        const containers: ContainerCgroup[] = [];
        const names = list(path);
        for (let k = 0; k < names.length; k++) {
          const c = names[k]!;
          const parsed = containerFromCgroupName(c);
          if (parsed !== undefined) containers.push({ ...parsed, path: join(path, c) });
        }
        pods.push({ uid, path, containers });
      } else if (allowQos && qos.has(child)) {
        visit(join(parent, child), false);
      }
    }
  };
  visit(podsPath, true);
  return { driver, podsPath, pods };
}

/** What kind of unit a standalone cgroup is. */
export type UnitKind = 'service' | 'scope' | 'docker' | 'podman';

/** A cgroup of a host without Kubernetes that is reported as a pod with one container. */
export interface StandaloneUnit {
  kind: UnitKind;
  path: string;
  /** Unit name without its suffix (`nginx` for `nginx.service`), or the container id. */
  unit: string;
  /** The enclosing slice without `.slice` (`system`, `user-1000`), or `docker`/`podman` for cgroupfs engine trees. */
  slice: string;
  /** Container id for docker/podman units. */
  containerId: string | undefined;
}

const maxSliceDepth = 4;

/**
 * Systemd services and scopes below top-level slices (not descending into units), Docker
 * containers (`docker-<id>.scope`, `/docker/<id>`) and Podman containers (`libpod-<id>.scope`,
 * `/libpod_parent/libpod-<id>`). The kubepods tree and `*.mount`/`*.socket`/`*.swap` units are skipped.
 */
export function discoverStandalone(reader: CgroupReader, options: { skip: ReadonlySet<string> }): StandaloneUnit[] {
  const out: StandaloneUnit[] = [];
  const unitOf = (name: string, path: string, slice: string): StandaloneUnit | undefined => {
    const c = containerFromCgroupName(name);
    if (c !== undefined && (c.runtime === 'docker' || c.runtime === 'podman')) {
      return { kind: c.runtime, path, unit: c.id, slice, containerId: c.id };
    }
    if (name.startsWith('libpod-conmon-')) return undefined;
    if (name.endsWith('.service')) return { kind: 'service', path, unit: name.slice(0, -8), slice, containerId: undefined };
    if (name.endsWith('.scope')) return { kind: 'scope', path, unit: name.slice(0, -6), slice, containerId: undefined };
    return undefined;
  };
  const walkSlice = (path: string, depth: number): void => {
    const slice = path.slice(path.lastIndexOf('/') + 1).replace(/\.slice$/, '');
    for (const child of reader.listChildren(path)) {
      const childPath = join(path, child);
      if (options.skip.has(childPath)) continue;
      if (child.endsWith('.slice')) {
        if (depth < maxSliceDepth) walkSlice(childPath, depth + 1);
        continue;
      }
      const unit = unitOf(child, childPath, slice);
      if (unit !== undefined) out.push(unit);
    }
  };
  for (const top of reader.listChildren('/')) {
    const path = `/${top}`;
    if (options.skip.has(path)) continue;
    if (top.endsWith('.slice')) walkSlice(path, 1);
    else if (top.endsWith('.scope') || top.endsWith('.service')) {
      const unit = unitOf(top, path, '-');
      if (unit !== undefined) out.push(unit);
    } else if (top === 'docker' || top === 'libpod_parent') {
      const engine = top === 'docker' ? 'docker' : 'podman';
      for (const child of reader.listChildren(path)) {
        const c = containerFromCgroupName(child);
        if (c !== undefined) out.push({ kind: engine, path: join(path, child), unit: c.id, slice: engine, containerId: c.id });
      }
    }
  }
  return out;
}
